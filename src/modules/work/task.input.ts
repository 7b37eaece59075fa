import { ArgsType, Field, InputType, Int } from 'type-graphql';
import { DateTimeResolver, JSONObjectResolver, UUIDResolver } from 'graphql-scalars';
import { ArrayMaxSize, IsIn, IsOptional, Length, ValidateNested } from 'class-validator';
import type { TaskPriority, TaskStatus, TaskType } from '../../db/schema';
import { ConnectionArgs, orderEnum } from '../../graphql/connection';
import { DateTimeFilter, IdFilter, IntFilter, StringFilter, TagsFilter } from '../../graphql/filters';
import { ACTIVITY_ORDERS, TASK_ORDERS } from './work.orders';
import { TaskPriorityEnum, TaskStatusEnum, TaskTypeEnum } from './work.enums';
import { OptionalText } from '../../graphql/text';

export const TaskOrder = orderEnum('TaskOrder', TASK_ORDERS);
export const TaskActivityOrder = orderEnum('TaskActivityOrder', ACTIVITY_ORDERS);

/** Seed 003: story points are Fibonacci numbers. */
export const STORY_POINTS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
const IsStoryPoints = () => IsIn(STORY_POINTS, { message: 'must be a Fibonacci number from 1 to 89' });
/** At most 50 tags of 1 to 50 characters each. */
const AreTags = (): PropertyDecorator => (target, key) => {
  ArrayMaxSize(50)(target, key);
  Length(1, 50, { each: true, message: 'each tag must be 1 to 50 characters' })(target, key);
};

@InputType({ description: 'Conditions on tasks; every one given must hold.' })
export class TaskFilter {
  @Field(() => [TaskStatusEnum], { nullable: true, description: 'Any of these statuses.' })
  @IsOptional()
  @ArrayMaxSize(10)
  status?: TaskStatus[] | null;

  @Field(() => [TaskTypeEnum], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(10)
  type?: TaskType[] | null;

  @Field(() => [TaskPriorityEnum], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(10)
  priority?: TaskPriority[] | null;

  @Field(() => IdFilter, { nullable: true })
  @ValidateNested()
  projectId?: IdFilter | null;

  @Field(() => IdFilter, { nullable: true })
  @ValidateNested()
  assigneeId?: IdFilter | null;

  @Field(() => IdFilter, { nullable: true })
  @ValidateNested()
  reporterId?: IdFilter | null;

  @Field(() => IdFilter, { nullable: true })
  @ValidateNested()
  sprintId?: IdFilter | null;

  @Field(() => IdFilter, { nullable: true })
  @ValidateNested()
  milestoneId?: IdFilter | null;

  @Field(() => IdFilter, { nullable: true, description: 'isNull: true for top-level tasks only.' })
  @ValidateNested()
  parentTaskId?: IdFilter | null;

  @Field(() => TagsFilter, { nullable: true })
  @ValidateNested()
  tags?: TagsFilter | null;

  @Field(() => DateTimeFilter, { nullable: true, description: 'Tasks without a due date never match a range.' })
  dueDate?: DateTimeFilter | null;

  @Field(() => DateTimeFilter, { nullable: true })
  createdAt?: DateTimeFilter | null;

  @Field(() => DateTimeFilter, { nullable: true })
  updatedAt?: DateTimeFilter | null;

  @Field(() => DateTimeFilter, { nullable: true, description: 'Tasks never started never match a range.' })
  startedAt?: DateTimeFilter | null;

  @Field(() => DateTimeFilter, { nullable: true, description: 'Tasks not done never match a range.' })
  completedAt?: DateTimeFilter | null;

  @Field(() => IntFilter, { nullable: true })
  @ValidateNested()
  storyPoints?: IntFilter | null;

  @Field(() => StringFilter, { nullable: true, description: 'On the title (contains: ignoring case).' })
  @ValidateNested()
  title?: StringFilter | null;
}

@ArgsType()
export class TaskListArgs extends ConnectionArgs {
  @Field(() => TaskFilter, { nullable: true })
  @ValidateNested()
  filter?: TaskFilter | null;

  @Field(() => TaskOrder, { nullable: true, description: 'Default CREATED_AT_ASC.' })
  orderBy?: string | null;

  @Field(() => Boolean, { defaultValue: false, description: 'Include deleted tasks (needs tasks:delete).' })
  includeDeleted!: boolean;
}

@ArgsType()
export class TaskActivityArgs extends ConnectionArgs {
  @Field(() => TaskActivityOrder, { nullable: true, description: 'Default CREATED_AT_ASC.' })
  orderBy?: string | null;
}

@InputType()
export class CreateTaskInput {
  @Field(() => UUIDResolver)
  projectId!: string;

  @Field()
  @Length(1, 500, { message: 'must be 1 to 500 characters' })
  title!: string;

  @OptionalText({ max: 100000 })
  description?: string | null;

  @Field(() => TaskTypeEnum, { defaultValue: 'task' })
  type!: TaskType;

  @Field(() => TaskStatusEnum, {
    defaultValue: 'backlog',
    description: 'BACKLOG or TODO; later statuses come through transitionTask.',
  })
  @IsIn(['backlog', 'todo'], { message: 'a new task starts in BACKLOG or TODO' })
  status!: TaskStatus;

  @Field(() => TaskPriorityEnum, { defaultValue: 'medium' })
  priority!: TaskPriority;

  @Field(() => UUIDResolver, { nullable: true, description: 'A member of the organization.' })
  assigneeId?: string | null;

  @Field(() => UUIDResolver, {
    nullable: true,
    description: 'A member of the organization; the caller when not given.',
  })
  reporterId?: string | null;

  @Field(() => UUIDResolver, { nullable: true, description: 'A sprint of the same project.' })
  sprintId?: string | null;

  @Field(() => UUIDResolver, { nullable: true, description: 'A milestone of the same project.' })
  milestoneId?: string | null;

  @Field(() => UUIDResolver, {
    nullable: true,
    description: 'A task of the same project; subtasks nest at most 3 levels.',
  })
  parentTaskId?: string | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsStoryPoints()
  storyPoints?: number | null;

  @Field(() => DateTimeResolver, { nullable: true })
  dueDate?: Date | null;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @AreTags()
  tags?: string[] | null;

  @Field(() => JSONObjectResolver, { nullable: true })
  customFields?: Record<string, unknown> | null;
}

@InputType({ description: 'The fields to change; a field left out stays as it is, null clears a nullable one.' })
export class UpdateTaskInput {
  @Field(() => UUIDResolver)
  id!: string;

  @OptionalText({ min: 1, max: 500 })
  title?: string | null;

  @OptionalText({ max: 100000 })
  description?: string | null;

  @Field(() => TaskTypeEnum, { nullable: true })
  type?: TaskType | null;

  @Field(() => TaskPriorityEnum, { nullable: true })
  priority?: TaskPriority | null;

  @Field(() => UUIDResolver, { nullable: true })
  reporterId?: string | null;

  @Field(() => UUIDResolver, { nullable: true })
  sprintId?: string | null;

  @Field(() => UUIDResolver, { nullable: true })
  milestoneId?: string | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsStoryPoints()
  storyPoints?: number | null;

  @Field(() => DateTimeResolver, { nullable: true })
  dueDate?: Date | null;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @AreTags()
  tags?: string[] | null;

  @Field(() => JSONObjectResolver, { nullable: true, description: 'Replaces the custom fields.' })
  customFields?: Record<string, unknown> | null;
}

@InputType()
export class TransitionTaskInput {
  @Field(() => UUIDResolver)
  id!: string;

  @Field(() => TaskStatusEnum)
  status!: TaskStatus;
}

@InputType()
export class AssignTaskInput {
  @Field(() => UUIDResolver)
  id!: string;

  @Field(() => UUIDResolver, { nullable: true, description: 'A member of the organization, or null to unassign.' })
  assigneeId!: string | null;
}

@InputType({ description: 'Moves a task (with its subtasks) to another project and/or under another parent.' })
export class MoveTaskInput {
  @Field(() => UUIDResolver)
  id!: string;

  @Field(() => UUIDResolver, {
    nullable: true,
    description: 'The new project; the task and its subtasks leave their sprint and milestone.',
  })
  projectId?: string | null;

  @Field(() => UUIDResolver, {
    nullable: true,
    description: 'The new parent (in the target project), or null for a top-level task.',
  })
  parentTaskId?: string | null;
}

@InputType()
export class DeleteTaskInput {
  @Field(() => UUIDResolver)
  id!: string;
}

@InputType()
export class RestoreTaskInput {
  @Field(() => UUIDResolver)
  id!: string;
}
