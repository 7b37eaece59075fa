import { sql, type Kysely } from 'kysely';
import type { Database } from './schema';

/**
 * Removes audit-log entries older than `retentionDays`, in every organization, and returns how
 * many. Runs as the owner in one transaction: maintenance mode lets the owner see every
 * organization's entries ("retention by the owner" in policies/audit.sql), and the append-only
 * trigger lets through only deletes of entries older than `app.audit_purge_before`, the same
 * cut-off the DELETE uses.
 *
 * @example
 * const removed = await purgeAuditLog(ownerDb, config.auditRetentionDays); // `npm run db:purge-audit`
 */
export async function purgeAuditLog(db: Kysely<Database>, retentionDays: number): Promise<number> {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new RangeError(`the audit retention must be a whole number of days, at least 1, got ${retentionDays}`);
  }
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.maintenance', 'on', true),
                     set_config('app.audit_purge_before', (now() - make_interval(days => ${retentionDays}::int))::text, true)`.execute(
      trx,
    );
    const result = await trx
      .deleteFrom('audit_log')
      .where('created_at', '<', sql<Date>`current_setting('app.audit_purge_before')::timestamptz`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
