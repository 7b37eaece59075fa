import crypto from 'node:crypto';
import type pg from 'pg';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { createOrganization, createUser, addMember, seedTenantRows } from '../support/factories';
import { withTenant } from '../../src/db/database';
import { sql } from 'kysely';

/** Runs `fn` in a transaction on `pool` acting for an organization (or nobody), then rolls back. */
async function actingAs<T>(
  pool: pg.Pool,
  organizationId: string | null,
  fn: (client: pg.PoolClient) => Promise<T>,
  userId: string | null = null,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(
      "select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true)",
      [organizationId ?? '', userId ?? ''],
    );
    return await fn(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

/** Expects a statement to fail with SQLSTATE 42501 (insufficient privilege / RLS violation). */
async function expectDenied(client: pg.PoolClient, text: string, values: unknown[] = []): Promise<string> {
  await client.query('savepoint attempt');
  try {
    await client.query(text, values);
  } catch (error) {
    await client.query('rollback to savepoint attempt');
    expect((error as { code?: string }).code).toBe('42501');
    return (error as Error).message;
  }
  throw new Error(`expected "${text}" to be denied, but it succeeded`);
}

describe('row-level security', () => {
  let app: pg.Pool;
  let superuser: pg.Pool;
  const db = ownerDb();
  let tenantTables: string[];
  let orgA: string;
  let orgB: string;
  /** The member seedTenantRows adds to each: whom the tenant's rows are read as (a seeded document grant names them). */
  const memberOf: Record<string, string> = {};

  beforeAll(async () => {
    app = testPool('app');
    superuser = testPool('superuser');
    const { rows } = await superuser.query<{ table_name: string }>(`
      select c.table_name from information_schema.columns c
        join information_schema.tables t using (table_schema, table_name)
       where c.table_schema = 'public' and c.column_name = 'organization_id' and t.table_type = 'BASE TABLE'
       order by 1`);
    tenantTables = rows.map((r) => r.table_name);
    orgA = (await createOrganization(db)).id;
    orgB = (await createOrganization(db)).id;
    memberOf[orgA] = (await seedTenantRows(db, orgA)).users!.id;
    memberOf[orgB] = (await seedTenantRows(db, orgB)).users!.id;
  });
  afterAll(closeTestPools);

  it('finds the tenant tables from the catalog', () => {
    expect(tenantTables).toEqual(expect.arrayContaining(['memberships']));
  });

  it('has the app role neither superuser nor BYPASSRLS, owning nothing and outside the owner role', async () => {
    const { rows } = await superuser.query(`
      select r.rolname, r.rolsuper, r.rolbypassrls, r.rolcanlogin,
             pg_has_role(r.rolname, 'tenantql_owner', 'member') as in_owner,
             (select count(*)::int from pg_class c where c.relowner = r.oid) as owns
        from pg_roles r where r.rolname in ('tenantql_app', 'tenantql_owner', 'tenantql_auth') order by 1`);
    expect(rows).toEqual([
      { rolname: 'tenantql_app', rolsuper: false, rolbypassrls: false, rolcanlogin: true, in_owner: false, owns: 0 },
      { rolname: 'tenantql_auth', rolsuper: false, rolbypassrls: false, rolcanlogin: false, in_owner: false, owns: 0 },
      {
        rolname: 'tenantql_owner',
        rolsuper: false,
        rolbypassrls: false,
        rolcanlogin: true,
        in_owner: true,
        owns: expect.any(Number),
      },
    ]);
  });

  it('gives every table ENABLE and FORCE RLS, and every tenant table a tenant_isolation policy for reads and writes', async () => {
    const { rows } = await superuser.query<{ relname: string; enabled: boolean; forced: boolean }>(`
      select c.relname, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and c.relname not like 'kysely_%'`);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows)
      expect({ table: row.relname, enabled: row.enabled, forced: row.forced }).toEqual({
        table: row.relname,
        enabled: true,
        forced: true,
      });

    for (const table of tenantTables) {
      const policy = await superuser.query(
        `
        select p.polcmd, pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as check
          from pg_policy p where p.polrelid = $1::regclass and p.polname = 'tenant_isolation'`,
        [table],
      );
      expect({ table, policies: policy.rowCount }).toEqual({ table, policies: 1 });
      const { polcmd, using, check } = policy.rows[0];
      expect(polcmd).toBe('*');
      // Evaluated once per statement: the setting is read in a sub-select, not per row.
      expect(using).toMatch(/organization_id = \(\s*SELECT app\.current_org_id\(\)/i);
      expect(check).toMatch(/organization_id = \(\s*SELECT app\.current_org_id\(\)/i);
    }
  });

  it('keys every tenant table on (organization_id, id) and makes its references to tenant tables composite', async () => {
    for (const table of tenantTables) {
      const pk = await superuser.query(
        `
        select array_agg(a.attname::text order by k.ord) as cols
          from pg_constraint c cross join unnest(c.conkey) with ordinality k(attnum, ord)
          join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
         where c.conrelid = $1::regclass and c.contype = 'p'`,
        [table],
      );
      expect({ table, pk: pk.rows[0].cols }).toEqual({ table, pk: ['organization_id', 'id'] });

      const fks = await superuser.query<{ target: string; cols: string[] }>(
        `
        select c.confrelid::regclass::text as target, array_agg(a.attname::text order by k.ord) as cols
          from pg_constraint c cross join unnest(c.conkey) with ordinality k(attnum, ord)
          join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
         where c.conrelid = $1::regclass and c.contype = 'f' group by c.oid, c.confrelid`,
        [table],
      );
      for (const fk of fks.rows) {
        if (tenantTables.includes(fk.target)) {
          expect({ table, fk: fk.cols[0] }).toEqual({ table, fk: 'organization_id' });
        }
      }
    }
  });

  it('shows nobody any tenant row, organization or user when no tenant is set', async () => {
    await actingAs(app, null, async (client) => {
      for (const table of [...tenantTables, 'organizations', 'users']) {
        const { rows } = await client.query(`select count(*)::int as n from ${table}`);
        expect({ table, rows: rows[0].n }).toEqual({ table, rows: 0 });
      }
    });
  });

  for (const [self, other] of [
    ['A', 'B'],
    ['B', 'A'],
  ] as const) {
    it(`as tenant ${self}, hides, protects and refuses tenant ${other}'s rows in every tenant table`, async () => {
      const ids = { A: orgA, B: orgB };
      const mine = ids[self];
      const theirs = ids[other];
      for (const table of tenantTables) {
        // A row of the other tenant, read as the owner acting for it.
        const sample = await withTenant(db, { organizationId: theirs, userId: null }, (trx) =>
          sql<{ row: Record<string, unknown> }>`select to_jsonb(t) as row from ${sql.table(table)} t limit 1`.execute(
            trx,
          ),
        );
        expect({ table, sampleRows: sample.rows.length }).toEqual({ table, sampleRows: 1 }); // seedTenantRows must fill it
        const theirRow = sample.rows[0]!.row;

        await actingAs(
          app,
          mine,
          async (client) => {
            const visible = await client.query(`select organization_id from ${table}`);
            expect(visible.rowCount).toBeGreaterThan(0);
            expect(new Set(visible.rows.map((r) => r.organization_id))).toEqual(new Set([mine]));
            expect(
              (await client.query(`select count(*)::int as n from ${table} where organization_id = $1`, [theirs]))
                .rows[0].n,
            ).toBe(0);

            // Update through a column the app role may change (if any), then delete.
            const updatable = await client.query<{ attname: string }>(
              `
            select attname from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped
               and has_column_privilege($1, attname, 'UPDATE') limit 1`,
              [table],
            );
            const column = updatable.rows[0]?.attname;
            const update = column
              ? `update ${table} set ${column} = ${column} where organization_id = $1`
              : `update ${table} set organization_id = organization_id where organization_id = $1`;
            if (column) {
              expect({ table, update, touched: (await client.query(update, [theirs])).rowCount }).toEqual({
                table,
                update,
                touched: 0,
              });
            } else {
              await expectDenied(client, update, [theirs]);
            }
            const del = `delete from ${table} where organization_id = $1`;
            if ((await client.query('select has_table_privilege($1, $2) as ok', [table, 'DELETE'])).rows[0].ok) {
              expect({ table, touched: (await client.query(del, [theirs])).rowCount }).toEqual({ table, touched: 0 });
            } else {
              await expectDenied(client, del, [theirs]);
            }

            const copy = { ...theirRow, id: crypto.randomUUID() };
            // Every column but generated ones, which take no values.
            const columns = (
              await client.query<{ list: string }>(
                `
            select string_agg(quote_ident(attname), ', ' order by attnum) as list from pg_attribute
             where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = ''`,
                [table],
              )
            ).rows[0]!.list;
            const message = await expectDenied(
              client,
              `insert into ${table} (${columns}) select ${columns} from jsonb_populate_record(null::${table}, $1::jsonb)`,
              [copy],
            );
            const canInsert = (await client.query('select has_table_privilege($1, $2) as ok', [table, 'INSERT']))
              .rows[0].ok;
            if (canInsert) expect(message).toMatch(/row-level security/);
          },
          memberOf[mine],
        );
      }
    });
  }

  it("lets a tenant see its members' user rows and nobody else's", async () => {
    const insider = await createUser(db);
    const outsider = await createUser(db);
    const colleague = await createUser(db);
    await addMember(db, orgA, insider.id);
    await addMember(db, orgA, colleague.id);
    await addMember(db, orgB, outsider.id);
    // (the people of an organization need users:read, which every built-in role holds)
    await actingAs(
      app,
      orgA,
      async (client) => {
        const { rows } = await client.query('select id from users where id = any($1::uuid[]) order by id', [
          [insider.id, colleague.id, outsider.id],
        ]);
        expect(rows.map((r) => r.id)).toEqual([insider.id, colleague.id].sort());
      },
      colleague.id,
    );
    // A user with no tenant sees only themselves.
    await actingAs(
      app,
      null,
      async (client) => {
        const { rows } = await client.query('select id from users');
        expect(rows.map((r) => r.id)).toEqual([outsider.id]);
      },
      outsider.id,
    );
  });

  it('binds the owner role too: with no tenant set it sees nothing', async () => {
    const owner = testPool('owner', 1);
    await actingAs(owner, null, async (client) => {
      for (const table of [...tenantTables, 'organizations', 'users']) {
        const { rows } = await client.query(`select count(*)::int as n from ${table}`);
        expect({ table, rows: rows[0].n }).toEqual({ table, rows: 0 });
      }
    });
  });

  it('never lets the app role read password hashes', async () => {
    const member = await createUser(db);
    const colleague = await createUser(db);
    await addMember(db, orgA, member.id);
    await addMember(db, orgA, colleague.id);
    await actingAs(
      app,
      orgA,
      async (client) => {
        expect((await client.query('select email from users where id = $1', [member.id])).rowCount).toBe(1);
        await expectDenied(client, 'select password_hash from users');
        await expectDenied(client, 'select * from users');
      },
      colleague.id,
    );
  });

  it('gives sign-in one account and at most the one organization it may enter, nothing more', async () => {
    const org = await createOrganization(db);
    const closed = await createOrganization(db, { is_active: false });
    const user = await createUser(db);
    await addMember(db, org.id, user.id, { joinedAt: new Date(Date.now() - 2 * 86_400_000) });
    await addMember(db, closed.id, user.id, { joinedAt: new Date(Date.now() - 3 * 86_400_000) });
    const pnm = await createUser(db);
    await addMember(db, org.id, pnm.id, { status: 'pnm' });
    const disabled = await createUser(db, { status: 'inactive' });
    await addMember(db, org.id, disabled.id);

    await actingAs(app, null, async (client) => {
      const candidate = (email: string, slug: string | null) =>
        client.query('select * from app.sign_in_candidate($1, $2)', [email, slug]).then((r) => r.rows);
      expect(await candidate(user.email.toUpperCase(), null)).toEqual([
        { user_id: user.id, password_hash: expect.stringMatching(/^\$argon2id\$/), organization_id: org.id },
      ]);
      expect((await candidate(user.email, closed.slug))[0].organization_id).toBeNull();
      expect((await candidate(pnm.email, null))[0].organization_id).toBeNull();
      expect(await candidate(disabled.email, null)).toEqual([]);
      expect(await candidate('nobody@nowhere.test', null)).toEqual([]);
      // and the tables behind it stay closed to the app role itself
      expect((await client.query('select count(*)::int as n from memberships')).rows[0].n).toBe(0);
    });
  });

  it('stamps a sign-in only for a valid session of the caller', async () => {
    const outsider = await createUser(db);
    await actingAs(
      app,
      orgA,
      async (client) => {
        await client.query('select app.record_sign_in()');
      },
      outsider.id,
    );
    const { rows } = await superuser.query('select last_login_at from users where id = $1', [outsider.id]);
    expect(rows[0].last_login_at).toBeNull();
  });

  it('has an index led by organization_id on every tenant table', async () => {
    for (const table of tenantTables) {
      const { rows } = await superuser.query(
        `
        select count(*)::int as n from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
         where i.indrelid = $1::regclass and a.attname = 'organization_id'`,
        [table],
      );
      expect({ table, indexes: rows[0].n > 0 }).toEqual({ table, indexes: true });
    }
  });
});
