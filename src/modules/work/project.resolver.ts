import { Arg, Args, Authorized, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { UUIDResolver } from 'graphql-scalars';
import { organizationOf, type Context } from '../../graphql/context';
import { allowDeleted } from '../../graphql/auth-checker';
import { ConnectionArgs } from '../../graphql/connection';
import { NotFoundError } from '../../errors';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import {
  AddProjectMemberInput,
  CreateProjectInput,
  DeleteProjectInput,
  ProjectListArgs,
  RemoveProjectMemberInput,
  RestoreProjectInput,
  UpdateProjectInput,
} from './project.input';
import {
  Project,
  ProjectConnection,
  ProjectMember,
  ProjectMemberConnection,
  ProjectMemberPayload,
  ProjectPayload,
  RemoveProjectMemberPayload,
} from './project.type';
import { TaskListArgs } from './task.input';
import { Task, TaskConnection } from './task.type';
import { membersOfProject, projectById, projectsOfOrganization, tasksOfProject } from './work.loaders';
import * as projects from './project.service';
import { withAssignees } from './task.prefetch';

const projectPayload = (project: Project) => Object.assign(new ProjectPayload(), { project });

@Resolver(() => Project)
export class ProjectResolver {
  @Authorized('projects:read')
  @Query(() => ProjectConnection, {
    nullable: true,
    description: 'Projects of the organization (private ones only for their members and admins).',
  })
  async projects(
    @Args() args: ProjectListArgs,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ProjectConnection> {
    const includeDeleted = await allowDeleted(ctx, args.includeDeleted, 'projects:delete');
    return projectsOfOrganization.load(
      ctx.loaders,
      { parentId: organizationOf(ctx), args: { ...args, includeDeleted } },
      new ProjectConnection(),
      Project.fromRow,
      info,
    );
  }

  @Authorized('projects:read')
  @Query(() => Project, { nullable: true, description: 'A project by id; null when there is none the caller can see.' })
  async project(
    @Arg('id', () => UUIDResolver) id: string,
    @Arg('includeDeleted', () => Boolean, {
      defaultValue: false,
      description: 'Answer a deleted project too (needs projects:delete).',
    })
    includeDeleted: boolean,
    @Ctx() ctx: Context,
  ): Promise<Project | null> {
    const project = await ctx.loaders.use(projectById).load(id);
    if (!project || (project.deletedAt && !(await allowDeleted(ctx, includeDeleted, 'projects:delete')))) return null;
    return project;
  }

  @FieldResolver(() => User)
  async owner(@Root() project: Project, @Ctx() ctx: Context): Promise<User> {
    const user = await ctx.loaders.use(userById).load(project.ownerId);
    if (!user) throw new NotFoundError('User');
    return user;
  }

  @FieldResolver(() => ProjectMemberConnection, { description: 'Members of the project, in the order they joined.' })
  members(
    @Root() project: Project,
    @Args() page: ConnectionArgs,
    @Ctx() ctx: Context,
  ): Promise<ProjectMemberConnection> {
    return membersOfProject.load(
      ctx.loaders,
      { parentId: project.id, args: { ...page } },
      new ProjectMemberConnection(),
      ProjectMember.fromRow,
    );
  }

  @FieldResolver(() => TaskConnection, {
    description: 'Tasks of the project (all levels; filter parentTaskId: {isNull: true} for top-level ones).',
  })
  async tasks(
    @Root() project: Project,
    @Args() args: TaskListArgs,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TaskConnection> {
    const includeDeleted = await allowDeleted(ctx, args.includeDeleted, 'tasks:delete');
    return withAssignees(
      ctx,
      info,
      await tasksOfProject.load(
        ctx.loaders,
        { parentId: project.id, args: { ...args, includeDeleted } },
        new TaskConnection(),
        Task.fromRow,
        info,
      ),
    );
  }

  @Authorized('projects:create')
  @Mutation(() => ProjectPayload, { description: 'Creates a project; its owner and creator become its leads.' })
  async createProject(
    @Arg('input', () => CreateProjectInput) input: CreateProjectInput,
    @Ctx() ctx: Context,
  ): Promise<ProjectPayload> {
    return projectPayload(await projects.createProject(ctx, input));
  }

  @Authorized('projects:update')
  @Mutation(() => ProjectPayload)
  async updateProject(
    @Arg('input', () => UpdateProjectInput) input: UpdateProjectInput,
    @Ctx() ctx: Context,
  ): Promise<ProjectPayload> {
    return projectPayload(await projects.updateProject(ctx, input));
  }

  @Authorized('projects:delete')
  @Mutation(() => ProjectPayload, {
    description: 'Soft-deletes a project and its tasks; restoreProject brings them back.',
  })
  async deleteProject(
    @Arg('input', () => DeleteProjectInput) input: DeleteProjectInput,
    @Ctx() ctx: Context,
  ): Promise<ProjectPayload> {
    return projectPayload(await projects.deleteProject(ctx, input.id));
  }

  @Authorized('projects:delete')
  @Mutation(() => ProjectPayload)
  async restoreProject(
    @Arg('input', () => RestoreProjectInput) input: RestoreProjectInput,
    @Ctx() ctx: Context,
  ): Promise<ProjectPayload> {
    return projectPayload(await projects.restoreProject(ctx, input.id));
  }

  @Authorized('projects:update')
  @Mutation(() => ProjectMemberPayload)
  async addProjectMember(
    @Arg('input', () => AddProjectMemberInput) input: AddProjectMemberInput,
    @Ctx() ctx: Context,
  ): Promise<ProjectMemberPayload> {
    return Object.assign(new ProjectMemberPayload(), { projectMember: await projects.addProjectMember(ctx, input) });
  }

  @Authorized('projects:update')
  @Mutation(() => RemoveProjectMemberPayload)
  async removeProjectMember(
    @Arg('input', () => RemoveProjectMemberInput) input: RemoveProjectMemberInput,
    @Ctx() ctx: Context,
  ): Promise<RemoveProjectMemberPayload> {
    return Object.assign(new RemoveProjectMemberPayload(), {
      removedProjectMemberId: await projects.removeProjectMember(ctx, input),
    });
  }
}

@Resolver(() => ProjectMember)
export class ProjectMemberResolver {
  @FieldResolver(() => User)
  async user(@Root() member: ProjectMember, @Ctx() ctx: Context): Promise<User> {
    const user = await ctx.loaders.use(userById).load(member.userId);
    if (!user) throw new NotFoundError('User');
    return user;
  }
}
