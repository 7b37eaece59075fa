import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/**
 * API keys for partner integrations (seeds 000 and 003): scoped to one organization and to a
 * list of permissions, stored as SHA-256 with a short visible prefix, optionally expiring,
 * revocable. A request with a key acts for its organization with exactly its permissions, and
 * never more than its creator still holds: a key dies with its creator's membership.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table api_keys (
      organization_id uuid not null references organizations (id),
      id uuid not null default gen_random_uuid(),
      name text not null check (char_length(btrim(name)) between 1 and 100),
      prefix text not null check (prefix ~ '^tq_[0-9a-f]{8}$'),
      secret_hash text not null check (secret_hash ~ '^[0-9a-f]{64}$'),
      permissions text[] not null default '{}',
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id)
    );
    create unique index api_keys_secret_key on api_keys (secret_hash);
    create index api_keys_organization_idx on api_keys (organization_id, created_at, id);
    create trigger api_keys_touch before update on api_keys for each row execute function app.touch();

    create function app.current_api_key_id() returns uuid
      language sql stable parallel safe
      as $$ select nullif(current_setting('app.current_api_key_id', true), '')::uuid $$;

    -- A key lives while it is unrevoked, unexpired, its organization active and its creator a
    -- member who may sign in.
    create function app.api_key_is_live(p_organization_id uuid, p_created_by uuid, p_revoked_at timestamptz, p_expires_at timestamptz)
      returns boolean
      language sql stable
      as $$
        select p_revoked_at is null and (p_expires_at is null or p_expires_at > now())
           and app.member_may_sign_in(p_organization_id, p_created_by)
      $$;

    -- Resolves a presented key before any tenant is set: its organization, id and permissions,
    -- if it is live and its organization active. Stamps last_used_at at most once a minute.
    create function app.authenticate_api_key(p_hash text)
      returns table (organization_id uuid, api_key_id uuid, permissions text[])
      language sql volatile security definer set search_path = ''
      as $$
        with found as (
          select k.organization_id, k.id, k.permissions, k.last_used_at
            from public.api_keys k
           where k.secret_hash = p_hash and app.api_key_is_live(k.organization_id, k.created_by, k.revoked_at, k.expires_at)
        ), stamped as (
          update public.api_keys k set last_used_at = now()
            from found f
           where k.organization_id = f.organization_id and k.id = f.id
             and (f.last_used_at is null or f.last_used_at < now() - interval '1 minute')
        )
        select organization_id, id, permissions from found
      $$;

    -- Checked when an API-key request opens its transaction (like app.session_is_valid).
    create function app.api_key_is_valid() returns boolean
      language sql stable
      as $$
        select exists (
          select 1 from public.api_keys k
           where k.organization_id = app.current_org_id() and k.id = app.current_api_key_id() and app.api_key_is_live(k.organization_id, k.created_by, k.revoked_at, k.expires_at))
      $$;

    -- An API key's permissions are its own, within what its creator holds now.
    create or replace function app.current_permissions() returns text[]
      language sql stable
      as $$
        select case when app.current_api_key_id() is null
          then app.member_permissions(app.current_org_id(), app.current_user_id())
          else (
            select coalesce(array_agg(distinct p order by p), '{}')
              from public.api_keys k cross join unnest(k.permissions) as p
             where k.organization_id = app.current_org_id() and k.id = app.current_api_key_id()
               and p = any(app.member_permissions(k.organization_id, k.created_by)))
          end
      $$;

  `.execute(db);
  await handToAuthRole(db, {
    'app.authenticate_api_key(text)': ['tenantql_app'],
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function app.current_permissions() returns text[]
      language sql stable
      as $$ select app.member_permissions(app.current_org_id(), app.current_user_id()) $$;
    drop function app.authenticate_api_key(text);
    drop function app.api_key_is_valid();
    drop function app.api_key_is_live(uuid, uuid, timestamptz, timestamptz);
    drop table api_keys;
    drop function app.current_api_key_id();
  `.execute(db);
}
