import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema';

// Sessions are refresh-token families. Writes under a tenant go through RLS; rotation,
// sign-in and "everywhere" work before or across tenants, through the narrow functions of
// migration 0002 (owned by tenantql_auth).

export interface SignInCandidate {
  user_id: string;
  password_hash: string | null;
  /** The organization the account would sign in to; null when none admits it. */
  organization_id: string | null;
}

/** The active account with this email, through the narrow sign-in function (migration 0001). */
export async function findSignInCandidate(
  db: Kysely<Database>,
  email: string,
  organizationSlug: string | null,
): Promise<SignInCandidate | undefined> {
  const result = await sql<SignInCandidate>`select * from app.sign_in_candidate(${email}, ${organizationSlug})`.execute(
    db,
  );
  return result.rows[0];
}

/** Stamps last_login_at of the user the transaction now acts for. */
export async function recordSignIn(db: Kysely<Database>): Promise<void> {
  await sql`select app.record_sign_in()`.execute(db);
}

/** Starts a session (a new family) for the tenant and user the transaction acts for. */
export async function insertRefreshToken(
  db: Kysely<Database>,
  values: {
    organizationId: string;
    userId: string;
    familyId: string;
    tokenHash: string;
    expiresAt: Date;
    userAgent?: string;
    ip?: string;
  },
): Promise<void> {
  await db
    .insertInto('auth_refresh_tokens')
    .values({
      organization_id: values.organizationId,
      user_id: values.userId,
      family_id: values.familyId,
      token_hash: values.tokenHash,
      expires_at: values.expiresAt,
      user_agent: values.userAgent?.slice(0, 512) ?? null,
      ip: values.ip?.slice(0, 64) ?? null,
    })
    .execute();
}

export type RotationOutcome = 'rotated' | 'reused' | 'expired' | 'denied' | 'invalid';

export async function rotateRefreshToken(
  db: Kysely<Database>,
  values: { tokenHash: string; newTokenHash: string; ttlSeconds: number; userAgent?: string; ip?: string },
): Promise<{
  outcome: RotationOutcome;
  user_id: string | null;
  organization_id: string | null;
  family_id: string | null;
}> {
  const { rows } = await sql<{
    outcome: RotationOutcome;
    user_id: string | null;
    organization_id: string | null;
    family_id: string | null;
  }>`
    select * from app.rotate_refresh_token(${values.tokenHash}, ${values.newTokenHash},
      make_interval(secs => ${values.ttlSeconds}), ${values.userAgent?.slice(0, 512) ?? null}, ${values.ip?.slice(0, 64) ?? null})`.execute(
    db,
  );
  return rows[0]!;
}

/** Ends one session of the current user in the current organization; returns 1, or 0 if it had ended. */
export async function revokeFamily(
  db: Kysely<Database>,
  familyId: string,
  userId: string,
  reason: 'logout',
): Promise<number> {
  const result = await db
    .updateTable('auth_refresh_tokens')
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where('family_id', '=', familyId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  // A session is one family of refresh tokens, however often it was refreshed.
  return result.numUpdatedRows > 0n ? 1 : 0;
}

/** Ends every session of the current user, in every organization; returns how many. */
export async function revokeSessionsOfCurrentUser(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ n: number }>`select app.revoke_sessions_of_current_user() as n`.execute(db);
  return rows[0]!.n;
}

/** Whether the user the transaction acts for never had a membership (migration 0020). */
export async function currentUserIsUnaffiliated(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{
    unaffiliated: boolean;
  }>`select app.current_user_is_unaffiliated() as unaffiliated`.execute(db);
  return rows[0]!.unaffiliated;
}

export async function maySignInTo(db: Kysely<Database>, organizationId: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select app.may_sign_in_to(${organizationId}) as ok`.execute(db);
  return rows[0]!.ok;
}

/** A sign-in throttle key with the failures it allows before it locks. */
export interface ThrottleKey {
  key: string;
  limit: number;
}

/** Takes a check slot on every key (its own short transaction); false when any key is locked or busy. */
export async function reserveSignInAttempt(
  db: Kysely<Database>,
  keys: ThrottleKey[],
  windowSeconds: number,
): Promise<boolean> {
  const { rows } = await sql<{
    allowed: boolean;
  }>`select app.reserve_sign_in_attempt(${keys.map((k) => k.key)}::text[], ${keys.map((k) => k.limit)}::int[],
    make_interval(secs => ${windowSeconds})) as allowed`.execute(db);
  return rows[0]!.allowed;
}

/**
 * Gives the slots back: a failure is counted (and locks past the limit), a success clears the
 * account's failures, null counts nothing (the check could not run).
 */
export async function finishSignInAttempt(
  db: Kysely<Database>,
  keys: ThrottleKey[],
  failed: boolean | null,
  lockSeconds: number,
): Promise<void> {
  await sql`select app.finish_sign_in_attempt(${keys.map((k) => k.key)}::text[], ${keys.map((k) => k.limit)}::int[], ${failed},
    make_interval(secs => ${lockSeconds}))`.execute(db);
}

/** The session a live refresh token of the account with this email belongs to, or null. */
export async function liveSessionFamily(
  db: Kysely<Database>,
  email: string,
  tokenHash: string,
): Promise<string | null> {
  const { rows } = await sql<{
    family_id: string | null;
  }>`select app.live_session_family(${email}, ${tokenHash}) as family_id`.execute(db);
  return rows[0]!.family_id;
}
