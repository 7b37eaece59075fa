import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, InvitationsTable, MembershipRole, MembershipRow, MembershipStatus } from '../../db/schema';
import { MEMBERSHIP_ROLES, SIGN_IN_STATUSES } from '../../db/schema';
import { organizationOf, type Context } from '../../graphql/context';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError } from '../../errors';
import { hashSecretToken, newSecretToken } from '../../auth/secret-tokens';
import { queueMail } from '../../mail/outbox';
import { liveMembershipByUserId } from './tenancy.loaders';

/** Seed 000 lifecycle: where each status may go next. Any status may also end in MEMBERSHIP_EXITS. */
export const STATUS_TRANSITIONS: Record<MembershipStatus, readonly MembershipStatus[]> = {
  invited: ['active'],
  pnm: ['pledge'],
  pledge: ['active'],
  active: ['associate', 'alumni'],
  associate: ['active', 'alumni'],
  alumni: ['alumni_active', 'alumni_lifetime'],
  alumni_active: ['alumni', 'alumni_lifetime'],
  alumni_lifetime: [],
  suspended: ['active'],
  inactive: ['active'],
  disaffiliated: [],
};
/** Reachable from every status but disaffiliated (which is final). */
export const MEMBERSHIP_EXITS: readonly MembershipStatus[] = ['inactive', 'disaffiliated', 'suspended'];

export function mayTransition(from: MembershipStatus, to: MembershipStatus): boolean {
  if (from === to || from === 'disaffiliated') return false;
  return STATUS_TRANSITIONS[from].includes(to) || MEMBERSHIP_EXITS.includes(to);
}

/** Built-in roles ranked by MEMBERSHIP_ROLES' order (most powerful first), as `app.role_rank` ranks them in SQL. */
const RANK = Object.fromEntries(MEMBERSHIP_ROLES.map((role, i) => [role, MEMBERSHIP_ROLES.length - i])) as Record<
  MembershipRole,
  number
>;

export const INVITATION_TTL_SECONDS = 7 * 86400;

async function callerRole(ctx: Context): Promise<MembershipRole> {
  // Roles are ranked among people; an API key holds permissions, not a rank.
  if (!ctx.viewer) throw new ForbiddenError('Only members can give roles; API keys cannot');
  const membership = await ctx.loaders.use(liveMembershipByUserId).load(ctx.viewer.userId);
  if (!membership) throw new ForbiddenError();
  return membership.role;
}

async function assertMayGive(ctx: Context, role: MembershipRole): Promise<void> {
  if (RANK[role] > RANK[await callerRole(ctx)]) throw new ForbiddenError('You cannot give a role above your own');
}

/** A live membership of the current organization, locked for the change (RLS hides others). */
async function liveMembership(db: Kysely<Database>, id: string): Promise<MembershipRow> {
  const row = await db
    .selectFrom('memberships')
    .selectAll()
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Membership');
  return row;
}

/** The organization must keep at least one owner who may sign in. */
async function assertNotLastOwner(db: Kysely<Database>, membership: MembershipRow): Promise<void> {
  if (membership.role !== 'owner') return;
  // Serialize owner changes per organization, so two owners cannot demote each other at once.
  await db.selectFrom('organizations').select('id').where('id', '=', membership.organization_id).forUpdate().execute();
  const others = await db
    .selectFrom('memberships')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('role', '=', 'owner')
    .where('ended_at', 'is', null)
    .where('status', 'in', SIGN_IN_STATUSES)
    .where('id', '<>', membership.id)
    .executeTakeFirstOrThrow();
  if (others.n === 0) throw new ConflictError('The last owner cannot be removed, demoted or lose access');
}

/**
 * Ends sessions in the current organization (RLS): a member's who loses platform access, or
 * everyone's when the organization is deactivated, so that regaining access brings none back.
 */
export async function endSessions(db: Kysely<Database>, userId?: string): Promise<void> {
  let revoke = db
    .updateTable('auth_refresh_tokens')
    .set({ revoked_at: sql`now()`, revoked_reason: 'access_lost' })
    .where('revoked_at', 'is', null);
  if (userId) revoke = revoke.where('user_id', '=', userId);
  await revoke.execute();
}

/** Closes open invitations of the current organization (all, or one email's). */
export async function revokeOpenInvitations(db: Kysely<Database>, email?: string): Promise<void> {
  let revoke = db
    .updateTable('invitations')
    .set({ revoked_at: sql`now()` })
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null);
  if (email !== undefined) revoke = revoke.where(sql<boolean>`lower(email) = lower(${email})`);
  await revoke.execute();
}

export async function inviteMember(ctx: Context, input: { email: string; role: MembershipRole }) {
  await assertMayGive(ctx, input.role);
  const db = await ctx.db.get();
  const email = input.email.trim();
  const alreadyMember = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('m.id')
    .where('m.ended_at', 'is', null)
    .where(sql<boolean>`lower(u.email) = lower(${email})`)
    .executeTakeFirst();
  if (alreadyMember) throw new ConflictError('That person is already a member', 'email');
  // A new invitation replaces an open one.
  await revokeOpenInvitations(db, email);
  const { token, hash } = newSecretToken('iv');
  const row = await db
    .insertInto('invitations')
    .values({
      organization_id: organizationOf(ctx),
      email,
      role: input.role,
      token_hash: hash,
      expires_at: new Date(Date.now() + INVITATION_TTL_SECONDS * 1000),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const organization = await db.selectFrom('organizations').select('name').executeTakeFirstOrThrow();
  await queueMail(db, 'membership.invitation', email, { organizationName: organization.name, role: input.role, token });
  return row;
}

// What an Invitation shows; never the token's hash.
const INVITATION_COLUMNS = ['id', 'email', 'role', 'expires_at', 'created_at'] as const;
type InvitationColumn = (typeof INVITATION_COLUMNS)[number];

/**
 * Revokes a pending invitation of the current organization; nobody revokes one of a role above
 * their own (as nobody ends a membership that outranks them). Unknown and other tenants' ids
 * are the same NOT_FOUND.
 */
export async function revokeInvitation(
  ctx: Context,
  invitationId: string,
): Promise<Pick<Selectable<InvitationsTable>, InvitationColumn>> {
  const db = await ctx.db.get();
  const invitation = await db
    .selectFrom('invitations')
    .select('role')
    .where('id', '=', invitationId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!invitation) throw new NotFoundError('Invitation');
  await assertMayGive(ctx, invitation.role);
  return db
    .updateTable('invitations')
    .set({ revoked_at: sql`now()` })
    .where('id', '=', invitationId)
    .returning(INVITATION_COLUMNS)
    .executeTakeFirstOrThrow();
}

/**
 * The open invitation behind a token (read before the invitee acts for any tenant), only while
 * its inviter may still give its role (app.inviter_may_give, checked again when it is accepted).
 */
export async function findInvitation(db: Kysely<Database>, token: string) {
  const { rows } = await sql<{ organization_id: string; invitation_id: string; email: string; role: MembershipRole }>`
    select * from app.invitation_by_token(${hashSecretToken(token)})`.execute(db);
  return rows[0];
}

/** Creates the invitee's membership and closes the invitation; the transaction acts for the organization. */
export async function joinOrganization(
  db: Kysely<Database>,
  invitation: { organization_id: string; invitation_id: string; role: MembershipRole },
  userId: string,
): Promise<void> {
  const existing = await db
    .selectFrom('memberships')
    .select('id')
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  if (existing) throw new ConflictError('You are already a member of this organization');
  await db
    .insertInto('memberships')
    .values({ organization_id: invitation.organization_id, user_id: userId, role: invitation.role, status: 'active' })
    .execute();
  await db
    .updateTable('invitations')
    .set({ accepted_at: sql`now()` })
    .where('id', '=', invitation.invitation_id)
    .execute();
}

export async function changeMembershipStatus(
  ctx: Context,
  membershipId: string,
  status: MembershipStatus,
): Promise<MembershipRow> {
  const db = await ctx.db.get();
  const membership = await liveMembership(db, membershipId);
  await assertMayGive(ctx, membership.role); // nobody suspends or ends someone who outranks them
  if (!mayTransition(membership.status, status)) {
    throw new BadUserInputError('status', `A membership cannot go from ${membership.status} to ${status}`);
  }
  const losesAccess = !SIGN_IN_STATUSES.includes(status);
  if (losesAccess) await assertNotLastOwner(db, membership);
  const row = await db
    .updateTable('memberships')
    .set({ status })
    .where('id', '=', membershipId)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (losesAccess) await endSessions(db, membership.user_id);
  return row;
}

/** Promotion and demotion (seed 000: officer is a role, not a table). */
export async function changeMemberRole(
  ctx: Context,
  membershipId: string,
  role: MembershipRole,
  direction: 'up' | 'down',
): Promise<MembershipRow> {
  const db = await ctx.db.get();
  const membership = await liveMembership(db, membershipId);
  if (direction === 'up' ? RANK[role] <= RANK[membership.role] : RANK[role] >= RANK[membership.role]) {
    throw new BadUserInputError(
      'role',
      direction === 'up' ? `${role} is not above ${membership.role}` : `${role} is not below ${membership.role}`,
    );
  }
  await assertMayGive(ctx, direction === 'up' ? role : membership.role);
  if (direction === 'down') await assertNotLastOwner(db, membership);
  return db
    .updateTable('memberships')
    .set({ role })
    .where('id', '=', membershipId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function removeMember(ctx: Context, membershipId: string): Promise<MembershipRow> {
  const db = await ctx.db.get();
  const membership = await liveMembership(db, membershipId);
  await assertMayGive(ctx, membership.role);
  await assertNotLastOwner(db, membership);
  const row = await db
    .updateTable('memberships')
    .set({ status: 'inactive', ended_at: sql`now()` })
    .where('id', '=', membershipId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await endSessions(db, membership.user_id);
  return row;
}

export async function transferMember(
  ctx: Context,
  membershipId: string,
  toOrganizationId: string,
): Promise<{ ended: MembershipRow; newMembershipId: string }> {
  const db = await ctx.db.get();
  const membership = await liveMembership(db, membershipId);
  await assertMayGive(ctx, membership.role);
  if (!SIGN_IN_STATUSES.includes(membership.status)) {
    throw new BadUserInputError('membershipId', `A ${membership.status} membership cannot be transferred`);
  }
  await assertNotLastOwner(db, membership);
  const { rows } = await sql<{
    id: string | null;
  }>`select app.transfer_membership(${membershipId}, ${toOrganizationId}) as id`.execute(db);
  const newMembershipId = rows[0]?.id;
  if (!newMembershipId) throw new ForbiddenError('You cannot move members to that organization');
  const ended = await db.selectFrom('memberships').selectAll().where('id', '=', membershipId).executeTakeFirstOrThrow();
  return { ended, newMembershipId };
}
