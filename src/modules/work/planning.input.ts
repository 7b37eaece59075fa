import { ArgsType, Field, InputType } from 'type-graphql';
import { LocalDateResolver, UUIDResolver } from 'graphql-scalars';
import { Length, ValidateNested } from 'class-validator';
import type { MilestoneStatus } from '../../db/schema';
import { ConnectionArgs, orderEnum } from '../../graphql/connection';
import { IdFilter } from '../../graphql/filters';
import { MILESTONE_ORDERS } from './work.orders';
import { MilestoneStatusEnum } from './work.enums';
import { OptionalText } from '../../graphql/text';

export const MilestoneOrder = orderEnum('MilestoneOrder', MILESTONE_ORDERS);

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
