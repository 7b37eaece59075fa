import { registerPrefetched, registerResolvers } from '../../resources';
import { MilestoneResolver } from './planning.resolver';
import { TaskActivityResolver, TaskResolver } from './task.resolver';
import { taskAggregates } from './task.aggregates';
import './comments';

registerResolvers(TaskResolver, TaskActivityResolver, taskAggregates.Resolver, MilestoneResolver);
// Task lists load their assignees at once (withAssignees): the field answers from the node.
registerPrefetched('Task', ['assignee']);
