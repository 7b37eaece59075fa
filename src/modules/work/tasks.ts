import { Arg, Args, Ctx, Field, FieldResolver, InputType, Mutation, Authorized, Resolver, Root } from 'type-graphql';
import { UUIDResolver } from 'graphql-scalars';
import { ArrayMaxSize, IsIn, Length } from 'class-validator';
import { sql, type Kysely } from 'kysely';
import type { Context } from '../../graphql/context';
import { BadUserInputError, NotFoundError, onViolation } from '../../errors';
import { findRow } from '../../db/rows';
import type { KeysetSort } from '../../db/pagination';
import { TASK_PRIORITIES, TASK_STATUSES, TASK_TYPES, type Database, type TaskStatus } from '../../db/schema';
import { col, defineResource, external, parent, type BuiltResource } from '../../resources';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import { TaskPriorityEnum, TaskStatusEnum, TaskTypeEnum } from './work.enums';
import { projects } from './projects';
import { sprints } from './sprints';
import { milestones } from './milestones';
import { TaskActivityArgs, TaskActivityConnection, activityOfTask, TaskActivity } from './task-activity';

/** The orders of the task lists; the first is the default. */
export const TASK_ORDERS = {
  created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
  updated_at_desc: { column: 'updated_at', direction: 'desc', type: 'timestamp' },
  /** Tasks without a due date come last (due_sort, a generated column). */
  due_date_asc: { column: 'due_sort', direction: 'asc', type: 'timestamp' },
  /** Most urgent first (priority_rank, a generated column). */
  priority_desc: { column: 'priority_rank', direction: 'desc', type: 'number' },
  title_asc: { column: 'title', direction: 'asc', type: 'text' },
} as const satisfies Record<string, KeysetSort>;

/** Seed 003: story points are Fibonacci numbers. */
export const STORY_POINTS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];

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

const userRef = external({ typeName: 'User', type: () => User, table: 'users', byId: userById, label: 'User' });
const UNITS = { groupBy: true, measures: ['min', 'max'] } as const;
const normalizeTags = (tags: readonly string[]) => [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
// Task.parent and Task.subtasks point at tasks themselves: a declared type ends the inference cycle.
const self = (): BuiltResource => tasks;

const violations: Record<string, [string, string]> = {
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
};
const onTaskRule = onViolation(violations);

/** A parent named in an input: a missing one is a bad value of that field, like a missing sprint. */
async function findParent(db: Kysely<Database>, id: string) {
  return findRow(db, 'tasks', id, 'Parent task').catch((error: unknown) => {
    throw error instanceof NotFoundError
      ? new BadUserInputError('parentTaskId', 'There is no such live task in a project you can see')
      : error;
  });
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

export const tasks = defineResource({
  name: 'Task',
  table: 'tasks',
  description: 'A unit of work in a project; it may have subtasks, at most 3 levels deep.',
  relations: {
    project: parent(() => projects, {
      column: 'project_id',
      field: 'project',
      input: { create: 'required' },
      filter: true,
      mustExist: true,
      // moveTask's.
      serviceWrites: true,
      aggregateGroupBy: true,
      inverse: {
        field: 'tasks',
        description: 'Tasks of the project (all levels; filter parentTaskId: {isNull: true} for top-level ones).',
        loaderName: 'tasksOfProject',
      },
    }),
    assignee: parent(userRef, {
      column: 'assignee_id',
      field: 'assignee',
      nullable: true,
      input: { create: 'optional', description: 'A member of the organization.' },
      filter: true,
      aggregateGroupBy: true,
      serviceWrites: true,
      // Lists load their rows' assignees at once: the field then answers from the node.
      prefetch: true,
    }),
    reporter: parent(userRef, {
      column: 'reporter_id',
      field: 'reporter',
      nullable: true,
      input: {
        create: 'optional',
        update: true,
        description: 'A member of the organization; the caller when not given.',
      },
      filter: true,
      aggregateGroupBy: true,
    }),
    sprint: parent(() => sprints, {
      column: 'sprint_id',
      field: 'sprint',
      nullable: true,
      input: { create: 'optional', update: true, description: 'A sprint of the same project.' },
      filter: true,
      aggregateGroupBy: true,
      inverse: { field: 'tasks', loaderName: 'tasksOfSprint' },
    }),
    milestone: parent(() => milestones, {
      column: 'milestone_id',
      field: 'milestone',
      nullable: true,
      input: { create: 'optional', update: true, description: 'A milestone of the same project.' },
      filter: true,
      aggregateGroupBy: true,
      inverse: { field: 'tasks', loaderName: 'tasksOfMilestone' },
    }),
    parentTask: parent(self, {
      column: 'parent_task_id',
      field: 'parent',
      nullable: true,
      description: 'The task this one is a subtask of.',
      input: { create: 'optional', description: 'A task of the same project; subtasks nest at most 3 levels.' },
      filter: { description: 'isNull: true for top-level tasks only.' },
      serviceWrites: true,
      inverse: { field: 'subtasks', description: 'Direct subtasks.', loaderName: 'subtasksOfTask' },
    }),
  },
  columns: {
    title: col.text({
      length: { min: 1, max: 500 },
      create: 'required',
      update: true,
      filter: { kind: 'string', description: 'On the title (contains: ignoring case).' },
    }),
    description: col.text({ dbDefault: true, length: { max: 100000 }, create: 'optional', update: true }),
    type: col.enum(TASK_TYPES, TaskTypeEnum, {
      dbDefault: true,
      create: { required: true, defaultValue: 'task' },
      update: true,
      filter: 'enumList',
      aggregate: { groupBy: true },
    }),
    status: col.enum(TASK_STATUSES, TaskStatusEnum, {
      dbDefault: true,
      create: {
        required: true,
        defaultValue: 'backlog',
        description: 'BACKLOG or TODO; later statuses come through transitionTask.',
      },
      validate: () => [IsIn(['backlog', 'todo'], { message: 'a new task starts in BACKLOG or TODO' })],
      // transitionTask's.
      serviceWrites: true,
      filter: { kind: 'enumList', description: 'Any of these statuses.' },
      aggregate: { groupBy: true },
    }),
    priority: col.enum(TASK_PRIORITIES, TaskPriorityEnum, {
      dbDefault: true,
      create: { required: true, defaultValue: 'medium' },
      update: true,
      filter: 'enumList',
      aggregate: { groupBy: true },
    }),
    storyPoints: col.int({
      nullable: true,
      description: 'A Fibonacci number from 1 to 89.',
      create: 'optional',
      update: true,
      filter: 'int',
      validate: () => [IsIn(STORY_POINTS, { message: 'must be a Fibonacci number from 1 to 89' })],
      aggregate: { measures: ['sum', 'avg', 'min', 'max'] },
    }),
    dueDate: col.timestamp({
      nullable: true,
      create: 'optional',
      update: true,
      filter: { kind: 'dateTime', description: 'Tasks without a due date never match a range.' },
      aggregate: UNITS,
    }),
    startedAt: col.timestamp({
      nullable: true,
      // Set by a BEFORE trigger on the status (NEW.started_at): no update grant needed.
      description: 'When work first started (the first move to IN_PROGRESS).',
      filter: { kind: 'dateTime', description: 'Tasks never started never match a range.' },
      aggregate: UNITS,
    }),
    completedAt: col.timestamp({
      nullable: true,
      description: 'When the task was done (cleared when it reopens).',
      filter: { kind: 'dateTime', description: 'Tasks not done never match a range.' },
      aggregate: UNITS,
    }),
    tags: col.tags({
      dbDefault: true,
      create: 'optional',
      update: true,
      filter: 'tags',
      clearTo: [],
      validate: () => [ArrayMaxSize(50), Length(1, 50, { each: true, message: 'each tag must be 1 to 50 characters' })],
    }),
    customFields: col.json({
      dbDefault: true,
      create: 'optional',
      update: { description: 'Replaces the custom fields.' },
      clearTo: {},
    }),
    // Kept by the database from the parent's depth; a move updates the subtasks' depth as the app role.
    depth: col.int({
      dbDefault: true,
      description: '1 for a top-level task, 2 for a subtask, 3 for a subtask of a subtask.',
      serviceWrites: true,
    }),
  },
  // The orders' keys (TASK_ORDERS): computed from priority and due_date.
  generatedColumns: { priority_rank: col.int(), due_sort: col.timestamp() },
  timestamps: {
    createdAt: { aggregate: UNITS },
    updatedAt: true,
    deletedAt: { description: 'Set when the task is deleted (it can be restored).' },
  },
  permissions: { read: 'projects:read', create: 'tasks:create', update: 'tasks:update', delete: 'tasks:delete' },
  // Seed 003's task attachments: Task.attachments, attachDocumentToTask, detachDocumentFromTask.
  attachments: { table: 'task_attachments' },
  lists: {
    orders: TASK_ORDERS,
    root: { description: 'Tasks of every project the caller can see.' },
    byId: { description: 'A task by id; null when there is none the caller can see.' },
    filter: {
      order: [
        'status',
        'type',
        'priority',
        'projectId',
        'assigneeId',
        'reporterId',
        'sprintId',
        'milestoneId',
        'parentTaskId',
        'tags',
        'dueDate',
        'createdAt',
        'updatedAt',
        'startedAt',
        'completedAt',
        'storyPoints',
        'title',
      ],
    },
    alias: 't',
  },
  mutations: {
    create: {
      order: [
        'projectId',
        'title',
        'description',
        'type',
        'status',
        'priority',
        'assigneeId',
        'reporterId',
        'sprintId',
        'milestoneId',
        'parentTaskId',
        'storyPoints',
        'dueDate',
        'tags',
        'customFields',
      ],
    },
    update: {
      inputDescription: 'The fields to change; a field left out stays as it is, null clears a nullable one.',
      order: [
        'id',
        'title',
        'description',
        'type',
        'priority',
        'reporterId',
        'sprintId',
        'milestoneId',
        'storyPoints',
        'dueDate',
        'tags',
        'customFields',
      ],
    },
    delete: { mode: 'soft', description: 'Soft-deletes a task with its subtasks; restoreTask brings them back.' },
    restore: {},
  },
  violations,
  idInputs: ['TransitionTaskInput', 'AssignTaskInput', 'MoveTaskInput'],
  fieldColumns: { activity: [] },
  rules: {
    async beforeCreate(ctx, values, input) {
      if (input.parentTaskId) await findParent(await ctx.db.get(), input.parentTaskId as string);
      Object.assign(values, {
        reporter_id: (values.reporter_id as string | undefined) ?? ctx.viewer?.userId ?? null,
        tags: normalizeTags((input.tags as string[] | null | undefined) ?? []),
        custom_fields: JSON.stringify(input.customFields ?? {}),
      });
    },
    beforeUpdate(_ctx, _current, changes) {
      // null has emptied them already (clearTo); json is written as text.
      if (changes.tags) changes.tags = normalizeTags(changes.tags as string[]);
      if (changes.custom_fields) changes.custom_fields = JSON.stringify(changes.custom_fields);
    },
    // The live subtasks go with it, at the same instant (now() is the transaction's), so they are restored together.
    async afterSetDeleted(ctx, row, deleted) {
      if (!deleted) return;
      const db = await ctx.db.get();
      await db
        .updateTable('tasks')
        .set({ deleted_at: sql<Date>`now()` })
        .where('id', 'in', subtree(db, row.id as string))
        .where('deleted_at', 'is', null)
        .execute();
    },
    // A subtask of a deleted task waits for its parent; the subtasks deleted with it come back with it.
    async beforeSetDeleted(ctx, current, deleted) {
      if (deleted) return;
      const db = await ctx.db.get();
      const parentId = current.parent_task_id as string | null;
      if (parentId) {
        const found = await findRow(db, 'tasks', parentId, 'Parent task', { deleted: 'include' });
        if (found.deleted_at) throw new BadUserInputError('id', 'Its parent task is deleted; restore the parent first');
      }
      const project = await findRow(db, 'projects', current.project_id as string, 'Project', { deleted: 'include' });
      if (project.deleted_at) throw new BadUserInputError('id', 'Its project is deleted; restore the project first');
      const id = current.id as string;
      await db
        .updateTable('tasks')
        .set({ deleted_at: null })
        .where('id', 'in', subtree(db, id))
        .where('id', '<>', id)
        .where('deleted_at', '=', db.selectFrom('tasks').select('deleted_at').where('id', '=', id))
        .execute();
    },
  },
  example: (n) => ({ title: `Task ${n}` }),
});

type TaskNode = Record<string, unknown> & { id: string };

@InputType()
export class TransitionTaskInput {
  @Field(() => UUIDResolver)
  id!: string;

  @Field(() => TaskStatusEnum)
  status!: TaskStatus;
}

@InputType()
export class AssignTaskInput {
  @Field(() => UUIDResolver)
  id!: string;

  @Field(() => UUIDResolver, { nullable: true, description: 'A member of the organization, or null to unassign.' })
  assigneeId!: string | null;
}

@InputType({ description: 'Moves a task (with its subtasks) to another project and/or under another parent.' })
export class MoveTaskInput {
  @Field(() => UUIDResolver)
  id!: string;

  @Field(() => UUIDResolver, {
    nullable: true,
    description: 'The new project; the task and its subtasks leave their sprint and milestone.',
  })
  projectId?: string | null;

  @Field(() => UUIDResolver, {
    nullable: true,
    description: 'The new parent (in the target project), or null for a top-level task.',
  })
  parentTaskId?: string | null;
}

const payload = (row: Record<string, unknown>) => Object.assign(new tasks.Payload(), { task: tasks.fromRow(row) });

/** One column change of a found task, mapped to a field error when a database rule refuses it. */
async function setTask(db: Kysely<Database>, id: string, changes: Record<string, unknown>) {
  return db
    .updateTable('tasks')
    .set(changes)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(onTaskRule);
}

/** What the generic resolver cannot say: the status machine, assigning, moving, and the activity. */
@Resolver(() => tasks.Node)
export class TaskResolver extends tasks.BaseResolver {
  @FieldResolver(() => TaskActivityConnection, {
    description: 'Every change to the task and its comments, as recorded by the database.',
  })
  activity(
    @Root() task: TaskNode,
    @Args() args: TaskActivityArgs,
    @Ctx() ctx: Context,
  ): Promise<TaskActivityConnection> {
    return activityOfTask.load(
      ctx.loaders,
      { parentId: task.id, args: { ...args } },
      new TaskActivityConnection(),
      TaskActivity.fromRow,
    );
  }

  /** Moves a task along the status machine; the database sets startedAt and completedAt. */
  @Authorized('tasks:update')
  @Mutation(() => tasks.Payload, { description: 'Changes the status along the status machine (see TaskStatus).' })
  async transitionTask(@Arg('input', () => TransitionTaskInput) input: TransitionTaskInput, @Ctx() ctx: Context) {
    const db = await ctx.db.get();
    const current = await findRow(db, 'tasks', input.id, 'Task', { forUpdate: true });
    if (current.status === input.status) return payload(current);
    if (!TASK_TRANSITIONS[current.status].includes(input.status)) {
      const allowed = TASK_TRANSITIONS[current.status].map((s) => s.toUpperCase()).join(', ');
      throw new BadUserInputError(
        'status',
        `A ${current.status.toUpperCase()} task can go to ${allowed}, not ${input.status.toUpperCase()}`,
      );
    }
    return payload(await setTask(db, input.id, { status: input.status }));
  }

  @Authorized('tasks:update')
  @Mutation(() => tasks.Payload)
  async assignTask(@Arg('input', () => AssignTaskInput) input: AssignTaskInput, @Ctx() ctx: Context) {
    const db = await ctx.db.get();
    await findRow(db, 'tasks', input.id, 'Task');
    // An omitted assigneeId unassigns like null (an undefined value would leave the UPDATE with no SET).
    return payload(await setTask(db, input.id, { assignee_id: input.assigneeId ?? null }));
  }

  /**
   * Moves a task, with its subtasks, to another project and/or under another parent (null: top
   * level). Moving to another project takes the moved tasks out of their sprint and milestone, and
   * the task out from under its old parent unless a new one (in the target project) is given. The
   * database refuses cycles and nesting deeper than 3 levels.
   */
  @Authorized('tasks:update')
  @Mutation(() => tasks.Payload)
  async moveTask(@Arg('input', () => MoveTaskInput) input: MoveTaskInput, @Ctx() ctx: Context) {
    const db = await ctx.db.get();
    const task = await findRow(db, 'tasks', input.id, 'Task');
    const projectId = input.projectId ?? task.project_id;
    if (input.projectId != null && input.projectId !== task.project_id)
      await findRow(db, 'projects', input.projectId, 'Project');
    let parentTaskId = input.parentTaskId === undefined ? task.parent_task_id : input.parentTaskId;
    if (projectId !== task.project_id && input.parentTaskId === undefined) parentTaskId = null;
    if (parentTaskId != null && parentTaskId !== task.parent_task_id) {
      const found = await findParent(db, parentTaskId);
      if (found.project_id !== projectId)
        throw new BadUserInputError('parentTaskId', 'The parent task must be in the target project');
    }
    if (projectId === task.project_id) return payload(await setTask(db, input.id, { parent_task_id: parentTaskId }));
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
      .catch(onTaskRule);
    return payload(await findRow(db, 'tasks', input.id, 'Task'));
  }
}
tasks.useResolver(TaskResolver);
