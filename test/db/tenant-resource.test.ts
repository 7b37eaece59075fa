import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { closeTestPools, testPool } from '../support/db';

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

describe('the catalog the policies leave on tenant tables', () => {
  const superuser = testPool('superuser', 1);
  afterAll(closeTestPools);

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
