import { registerResolvers } from '../../resources';
// Resources register themselves when imported: projects first, then sprints before milestones
// (Project's lists keep that order), then tasks and their comments.
import './projects';
import './sprints';
import './milestones';
import './tasks';
import './comments';
import { TaskActivityResolver } from './task-activity';

registerResolvers(TaskActivityResolver);
