import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeResolver, JSONObjectResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import type {
  TaskActivityTable, TaskCommentsTable, TaskPriority, TaskStatus, TasksTable, TaskType,
} from '../../db/schema';
import { Connection } from '../../graphql/connection';
import { TaskPriorityEnum, TaskStatusEnum, TaskTypeEnum } from './work.enums';
import type { User } from '../tenancy/user.type';

// simpleResolvers: plain fields use graphql-js's default resolver (no type-graphql wrapper per field and row).
@ObjectType({ description: 'A unit of work in a project; it may have subtasks, at most 3 levels deep.', simpleResolvers: true })
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

  @Field(() => DateTimeResolver, { nullable: true, description: 'When work first started (the first move to IN_PROGRESS).' })
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

  static fromRow(row: Selectable<TasksTable>): Task {
    return Object.assign(new Task(), {
      id: row.id, projectId: row.project_id, assigneeId: row.assignee_id, reporterId: row.reporter_id,
      sprintId: row.sprint_id, milestoneId: row.milestone_id, parentTaskId: row.parent_task_id,
      title: row.title, description: row.description, type: row.type, status: row.status, priority: row.priority,
      storyPoints: row.story_points, dueDate: row.due_date, startedAt: row.started_at, completedAt: row.completed_at,
      tags: row.tags, customFields: row.custom_fields, depth: row.depth,
      createdAt: row.created_at, updatedAt: row.updated_at, deletedAt: row.deleted_at,
    });
  }
}

@ObjectType({ description: 'A comment on a task.' })
export class TaskComment {
  @Field(() => UUIDResolver)
  id!: string;

  taskId!: string;
  authorId!: string | null;

  @Field()
  body!: string;

  @Field(() => DateTimeResolver, { nullable: true, description: 'When the author last changed the body.' })
  editedAt!: Date | null;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver, { nullable: true })
  deletedAt!: Date | null;

  static fromRow(row: Selectable<TaskCommentsTable>): TaskComment {
    return Object.assign(new TaskComment(), {
      id: row.id, taskId: row.task_id, authorId: row.author_id, body: row.body,
      editedAt: row.edited_at, createdAt: row.created_at, deletedAt: row.deleted_at,
    });
  }
}

@ObjectType({ description: 'One change to a task, recorded by the database when it happened.' })
export class TaskActivity {
  @Field(() => UUIDResolver)
  id!: string;

  actorUserId!: string | null;

  @Field(() => UUIDResolver, { nullable: true, description: 'The API key that made the change, if one did.' })
  actorApiKeyId!: string | null;

  @Field({ description: 'created, updated, status_changed, assigned, moved, deleted, restored, commented, comment_edited or comment_deleted.' })
  action!: string;

  @Field(() => JSONObjectResolver, { description: 'The changed fields, before and after (column names); for comments, the comment id.' })
  changes!: Record<string, unknown>;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  static fromRow(row: Selectable<TaskActivityTable>): TaskActivity {
    return Object.assign(new TaskActivity(), {
      id: row.id, actorUserId: row.actor_user_id, actorApiKeyId: row.actor_api_key_id,
      action: row.action, changes: row.changes, createdAt: row.created_at,
    });
  }
}

@ObjectType()
export class TaskConnection extends Connection(Task) {}

@ObjectType()
export class TaskCommentConnection extends Connection(TaskComment) {}

@ObjectType()
export class TaskActivityConnection extends Connection(TaskActivity) {}

@ObjectType()
export class TaskPayload {
  @Field(() => Task)
  task!: Task;
}

@ObjectType()
export class TaskCommentPayload {
  @Field(() => TaskComment)
  comment!: TaskComment;
}
