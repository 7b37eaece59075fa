import { sql, type Selectable } from 'kysely';
import type { MilestonesTable, TaskActivityTable, TasksTable } from '../../db/schema';
import type { AnyQuery } from '../../db/pagination';
import { defineParentConnection } from '../../graphql/connection';
import { applyId, applyIn, applyInt, applyRange, applyString, applyTags } from '../../graphql/filters';
import { byKey, defineLoader } from '../../graphql/loaders';
import type { TaskFilter } from './task.input';
import type { MilestoneFilter } from './planning.input';
import { Milestone, MilestoneProgress } from './planning.type';
import { Task, TASK_COLUMNS } from './task.type';
import { ACTIVITY_ORDERS, MILESTONE_ORDERS, TASK_ORDERS } from './work.orders';

const anyId = (ids: readonly string[]) => sql<string>`any(${sql.val(ids)}::uuid[])`;

export const taskById = defineLoader<string, Task | null>('taskById', async (db, ids) =>
  byKey(
    ids,
    await db.selectFrom('tasks').selectAll().where('id', '=', anyId(ids)).execute(),
    (r) => r.id,
    Task.fromRow,
  ),
);

export const milestoneById = defineLoader<string, Milestone | null>('milestoneById', async (db, ids) =>
  byKey(
    ids,
    await db.selectFrom('milestones').selectAll().where('id', '=', anyId(ids)).execute(),
    (r) => r.id,
    Milestone.fromRow,
  ),
);

/** Milestone progress: done tasks out of all live, not cancelled ones; one grouped statement for every milestone asked. */
export const milestoneProgress = defineLoader<string, MilestoneProgress>('milestoneProgress', async (db, ids) => {
  const rows = await db
    .selectFrom('tasks')
    .select([
      'milestone_id',
      sql<string>`count(*) filter (where status = 'done')`.as('done'),
      sql<string>`count(*)`.as('total'),
    ])
    .where('milestone_id', '=', anyId(ids))
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

/** Applies a `TaskFilter` (the task lists and `tasksAggregate`). */
export function filterTasks(query: AnyQuery, filter: TaskFilter | null): AnyQuery {
  if (!filter) return query;
  let q = applyIn(query, 't.status', filter.status);
  q = applyIn(q, 't.type', filter.type);
  q = applyIn(q, 't.priority', filter.priority);
  for (const [field, column] of [
    ['projectId', 't.project_id'],
    ['assigneeId', 't.assignee_id'],
    ['reporterId', 't.reporter_id'],
    ['sprintId', 't.sprint_id'],
    ['milestoneId', 't.milestone_id'],
    ['parentTaskId', 't.parent_task_id'],
  ] as const) {
    q = applyId(q, column, filter[field]);
  }
  q = applyTags(q, 't.tags', filter.tags);
  q = applyRange(q, 't.due_date', filter.dueDate);
  q = applyRange(q, 't.created_at', filter.createdAt);
  q = applyRange(q, 't.updated_at', filter.updatedAt);
  q = applyRange(q, 't.started_at', filter.startedAt);
  q = applyRange(q, 't.completed_at', filter.completedAt);
  q = applyInt(q, 't.story_points', filter.storyPoints);
  return applyString(q, 't.title', filter.title);
}

const taskList = (name: string, parentColumn: string) =>
  defineParentConnection<Selectable<TasksTable>, TaskFilter>({
    name,
    table: 'tasks',
    alias: 't',
    parentColumn,
    sort: TASK_ORDERS.created_at_asc,
    orders: TASK_ORDERS,
    filter: filterTasks,
    softDelete: true,
    nodeColumns: TASK_COLUMNS,
  });

/** `tasks(...)`, `project.tasks`, `task.subtasks`, `sprint.tasks`, `milestone.tasks`: one filter, one set of orders. */
export const tasksOfOrganization = taskList('tasksOfOrganization', 'organization_id');
export const tasksOfProject = taskList('tasksOfProject', 'project_id');
export const subtasksOfTask = taskList('subtasksOfTask', 'parent_task_id');
export const tasksOfSprint = taskList('tasksOfSprint', 'sprint_id');
export const tasksOfMilestone = taskList('tasksOfMilestone', 'milestone_id');

/** Organization-wide lists leave out what belongs to a deleted project (a project's own lists show it). */
const inLiveProject =
  (alias: string) =>
  (query: AnyQuery): AnyQuery =>
    query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('projects as lp')
          .select(sql`1`.as('one'))
          .whereRef('lp.organization_id', '=', `${alias}.organization_id`)
          .whereRef('lp.id', '=', `${alias}.project_id`)
          .where('lp.deleted_at', 'is', null),
      ),
    );

function filterMilestones(query: AnyQuery, filter: MilestoneFilter | null): AnyQuery {
  return applyId(applyIn(query, 'ms.status', filter?.status), 'ms.project_id', filter?.projectId);
}

const milestoneList = (name: string, parentColumn: string, scope: (q: AnyQuery) => AnyQuery = (q) => q) =>
  defineParentConnection<Selectable<MilestonesTable>, MilestoneFilter>({
    name,
    table: 'milestones',
    alias: 'ms',
    parentColumn,
    sort: MILESTONE_ORDERS.created_at_asc,
    orders: MILESTONE_ORDERS,
    filter: (q, f) => filterMilestones(scope(q), f),
  });
export const milestonesOfOrganization = milestoneList(
  'milestonesOfOrganization',
  'organization_id',
  inLiveProject('ms'),
);
export const milestonesOfProject = milestoneList('milestonesOfProject', 'project_id');

export const activityOfTask = defineParentConnection<Selectable<TaskActivityTable>, null>({
  name: 'activityOfTask',
  table: 'task_activity',
  alias: 'a',
  parentColumn: 'task_id',
  sort: ACTIVITY_ORDERS.created_at_asc,
  orders: ACTIVITY_ORDERS,
});
