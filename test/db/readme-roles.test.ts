import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createKysely, createPool } from '../../src/db/database';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../db/migrations';
import { PROJECT_ROOT } from '../../src/paths';

/** The README's SQL for an existing PostgreSQL, as an operator would paste it. */
function readmeRoleSql(): string {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Running against an existing PostgreSQL'));
  const block = /```sql\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('no sql block in the README section "Running against an existing PostgreSQL"');
  return block;
}

/** The statements one by one, as psql sends them (create database refuses a transaction block). */
function statements(sql: string): string[] {
  const result: string[] = [];
  let current = '';
  let dollarQuoted = false;
  for (const line of sql.split('\n')) {
    if (!dollarQuoted && /^\s*--/.test(line)) continue;
    current += `${line}\n`;
    if ((line.match(/\$\$/g) ?? []).length % 2 === 1) dollarQuoted = !dollarQuoted;
    if (!dollarQuoted && /;\s*$/.test(line)) {
      result.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) throw new Error(`an unfinished statement: ${current}`);
  return result;
}

/** PostgreSQL 15 from the Debian package, when installed: the README promises 15 or newer. */
const POSTGRES_15 = '/usr/lib/postgresql/15/bin';
const versions: [string, string | undefined][] = [['the embedded PostgreSQL', undefined]];
if (fs.existsSync(path.join(POSTGRES_15, 'postgres'))) versions.push(['PostgreSQL 15', POSTGRES_15]);
else
  console.warn(
    `PostgreSQL 15 is not installed (${POSTGRES_15}): the README's role SQL is tested on the embedded PostgreSQL only`,
  );

/**
 * The roles are cluster-wide and the test cluster has them already: the README's SQL runs, as
 * written, on a cluster of its own, and then the owner migrates and the app role serves.
 */
describe.each(versions)("the README's role SQL on %s", (_name, bin) => {
  const dir = path.join(PROJECT_ROOT, '.data', `readme-roles-${process.pid}-${bin ? 'bin' : 'embedded'}`);
  let cluster: EmbeddedPostgres;

  beforeAll(async () => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
    cluster = await startEmbeddedPostgres({
      dir: path.join(dir, 'pg'),
      port: await freePort(),
      superuserPassword: 'readme-superuser',
      fast: true,
      bin,
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    if (cluster) fs.rmSync(cluster.dir, { recursive: true, force: true });
  });

  it('runs as written, and then the owner migrates and the app role serves under RLS', async () => {
    const superuser = new pg.Client({ connectionString: cluster.superuserUrl('postgres') });
    await superuser.connect();
    try {
      for (const statement of statements(readmeRoleSql())) await superuser.query(statement);
    } finally {
      await superuser.end();
    }
    const url = (role: string, password: string) => `postgres://${role}:${password}@127.0.0.1:${cluster.port}/tenantql`;
    const owner = createKysely(
      createPool(url('tenantql_owner', 'change-me'), { max: 1, applicationName: 'jest-readme' }),
    );
    try {
      await migrateToLatest(owner, migrations);
    } finally {
      await owner.destroy();
    }
    const app = new pg.Client({ connectionString: url('tenantql_app', 'change-me-too') });
    await app.connect();
    try {
      const role = await app.query('select rolsuper, rolbypassrls from pg_roles where rolname = current_user');
      expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
      // Policies applied: the app role reads no organization without a tenant set, and may not create tables.
      expect((await app.query('select count(*)::int as n from organizations')).rows[0].n).toBe(0);
      await expect(app.query('create table intruder (id int)')).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  }, 120_000);
});
