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

  @Field(() => DateTimeResolver, { nullable: true, description: 'Set when the membership ended (a transfer, a departure).' })
  endedAt!: Date | null;

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
    });
  }
}

@ObjectType()
export class MembershipConnection extends Connection(Membership) {}
