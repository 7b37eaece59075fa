import { Field, InputType } from 'type-graphql';
import { UUIDResolver } from 'graphql-scalars';
import { Length } from 'class-validator';
import type { TeamMemberRole } from '../../db/schema';
import { TeamMemberRoleEnum } from './team.type';
import { OptionalText } from '../../graphql/text';

@InputType()
export class CreateTeamInput {
  @Field()
  @Length(1, 255, { message: 'must be 1 to 255 characters' })
  name!: string;

  @OptionalText({ max: 2000 })
  description?: string | null;
}

@InputType()
export class UpdateTeamInput {
  @Field(() => UUIDResolver)
  id!: string;

  @OptionalText({ min: 1, max: 255 })
  name?: string | null;

  @OptionalText({ max: 2000 })
  description?: string | null;
}

@InputType()
export class DeleteTeamInput {
  @Field(() => UUIDResolver)
  id!: string;
}

@InputType()
export class AddTeamMemberInput {
  @Field(() => UUIDResolver)
  teamId!: string;

  @Field(() => UUIDResolver, { description: 'A live member of the organization.' })
  userId!: string;

  @Field(() => TeamMemberRoleEnum, { defaultValue: 'member' })
  role!: TeamMemberRole;
}

@InputType()
export class RemoveTeamMemberInput {
  @Field(() => UUIDResolver)
  teamId!: string;

  @Field(() => UUIDResolver)
  userId!: string;
}
