import { Field, InputType } from 'type-graphql';
import { ArrayMaxSize } from 'class-validator';
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

  @Field(() => Boolean, { nullable: true, description: 'Only live memberships (true), only ended ones (false), or both (null, the default).' })
  live?: boolean | null;
}
