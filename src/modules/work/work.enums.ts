import { registerEnumType } from 'type-graphql';
import {
  MILESTONE_STATUSES,
  PROJECT_VISIBILITIES,
  SPRINT_STATUSES,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_TYPES,
} from '../../db/schema';
import { enumOf } from '../../graphql/enums';

export const ProjectVisibilityEnum = enumOf(PROJECT_VISIBILITIES);
export const ProjectMemberRoleEnum = enumOf(['lead', 'member'] as const);
export const SprintStatusEnum = enumOf(SPRINT_STATUSES);
export const MilestoneStatusEnum = enumOf(MILESTONE_STATUSES);
export const TaskTypeEnum = enumOf(TASK_TYPES);
export const TaskStatusEnum = enumOf(TASK_STATUSES);
export const TaskPriorityEnum = enumOf(TASK_PRIORITIES);

registerEnumType(ProjectVisibilityEnum, {
  name: 'ProjectVisibility',
  description:
    'PUBLIC projects are visible to the whole organization; PRIVATE ones to their members and to holders of projects:read_private.',
});
registerEnumType(ProjectMemberRoleEnum, { name: 'ProjectMemberRole' });
registerEnumType(SprintStatusEnum, {
  name: 'SprintStatus',
  description: 'PLANNED -> ACTIVE -> COMPLETED; PLANNED or ACTIVE -> CANCELLED.',
});
registerEnumType(MilestoneStatusEnum, { name: 'MilestoneStatus' });
registerEnumType(TaskTypeEnum, { name: 'TaskType' });
registerEnumType(TaskStatusEnum, {
  name: 'TaskStatus',
  description:
    'BACKLOG -> TODO -> IN_PROGRESS -> IN_REVIEW -> DONE, one step back while open, CANCELLED from any open status; ' +
    'a DONE task reopens to IN_PROGRESS, a CANCELLED one to BACKLOG (transitionTask).',
});
registerEnumType(TaskPriorityEnum, { name: 'TaskPriority' });
