import { Ctx, Extensions, Field, FieldResolver, Float, Int, ObjectType, Resolver, Root } from 'type-graphql';
import { sql } from 'kysely';
import type { KeysetSort } from '../../db/pagination';
import { MILESTONE_STATUSES } from '../../db/schema';
import type { Context } from '../../graphql/context';
import { defineLoader } from '../../graphql/loaders';
import { AGGREGATE_COST } from '../../graphql/limits';
import { col, defineResource } from '../../resources';
import { MilestoneStatusEnum } from './work.enums';
import { inProject } from './projects';

export const MILESTONE_ORDERS = {
  created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  title_asc: { column: 'title', direction: 'asc', type: 'text' },
} as const satisfies Record<string, KeysetSort>;

export const milestones = defineResource({
  name: 'Milestone',
  table: 'milestones',
  description: 'A goal of a project with a due date; its progress comes from its tasks.',
  relations: {
    project: inProject('milestones'),
  },
  columns: {
    title: col.text({ length: { min: 1, max: 255 }, create: 'required', update: true }),
    description: col.text({ dbDefault: true, length: { max: 10000 }, create: 'optional', update: true }),
    status: col.enum(MILESTONE_STATUSES, MilestoneStatusEnum, {
      dbDefault: true,
      update: true,
      filter: 'enumList',
      aggregate: { groupBy: true },
    }),
    dueDate: col.date({
      nullable: true,
      create: 'optional',
      update: true,
      aggregate: { measures: ['min', 'max'], groupBy: ['week', 'month'] },
    }),
    completedAt: col.timestamp({ nullable: true, serviceWrites: true }),
  },
  timestamps: { createdAt: true },
  permissions: { read: 'projects:read', create: 'sprints:manage', update: 'sprints:manage', delete: 'sprints:manage' },
  lists: {
    orders: MILESTONE_ORDERS,
    root: { description: 'Milestones of every project the caller can see.' },
    byId: {},
    filter: { order: ['status', 'projectId'] },
    alias: 'ms',
  },
  mutations: {
    create: {},
    update: { order: ['id', 'title', 'description', 'dueDate', 'status'] },
    delete: { mode: 'hard', description: 'Deletes a milestone; its tasks stay, outside any milestone.' },
  },
  violations: { milestones_title_check: ['title', 'The title must be 1 to 255 characters, not only spaces'] },
  rules: {
    // No state machine: any status may follow any other; completedAt follows COMPLETED.
    beforeUpdate(_ctx, current, changes) {
      if (changes.status === undefined || changes.status === current.status) {
        delete changes.status;
        return;
      }
      changes.completed_at = changes.status === 'completed' ? new Date() : null;
    },
  },
  example: (n) => ({ title: `Milestone ${n}` }),
});

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

/** Milestone progress: done tasks out of all live, not cancelled ones; one grouped statement for every milestone asked. */
export const milestoneProgress = defineLoader<string, MilestoneProgress>('milestoneProgress', async (db, ids) => {
  const rows = await db
    .selectFrom('tasks')
    .select([
      'milestone_id',
      sql<string>`count(*) filter (where status = 'done')`.as('done'),
      sql<string>`count(*)`.as('total'),
    ])
    .where('milestone_id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`)
    .where('deleted_at', 'is', null)
    .where('status', '<>', 'cancelled')
    .groupBy('milestone_id')
    .execute();
  const found = new Map(rows.map((r) => [r.milestone_id!, { done: Number(r.done), total: Number(r.total) }]));
  return ids.map((id) => {
    const { done, total } = found.get(id) ?? { done: 0, total: 0 };
    return Object.assign(new MilestoneProgress(), { done, total, ratio: total ? done / total : 0 });
  });
});

@Resolver(() => milestones.Node)
export class MilestoneResolver extends milestones.BaseResolver {
  // Counts the milestone's tasks: priced by the query cost limit (limits.ts).
  @Extensions({ cost: AGGREGATE_COST })
  @FieldResolver(() => MilestoneProgress)
  progress(@Root() milestone: { id: string }, @Ctx() ctx: Context): Promise<MilestoneProgress> {
    return ctx.loaders.use(milestoneProgress).load(milestone.id);
  }
}
milestones.useResolver(MilestoneResolver);
