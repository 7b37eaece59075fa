import fs from 'node:fs/promises';
import path from 'node:path';
import { Migrator, NO_MIGRATIONS, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { POLICIES_DIR } from '../paths';

// Migrations run before the Database interface describes the tables they create.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** The migrations by name, in order (db/migrations/index.ts): the caller passes them, so src/db never imports db/. */
export type Migrations = Readonly<Record<string, Migration>>;

export class MigrationFailedError extends Error {
  constructor(
    readonly migrationName: string,
    readonly direction: string,
    readonly reason: unknown,
  ) {
    super(
      `migration ${migrationName} failed (${direction}): ${reason instanceof Error ? reason.message : String(reason)}`,
    );
  }
}

function migrator(db: AnyDb, migrations: Migrations): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

function check(result: MigrationResultSet): string[] {
  const failed = result.results?.find((r) => r.status === 'Error');
  if (result.error) {
    throw new MigrationFailedError(failed?.migrationName ?? '(none)', failed?.direction ?? 'Up', result.error);
  }
  return (result.results ?? [])
    .filter((r) => r.status === 'Success')
    .map((r) => `${r.direction.toLowerCase()} ${r.migrationName}`);
}

/**
 * Runs every pending migration (one transaction), then re-applies the policies (another).
 * Should the policies fail after the migrations committed, the loud error makes the deploy
 * fail, and new tables stay closed meanwhile: the app role gets no grant on a table until its
 * policy file runs. The next migrate re-applies them.
 *
 * @example
 * import { migrations } from '../db/migrations';
 * const ran = await migrateToLatest(ownerDb, migrations); // ['up 2026_11_21_0001_tenancy', ...]
 */
export async function migrateToLatest(db: AnyDb, migrations: Migrations): Promise<string[]> {
  const ran = check(await migrator(db, migrations).migrateToLatest());
  await applyPolicies(db);
  return ran;
}

/** Undoes the newest migration (or all of them with `toZero`). */
export async function rollback(
  db: AnyDb,
  migrations: Migrations,
  options: { toZero?: boolean } = {},
): Promise<string[]> {
  const m = migrator(db, migrations);
  return check(options.toZero ? await m.migrateTo(NO_MIGRATIONS) : await m.migrateDown());
}

/** Names of migrations known to the code but not yet applied to the database. */
export async function pendingMigrations(db: AnyDb, migrations: Migrations): Promise<string[]> {
  const all = await migrator(db, migrations).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}

/**
 * Re-applies every `policies/*.sql` file in one transaction: grants, ENABLE/FORCE RLS and the
 * policies themselves. Each file is idempotent, so this runs after every migrate.
 */
export async function applyPolicies(db: AnyDb, dir: string = POLICIES_DIR): Promise<void> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const texts = await Promise.all(files.map((f) => fs.readFile(path.join(dir, f), 'utf8')));
  await db.transaction().execute(async (trx) => {
    for (const [i, text] of texts.entries()) {
      try {
        await sql.raw(text).execute(trx);
      } catch (error) {
        throw new Error(`policies/${files[i]} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  });
}
