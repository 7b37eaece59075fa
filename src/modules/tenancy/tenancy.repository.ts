import { sql, type Kysely } from 'kysely';
import type { Database, MembershipRow, OrganizationRow, UserRow } from '../../db/schema';

// Plain functions over the request's transaction. None of them filters by tenant to enforce
// isolation: RLS does that underneath.

export function findUsersByIds(db: Kysely<Database>, ids: readonly string[]): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`).execute();
}

export function findOrganizationsByIds(db: Kysely<Database>, ids: readonly string[]): Promise<OrganizationRow[]> {
  return db.selectFrom('organizations').selectAll().where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`).execute();
}

/** The live membership of each user in the current organization. */
export function findLiveMembershipsByUserIds(db: Kysely<Database>, userIds: readonly string[]): Promise<MembershipRow[]> {
  return db.selectFrom('memberships').selectAll()
    .where('user_id', '=', sql<string>`any(${sql.val(userIds)}::uuid[])`)
    .where('ended_at', 'is', null)
    .execute();
}

export interface SignInCandidate {
  user_id: string;
  password_hash: string | null;
  user_status: string;
  organization_id: string | null;
  organization_slug: string | null;
  may_sign_in: boolean;
}

/** Every live membership of the account with this email, through the narrow sign-in function. */
export async function findSignInCandidates(db: Kysely<Database>, email: string): Promise<SignInCandidate[]> {
  const result = await sql<SignInCandidate>`select * from app.sign_in_candidates(${email})`.execute(db);
  return result.rows;
}

/** Stamps last_login_at of the user the transaction now acts for. */
export async function recordSignIn(db: Kysely<Database>): Promise<void> {
  await sql`select app.record_sign_in()`.execute(db);
}
