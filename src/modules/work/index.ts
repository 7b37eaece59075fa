import { registerPrefetched, registerResolvers } from '../../resources';
// Resources register themselves when imported: projects first, then sprints before milestones
// (Project's lists keep that order).
import './projects';
import './sprints';
import './milestones';
import { TaskActivityResolver, TaskResolver } from './task.resolver';
import { taskAggregates } from './task.aggregates';
import './comments';

registerResolvers(TaskResolver, TaskActivityResolver, taskAggregates.Resolver);
// Task lists load their assignees at once (withAssignees): the field answers from the node.
registerPrefetched('Task', ['assignee']);
