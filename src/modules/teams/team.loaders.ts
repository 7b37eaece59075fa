import { sql, type Selectable } from 'kysely';
import type { TeamMembersTable, TeamsTable } from '../../db/schema';
import { defineParentConnection } from '../../graphql/connection';
import { byKey, defineLoader } from '../../graphql/loaders';
import { Team } from './team.type';

export const teamById = defineLoader<string, Team | null>('teamById', async (db, ids) =>
  byKey(
    ids,
    await db
      .selectFrom('teams')
      .selectAll()
      .where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`)
      .execute(),
    (r) => r.id,
    Team.fromRow,
  ),
);

/** `organization.teams(...)`: by name. */
export const teamsOfOrganization = defineParentConnection<Selectable<TeamsTable>, null>({
  name: 'teamsOfOrganization',
  table: 'teams',
  alias: 't',
  parentColumn: 'organization_id',
  sort: { column: 'name', direction: 'asc', type: 'text' },
});

/** `team.members(...)`: in the order they joined. */
export const membersOfTeam = defineParentConnection<Selectable<TeamMembersTable>, null>({
  name: 'membersOfTeam',
  table: 'team_members',
  alias: 'tm',
  parentColumn: 'team_id',
  sort: { column: 'created_at', direction: 'asc', type: 'timestamp' },
});

/** `user.teams(...)`: the user's team memberships in the current organization (RLS), in the order joined. */
export const teamsOfUser = defineParentConnection<Selectable<TeamMembersTable>, null>({
  name: 'teamsOfUser',
  table: 'team_members',
  alias: 'tm',
  parentColumn: 'user_id',
  sort: { column: 'created_at', direction: 'asc', type: 'timestamp' },
});
