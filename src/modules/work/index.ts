import { ProjectMemberResolver, ProjectResolver } from './project.resolver';
import { MilestoneResolver, SprintResolver } from './planning.resolver';
import { TaskActivityResolver, TaskCommentResolver, TaskResolver } from './task.resolver';

export const workResolvers = [
  ProjectResolver,
  ProjectMemberResolver,
  TaskResolver,
  TaskCommentResolver,
  TaskActivityResolver,
  SprintResolver,
  MilestoneResolver,
] as const;
