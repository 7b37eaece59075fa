import { registerPrefetched, registerResolvers } from '../../resources';
import { ProjectMemberResolver, ProjectResolver } from './project.resolver';
// Resources register themselves when imported: sprints before milestones keeps Project's lists in that order.
import './sprints';
import './milestones';
import { TaskActivityResolver, TaskCommentResolver, TaskResolver } from './task.resolver';
import { taskAggregates } from './task.aggregates';

registerResolvers(
  ProjectResolver,
  ProjectMemberResolver,
  TaskResolver,
  TaskCommentResolver,
  TaskActivityResolver,
  taskAggregates.Resolver,
);
// Task lists load their assignees at once (withAssignees): the field answers from the node.
registerPrefetched('Task', ['assignee']);
