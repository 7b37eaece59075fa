import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * Hands SECURITY DEFINER functions to `tenantql_auth` (the NOLOGIN role whose policies let it read
 * accounts) and grants EXECUTE on each only to the roles listed. Every function is first taken
 * from PUBLIC. Changing a function's owner needs CREATE on its schema, only for that moment; once
 * handed over, only the new owner can grant EXECUTE, so the owner acts as it for that.
 * Signatures are code constants, never input.
 *
 * @example
 * await handToAuthRole(db, { 'app.reactivate_organization(uuid)': ['tenantql_app'] });
 */
export async function handToAuthRole(
  db: Kysely<unknown>,
  functions: Record<string, ('tenantql_app' | 'session_user')[]>,
): Promise<void> {
  const signatures = Object.keys(functions);
  const statements = [
    `revoke execute on function ${signatures.join(', ')} from public`,
    'grant usage, create on schema app to tenantql_auth',
    ...signatures.map((fn) => `alter function ${fn} owner to tenantql_auth`),
    'revoke create on schema app from tenantql_auth',
    'set local role tenantql_auth',
    ...Object.entries(functions)
      .filter(([, grantees]) => grantees.length)
      .map(([fn, grantees]) => `grant execute on function ${fn} to ${grantees.join(', ')}`),
    'reset role',
  ];
  await sql.raw(statements.join(';\n')).execute(db);
}

/**
 * Replaces a function tenantql_auth owns (see handToAuthRole): only its owner may, so the
 * statement runs as tenantql_auth with CREATE on the schema for that moment. Migrations run in
 * a transaction, so `set local role` ends with it.
 *
 * @example
 * await replaceAsAuthRole(db, sql`create or replace function app.invitation_by_token(p_hash text) ...`);
 */
export async function replaceAsAuthRole(db: Kysely<unknown>, statement: RawBuilder<unknown>): Promise<void> {
  await sql`grant create on schema app to tenantql_auth; set local role tenantql_auth`.execute(db);
  await statement.execute(db);
  await sql`reset role; revoke create on schema app from tenantql_auth`.execute(db);
}

/** The parent of a resource table: a composite foreign key (organization_id, column) -> parent (organization_id, id). */
export interface ResourceParent {
  column: string;
  table: string;
  /** `set null` clears only the parent column (the row keeps its organization). */
  onDelete: 'cascade' | 'restrict' | 'set null';
  nullable?: boolean;
  /** The default index is (organization_id, column, created_at, id), the order of a parent's list; false when `indexes` sorts it otherwise. */
  index?: false;
}

/** An extra index: its column list (starting with organization_id), or that with `unique` and a `where` predicate. */
export type ResourceIndex = string | { on: string; unique?: boolean; where?: string };

export interface ResourceTableOptions {
  /** Without a parent, organization_id references organizations (id). */
  parent?: ResourceParent;
  /** Adds unique (organization_id, <parent column>, id), for children's composite foreign keys (sprints, milestones and tasks have one). */
  parentScopedId?: boolean;
  /** Adds deleted_at (a soft delete). */
  softDelete?: boolean;
  /** Domain columns with their column checks, written out as in any migration. */
  columns: RawBuilder<unknown>;
  /** Table constraints (multi-column checks, exclusion constraints, further foreign keys), after the keys. */
  constraints?: RawBuilder<unknown>;
  /** Extra indexes by name; each starts with organization_id (checked). */
  indexes?: Record<string, ResourceIndex>;
}

/**
 * Creates a tenant table with the columns, keys and trigger every tenant table has: organization_id
 * and id (the primary key is both), the parent's composite foreign key and its index, created_at,
 * updated_at, created_by, updated_by (stamped by app.touch), optionally deleted_at. Domain columns,
 * checks, exclusion constraints and rule triggers stay written out by the caller. Last, it checks
 * that every key of the table includes organization_id (assertTenantKeys): a table sharded by
 * organization (Citus) can only enforce keys that do. Names are code constants, never input.
 * Grants, RLS and audit come from the table's policy line, not from here.
 *
 * @example
 * await createResourceTable(db, 'sprints', {
 *   parent: { column: 'project_id', table: 'projects', onDelete: 'cascade' },
 *   parentScopedId: true,
 *   columns: sql`name text not null check (char_length(btrim(name)) between 1 and 255)`,
 *   indexes: { sprints_name_key: { on: '(organization_id, project_id, lower(name))', unique: true } },
 * });
 */
export async function createResourceTable(db: Kysely<unknown>, table: string, o: ResourceTableOptions): Promise<void> {
  const parent = o.parent;
  const parentName = parent?.column.replace(/_id$/, '');
  const onDelete =
    parent?.onDelete === 'set null' ? sql`set null (${sql.ref(parent.column)})` : sql.raw(parent?.onDelete ?? '');
  await sql`
    create table ${sql.table(table)} (
      organization_id uuid not null${parent ? sql`` : sql` references organizations (id)`},
      id uuid not null default gen_random_uuid(),
      ${parent ? sql`${sql.ref(parent.column)} uuid${parent.nullable ? sql`` : sql` not null`},` : sql``}
      ${o.columns},
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      ${o.softDelete ? sql`deleted_at timestamptz,` : sql``}
      primary key (organization_id, id)
      ${parent && o.parentScopedId ? sql`, unique (organization_id, ${sql.ref(parent.column)}, id)` : sql``}
      ${
        parent
          ? sql`, constraint ${sql.id(`${table}_${parentName}_fkey`)} foreign key (organization_id, ${sql.ref(parent.column)})
                references ${sql.table(parent.table)} (organization_id, id) on delete ${onDelete}`
          : sql``
      }
      ${o.constraints ? sql`, ${o.constraints}` : sql``}
    )`.execute(db);
  if (parent && parent.index !== false) {
    await sql`create index ${sql.id(`${table}_${parentName}_idx`)}
              on ${sql.table(table)} (organization_id, ${sql.ref(parent.column)}, created_at, id)`.execute(db);
  }
  for (const [name, index] of Object.entries(o.indexes ?? {})) {
    const { on, unique, where } = typeof index === 'string' ? { on: index } : index;
    if (!/^\(\s*organization_id\s*[,)]/.test(on)) {
      throw new Error(`${table}: index ${name} must start with organization_id, not ${on}`);
    }
    await sql`create ${sql.raw(unique ? 'unique ' : '')}index ${sql.id(name)} on ${sql.table(table)} ${sql.raw(on)}
              ${where ? sql`where ${sql.raw(where)}` : sql``}`.execute(db);
  }
  await sql`create trigger ${sql.id(`${table}_touch`)} before update on ${sql.table(table)}
            for each row execute function app.touch()`.execute(db);
  await assertTenantKeys(db, table);
}

/**
 * Creates the link table of a resource's attachments (`attachments: { table }` in its definition,
 * src/resources/attachments.ts): a document attached to a row of `owner`. One table per owner, so
 * both links are real composite foreign keys (a polymorphic table could have neither), each
 * cascading; a document is attached to a row once (`<table>_key`, mapped to documentId); the
 * owner's list and the document's list each have their index. Its policies come from one
 * `app.attachment_resource(table, owner, column)` line (policies/documents.sql).
 *
 * @example
 * await createAttachmentTable(db, 'project_attachments', { table: 'projects', column: 'project_id' });
 */
export async function createAttachmentTable(
  db: Kysely<unknown>,
  table: string,
  owner: { table: string; column: string },
): Promise<void> {
  await createResourceTable(db, table, {
    parent: { column: owner.column, table: owner.table, onDelete: 'cascade' },
    columns: sql`document_id uuid not null`,
    constraints: sql`
      constraint ${sql.id(`${table}_document_fkey`)} foreign key (organization_id, document_id)
        references documents (organization_id, id) on delete cascade`,
    indexes: {
      [`${table}_key`]: { on: `(organization_id, ${owner.column}, document_id)`, unique: true },
      [`${table}_document_idx`]: '(organization_id, document_id, created_at, id)',
    },
  });
}

/**
 * Throws unless every primary key, unique constraint, unique index and exclusion constraint of the
 * table includes organization_id, naming the ones that do not. Only a plain key column counts: not
 * an expression, nor an INCLUDE column.
 *
 * @example
 * await assertTenantKeys(db, 'sprints'); // throws "sprints: sprints_name_key must include organization_id"
 */
export async function assertTenantKeys(db: Kysely<unknown>, table: string): Promise<void> {
  const keys = await keysWithoutOrganization(db, table);
  if (keys.length) throw new Error(`${table}: ${keys.join(', ')} must include organization_id`);
}

/**
 * The primary keys, unique constraints and indexes and exclusion constraints of a table that leave
 * out organization_id, by name (the catalog's drift guard reads every tenant table with it).
 *
 * @example
 * await keysWithoutOrganization(db, 'users'); // ['users_email_key', 'users_identity_key', 'users_pkey', 'users_username_key']
 */
export async function keysWithoutOrganization(db: Kysely<unknown>, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name
      from pg_index i join pg_class c on c.oid = i.indexrelid
     where i.indrelid = ${table}::regclass and (i.indisunique or i.indisexclusion)
       and not exists (select 1 from unnest(i.indkey::int2[]) with ordinality k (attnum, n)
                         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                        where k.n <= i.indnkeyatts and a.attname = 'organization_id')
     order by 1`.execute(db);
  return rows.map((r) => r.name);
}

/** A permission a migration adds: its key, what it allows, and the built-in roles that hold it. */
export type PermissionGrant = readonly [key: string, description: string, roles: readonly string[]];

/**
 * Adds permissions to the catalog and grants them to built-in roles (src/auth/permissions.ts
 * lists the same keys for TypeScript; a test holds the two equal).
 *
 * @example
 * await addPermissions(db, [['academics:read', 'See academic years', ['owner', 'admin', 'member']]]);
 */
export async function addPermissions(db: Kysely<unknown>, permissions: readonly PermissionGrant[]): Promise<void> {
  await sql`insert into permissions (key, description)
            select * from unnest(${permissions.map(([key]) => key)}::text[],
                                 ${permissions.map(([, description]) => description)}::text[])`.execute(db);
  const grants = permissions.flatMap(([key, , roles]) => roles.map((role) => [role, key] as const));
  await sql`insert into built_in_role_permissions (role, permission)
            select * from unnest(${grants.map(([role]) => role)}::text[], ${grants.map(([, key]) => key)}::text[])`.execute(
    db,
  );
}

/** The `down` of addPermissions. Fails while a custom role still grants one: take it out of those roles first. */
export async function dropPermissions(db: Kysely<unknown>, permissions: readonly PermissionGrant[]): Promise<void> {
  await sql`delete from permissions where key = any(${permissions.map(([key]) => key)}::text[])`.execute(db);
}
