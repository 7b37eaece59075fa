import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';

/** Mail templates and what each one's payload carries. */
export interface MailTemplates {
  'account.verify_email': { firstName: string; token: string };
  'account.password_reset': { firstName: string; token: string };
  'membership.invitation': { organizationName: string; role: string; token: string };
}

/**
 * Queues a mail in the outbox, in the caller's transaction: it is sent only if the change that
 * caused it commits. A sender drains the table (the app role can write it, not read it).
 *
 * @example
 * await queueMail(db, 'account.password_reset', user.email, { firstName, token });
 */
export async function queueMail<T extends keyof MailTemplates>(db: Kysely<Database>, template: T, to: string, payload: MailTemplates[T]): Promise<void> {
  await db.insertInto('outbox').values({ to_address: to, template, payload: JSON.stringify(payload) }).execute();
}
