import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createKysely, createPool } from '../../src/db/database';
import {
  applyPolicies,
  migrateToLatest,
  pendingMigrations,
  rollback,
  MigrationFailedError,
} from '../../src/db/migrate';
import { POLICIES_DIR } from '../../src/paths';
import { migrations } from '../../db/migrations';
import { createScratchDatabase } from '../support/scratch-database';

describe('migrations', () => {
  it('run up, down to zero, and up again, leaving nothing behind in between', async () => {
    const scratch = await createScratchDatabase();
    const db = createKysely(createPool(scratch.ownerUrl, { max: 1, applicationName: 'jest-migrations' }));
    try {
      const objects = async () =>
        (
          await sql<{ n: number }>`
        select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname in ('public', 'app') and c.relname not like 'kysely_%')::int
             + (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'app')::int
             + (select count(*) from pg_namespace where nspname = 'app')::int as n`.execute(db)
        ).rows[0]!.n;

      expect(await objects()).toBe(0);
      const names = Object.keys(migrations);
      expect(await migrateToLatest(db, migrations)).toEqual(names.map((n) => `up ${n}`));
      expect(await pendingMigrations(db, migrations)).toEqual([]);
      const created = await objects();
      expect(created).toBeGreaterThan(10);

      expect(await rollback(db, migrations, { toZero: true })).toEqual([...names].reverse().map((n) => `down ${n}`));
      expect(await objects()).toBe(0);
      expect(await pendingMigrations(db, migrations)).toEqual(names);

      expect(await migrateToLatest(db, migrations)).toEqual(names.map((n) => `up ${n}`));
      expect(await objects()).toBe(created);
      // Policies are idempotent: applying them again changes nothing and does not fail.
      expect(await migrateToLatest(db, migrations)).toEqual([]);
      expect(await objects()).toBe(created);
    } finally {
      await db.destroy();
      await scratch.drop();
    }
  });

  it('names the failing migration and applies none of it', async () => {
    const scratch = await createScratchDatabase();
    const db = createKysely(createPool(scratch.ownerUrl, { max: 1, applicationName: 'jest-migrations' }));
    try {
      await sql`create schema app`.execute(db); // makes the first migration collide
      const failure = await migrateToLatest(db, migrations).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MigrationFailedError);
      expect((failure as MigrationFailedError).migrationName).toBe(Object.keys(migrations)[0]);
      expect((failure as Error).message).toMatch(/schema "app" already exists/);
      const tables = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_tables where schemaname = 'public' and tablename not like 'kysely_%'`.execute(
        db,
      );
      expect(tables.rows[0]!.n).toBe(0);
    } finally {
      await db.destroy();
      await scratch.drop();
    }
  });

  it('applies the policy files all or nothing, naming the one that fails', async () => {
    const scratch = await createScratchDatabase();
    const db = createKysely(createPool(scratch.ownerUrl, { max: 1, applicationName: 'jest-migrations' }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policies-'));
    try {
      await migrateToLatest(db, migrations);
      await sql`alter table memberships disable row level security`.execute(db);
      fs.copyFileSync(path.join(POLICIES_DIR, 'tenancy.sql'), path.join(dir, 'a-tenancy.sql'));
      fs.writeFileSync(path.join(dir, 'b-broken.sql'), 'alter table no_such_table enable row level security;');
      await expect(applyPolicies(db, dir)).rejects.toThrow(
        /policies\/b-broken\.sql failed: relation "no_such_table" does not exist/,
      );
      // the good file ran in the same transaction, so it was rolled back too
      const { rows } = await sql<{
        on: boolean;
      }>`select relrowsecurity as on from pg_class where oid = 'memberships'::regclass`.execute(db);
      expect(rows[0]!.on).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await db.destroy();
      await scratch.drop();
    }
  });
});
