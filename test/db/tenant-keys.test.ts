import { sql, type Kysely } from 'kysely';
import { closeTestPools, ownerDb } from '../support/db';
import { assertTenantKeys, createResourceTable, keysWithoutOrganization } from '../../db/migrations/helpers';

/**
 * Every key of a tenant table includes organization_id (issue 15): what a table sharded by
 * organization can enforce, and what keeps one tenant's rows from being found by another's key.
 * New tables get their standard columns and keys from createResourceTable.
 */
describe('tenant keys', () => {
  const db = ownerDb();
  afterAll(closeTestPools);

  /** Runs `fn` on one connection inside a transaction that is rolled back: other test files never see its tables. */
  async function rolledBack(fn: (conn: Kysely<unknown>) => Promise<void>): Promise<void> {
    await db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      try {
        await fn(conn as Kysely<unknown>);
      } finally {
        await sql`rollback`.execute(conn);
      }
    });
  }

  const catalog = async (conn: Kysely<unknown>, table: string) => {
    const columns = await sql<{ name: string; type: string; not_null: boolean; default: string | null }>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
             pg_get_expr(d.adbin, d.adrelid) as default
        from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
       where a.attrelid = ${table}::regclass and a.attnum > 0 and not a.attisdropped
       order by a.attnum`.execute(conn);
    const constraints = await sql<{ name: string; definition: string }>`
      select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
       where conrelid = ${table}::regclass and contype in ('p', 'u', 'f', 'x') order by 1`.execute(conn);
    const indexes = await sql<{ name: string; definition: string }>`
      select indexname as name, indexdef as definition from pg_indexes
       where schemaname = 'public' and tablename = ${table} order by 1`.execute(conn);
    const triggers = await sql<{ name: string; fn: string; timing: string }>`
      select t.tgname as name, t.tgfoid::regprocedure::text as fn,
             case when t.tgtype & 2 = 2 then 'before' else 'after' end ||
             case when t.tgtype & 1 = 1 then ' row' else ' statement' end ||
             case when t.tgtype & 16 = 16 then ' update' else '' end as timing
        from pg_trigger t where t.tgrelid = ${table}::regclass and not t.tgisinternal order by 1`.execute(conn);
    return {
      columns: columns.rows,
      constraints: Object.fromEntries(constraints.rows.map((r) => [r.name, r.definition])),
      indexes: Object.fromEntries(indexes.rows.map((r) => [r.name, r.definition])),
      triggers: triggers.rows,
    };
  };

  it('createResourceTable makes the standard columns, the keys with organization_id, the parent key and index and the touch trigger', async () => {
    await rolledBack(async (conn) => {
      await createResourceTable(conn, 'scratch_boards', {
        columns: sql`name text not null check (char_length(btrim(name)) between 1 and 255)`,
        indexes: { scratch_boards_name_key: { on: '(organization_id, lower(name))', unique: true } },
      });
      await createResourceTable(conn, 'scratch_cards', {
        parent: { column: 'board_id', table: 'scratch_boards', onDelete: 'cascade' },
        parentScopedId: true,
        softDelete: true,
        columns: sql`title text not null, due_date date`,
        constraints: sql`constraint scratch_cards_title_check check (title <> '')`,
        indexes: {
          scratch_cards_due_idx: '(organization_id, due_date, id)',
          scratch_cards_title_key: {
            on: '(organization_id, board_id, title)',
            unique: true,
            where: 'deleted_at is null',
          },
        },
      });

      const boards = await catalog(conn, 'scratch_boards');
      expect(boards.constraints).toEqual({
        scratch_boards_organization_id_fkey: 'FOREIGN KEY (organization_id) REFERENCES organizations(id)',
        scratch_boards_pkey: 'PRIMARY KEY (organization_id, id)',
      });
      expect(boards.indexes.scratch_boards_name_key).toBe(
        'CREATE UNIQUE INDEX scratch_boards_name_key ON public.scratch_boards USING btree (organization_id, lower(name))',
      );

      const cards = await catalog(conn, 'scratch_cards');
      expect(cards.columns).toEqual([
        { name: 'organization_id', type: 'uuid', not_null: true, default: null },
        { name: 'id', type: 'uuid', not_null: true, default: 'gen_random_uuid()' },
        { name: 'board_id', type: 'uuid', not_null: true, default: null },
        { name: 'title', type: 'text', not_null: true, default: null },
        { name: 'due_date', type: 'date', not_null: false, default: null },
        { name: 'created_at', type: 'timestamp with time zone', not_null: true, default: 'now()' },
        { name: 'updated_at', type: 'timestamp with time zone', not_null: true, default: 'now()' },
        { name: 'created_by', type: 'uuid', not_null: false, default: 'app.current_user_id()' },
        { name: 'updated_by', type: 'uuid', not_null: false, default: 'app.current_user_id()' },
        { name: 'deleted_at', type: 'timestamp with time zone', not_null: false, default: null },
      ]);
      expect(cards.constraints).toEqual({
        scratch_cards_board_fkey:
          'FOREIGN KEY (organization_id, board_id) REFERENCES scratch_boards(organization_id, id) ON DELETE CASCADE',
        scratch_cards_organization_id_board_id_id_key: 'UNIQUE (organization_id, board_id, id)',
        scratch_cards_pkey: 'PRIMARY KEY (organization_id, id)',
      });
      expect(cards.indexes).toEqual({
        scratch_cards_board_idx:
          'CREATE INDEX scratch_cards_board_idx ON public.scratch_cards USING btree (organization_id, board_id, created_at, id)',
        scratch_cards_due_idx:
          'CREATE INDEX scratch_cards_due_idx ON public.scratch_cards USING btree (organization_id, due_date, id)',
        scratch_cards_organization_id_board_id_id_key:
          'CREATE UNIQUE INDEX scratch_cards_organization_id_board_id_id_key ON public.scratch_cards USING btree (organization_id, board_id, id)',
        scratch_cards_pkey:
          'CREATE UNIQUE INDEX scratch_cards_pkey ON public.scratch_cards USING btree (organization_id, id)',
        scratch_cards_title_key:
          'CREATE UNIQUE INDEX scratch_cards_title_key ON public.scratch_cards USING btree (organization_id, board_id, title) WHERE (deleted_at IS NULL)',
      });
      // The project's touch trigger, the one every existing table has (migration 0001).
      expect(cards.triggers).toEqual([{ name: 'scratch_cards_touch', fn: 'app.touch()', timing: 'before row update' }]);
      expect(boards.triggers).toEqual([
        { name: 'scratch_boards_touch', fn: 'app.touch()', timing: 'before row update' },
      ]);
    });
  });

  it('createResourceTable takes a nullable parent that a delete clears, and no parent index when told', async () => {
    await rolledBack(async (conn) => {
      await createResourceTable(conn, 'scratch_boards', { columns: sql`name text not null` });
      await createResourceTable(conn, 'scratch_cards', {
        parent: { column: 'board_id', table: 'scratch_boards', onDelete: 'set null', nullable: true, index: false },
        columns: sql`title text not null`,
      });
      const cards = await catalog(conn, 'scratch_cards');
      expect(cards.columns.find((c) => c.name === 'board_id')).toMatchObject({ not_null: false });
      expect(cards.constraints.scratch_cards_board_fkey).toBe(
        'FOREIGN KEY (organization_id, board_id) REFERENCES scratch_boards(organization_id, id) ON DELETE SET NULL (board_id)',
      );
      expect(Object.keys(cards.indexes)).toEqual(['scratch_cards_pkey']);
    });
  });

  it('createResourceTable refuses an extra index that does not start with organization_id, before creating it', async () => {
    await rolledBack(async (conn) => {
      await expect(
        createResourceTable(conn, 'scratch_boards', {
          columns: sql`name text not null`,
          indexes: { scratch_boards_name_idx: '(name, organization_id)' },
        }),
      ).rejects.toThrow(
        'scratch_boards: index scratch_boards_name_idx must start with organization_id, not (name, organization_id)',
      );
      expect(await keysWithoutOrganization(conn, 'scratch_boards')).toEqual([]);
      const { rows } = await sql`select 1 from pg_indexes where indexname = 'scratch_boards_name_idx'`.execute(conn);
      expect(rows).toEqual([]);
    });
  });

  it('assertTenantKeys names every unique key, unique index and exclusion constraint that leaves out organization_id', async () => {
    await rolledBack(async (conn) => {
      // A key the helper's own options cannot express, added in `constraints`: it is still caught.
      await expect(
        createResourceTable(conn, 'scratch_boards', {
          columns: sql`name text not null, code text not null`,
          constraints: sql`constraint scratch_boards_code_key unique (code)`,
        }),
      ).rejects.toThrow('scratch_boards: scratch_boards_code_key must include organization_id');

      await sql`
        create table scratch_global (
          organization_id uuid not null, id uuid not null, token_hash text not null, during tstzrange,
          primary key (organization_id, id),
          constraint scratch_global_no_overlap exclude using gist (during with &&)
        );
        create unique index scratch_global_hash_key on scratch_global (token_hash);
        create unique index scratch_global_included_key on scratch_global (token_hash) include (organization_id);
        create unique index scratch_global_expression_key on scratch_global ((organization_id::text || token_hash));
        create unique index scratch_global_scoped_key on scratch_global (organization_id, token_hash);`.execute(conn);
      await expect(assertTenantKeys(conn, 'scratch_global')).rejects.toThrow(
        'scratch_global: scratch_global_expression_key, scratch_global_hash_key, scratch_global_included_key, scratch_global_no_overlap must include organization_id',
      );
      await sql`drop table scratch_global`.execute(conn);

      await sql`create table scratch_global (organization_id uuid not null, id uuid primary key)`.execute(conn);
      await expect(assertTenantKeys(conn, 'scratch_global')).rejects.toThrow(
        'scratch_global: scratch_global_pkey must include organization_id',
      );
    });
  });

  // The drift guard: the catalog, not a list, says which tables are tenant tables.
  it('every primary key, unique constraint, unique index and exclusion constraint of every tenant table includes organization_id', async () => {
    const { rows: tables } = await sql<{ table: string }>`
      select c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p')
         and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped)
       order by 1`.execute(db);
    expect(tables.length).toBeGreaterThan(10);
    const offending: Record<string, string[]> = {};
    for (const { table } of tables) {
      const keys = await keysWithoutOrganization(db as unknown as Kysely<unknown>, table);
      if (keys.length) offending[table] = keys;
    }
    expect(offending).toEqual({});
  });
});
