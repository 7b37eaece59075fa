import type pg from 'pg';
import type { Migrations } from './migrate';

export type Readiness =
  { ready: true } | { ready: false; reason: 'database unreachable' | 'migrations pending'; pending?: string[] };

const SCHEMA_NOT_READABLE = new Set([
  '42P01', // undefined table: no migration ever ran
  '42501', // insufficient privilege: the migration that lets the app role read it has not run
]);

/**
 * Whether the database answers, within `timeoutMs`, and every migration this code knows (`migrations`) is
 * applied (one small statement as the app role; migration 0013 lets it read Kysely's table).
 * Migrations applied that the code does not know (a newer release ran them) do not count:
 * an older instance keeps serving during a rolling deploy. Reasons never carry connection
 * details or database messages.
 *
 * @example
 * const state = await checkReadiness(appPool, migrations, 2000);
 * res.status(state.ready ? 200 : 503).json(...);
 */
export async function checkReadiness(pool: pg.Pool, migrations: Migrations, timeoutMs: number): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('readiness check timed out')), timeoutMs);
  });
  try {
    const { rows } = await Promise.race([pool.query<{ name: string }>('select name from kysely_migration'), timeout]);
    const applied = new Set(rows.map((r) => r.name));
    const pending = Object.keys(migrations).filter((name) => !applied.has(name));
    return pending.length ? { ready: false, reason: 'migrations pending', pending } : { ready: true };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && SCHEMA_NOT_READABLE.has(code))
      return { ready: false, reason: 'migrations pending' };
    return { ready: false, reason: 'database unreachable' };
  } finally {
    clearTimeout(timer);
  }
}
