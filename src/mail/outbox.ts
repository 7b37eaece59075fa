import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';

/**
 * Mail templates the application queues, and what each payload carries. (The account functions
 * of migration 0004 queue `account.verify_email` and `account.password_reset` themselves, with
 * `{ firstName, token }`, so the application never sees those tokens.)
 */
export interface MailTemplates {
  'membership.invitation': { organizationName: string; role: string; token: string };
}

/**
 * Queues a mail in the outbox, in the caller's transaction: it is sent only if the change that
 * caused it commits. A sender drains the table (the app role can write it, not read it).
 *
 * @example
 * await queueMail(db, 'account.password_reset', user.email, { firstName, token });
 */
export async function queueMail<T extends keyof MailTemplates>(
  db: Kysely<Database>,
  template: T,
  to: string,
  payload: MailTemplates[T],
): Promise<void> {
  await db
    .insertInto('outbox')
    .values({ to_address: to, template, payload: JSON.stringify(payload) })
    .execute();
}
