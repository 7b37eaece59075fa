import type { Kysely } from 'kysely';
import type pg from 'pg';
import { createKysely, createPool } from '../../src/db/database';
import type { Database } from '../../src/db/schema';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (globalSetup starts PostgreSQL)`);
  return value;
}

export const testUrls = {
  get superuser() {
    return env('TEST_SUPERUSER_URL');
  },
  get owner() {
    return env('TEST_OWNER_URL');
  },
  get app() {
    return env('TEST_APP_URL');
  },
};

/** Pools opened by a test file, closed by `closeTestPools()` in its afterAll. */
const opened: pg.Pool[] = [];

/** A pool for one role; give it its own application name to find its connections in pg_stat_activity. */
export function testPool(role: 'owner' | 'app' | 'superuser', max = 5, applicationName = `jest-${role}`): pg.Pool {
  const pool = createPool(testUrls[role], { max, applicationName });
  opened.push(pool);
  return pool;
}

/** A Kysely over the owner role (RLS applies to it too: use withTenant to act for a tenant). */
export function ownerDb(): Kysely<Database> {
  return createKysely(testPool('owner'));
}

export async function closeTestPools(): Promise<void> {
  await Promise.all(opened.splice(0).map((pool) => pool.end()));
}
