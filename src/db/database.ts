import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';
import type { TenantContext } from './request-transaction';

// `date` columns stay 'YYYY-MM-DD' strings: a JavaScript Date would shift them by the time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/**
 * A pg pool for one role. Pool errors on idle clients (a restarted database) are logged by the
 * caller's handler instead of crashing the process.
 *
 * @example
 * const pool = createPool(process.env.DATABASE_URL!, { max: 10, applicationName: 'tenantql' });
 */
export function createPool(
  connectionString: string,
  options: { max: number; applicationName: string; onError?: (error: Error) => void },
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max,
    application_name: options.applicationName,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', options.onError ?? (() => undefined));
  return pool;
}

/** A Kysely instance over a pool (owner-side scripts, migrations, tests). */
export function createKysely(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Runs `fn` in a transaction that acts for one tenant, as the request path does. Owner-side
 * work (the demo seed, test factories) uses it because RLS is FORCEd even for the owner.
 *
 * @example
 * await withTenant(db, { organizationId: acmeId, userId: null }, (trx) =>
 *   trx.insertInto('memberships').values({ organization_id: acmeId, ... }).execute());
 */
export async function withTenant<T>(
  db: Kysely<Database>,
  context: TenantContext,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await setTenant(trx, context);
    return fn(trx);
  });
}

/** Sets the transaction-local tenant settings (parameterized, any Kysely connection). */
export async function setTenant(db: Kysely<Database>, context: TenantContext): Promise<void> {
  await sql`select set_config('app.current_org_id', ${context.organizationId ?? ''}, true),
                   set_config('app.current_user_id', ${context.userId ?? ''}, true),
                   set_config('app.current_session_id', ${context.sessionId ?? ''}, true),
                   set_config('app.current_api_key_id', ${context.apiKeyId ?? ''}, true)`.execute(db);
}
