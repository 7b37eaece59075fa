import { organizationOf, type Context } from '../../graphql/context';
import { BadUserInputError, NotFoundError, onViolation } from '../../errors';
import type { TeamMemberRole } from '../../db/schema';
import { Team, TeamMember } from './team.type';

const NAME_TAKEN = onViolation({ teams_name_key: ['name', 'This organization already has a team with that name'] });

async function findTeam(ctx: Context, id: string): Promise<Team> {
  const row = await (await ctx.db.get()).selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Team');
  return Team.fromRow(row);
}

export async function createTeam(ctx: Context, input: { name: string; description?: string | null }): Promise<Team> {
  const row = await (
    await ctx.db.get()
  )
    .insertInto('teams')
    .values({
      organization_id: organizationOf(ctx),
      name: input.name.trim(),
      description: input.description?.trim() ?? '',
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(NAME_TAKEN);
  return Team.fromRow(row);
}

export async function updateTeam(
  ctx: Context,
  input: { id: string; name?: string | null; description?: string | null },
): Promise<Team> {
  await findTeam(ctx, input.id);
  const changes: { name?: string; description?: string } = {};
  if (input.name != null) changes.name = input.name.trim();
  if (input.description !== undefined) changes.description = input.description?.trim() ?? '';
  if (Object.keys(changes).length) {
    await (await ctx.db.get()).updateTable('teams').set(changes).where('id', '=', input.id).execute().catch(NAME_TAKEN);
  }
  return findTeam(ctx, input.id);
}

/** Deletes a team and its memberships (the people stay members of the organization). */
export async function deleteTeam(ctx: Context, id: string): Promise<string> {
  await findTeam(ctx, id);
  await (await ctx.db.get()).deleteFrom('teams').where('id', '=', id).execute();
  return id;
}

export async function addTeamMember(
  ctx: Context,
  input: { teamId: string; userId: string; role: TeamMemberRole },
): Promise<TeamMember> {
  await findTeam(ctx, input.teamId);
  const db = await ctx.db.get();
  const member = await db
    .selectFrom('memberships')
    .select('id')
    .where('user_id', '=', input.userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  if (!member) throw new BadUserInputError('userId', 'That user is not a member of this organization');
  const row = await db
    .insertInto('team_members')
    .values({ organization_id: organizationOf(ctx), team_id: input.teamId, user_id: input.userId, role: input.role })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(onViolation({ team_members_key: ['userId', 'That user is already in the team'] }));
  return TeamMember.fromRow(row);
}

export async function removeTeamMember(ctx: Context, input: { teamId: string; userId: string }): Promise<string> {
  const row = await (
    await ctx.db.get()
  )
    .deleteFrom('team_members')
    .where('team_id', '=', input.teamId)
    .where('user_id', '=', input.userId)
    .returning('id')
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Team member');
  return row.id;
}
