import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/** The permission that registers, deprecates and deletes an organization's operations, and who holds it. */
export const OPERATION_PERMISSIONS: [key: string, description: string, roles: string[]][] = [
  [
    'operations:manage',
    'Register, deprecate and delete the organization’s own operations (only what one could run oneself)',
    ['owner', 'admin'],
  ],
];

/**
 * Operations registered per organization (issue 14, item 4): a partner adds the operations its
 * API keys run without a change to the server. Each is versioned per client and name (the
 * database numbers the versions), keyed by the same hash as APQ and the manifest (computed here
 * from the text, so it cannot disagree with it), deprecatable, and deleted softly so a version
 * number is never handed out twice.
 *
 * `app.authenticate_api_key_for(key hash, document hash)` resolves a key and, in the same
 * statement, the live registered operation of that hash in the key's organization: running a
 * registered operation costs no statement beyond the key check every API-key request makes.
 * It also says whether the key has the read-only ad-hoc scope (`api_keys.ad_hoc_reads`, off by
 * default): such a key may send queries of its own (for BI tools), never mutations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The hash of APQ and the manifest: sha256 of the text's UTF-8. Immutable: a database's
    -- encoding never changes (convert_to alone is only stable).
    create function app.document_hash(p_document text) returns text
      language sql immutable parallel safe set search_path = ''
      as $$ select pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_document, 'UTF8')), 'hex') $$;

    alter table api_keys add column ad_hoc_reads boolean not null default false;
    comment on column api_keys.ad_hoc_reads is 'The key may send query documents of its own (read-only, the usual limits); off by default';

    create table registered_operations (
      organization_id uuid not null references organizations (id),
      id uuid not null default gen_random_uuid(),
      client_name text not null check (client_name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
      name text not null check (name ~ '^[_A-Za-z][_0-9A-Za-z]{0,99}$'),
      version integer not null check (version > 0),
      operation_type text not null check (operation_type in ('query', 'mutation')),
      document text not null check (octet_length(document) between 1 and 100000),
      hash text not null generated always as (app.document_hash(document)) stored,
      deprecated_at timestamptz,
      deleted_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id),
      unique (organization_id, client_name, name, version)
    );
    -- One live operation per hash and organization: a hash names exactly one document to run.
    create unique index registered_operations_hash_key on registered_operations (organization_id, hash) where deleted_at is null;
    create index registered_operations_list_idx on registered_operations (organization_id, created_at, id);
    create trigger registered_operations_touch before update on registered_operations for each row execute function app.touch();

    -- Versions count per organization, client and name; concurrent registrations of one name take
    -- turns (a transaction lock), so neither fails on the unique key.
    create function app.number_operation_version() returns trigger
      language plpgsql
      as $$
      begin
        perform pg_advisory_xact_lock(hashtextextended(new.organization_id::text || '/' || new.client_name || '/' || new.name, 19));
        new.version := coalesce((select max(o.version) from public.registered_operations o
                                  where o.organization_id = new.organization_id and o.client_name = new.client_name
                                    and o.name = new.name), 0) + 1;
        return new;
      end
      $$;
    create trigger registered_operations_version before insert on registered_operations
      for each row execute function app.number_operation_version();

    -- A deleted operation stays deleted (its version number is spent).
    create function app.keep_operation_deleted() returns trigger
      language plpgsql
      as $$
      begin
        if old.deleted_at is not null then
          raise exception 'a deleted operation cannot change' using errcode = '23514', constraint = 'registered_operations_deleted';
        end if;
        return new;
      end
      $$;
    create trigger registered_operations_deleted before update on registered_operations
      for each row execute function app.keep_operation_deleted();

    -- An API-key request: the key (as app.authenticate_api_key), whether it may send queries of
    -- its own, and, when the request names a document hash, that organization's live registered
    -- operation of it (null when none).
    create function app.authenticate_api_key_for(p_hash text, p_document_hash text)
      returns table (organization_id uuid, api_key_id uuid, document text, ad_hoc_reads boolean)
      language sql volatile security definer set search_path = ''
      as $$
        select k.organization_id, k.api_key_id,
               (select o.document from public.registered_operations o
                 where o.organization_id = k.organization_id and o.hash = p_document_hash and o.deleted_at is null),
               (select a.ad_hoc_reads from public.api_keys a where a.organization_id = k.organization_id and a.id = k.api_key_id)
          from app.authenticate_api_key(p_hash) k
      $$;
  `.execute(db);
  await handToAuthRole(db, { 'app.authenticate_api_key_for(text, text)': ['tenantql_app'] });
  const keys = OPERATION_PERMISSIONS.map(([key]) => key);
  await sql`insert into permissions (key, description) select * from unnest(${keys}::text[], ${OPERATION_PERMISSIONS.map(([, d]) => d)}::text[])`.execute(
    db,
  );
  const grants = OPERATION_PERMISSIONS.flatMap(([key, , roles]) => roles.map((role) => [role, key] as const));
  await sql`insert into built_in_role_permissions (role, permission)
            select * from unnest(${grants.map(([r]) => r)}::text[], ${grants.map(([, k]) => k)}::text[])`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const keys = OPERATION_PERMISSIONS.map(([key]) => key);
  // Fails while a custom role still grants it: take it out of those roles first.
  await sql`delete from permissions where key = any(${keys}::text[])`.execute(db);
  await sql`
    drop function app.authenticate_api_key_for(text, text);
    drop table registered_operations;
    drop function app.keep_operation_deleted();
    drop function app.number_operation_version();
    drop function app.document_hash(text);
    alter table api_keys drop column ad_hoc_reads;
  `.execute(db);
}
