import { Field, ObjectType } from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import type { MembershipRole, MembershipRow, MembershipStatus } from '../../db/schema';
import { Connection } from '../../graphql/connection';
import { MembershipRoleEnum, MembershipStatusEnum } from './tenancy.enums';

@ObjectType({ description: 'A user in an organization, with a role and a lifecycle status.' })
export class Membership {
  @Field(() => UUIDResolver)
  id!: string;

  organizationId!: string;
  userId!: string;
  customRoleId!: string | null;

  @Field(() => MembershipRoleEnum)
  role!: MembershipRole;

  @Field(() => MembershipStatusEnum)
  status!: MembershipStatus;

  @Field(() => DateTimeResolver)
  joinedAt!: Date;

  @Field(() => DateTimeResolver, {
    nullable: true,
    description: 'Set when the membership ended (a transfer, a departure).',
  })
  endedAt!: Date | null;

  @Field(() => DateTimeResolver, {
    nullable: true,
    description: 'When the member last signed in to this organization (null: not since this was recorded).',
  })
  lastLoginAt!: Date | null;

  static fromRow(row: MembershipRow): Membership {
    return Object.assign(new Membership(), {
      id: row.id,
      organizationId: row.organization_id,
      userId: row.user_id,
      customRoleId: row.custom_role_id,
      role: row.role,
      status: row.status,
      joinedAt: row.joined_at,
      endedAt: row.ended_at,
      lastLoginAt: row.last_login_at,
    });
  }
}

@ObjectType()
export class MembershipConnection extends Connection(Membership) {}

@ObjectType()
export class MembershipPayload {
  @Field(() => Membership)
  membership!: Membership;
}

@ObjectType({ description: 'An invitation to join the organization; its token is only ever mailed.' })
export class Invitation {
  @Field(() => UUIDResolver)
  id!: string;

  @Field()
  email!: string;

  @Field(() => MembershipRoleEnum)
  role!: MembershipRole;

  @Field(() => DateTimeResolver)
  expiresAt!: Date;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  static fromRow(row: {
    id: string;
    email: string;
    role: MembershipRole;
    expires_at: Date;
    created_at: Date;
  }): Invitation {
    return Object.assign(new Invitation(), {
      id: row.id,
      email: row.email,
      role: row.role,
      expiresAt: row.expires_at,
      createdAt: row.created_at,
    });
  }
}

@ObjectType()
export class InvitationConnection extends Connection(Invitation) {}

@ObjectType()
export class InvitationPayload {
  @Field(() => Invitation)
  invitation!: Invitation;
}

@ObjectType()
export class TransferMemberPayload {
  @Field(() => Membership, { description: 'The membership here, now ended as inactive.' })
  endedMembership!: Membership;

  @Field(() => UUIDResolver, { description: 'The new membership in the other organization.' })
  newMembershipId!: string;
}
