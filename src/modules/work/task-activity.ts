import { ArgsType, Ctx, Field, FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import { DateTimeResolver, JSONObjectResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import type { KeysetSort } from '../../db/pagination';
import type { TaskActivityTable } from '../../db/schema';
import type { Context } from '../../graphql/context';
import { Connection, ConnectionArgs, defineParentConnection, orderEnum } from '../../graphql/connection';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';

/**
 * A task's activity stays hand-written: the database writes it (triggers on tasks and comments),
 * the API only reads it, through `Task.activity` (src/modules/work/tasks.ts).
 */

export const ACTIVITY_ORDERS = {
  created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
} as const satisfies Record<string, KeysetSort>;

export const TaskActivityOrder = orderEnum('TaskActivityOrder', ACTIVITY_ORDERS);

@ObjectType({ description: 'One change to a task, recorded by the database when it happened.' })
export class TaskActivity {
  @Field(() => UUIDResolver)
  id!: string;

  actorUserId!: string | null;

  @Field(() => UUIDResolver, { nullable: true, description: 'The API key that made the change, if one did.' })
  actorApiKeyId!: string | null;

  @Field({
    description:
      'created, updated, status_changed, assigned, moved, deleted, restored, commented, comment_edited or comment_deleted.',
  })
  action!: string;

  @Field(() => JSONObjectResolver, {
    description: 'The changed fields, before and after (column names); for comments, the comment id.',
  })
  changes!: Record<string, unknown>;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  static fromRow(row: Selectable<TaskActivityTable>): TaskActivity {
    return Object.assign(new TaskActivity(), {
      id: row.id,
      actorUserId: row.actor_user_id,
      actorApiKeyId: row.actor_api_key_id,
      action: row.action,
      changes: row.changes,
      createdAt: row.created_at,
    });
  }
}

@ObjectType()
export class TaskActivityConnection extends Connection(TaskActivity) {}

@ArgsType()
export class TaskActivityArgs extends ConnectionArgs {
  @Field(() => TaskActivityOrder, { nullable: true, description: 'Default CREATED_AT_ASC.' })
  orderBy?: string | null;
}

export const activityOfTask = defineParentConnection<Selectable<TaskActivityTable>, null>({
  name: 'activityOfTask',
  table: 'task_activity',
  alias: 'a',
  parentColumn: 'task_id',
  sort: ACTIVITY_ORDERS.created_at_asc,
  orders: ACTIVITY_ORDERS,
});

@Resolver(() => TaskActivity)
export class TaskActivityResolver {
  @FieldResolver(() => User, {
    nullable: true,
    description: 'Who made the change (null for an API key or the system).',
  })
  actor(@Root() activity: TaskActivity, @Ctx() ctx: Context): Promise<User | null> | null {
    return activity.actorUserId ? ctx.loaders.use(userById).load(activity.actorUserId) : null;
  }
}
