import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateTimeResolver, LocalDateResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import type { MilestoneStatus, MilestonesTable } from '../../db/schema';
import { Connection } from '../../graphql/connection';
import { MilestoneStatusEnum } from './work.enums';

@ObjectType({ description: 'A goal of a project with a due date; its progress comes from its tasks.' })
export class Milestone {
  @Field(() => UUIDResolver)
  id!: string;

  projectId!: string;

  @Field()
  title!: string;

  @Field()
  description!: string;

  @Field(() => MilestoneStatusEnum)
  status!: MilestoneStatus;

  @Field(() => LocalDateResolver, { nullable: true })
  dueDate!: string | null;

  @Field(() => DateTimeResolver, { nullable: true })
  completedAt!: Date | null;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  static fromRow(row: Selectable<MilestonesTable>): Milestone {
    return Object.assign(new Milestone(), {
      id: row.id,
      projectId: row.project_id,
      title: row.title,
      description: row.description,
      status: row.status,
      dueDate: row.due_date,
      completedAt: row.completed_at,
      createdAt: row.created_at,
    });
  }
}

@ObjectType({
  description: 'How far a milestone is: its done tasks out of all of them, cancelled and deleted tasks left out.',
})
export class MilestoneProgress {
  @Field(() => Float, { description: 'done / total, from 0 to 1 (0 when there are no tasks).' })
  ratio!: number;

  @Field(() => Int)
  done!: number;

  @Field(() => Int)
  total!: number;
}

@ObjectType()
export class MilestoneConnection extends Connection(Milestone) {}

@ObjectType()
export class MilestonePayload {
  @Field(() => Milestone)
  milestone!: Milestone;
}

@ObjectType()
export class DeleteMilestonePayload {
  @Field(() => UUIDResolver)
  deletedMilestoneId!: string;
}
