import { sql, type Kysely, type Updateable } from 'kysely';
import { organizationOf, type Context } from '../../graphql/context';
import { BadUserInputError, NotFoundError, onViolation } from '../../errors';
import { findRow } from '../../db/rows';
import type { Database, TaskPriority, TaskStatus, TasksTable, TaskType } from '../../db/schema';
import { Task } from './task.type';

/** Database rules of tasks, as the field of the input that broke them. */
const TASK_RULES = onViolation({
  tasks_sprint_fkey: ['sprintId', 'The sprint must be one of the task’s project'],
  tasks_milestone_fkey: ['milestoneId', 'The milestone must be one of the task’s project'],
  tasks_parent_fkey: ['parentTaskId', 'The parent task must be in the same project'],
  tasks_assignee_is_member: ['assigneeId', 'The assignee must be a member of the organization'],
  tasks_reporter_is_member: ['reporterId', 'The reporter must be a member of the organization'],
  tasks_depth: ['parentTaskId', 'Subtasks nest at most 3 levels deep'],
  tasks_no_cycle: ['parentTaskId', 'A task cannot be moved under itself or its own subtasks'],
  tasks_not_own_parent: ['parentTaskId', 'A task cannot be its own parent'],
  tasks_status_transition: ['status', 'That status change is not allowed'],
  tasks_title_check: ['title', 'The title must be 1 to 500 characters, not only spaces'],
  tasks_custom_fields_check: ['customFields', 'The custom fields must be at most 64 KiB'],
});

/**
 * The status machine (the database keeps the same one in app.task_status_allowed): forward one
 * step, back one step while open, cancel while open, reopen DONE to IN_PROGRESS and CANCELLED to
 * BACKLOG.
 */
export const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  backlog: ['todo', 'cancelled'],
  todo: ['in_progress', 'backlog', 'cancelled'],
  in_progress: ['in_review', 'todo', 'cancelled'],
  in_review: ['done', 'in_progress', 'cancelled'],
  done: ['in_progress'],
  cancelled: ['backlog'],
};

interface TaskFields {
  title?: string | null;
  description?: string | null;
  type?: TaskType | null;
  priority?: TaskPriority | null;
  reporterId?: string | null;
  sprintId?: string | null;
  milestoneId?: string | null;
  storyPoints?: number | null;
  dueDate?: Date | null;
  tags?: string[] | null;
  customFields?: Record<string, unknown> | null;
}

/** A parent named in an input: a missing one is a bad value of that field, like a missing sprint. */
async function findParent(db: Kysely<Database>, id: string) {
  return findRow(db, 'tasks', id, 'Parent task').catch((error: unknown) => {
    throw error instanceof NotFoundError
      ? new BadUserInputError('parentTaskId', 'There is no such live task in a project you can see')
      : error;
  });
}

const normalizeTags = (tags: string[]) => [...new Set(tags.map((t) => t.trim()).filter(Boolean))];

export async function createTask(
  ctx: Context,
  input: TaskFields & {
    projectId: string;
    title: string;
    type: TaskType;
    status: TaskStatus;
    priority: TaskPriority;
    assigneeId?: string | null;
    parentTaskId?: string | null;
  },
): Promise<Task> {
  const db = await ctx.db.get();
  await findRow(db, 'projects', input.projectId, 'Project');
  if (input.parentTaskId) await findParent(db, input.parentTaskId);
  const row = await db
    .insertInto('tasks')
    .values({
      organization_id: organizationOf(ctx),
      project_id: input.projectId,
      title: input.title.trim(),
      description: input.description?.trim() ?? '',
      type: input.type,
      status: input.status,
      priority: input.priority,
      assignee_id: input.assigneeId ?? null,
      reporter_id: input.reporterId ?? ctx.viewer?.userId ?? null,
      sprint_id: input.sprintId ?? null,
      milestone_id: input.milestoneId ?? null,
      parent_task_id: input.parentTaskId ?? null,
      story_points: input.storyPoints ?? null,
      due_date: input.dueDate ?? null,
      tags: normalizeTags(input.tags ?? []),
      custom_fields: JSON.stringify(input.customFields ?? {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(TASK_RULES);
  return Task.fromRow(row);
}

/** Changes the fields given; null clears a nullable field (title, type and priority cannot be cleared). */
export async function updateTask(ctx: Context, input: TaskFields & { id: string }): Promise<Task> {
  const db = await ctx.db.get();
  const current = await findRow(db, 'tasks', input.id, 'Task');
  const changes: Updateable<TasksTable> = {};
  if (input.title != null) changes.title = input.title.trim();
  if (input.description !== undefined) changes.description = input.description?.trim() ?? '';
  if (input.type != null) changes.type = input.type;
  if (input.priority != null) changes.priority = input.priority;
  if (input.reporterId !== undefined) changes.reporter_id = input.reporterId;
  if (input.sprintId !== undefined) changes.sprint_id = input.sprintId;
  if (input.milestoneId !== undefined) changes.milestone_id = input.milestoneId;
  if (input.storyPoints !== undefined) changes.story_points = input.storyPoints;
  if (input.dueDate !== undefined) changes.due_date = input.dueDate;
  if (input.tags !== undefined) changes.tags = normalizeTags(input.tags ?? []);
  if (input.customFields !== undefined) changes.custom_fields = JSON.stringify(input.customFields ?? {});
  if (!Object.keys(changes).length) return Task.fromRow(current);
  return Task.fromRow(
    await db
      .updateTable('tasks')
      .set(changes)
      .where('id', '=', input.id)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(TASK_RULES),
  );
}

/** Moves a task along the status machine; the database sets startedAt and completedAt. */
export async function transitionTask(ctx: Context, input: { id: string; status: TaskStatus }): Promise<Task> {
  const db = await ctx.db.get();
  const current = await findRow(db, 'tasks', input.id, 'Task', { forUpdate: true });
  if (current.status === input.status) return Task.fromRow(current);
  if (!TASK_TRANSITIONS[current.status].includes(input.status)) {
    const allowed = TASK_TRANSITIONS[current.status].map((s) => s.toUpperCase()).join(', ');
    throw new BadUserInputError(
      'status',
      `A ${current.status.toUpperCase()} task can go to ${allowed}, not ${input.status.toUpperCase()}`,
    );
  }
  return Task.fromRow(
    await db
      .updateTable('tasks')
      .set({ status: input.status })
      .where('id', '=', input.id)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(TASK_RULES),
  );
}

export async function assignTask(ctx: Context, input: { id: string; assigneeId: string | null }): Promise<Task> {
  const db = await ctx.db.get();
  await findRow(db, 'tasks', input.id, 'Task');
  // An omitted assigneeId unassigns like null (an undefined value would leave the UPDATE with no SET).
  return Task.fromRow(
    await db
      .updateTable('tasks')
      .set({ assignee_id: input.assigneeId ?? null })
      .where('id', '=', input.id)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(TASK_RULES),
  );
}

/** The ids of a task and all its subtasks (live or not), at most 3 levels. */
function subtree(db: Kysely<Database>, id: string) {
  return db
    .withRecursive('subtree(id)', (qb) =>
      qb
        .selectFrom('tasks')
        .select('id')
        .where('id', '=', id)
        .unionAll((q) =>
          q.selectFrom('tasks').innerJoin('subtree', 'subtree.id', 'tasks.parent_task_id').select('tasks.id'),
        ),
    )
    .selectFrom('subtree')
    .select('id');
}

/**
 * Moves a task, with its subtasks, to another project and/or under another parent (null: top
 * level). Moving to another project takes the moved tasks out of their sprint and milestone, and
 * the task out from under its old parent unless a new one (in the target project) is given. The
 * database refuses cycles and nesting deeper than 3 levels.
 */
export async function moveTask(
  ctx: Context,
  input: { id: string; projectId?: string | null; parentTaskId?: string | null },
): Promise<Task> {
  const db = await ctx.db.get();
  const task = await findRow(db, 'tasks', input.id, 'Task');
  const projectId = input.projectId ?? task.project_id;
  if (input.projectId != null && input.projectId !== task.project_id)
    await findRow(db, 'projects', input.projectId, 'Project');
  let parentTaskId = input.parentTaskId === undefined ? task.parent_task_id : input.parentTaskId;
  if (projectId !== task.project_id && input.parentTaskId === undefined) parentTaskId = null;
  if (parentTaskId != null && parentTaskId !== task.parent_task_id) {
    const parent = await findParent(db, parentTaskId);
    if (parent.project_id !== projectId)
      throw new BadUserInputError('parentTaskId', 'The parent task must be in the target project');
  }
  if (projectId === task.project_id) {
    return Task.fromRow(
      await db
        .updateTable('tasks')
        .set({ parent_task_id: parentTaskId })
        .where('id', '=', input.id)
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch(TASK_RULES),
    );
  }
  // One statement moves the whole subtree, so the composite keys hold when it ends.
  await db
    .updateTable('tasks')
    .set({
      project_id: projectId,
      sprint_id: null,
      milestone_id: null,
      parent_task_id: sql<
        string | null
      >`case when id = ${input.id}::uuid then ${parentTaskId}::uuid else parent_task_id end`,
    })
    .where('id', 'in', subtree(db, input.id))
    .execute()
    .catch(TASK_RULES);
  return Task.fromRow(await findRow(db, 'tasks', input.id, 'Task'));
}

/** Soft-deletes a task with its live subtasks (at the same instant, so they are restored together). */
export async function deleteTask(ctx: Context, id: string): Promise<Task> {
  const db = await ctx.db.get();
  await findRow(db, 'tasks', id, 'Task');
  await db
    .updateTable('tasks')
    .set({ deleted_at: sql<Date>`now()` })
    .where('id', 'in', subtree(db, id))
    .where('deleted_at', 'is', null)
    .execute();
  return Task.fromRow(await findRow(db, 'tasks', id, 'Task', { deleted: 'include' }));
}

/** Restores a deleted task and the subtasks deleted with it; a subtask of a deleted task waits for its parent. */
export async function restoreTask(ctx: Context, id: string): Promise<Task> {
  const db = await ctx.db.get();
  const task = await findRow(db, 'tasks', id, 'Task', { deleted: 'only' });
  if (task.parent_task_id) {
    const parent = await findRow(db, 'tasks', task.parent_task_id, 'Parent task', { deleted: 'include' });
    if (parent.deleted_at) throw new BadUserInputError('id', 'Its parent task is deleted; restore the parent first');
  }
  const project = await findRow(db, 'projects', task.project_id, 'Project', { deleted: 'include' });
  if (project.deleted_at) throw new BadUserInputError('id', 'Its project is deleted; restore the project first');
  await db
    .updateTable('tasks')
    .set({ deleted_at: null })
    .where('id', 'in', subtree(db, id))
    .where('deleted_at', '=', db.selectFrom('tasks').select('deleted_at').where('id', '=', id))
    .execute();
  return Task.fromRow(await findRow(db, 'tasks', id, 'Task'));
}
