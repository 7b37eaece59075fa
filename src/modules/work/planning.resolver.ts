import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Extensions,
  FieldResolver,
  Info,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { UUIDResolver } from 'graphql-scalars';
import { organizationOf, type Context } from '../../graphql/context';
import { allowDeleted } from '../../graphql/auth-checker';
import { NotFoundError } from '../../errors';
import { AGGREGATE_COST } from '../../graphql/limits';
import { projects } from './projects';
import { CreateMilestoneInput, DeleteMilestoneInput, MilestoneListArgs, UpdateMilestoneInput } from './planning.input';
import {
  DeleteMilestonePayload,
  Milestone,
  MilestoneConnection,
  MilestonePayload,
  MilestoneProgress,
} from './planning.type';
import { TaskListArgs } from './task.input';
import { Task, TaskConnection } from './task.type';
import {
  milestoneById,
  milestoneProgress,
  milestonesOfOrganization,
  tasksOfMilestone,
  tasksOfSprint,
} from './work.loaders';
import * as planning from './planning.service';
import { withAssignees } from './task.prefetch';
import { sprints } from './sprints';

type Project = Record<string, unknown>;

async function projectOf(ctx: Context, projectId: string): Promise<Project> {
  const project = await ctx.loaders.use(projects.loaders.byId).load(projectId);
  if (!project) throw new NotFoundError('Project');
  return project;
}

/** Sprints and milestones of a deleted project are gone with it (until it is restored). */
async function projectIsLive(ctx: Context, projectId: string): Promise<boolean> {
  const project = await ctx.loaders.use(projects.loaders.byId).load(projectId);
  return !!project && !project.deletedAt;
}

// The sprint resource's own resolver: its tasks stay here until tasks are a resource (then an inverse list).
@Resolver(() => sprints.Node)
export class SprintResolver extends sprints.BaseResolver {
  @FieldResolver(() => TaskConnection)
  async tasks(
    @Root() sprint: { id: string },
    @Args() args: TaskListArgs,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TaskConnection> {
    const includeDeleted = await allowDeleted(ctx, args.includeDeleted, 'tasks:delete');
    return withAssignees(
      ctx,
      info,
      await tasksOfSprint.load(
        ctx.loaders,
        { parentId: sprint.id, args: { ...args, includeDeleted } },
        new TaskConnection(),
        Task.fromRow,
        info,
      ),
    );
  }
}
sprints.useResolver(SprintResolver);

@Resolver(() => Milestone)
export class MilestoneResolver {
  @Authorized('projects:read')
  @Query(() => MilestoneConnection, { nullable: true, description: 'Milestones of every project the caller can see.' })
  milestones(@Args() args: MilestoneListArgs, @Ctx() ctx: Context): Promise<MilestoneConnection> {
    return milestonesOfOrganization.load(
      ctx.loaders,
      { parentId: organizationOf(ctx), args: { ...args } },
      new MilestoneConnection(),
      Milestone.fromRow,
    );
  }

  @Authorized('projects:read')
  @Query(() => Milestone, { nullable: true })
  async milestone(@Arg('id', () => UUIDResolver) id: string, @Ctx() ctx: Context): Promise<Milestone | null> {
    const milestone = await ctx.loaders.use(milestoneById).load(id);
    return milestone && (await projectIsLive(ctx, milestone.projectId)) ? milestone : null;
  }

  @FieldResolver(() => projects.Node)
  project(@Root() milestone: Milestone, @Ctx() ctx: Context): Promise<Project> {
    return projectOf(ctx, milestone.projectId);
  }

  // Counts the milestone's tasks: priced by the query cost limit (limits.ts).
  @Extensions({ cost: AGGREGATE_COST })
  @FieldResolver(() => MilestoneProgress)
  progress(@Root() milestone: Milestone, @Ctx() ctx: Context): Promise<MilestoneProgress> {
    return ctx.loaders.use(milestoneProgress).load(milestone.id);
  }

  @FieldResolver(() => TaskConnection)
  async tasks(
    @Root() milestone: Milestone,
    @Args() args: TaskListArgs,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TaskConnection> {
    const includeDeleted = await allowDeleted(ctx, args.includeDeleted, 'tasks:delete');
    return withAssignees(
      ctx,
      info,
      await tasksOfMilestone.load(
        ctx.loaders,
        { parentId: milestone.id, args: { ...args, includeDeleted } },
        new TaskConnection(),
        Task.fromRow,
        info,
      ),
    );
  }

  @Authorized('sprints:manage')
  @Mutation(() => MilestonePayload)
  async createMilestone(
    @Arg('input', () => CreateMilestoneInput) input: CreateMilestoneInput,
    @Ctx() ctx: Context,
  ): Promise<MilestonePayload> {
    return Object.assign(new MilestonePayload(), { milestone: await planning.createMilestone(ctx, input) });
  }

  @Authorized('sprints:manage')
  @Mutation(() => MilestonePayload)
  async updateMilestone(
    @Arg('input', () => UpdateMilestoneInput) input: UpdateMilestoneInput,
    @Ctx() ctx: Context,
  ): Promise<MilestonePayload> {
    return Object.assign(new MilestonePayload(), { milestone: await planning.updateMilestone(ctx, input) });
  }

  @Authorized('sprints:manage')
  @Mutation(() => DeleteMilestonePayload, {
    description: 'Deletes a milestone; its tasks stay, outside any milestone.',
  })
  async deleteMilestone(
    @Arg('input', () => DeleteMilestoneInput) input: DeleteMilestoneInput,
    @Ctx() ctx: Context,
  ): Promise<DeleteMilestonePayload> {
    return Object.assign(new DeleteMilestonePayload(), {
      deletedMilestoneId: await planning.deleteMilestone(ctx, input.id),
    });
  }
}
