import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { setTenant } from '../../db/database';
import type { Database } from '../../db/schema';
import { onViolation } from '../../errors';

// One-time tokens and password changes go through the account functions of migration 0004;
// a new user is inserted by the app under the "users are created as themselves" policy.

/** Creates the user and leaves the transaction acting for them (and no tenant). */
export async function insertUser(
  db: Kysely<Database>,
  values: { email: string; username: string; passwordHash: string; firstName: string; lastName: string },
): Promise<string> {
  const id = crypto.randomUUID();
  await setTenant(db, { organizationId: null, userId: id });
  await db
    .insertInto('users')
    .values({
      id,
      email: values.email,
      username: values.username,
      password_hash: values.passwordHash,
      first_name: values.firstName,
      last_name: values.lastName,
    })
    .execute()
    .catch(
      onViolation({
        users_email_key: ['email', 'An account with this email already exists'],
        users_username_key: ['username', 'That username is taken'],
      }),
    );
  return id;
}

export type UserTokenPurpose = 'password_reset' | 'email_verification';

/**
 * Issues and mails a one-time token for the active account with this email, or (email null) for
 * the current user. The database makes the token; the application never sees it.
 */
export async function issueUserToken(
  db: Kysely<Database>,
  values: { email: string | null; purpose: UserTokenPurpose; ttlSeconds: number },
): Promise<void> {
  await sql`select app.issue_user_token(${values.email}, ${values.purpose}, make_interval(secs => ${values.ttlSeconds}))`.execute(
    db,
  );
}

export async function resetPasswordWithToken(
  db: Kysely<Database>,
  tokenHash: string,
  passwordHash: string,
): Promise<string | null> {
  const { rows } = await sql<{
    user_id: string | null;
  }>`select app.reset_password(${tokenHash}, ${passwordHash}) as user_id`.execute(db);
  return rows[0]!.user_id;
}

export async function verifyEmailWithToken(db: Kysely<Database>, tokenHash: string): Promise<string | null> {
  const { rows } = await sql<{ user_id: string | null }>`select app.verify_email(${tokenHash}) as user_id`.execute(db);
  return rows[0]!.user_id;
}

export async function passwordHashOfCurrentUser(db: Kysely<Database>): Promise<string | null> {
  const { rows } = await sql<{ hash: string | null }>`select app.password_hash_of_current_user() as hash`.execute(db);
  return rows[0]!.hash;
}

export async function setPasswordOfCurrentUser(db: Kysely<Database>, passwordHash: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select app.set_password_of_current_user(${passwordHash}) as ok`.execute(
    db,
  );
  return rows[0]!.ok;
}
