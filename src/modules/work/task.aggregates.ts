import { UUIDResolver } from 'graphql-scalars';
import { addAggregateField } from '../../graphql/connection';
import { defineAggregates, type Bucket } from '../../resources/aggregates';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import { projects } from './projects';
import { milestones } from './milestones';
import { sprints } from './sprints';
import { TaskFilter } from './task.input';
import { TaskConnection } from './task.type';
import { TaskPriorityEnum, TaskStatusEnum, TaskTypeEnum } from './work.enums';
import { filterTasks } from './work.loaders';

const UNITS: readonly Bucket[] = ['day', 'week', 'month'];

/**
 * Task's aggregates for analysts: `tasksAggregate(filter, groupBy)` and `aggregate` on every
 * task list (docs/api.md, "Aggregates for analysts"). Same rows as `tasks`: the caller's
 * organization, live tasks unless includeDeleted, the same filter, and RLS underneath.
 */
export const taskAggregates = defineAggregates({
  typeName: 'Task',
  plural: 'tasks',
  table: 'tasks',
  alias: 't',
  filter: { type: () => TaskFilter, apply: filterTasks },
  keys: [
    {
      field: 'projectId',
      column: 'project_id',
      type: () => UUIDResolver,
      relation: { field: 'project', type: () => projects.Node, byId: projects.loaders.byId },
    },
    {
      field: 'assigneeId',
      column: 'assignee_id',
      type: () => UUIDResolver,
      relation: { field: 'assignee', type: () => User, byId: userById },
    },
    {
      field: 'reporterId',
      column: 'reporter_id',
      type: () => UUIDResolver,
      relation: { field: 'reporter', type: () => User, byId: userById },
    },
    {
      field: 'sprintId',
      column: 'sprint_id',
      type: () => UUIDResolver,
      relation: { field: 'sprint', type: () => sprints.Node, byId: sprints.loaders.byId },
    },
    {
      field: 'milestoneId',
      column: 'milestone_id',
      type: () => UUIDResolver,
      relation: { field: 'milestone', type: () => milestones.Node, byId: milestones.loaders.byId },
    },
    { field: 'status', column: 'status', type: () => TaskStatusEnum },
    { field: 'type', column: 'type', type: () => TaskTypeEnum },
    { field: 'priority', column: 'priority', type: () => TaskPriorityEnum },
  ],
  buckets: [
    { field: 'dueDate', column: 'due_date', kind: 'timestamp', units: UNITS },
    { field: 'startedAt', column: 'started_at', kind: 'timestamp', units: UNITS },
    { field: 'completedAt', column: 'completed_at', kind: 'timestamp', units: UNITS },
    { field: 'createdAt', column: 'created_at', kind: 'timestamp', units: UNITS },
  ],
  measures: [
    { field: 'storyPoints', column: 'story_points', kind: 'int', ops: ['sum', 'avg', 'min', 'max'] },
    { field: 'dueDate', column: 'due_date', kind: 'timestamp', ops: ['min', 'max'] },
    { field: 'startedAt', column: 'started_at', kind: 'timestamp', ops: ['min', 'max'] },
    { field: 'completedAt', column: 'completed_at', kind: 'timestamp', ops: ['min', 'max'] },
    { field: 'createdAt', column: 'created_at', kind: 'timestamp', ops: ['min', 'max'] },
  ],
  softDelete: true,
  // As the root list `tasks`: its permission, and who may see deleted tasks.
  permissions: { read: 'projects:read', seeDeleted: 'tasks:delete' },
});

addAggregateField(TaskConnection, taskAggregates.connection);
