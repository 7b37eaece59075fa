import { ArgsType, Field, InputType } from 'type-graphql';
import { LocalDateResolver, UUIDResolver } from 'graphql-scalars';
import { Length, ValidateNested } from 'class-validator';
import type { MilestoneStatus, SprintStatus } from '../../db/schema';
import { ConnectionArgs, orderEnum } from '../../graphql/connection';
import { IdFilter } from '../../graphql/filters';
import { MILESTONE_ORDERS, SPRINT_ORDERS } from './work.orders';
import { MilestoneStatusEnum, SprintStatusEnum } from './work.enums';
import { OptionalText } from '../../graphql/text';

export const SprintOrder = orderEnum('SprintOrder', SPRINT_ORDERS);
export const MilestoneOrder = orderEnum('MilestoneOrder', MILESTONE_ORDERS);

@InputType({ description: 'Conditions on sprints; every one given must hold.' })
export class SprintFilter {
  @Field(() => [SprintStatusEnum], { nullable: true })
  status?: SprintStatus[] | null;

  @Field(() => IdFilter, { nullable: true })
  @ValidateNested()
  projectId?: IdFilter | null;
}

@ArgsType()
export class SprintListArgs extends ConnectionArgs {
  @Field(() => SprintFilter, { nullable: true })
  @ValidateNested()
  filter?: SprintFilter | null;

  @Field(() => SprintOrder, { nullable: true, description: 'Default START_DATE_ASC.' })
  orderBy?: string | null;
}

@InputType({ description: 'Conditions on milestones; every one given must hold.' })
export class MilestoneFilter {
  @Field(() => [MilestoneStatusEnum], { nullable: true })
  status?: MilestoneStatus[] | null;

  @Field(() => IdFilter, { nullable: true })
  @ValidateNested()
  projectId?: IdFilter | null;
}

@ArgsType()
export class MilestoneListArgs extends ConnectionArgs {
  @Field(() => MilestoneFilter, { nullable: true })
  @ValidateNested()
  filter?: MilestoneFilter | null;

  @Field(() => MilestoneOrder, { nullable: true, description: 'Default CREATED_AT_ASC.' })
  orderBy?: string | null;
}

@InputType()
export class CreateSprintInput {
  @Field(() => UUIDResolver)
  projectId!: string;

  @Field()
  @Length(1, 255, { message: 'must be 1 to 255 characters' })
  name!: string;

  @OptionalText({ max: 5000 })
  goal?: string | null;

  @Field(() => LocalDateResolver)
  startDate!: string;

  @Field(() => LocalDateResolver, { description: 'After startDate.' })
  endDate!: string;
}

@InputType({ description: 'PLANNED -> ACTIVE -> COMPLETED, and PLANNED or ACTIVE -> CANCELLED.' })
export class UpdateSprintInput {
  @Field(() => UUIDResolver)
  id!: string;

  @OptionalText({ min: 1, max: 255 })
  name?: string | null;

  @OptionalText({ max: 5000 })
  goal?: string | null;

  @Field(() => LocalDateResolver, { nullable: true })
  startDate?: string | null;

  @Field(() => LocalDateResolver, { nullable: true })
  endDate?: string | null;

  @Field(() => SprintStatusEnum, { nullable: true })
  status?: SprintStatus | null;
}

@InputType()
export class DeleteSprintInput {
  @Field(() => UUIDResolver)
  id!: string;
}

@InputType()
export class CreateMilestoneInput {
  @Field(() => UUIDResolver)
  projectId!: string;

  @Field()
  @Length(1, 255, { message: 'must be 1 to 255 characters' })
  title!: string;

  @OptionalText({ max: 10000 })
  description?: string | null;

  @Field(() => LocalDateResolver, { nullable: true })
  dueDate?: string | null;
}

@InputType()
export class UpdateMilestoneInput {
  @Field(() => UUIDResolver)
  id!: string;

  @OptionalText({ min: 1, max: 255 })
  title?: string | null;

  @OptionalText({ max: 10000 })
  description?: string | null;

  @Field(() => LocalDateResolver, { nullable: true })
  dueDate?: string | null;

  @Field(() => MilestoneStatusEnum, { nullable: true })
  status?: MilestoneStatus | null;
}

@InputType()
export class DeleteMilestoneInput {
  @Field(() => UUIDResolver)
  id!: string;
}
