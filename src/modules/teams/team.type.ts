import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import type { TeamMemberRole, TeamMembersTable, TeamsTable } from '../../db/schema';
import { Connection } from '../../graphql/connection';

export const TeamMemberRoleEnum = { LEAD: 'lead', MEMBER: 'member' } as const;
registerEnumType(TeamMemberRoleEnum, { name: 'TeamMemberRole' });

@ObjectType({ description: 'A group of members within an organization.' })
export class Team {
  @Field(() => UUIDResolver)
  id!: string;

  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  static fromRow(row: Selectable<TeamsTable>): Team {
    return Object.assign(new Team(), {
      id: row.id,
      name: row.name,
      description: row.description,
      createdAt: row.created_at,
    });
  }
}

@ObjectType({ description: 'A user in a team.' })
export class TeamMember {
  @Field(() => UUIDResolver)
  id!: string;

  teamId!: string;
  userId!: string;

  @Field(() => TeamMemberRoleEnum)
  role!: TeamMemberRole;

  @Field(() => DateTimeResolver, { description: 'When they joined the team.' })
  createdAt!: Date;

  static fromRow(row: Selectable<TeamMembersTable>): TeamMember {
    return Object.assign(new TeamMember(), {
      id: row.id,
      teamId: row.team_id,
      userId: row.user_id,
      role: row.role,
      createdAt: row.created_at,
    });
  }
}

@ObjectType()
export class TeamConnection extends Connection(Team) {}

@ObjectType()
export class TeamMemberConnection extends Connection(TeamMember) {}

@ObjectType()
export class TeamPayload {
  @Field(() => Team)
  team!: Team;
}

@ObjectType()
export class DeleteTeamPayload {
  @Field(() => UUIDResolver)
  deletedTeamId!: string;
}

@ObjectType()
export class TeamMemberPayload {
  @Field(() => TeamMember)
  teamMember!: TeamMember;
}

@ObjectType()
export class RemoveTeamMemberPayload {
  @Field(() => UUIDResolver)
  removedTeamMemberId!: string;
}
