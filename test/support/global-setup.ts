import fs from 'node:fs';
import path from 'node:path';
import 'reflect-metadata';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded';
import { bootstrapDatabase, roleUrl, ROLES } from '../../src/db/bootstrap';
import { createKysely, createPool } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../db/migrations';
import { seedDemoData } from '../../db/seed/demo';
import { buildGraphiql } from '../../scripts/build-graphiql';

declare global {
  var __TENANTQL_PG__: { server: EmbeddedPostgres; dir: string } | undefined;
}

/**
 * One embedded PostgreSQL for the whole run: roles, database, migrations, policies and the
 * demo data, exactly as `npm start` makes them. Tests get the URLs through the environment
 * and make their own organizations for anything they change.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  // Leftovers of runs that were killed (their process is gone) are removed first.
  for (const entry of fs.existsSync(path.join(root, '.data')) ? fs.readdirSync(path.join(root, '.data')) : []) {
    const pid = /^test-(\d+)$/.exec(entry)?.[1];
    if (pid && !isAlive(Number(pid))) fs.rmSync(path.join(root, '.data', entry), { recursive: true, force: true });
  }
  // GraphiQL's assets, built while the database starts (esbuild runs in its own process); skipped when current.
  const graphiqlBuilt = buildGraphiql().then(
    () => undefined,
    (error: unknown) => error,
  );
  const dir = path.join(root, '.data', `test-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  const server = await startEmbeddedPostgres({
    dir: path.join(dir, 'pg'),
    port: await freePort(),
    superuserPassword: 'test-superuser',
    fast: true,
  });
  globalThis.__TENANTQL_PG__ = { server, dir };

  try {
    const superuserUrl = server.superuserUrl('postgres');
    await bootstrapDatabase({
      superuserUrl,
      database: 'tenantql_test',
      ownerPassword: 'test-owner',
      appPassword: 'test-app',
    });
    const ownerUrl = roleUrl(superuserUrl, ROLES.owner, 'test-owner', 'tenantql_test');
    const db = createKysely(createPool(ownerUrl, { max: 2, applicationName: 'jest-setup' }));
    try {
      await migrateToLatest(db, migrations);
      await seedDemoData(db);
    } finally {
      await db.destroy();
    }
    const graphiqlFailed = await graphiqlBuilt;
    if (graphiqlFailed) throw graphiqlFailed;
    process.env.TEST_OWNER_URL = ownerUrl;
    process.env.TEST_APP_URL = roleUrl(superuserUrl, ROLES.app, 'test-app', 'tenantql_test');
  } catch (error) {
    // jest skips globalTeardown when setup fails: clean up here.
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(server.dir, { recursive: true, force: true });
    throw error;
  }
  process.env.TEST_SUPERUSER_URL = server.superuserUrl('tenantql_test');
}
