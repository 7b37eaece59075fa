import { Arg, Args, Authorized, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { UUIDResolver } from 'graphql-scalars';
import { organizationOf, type Context } from '../../graphql/context';
import { allowDeleted } from '../../graphql/auth-checker';
import { NotFoundError } from '../../errors';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import { projects } from './projects';
import { sprints } from './sprints';
import { milestones } from './milestones';
import {
  AssignTaskInput,
  CreateTaskInput,
  DeleteTaskInput,
  MoveTaskInput,
  RestoreTaskInput,
  TaskActivityArgs,
  TaskListArgs,
  TransitionTaskInput,
  UpdateTaskInput,
} from './task.input';
import { Task, TaskActivity, TaskActivityConnection, TaskConnection, TaskPayload } from './task.type';
import { activityOfTask, subtasksOfTask, taskById, tasksOfOrganization } from './work.loaders';
import * as tasks from './task.service';
import { withAssignees } from './task.prefetch';

const taskPayload = (task: Task) => Object.assign(new TaskPayload(), { task });

async function userOrNull(ctx: Context, id: string | null): Promise<User | null> {
  return id ? ctx.loaders.use(userById).load(id) : null;
}

@Resolver(() => Task)
export class TaskResolver {
  @Authorized('projects:read')
  @Query(() => TaskConnection, { nullable: true, description: 'Tasks of every project the caller can see.' })
  async tasks(
    @Args() args: TaskListArgs,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TaskConnection> {
    const includeDeleted = await allowDeleted(ctx, args.includeDeleted, 'tasks:delete');
    return withAssignees(
      ctx,
      info,
      await tasksOfOrganization.load(
        ctx.loaders,
        { parentId: organizationOf(ctx), args: { ...args, includeDeleted } },
        new TaskConnection(),
        Task.fromRow,
        info,
      ),
    );
  }

  @Authorized('projects:read')
  @Query(() => Task, { nullable: true, description: 'A task by id; null when there is none the caller can see.' })
  async task(
    @Arg('id', () => UUIDResolver) id: string,
    @Arg('includeDeleted', () => Boolean, {
      defaultValue: false,
      description: 'Answer a deleted task too (needs tasks:delete).',
    })
    includeDeleted: boolean,
    @Ctx() ctx: Context,
  ): Promise<Task | null> {
    const task = await ctx.loaders.use(taskById).load(id);
    if (!task || (task.deletedAt && !(await allowDeleted(ctx, includeDeleted, 'tasks:delete')))) return null;
    return task;
  }

  @FieldResolver(() => projects.Node)
  async project(@Root() task: Task, @Ctx() ctx: Context): Promise<object> {
    const project = await ctx.loaders.use(projects.loaders.byId).load(task.projectId);
    if (!project) throw new NotFoundError('Project');
    return project;
  }

  @FieldResolver(() => User, { nullable: true })
  assignee(@Root() task: Task, @Ctx() ctx: Context): User | null | Promise<User | null> {
    return task.assignee !== undefined ? task.assignee : userOrNull(ctx, task.assigneeId);
  }

  @FieldResolver(() => User, { nullable: true })
  reporter(@Root() task: Task, @Ctx() ctx: Context): Promise<User | null> {
    return userOrNull(ctx, task.reporterId);
  }

  @FieldResolver(() => sprints.Node, { nullable: true })
  async sprint(@Root() task: Task, @Ctx() ctx: Context): Promise<object | null> {
    return task.sprintId ? ctx.loaders.use(sprints.loaders.byId).load(task.sprintId) : null;
  }

  @FieldResolver(() => milestones.Node, { nullable: true })
  async milestone(@Root() task: Task, @Ctx() ctx: Context): Promise<object | null> {
    return task.milestoneId ? ctx.loaders.use(milestones.loaders.byId).load(task.milestoneId) : null;
  }

  @FieldResolver(() => Task, { nullable: true, description: 'The task this one is a subtask of.' })
  async parent(@Root() task: Task, @Ctx() ctx: Context): Promise<Task | null> {
    return task.parentTaskId ? ctx.loaders.use(taskById).load(task.parentTaskId) : null;
  }

  @FieldResolver(() => TaskConnection, { description: 'Direct subtasks.' })
  async subtasks(
    @Root() task: Task,
    @Args() args: TaskListArgs,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TaskConnection> {
    const includeDeleted = await allowDeleted(ctx, args.includeDeleted, 'tasks:delete');
    return withAssignees(
      ctx,
      info,
      await subtasksOfTask.load(
        ctx.loaders,
        { parentId: task.id, args: { ...args, includeDeleted } },
        new TaskConnection(),
        Task.fromRow,
        info,
      ),
    );
  }

  @FieldResolver(() => TaskActivityConnection, {
    description: 'Every change to the task and its comments, as recorded by the database.',
  })
  activity(@Root() task: Task, @Args() args: TaskActivityArgs, @Ctx() ctx: Context): Promise<TaskActivityConnection> {
    return activityOfTask.load(
      ctx.loaders,
      { parentId: task.id, args: { ...args } },
      new TaskActivityConnection(),
      TaskActivity.fromRow,
    );
  }

  @Authorized('tasks:create')
  @Mutation(() => TaskPayload)
  async createTask(
    @Arg('input', () => CreateTaskInput) input: CreateTaskInput,
    @Ctx() ctx: Context,
  ): Promise<TaskPayload> {
    return taskPayload(await tasks.createTask(ctx, input));
  }

  @Authorized('tasks:update')
  @Mutation(() => TaskPayload)
  async updateTask(
    @Arg('input', () => UpdateTaskInput) input: UpdateTaskInput,
    @Ctx() ctx: Context,
  ): Promise<TaskPayload> {
    return taskPayload(await tasks.updateTask(ctx, input));
  }

  @Authorized('tasks:update')
  @Mutation(() => TaskPayload, { description: 'Changes the status along the status machine (see TaskStatus).' })
  async transitionTask(
    @Arg('input', () => TransitionTaskInput) input: TransitionTaskInput,
    @Ctx() ctx: Context,
  ): Promise<TaskPayload> {
    return taskPayload(await tasks.transitionTask(ctx, input));
  }

  @Authorized('tasks:update')
  @Mutation(() => TaskPayload)
  async assignTask(
    @Arg('input', () => AssignTaskInput) input: AssignTaskInput,
    @Ctx() ctx: Context,
  ): Promise<TaskPayload> {
    return taskPayload(await tasks.assignTask(ctx, input));
  }

  @Authorized('tasks:update')
  @Mutation(() => TaskPayload)
  async moveTask(@Arg('input', () => MoveTaskInput) input: MoveTaskInput, @Ctx() ctx: Context): Promise<TaskPayload> {
    return taskPayload(await tasks.moveTask(ctx, input));
  }

  @Authorized('tasks:delete')
  @Mutation(() => TaskPayload, { description: 'Soft-deletes a task with its subtasks; restoreTask brings them back.' })
  async deleteTask(
    @Arg('input', () => DeleteTaskInput) input: DeleteTaskInput,
    @Ctx() ctx: Context,
  ): Promise<TaskPayload> {
    return taskPayload(await tasks.deleteTask(ctx, input.id));
  }

  @Authorized('tasks:delete')
  @Mutation(() => TaskPayload)
  async restoreTask(
    @Arg('input', () => RestoreTaskInput) input: RestoreTaskInput,
    @Ctx() ctx: Context,
  ): Promise<TaskPayload> {
    return taskPayload(await tasks.restoreTask(ctx, input.id));
  }
}

@Resolver(() => TaskActivity)
export class TaskActivityResolver {
  @FieldResolver(() => User, {
    nullable: true,
    description: 'Who made the change (null for an API key or the system).',
  })
  actor(@Root() activity: TaskActivity, @Ctx() ctx: Context): Promise<User | null> {
    return userOrNull(ctx, activity.actorUserId);
  }
}
