import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeResolver, JSONObjectResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import type { TaskActivityTable, TaskPriority, TaskStatus, TasksTable, TaskType } from '../../db/schema';
import { Connection, type NodeColumns } from '../../graphql/connection';
import { TaskPriorityEnum, TaskStatusEnum, TaskTypeEnum } from './work.enums';
import type { User } from '../tenancy/user.type';

@ObjectType({ description: 'A unit of work in a project; it may have subtasks, at most 3 levels deep.' })
export class Task {
  @Field(() => UUIDResolver)
  id!: string;

  projectId!: string;
  assigneeId!: string | null;
  reporterId!: string | null;
  sprintId!: string | null;
  milestoneId!: string | null;
  parentTaskId!: string | null;
  /** Set by a list that prefetched its rows' assignees (withAssignees); undefined otherwise. */
  assignee?: User | null;

  @Field()
  title!: string;

  @Field()
  description!: string;

  @Field(() => TaskTypeEnum)
  type!: TaskType;

  @Field(() => TaskStatusEnum)
  status!: TaskStatus;

  @Field(() => TaskPriorityEnum)
  priority!: TaskPriority;

  @Field(() => Int, { nullable: true, description: 'A Fibonacci number from 1 to 89.' })
  storyPoints!: number | null;

  @Field(() => DateTimeResolver, { nullable: true })
  dueDate!: Date | null;

  @Field(() => DateTimeResolver, {
    nullable: true,
    description: 'When work first started (the first move to IN_PROGRESS).',
  })
  startedAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'When the task was done (cleared when it reopens).' })
  completedAt!: Date | null;

  @Field(() => [String])
  tags!: string[];

  @Field(() => JSONObjectResolver)
  customFields!: Record<string, unknown>;

  @Field(() => Int, { description: '1 for a top-level task, 2 for a subtask, 3 for a subtask of a subtask.' })
  depth!: number;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver)
  updatedAt!: Date;

  @Field(() => DateTimeResolver, { nullable: true, description: 'Set when the task is deleted (it can be restored).' })
  deletedAt!: Date | null;

  /**
   * A task from its row. Lists read only the columns their selection needs (TASK_COLUMNS), so
   * the fields of the columns left out stay undefined: nothing asks for them.
   */
  static fromRow(row: Selectable<TasksTable>): Task {
    // Assigned in place: the instance already has every field (class fields), so no second object and no shape change.
    const task = new Task();
    task.id = row.id;
    task.projectId = row.project_id;
    task.assigneeId = row.assignee_id;
    task.reporterId = row.reporter_id;
    task.sprintId = row.sprint_id;
    task.milestoneId = row.milestone_id;
    task.parentTaskId = row.parent_task_id;
    task.title = row.title;
    task.description = row.description;
    task.type = row.type;
    task.status = row.status;
    task.priority = row.priority;
    task.storyPoints = row.story_points;
    task.dueDate = row.due_date;
    task.startedAt = row.started_at;
    task.completedAt = row.completed_at;
    task.tags = row.tags;
    task.customFields = row.custom_fields;
    task.depth = row.depth;
    task.createdAt = row.created_at;
    task.updatedAt = row.updated_at;
    task.deletedAt = row.deleted_at;
    return task;
  }
}

/**
 * The columns each field of Task reads, for the task lists (see NodeColumns). Fields resolved
 * later name the key they load by; the child lists (subtasks, comments, activity) need the id.
 */
export const TASK_COLUMNS: NodeColumns = {
  always: ['id'],
  fields: {
    id: [],
    title: ['title'],
    description: ['description'],
    type: ['type'],
    status: ['status'],
    priority: ['priority'],
    storyPoints: ['story_points'],
    dueDate: ['due_date'],
    startedAt: ['started_at'],
    completedAt: ['completed_at'],
    tags: ['tags'],
    customFields: ['custom_fields'],
    depth: ['depth'],
    createdAt: ['created_at'],
    updatedAt: ['updated_at'],
    deletedAt: ['deleted_at'],
    project: ['project_id'],
    assignee: ['assignee_id'],
    reporter: ['reporter_id'],
    sprint: ['sprint_id'],
    milestone: ['milestone_id'],
    parent: ['parent_task_id'],
    subtasks: [],
    comments: [],
    activity: [],
  },
};

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
export class TaskConnection extends Connection(Task) {}

@ObjectType()
export class TaskActivityConnection extends Connection(TaskActivity) {}

@ObjectType()
export class TaskPayload {
  @Field(() => Task)
  task!: Task;
}
