import { Field, ObjectType } from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import type { MembershipRole, MembershipStatus } from '../../db/schema';
import { Membership } from './membership.type';
import { Organization } from './organization.type';
import { User } from './user.type';
import { MembershipRoleEnum, MembershipStatusEnum } from './tenancy.enums';

@ObjectType({ description: "One of the signed-in user's organizations: a live membership, with what it allows." })
export class ViewerOrganization {
  @Field(() => UUIDResolver, { description: 'Pass it to switchOrganization.' })
  id!: string;

  @Field()
  name!: string;

  @Field()
  slug!: string;

  @Field({ description: 'False for a deactivated organization (its owners may reactivate it).' })
  isActive!: boolean;

  @Field(() => UUIDResolver)
  membershipId!: string;

  @Field(() => MembershipRoleEnum)
  role!: MembershipRole;

  @Field(() => MembershipStatusEnum)
  status!: MembershipStatus;

  @Field(() => DateTimeResolver)
  joinedAt!: Date;

  @Field({ description: 'Whether switchOrganization (or login with its slug) would admit the user there now.' })
  maySignIn!: boolean;

  @Field({ description: 'Whether this is the organization of the current session.' })
  current!: boolean;
}

@ObjectType('Viewer', { description: 'The signed-in caller: who, in which organization, with what rights.' })
export class ViewerInfo {
  @Field(() => User)
  user!: User;

  @Field(() => Organization, { nullable: true, description: 'Null in a session without an organization.' })
  organization!: Organization | null;

  @Field(() => Membership, { nullable: true, description: 'Null in a session without an organization.' })
  membership!: Membership | null;

  @Field(() => [String], { description: 'Permissions (`entity:action`) held in this organization.' })
  permissions!: string[];

  @Field(() => [ViewerOrganization], {
    description:
      'Every organization where the user has a live membership (the ones to switch to, and the ones that would refuse them), oldest membership first.',
  })
  organizations!: ViewerOrganization[];
}
