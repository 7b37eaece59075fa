import { sql, type Selectable } from 'kysely';
import type { TaskActivityTable, TasksTable } from '../../db/schema';
import type { AnyQuery } from '../../db/pagination';
import { defineParentConnection } from '../../graphql/connection';
import { applyId, applyIn, applyInt, applyRange, applyString, applyTags } from '../../graphql/filters';
import { byKey, defineLoader } from '../../graphql/loaders';
import type { TaskFilter } from './task.input';
import { Task, TASK_COLUMNS } from './task.type';
import { ACTIVITY_ORDERS, TASK_ORDERS } from './work.orders';

const anyId = (ids: readonly string[]) => sql<string>`any(${sql.val(ids)}::uuid[])`;

export const taskById = defineLoader<string, Task | null>('taskById', async (db, ids) =>
  byKey(
    ids,
    await db.selectFrom('tasks').selectAll().where('id', '=', anyId(ids)).execute(),
    (r) => r.id,
    Task.fromRow,
  ),
);

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

export const activityOfTask = defineParentConnection<Selectable<TaskActivityTable>, null>({
  name: 'activityOfTask',
  table: 'task_activity',
  alias: 'a',
  parentColumn: 'task_id',
  sort: ACTIVITY_ORDERS.created_at_asc,
  orders: ACTIVITY_ORDERS,
});
