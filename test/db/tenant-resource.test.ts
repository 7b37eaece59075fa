import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { createOrganization } from '../support/factories';

/**
 * What policies/*.sql leave in the catalog for every tenant table (a public table with
 * organization_id): grants on the table and on each column, ENABLE/FORCE row-level security,
 * every policy as PostgreSQL prints it, and the audit trigger. The snapshot is committed in
 * test/fixtures/tenant-catalog.json, so a change to what the policies grant or enforce shows up as
 * a diff in review, never silently. After a deliberate change, regenerate it and name the
 * differences in the commit:
 *
 *   UPDATE_TENANT_CATALOG=1 npx jest test/db/tenant-resource.test.ts
 */

const FIXTURE = path.join(__dirname, '../fixtures/tenant-catalog.json');

interface TableCatalog {
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  /** "grantee privilege", plus " (by grantor)" when the owner did not grant it. */
  grants: string[];
  /** Column grants, by column. */
  columnGrants: Record<string, string[]>;
  policies: {
    name: string;
    command: string;
    roles: string[];
    permissive: boolean;
    using: string | null;
    check: string | null;
  }[];
  /** pg_get_triggerdef of the trigger named audit, or null. */
  audit: string | null;
}

/** The catalog state of the given tables (default: every public table with organization_id), by table. */
async function tenantCatalog(
  client: pg.Pool | pg.PoolClient,
  tables?: string[],
): Promise<Record<string, TableCatalog>> {
  const { rows } = await client.query<{ table: string } & TableCatalog>(
    `
    with acl as (
      select c.oid, null::text as col, 0 as attnum, a.grantee, a.grantor, a.privilege_type, a.is_grantable, c.relowner
        from pg_class c cross join aclexplode(c.relacl) a
      union all
      select c.oid, att.attname::text, att.attnum, a.grantee, a.grantor, a.privilege_type, a.is_grantable, c.relowner
        from pg_class c join pg_attribute att on att.attrelid = c.oid and att.attnum > 0 and not att.attisdropped
             cross join aclexplode(att.attacl) a
    ), grants as (
      select oid, col, attnum,
             format('%s %s%s%s', case when grantee = 0 then 'public' else pg_get_userbyid(grantee) end, privilege_type,
                    case when is_grantable then ' with grant option' end,
                    case when grantor <> relowner then format(' (by %s)', pg_get_userbyid(grantor)) end) as grant
        from acl
    )
    select c.relname as table, c.relrowsecurity as "rowSecurity", c.relforcerowsecurity as "forceRowSecurity",
           coalesce((select json_agg(g.grant order by g.grant) from grants g where g.oid = c.oid and g.col is null),
                    '[]') as grants,
           coalesce((select json_object_agg(col, list order by attnum)
                       from (select g.col, g.attnum, json_agg(g.grant order by g.grant) as list
                               from grants g where g.oid = c.oid and g.col is not null group by g.col, g.attnum) per_column),
                    '{}') as "columnGrants",
           coalesce((select json_agg(json_build_object(
                              'name', p.polname,
                              'command', case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                                                       when 'd' then 'delete' else 'all' end,
                              'roles', (select json_agg(case when r = 0 then 'public' else pg_get_userbyid(r) end
                                                         order by case when r = 0 then 'public' else pg_get_userbyid(r) end)
                                          from unnest(p.polroles) r),
                              'permissive', p.polpermissive,
                              'using', pg_get_expr(p.polqual, p.polrelid),
                              'check', pg_get_expr(p.polwithcheck, p.polrelid)) order by p.polname)
                       from pg_policy p where p.polrelid = c.oid), '[]') as policies,
           (select pg_get_triggerdef(t.oid) from pg_trigger t where t.tgrelid = c.oid and t.tgname = 'audit') as audit
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p')
       and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped)
       and ($1::text[] is null or c.relname = any ($1::text[]))
     order by c.relname`,
    [tables ?? null],
  );
  return Object.fromEntries(rows.map(({ table, ...catalog }) => [table, catalog]));
}

const superuser = testPool('superuser', 1);
const owner = testPool('owner', 2);
const db = ownerDb();
afterAll(closeTestPools);

describe('the catalog the policies leave on tenant tables', () => {
  it('equals the committed snapshot (test/fixtures/tenant-catalog.json)', async () => {
    const catalog = await tenantCatalog(superuser);
    expect(Object.keys(catalog)).toEqual(expect.arrayContaining(['memberships', 'sprints', 'teams']));
    if (process.env.UPDATE_TENANT_CATALOG === '1') {
      fs.mkdirSync(path.dirname(FIXTURE), { recursive: true });
      fs.writeFileSync(FIXTURE, JSON.stringify(catalog));
      // Formatted as lint wants it (prettier's API needs ES module support jest lacks: its CLI, then).
      execFileSync(process.execPath, [
        require.resolve('prettier/bin/prettier.cjs'),
        '--write',
        '--log-level',
        'warn',
        FIXTURE,
      ]);
    }
    expect(catalog).toEqual(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
  });
});

/**
 * `app.tenant_resource` (migration 0022) on scratch tables, created by the owner inside a
 * transaction that is rolled back: nothing is ever visible to other sessions or other tests.
 */
describe('app.tenant_resource', () => {
  const ISOLATION = '(organization_id = ( SELECT app.current_org_id() AS current_org_id))';
  const PRIVATE = 'private projects only for their members';

  /** Runs `fn` as the owner in a transaction holding the scratch tables, then rolls it all back. */
  async function withScratch<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await owner.connect();
    try {
      await client.query('begin');
      await client.query(`
        create table scratch_parents (
          organization_id uuid not null, id uuid not null default gen_random_uuid(), primary key (organization_id, id));
        create table scratch_things (
          organization_id uuid not null,
          id uuid not null default gen_random_uuid(),
          project_id uuid,
          parent_id uuid,
          name text not null default '',
          note text,
          secret text,
          primary key (organization_id, id),
          foreign key (organization_id, parent_id) references scratch_parents (organization_id, id));`);
      return await fn(client);
    } finally {
      await client.query('rollback');
      client.release();
    }
  }

  const call = (client: pg.PoolClient, options: object = {}, table = 'scratch_things') =>
    client.query('select app.tenant_resource($1::regclass, $2, $3)', [table, 'scratch_thing', JSON.stringify(options)]);
  const catalogOf = async (client: pg.PoolClient, table = 'scratch_things') =>
    (await tenantCatalog(client, [table]))[table]!;
  const appGrants = (grants: string[]) => grants.filter((g) => g.startsWith('tenantql_app '));
  const updatable = (catalog: TableCatalog) =>
    Object.entries(catalog.columnGrants)
      .filter(([, grants]) => grants.includes('tenantql_app UPDATE'))
      .map(([column]) => column);

  it('turns on ENABLE and FORCE row-level security with the tenant_isolation policy, which binds the owner too', async () => {
    const organizationId = (await createOrganization(db)).id;
    await withScratch(async (client) => {
      await call(client);
      const catalog = await catalogOf(client);
      expect([catalog.rowSecurity, catalog.forceRowSecurity]).toEqual([true, true]);
      expect(catalog.policies).toEqual([
        {
          name: 'tenant_isolation',
          command: 'all',
          roles: ['public'],
          permissive: true,
          using: ISOLATION,
          check: ISOLATION,
        },
      ]);
      await client.query("select set_config('app.current_org_id', $1, true)", [organizationId]);
      await client.query('savepoint other_tenant');
      await expect(
        client.query('insert into scratch_things (organization_id) values (gen_random_uuid())'),
      ).rejects.toMatchObject({ code: '42501' });
      await client.query('rollback to savepoint other_tenant');
      await client.query('insert into scratch_things (organization_id) values ($1)', [organizationId]);
      expect((await client.query('select count(*)::int as n from scratch_things')).rows[0].n).toBe(1);
    });
  });

  it('grants select and insert, and update of the listed columns only', async () => {
    await withScratch(async (client) => {
      await call(client, { update: ['name', 'note'] });
      const catalog = await catalogOf(client);
      expect(appGrants(catalog.grants)).toEqual(['tenantql_app INSERT', 'tenantql_app SELECT']);
      expect(updatable(catalog)).toEqual(['name', 'note']);
      await call(client);
      expect(updatable(await catalogOf(client))).toEqual([]);
    });
  });

  it('grants delete only when asked', async () => {
    await withScratch(async (client) => {
      await call(client, { delete: false });
      expect(appGrants((await catalogOf(client)).grants)).not.toContain('tenantql_app DELETE');
      await call(client, { delete: true });
      expect(appGrants((await catalogOf(client)).grants)).toEqual([
        'tenantql_app DELETE',
        'tenantql_app INSERT',
        'tenantql_app SELECT',
      ]);
    });
  });

  it('installs the audit trigger, with the audit options given, and it records a write', async () => {
    const organizationId = (await createOrganization(db)).id;
    await withScratch(async (client) => {
      await call(client, { audit: { redact: ['secret'], ignore: ['note'] } });
      expect((await catalogOf(client)).audit).toBe(
        'CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON public.scratch_things FOR EACH ROW EXECUTE FUNCTION ' +
          "app.audit_row('scratch_thing', 'organization_id', '{secret}', '{note}', '', 'info')",
      );
      await client.query("select set_config('app.current_org_id', $1, true)", [organizationId]);
      await client.query("insert into scratch_things (organization_id, name, secret) values ($1, 'a', 's')", [
        organizationId,
      ]);
      const { rows } = await client.query(
        "select action, changes from audit_log where organization_id = $1 and resource_type = 'scratch_thing'",
        [organizationId],
      );
      expect(rows).toEqual([
        {
          action: 'scratch_thing.create',
          changes: { after: expect.objectContaining({ name: 'a', secret: '[redacted]' }) },
        },
      ]);
    });
  });

  it('adds the private-project policy through project_id or the parent row, and drops it without follows', async () => {
    await withScratch(async (client) => {
      await call(client);
      expect((await catalogOf(client)).policies.map((p) => p.name)).toEqual(['tenant_isolation']);

      await call(client, { follows: 'project' });
      expect((await catalogOf(client)).policies.find((p) => p.name === PRIVATE)).toEqual({
        name: PRIVATE,
        command: 'all',
        roles: ['tenantql_app'],
        permissive: false,
        using: '(project_id <> ALL (( SELECT app.hidden_project_ids() AS hidden_project_ids)::uuid[]))',
        check: null,
      });

      await call(client, { follows: 'scratch_parents', followsColumn: 'parent_id' });
      expect((await catalogOf(client)).policies.find((p) => p.name === PRIVATE)).toMatchObject({
        roles: ['tenantql_app'],
        permissive: false,
        using:
          '(EXISTS ( SELECT 1\n   FROM scratch_parents parent\n' +
          '  WHERE ((parent.organization_id = scratch_things.organization_id) AND (parent.id = scratch_things.parent_id))))',
      });

      await call(client);
      expect((await catalogOf(client)).policies.map((p) => p.name)).toEqual(['tenant_isolation']);
    });
  });

  it('changes nothing when run twice, and a run with other options leaves only what they say', async () => {
    await withScratch(async (client) => {
      const full = { delete: true, update: ['name', 'note'], follows: 'project', audit: { redact: ['secret'] } };
      await call(client, full);
      const once = await catalogOf(client);
      await call(client, full);
      expect(await catalogOf(client)).toEqual(once);

      // The same table given plain options equals a fresh table given them once.
      await call(client, {});
      const narrowed = await catalogOf(client);
      await call(client, {}, 'scratch_parents');
      const fresh = await catalogOf(client, 'scratch_parents');
      expect({ ...narrowed, columnGrants: {}, audit: null }).toEqual({ ...fresh, columnGrants: {}, audit: null });
      expect(narrowed.columnGrants).toEqual({});
      expect(narrowed.audit).toBe(fresh.audit!.replace('scratch_parents', 'scratch_things'));
    });
  });

  it('refuses unknown or mistyped options, naming them', async () => {
    await withScratch(async (client) => {
      const refusal = async (options: object) => {
        await client.query('savepoint attempt');
        try {
          await call(client, options);
          throw new Error(`expected ${JSON.stringify(options)} to be refused`);
        } catch (error) {
          await client.query('rollback to savepoint attempt');
          return (error as Error).message;
        }
      };
      expect(await refusal({ updates: ['name'], delet: true })).toBe(
        'app.tenant_resource(public.scratch_things): unknown option delet, updates',
      );
      expect(await refusal({ delete: 'yes' })).toMatch(/"delete" must be true or false/);
      expect(await refusal({ update: 'name' })).toMatch(/"update" must be a list of columns/);
      expect(await refusal({ audit: ['secret'] })).toMatch(/"audit" must be an object/);
      expect(await refusal({ follows: 'scratch_parents' })).toMatch(
        /"follows": "scratch_parents" needs "followsColumn"/,
      );
      expect(await refusal({ update: ['no_such_column'] })).toMatch(/column "no_such_column" .*does not exist/);
    });
  });

  it('may be run by the owner only', async () => {
    const { rows } = await owner.query(
      `select r.rolname, has_function_privilege(r.rolname, 'app.tenant_resource(regclass, text, jsonb)', 'execute') as may
         from pg_roles r where r.rolname in ('tenantql_app', 'tenantql_auth', 'tenantql_owner') order by 1`,
    );
    expect(rows).toEqual([
      { rolname: 'tenantql_app', may: false },
      { rolname: 'tenantql_auth', may: false },
      { rolname: 'tenantql_owner', may: true },
    ]);
  });
});
