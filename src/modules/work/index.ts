import { registerPrefetched, registerResolvers } from '../../resources';
import { MilestoneResolver } from './planning.resolver';
import { TaskActivityResolver, TaskCommentResolver, TaskResolver } from './task.resolver';
import { taskAggregates } from './task.aggregates';

registerResolvers(TaskResolver, TaskCommentResolver, TaskActivityResolver, taskAggregates.Resolver, MilestoneResolver);
// Task lists load their assignees at once (withAssignees): the field answers from the node.
registerPrefetched('Task', ['assignee']);
