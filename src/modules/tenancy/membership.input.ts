import { Field, InputType } from 'type-graphql';
import { ArrayMaxSize, IsEmail, IsOptional, Length, MaxLength, ValidateNested } from 'class-validator';
import { DateTimeFilter } from '../../graphql/filters';
import { orderEnum } from '../../graphql/connection';
import { MEMBER_ORDERS } from './tenancy.loaders';
import { UUIDResolver } from 'graphql-scalars';
import type { MembershipRole, MembershipStatus } from '../../db/schema';
import { MembershipRoleEnum, MembershipStatusEnum } from './tenancy.enums';

@InputType({ description: 'Narrows a list of members; every given condition must hold.' })
export class MemberFilter {
  @Field(() => [MembershipStatusEnum], { nullable: true, description: 'Any of these statuses.' })
  @ArrayMaxSize(20)
  status?: MembershipStatus[] | null;

  @Field(() => [MembershipRoleEnum], { nullable: true, description: 'Any of these roles.' })
  @ArrayMaxSize(20)
  role?: MembershipRole[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Only live memberships (true), only ended ones (false), or both (null, the default).',
  })
  live?: boolean | null;

  @Field(() => DateTimeFilter, { nullable: true, description: 'When they joined.' })
  @IsOptional()
  @ValidateNested()
  joinedAt?: DateTimeFilter | null;
}

export const MemberOrder = orderEnum('MemberOrder', MEMBER_ORDERS);

@InputType()
export class InviteMemberInput {
  @Field()
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;

  @Field(() => MembershipRoleEnum, { defaultValue: 'member' })
  role!: MembershipRole;
}

@InputType()
export class AcceptInvitationInput {
  @Field({ description: 'The token from the invitation mail.' })
  @Length(1, 200, { message: 'must be an invitation token' })
  token!: string;

  @Field({ description: 'The password of the account with the invited email (sign up first if there is none).' })
  @Length(1, 1024, { message: 'must not be empty' })
  password!: string;
}

@InputType()
export class ChangeMembershipStatusInput {
  @Field(() => UUIDResolver)
  membershipId!: string;

  @Field(() => MembershipStatusEnum)
  status!: MembershipStatus;
}

@InputType()
export class ChangeMemberRoleInput {
  @Field(() => UUIDResolver)
  membershipId!: string;

  @Field(() => MembershipRoleEnum)
  role!: MembershipRole;
}

@InputType()
export class TransferMemberInput {
  @Field(() => UUIDResolver)
  membershipId!: string;

  @Field(() => UUIDResolver, { description: 'An organization where you may invite members.' })
  toOrganizationId!: string;
}

@InputType()
export class RemoveMemberInput {
  @Field(() => UUIDResolver)
  membershipId!: string;
}

@InputType()
export class RevokeInvitationInput {
  @Field(() => UUIDResolver, { description: 'A pending invitation of the organization.' })
  invitationId!: string;
}
