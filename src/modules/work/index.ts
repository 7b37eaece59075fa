import { ProjectMemberResolver, ProjectResolver } from './project.resolver';
import { MilestoneResolver, SprintResolver } from './planning.resolver';
import { TaskActivityResolver, TaskCommentResolver, TaskResolver } from './task.resolver';
import { taskAggregates } from './task.aggregates';

export const workResolvers = [
  ProjectResolver,
  ProjectMemberResolver,
  TaskResolver,
  TaskCommentResolver,
  TaskActivityResolver,
  taskAggregates.Resolver,
  SprintResolver,
  MilestoneResolver,
] as const;
