import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/**
 * Tenancy: organizations (tenants), users (global people), memberships (a user in an
 * organization), the request-context helpers every policy uses, and the narrow sign-in
 * functions that work before a tenant is known.
 *
 * Grants and RLS policies live in policies/tenancy.sql and are re-applied after every migrate.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create schema app;

    -- Request settings, read back the way every policy reads them: '' and unset both mean "nobody".
    create function app.current_org_id() returns uuid
      language sql stable parallel safe
      as $$ select nullif(current_setting('app.current_org_id', true), '')::uuid $$;

    create function app.current_user_id() returns uuid
      language sql stable parallel safe
      as $$ select nullif(current_setting('app.current_user_id', true), '')::uuid $$;

    -- updated_at / updated_by are maintained by the database, whoever writes the row.
    create function app.touch() returns trigger
      language plpgsql
      as $$
      begin
        new.updated_at := now();
        new.updated_by := coalesce(app.current_user_id(), new.updated_by);
        return new;
      end
      $$;

    -- The one shape of tenant isolation (docs/security.md), applied by policies/*.sql to every table that
    -- has organization_id: ENABLE + FORCE RLS and a tenant_isolation policy for reads and writes,
    -- reading the setting once per statement. Idempotent; run by the owner.
    create function app.isolate_by_tenant(p_table regclass) returns void
      language plpgsql
      as $fn$
      begin
        execute format('alter table %s enable row level security', p_table);
        execute format('alter table %s force row level security', p_table);
        execute format('drop policy if exists tenant_isolation on %s', p_table);
        execute format('create policy tenant_isolation on %s '
          'using (organization_id = (select app.current_org_id())) '
          'with check (organization_id = (select app.current_org_id()))', p_table);
      end
      $fn$;
    revoke execute on function app.isolate_by_tenant(regclass) from public;

    -- Seed 000: membership status decides platform access.
    create function app.membership_grants_access(status text) returns boolean
      language sql immutable parallel safe
      as $$ select status in ('pledge', 'active', 'associate', 'alumni', 'alumni_active', 'alumni_lifetime') $$;

    create table organizations (
      id uuid primary key default gen_random_uuid(),
      name text not null check (char_length(btrim(name)) between 1 and 255),
      -- Seed 004: slug is lowercase letters, digits and hyphens.
      slug text not null check (slug ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' and char_length(slug) <= 100),
      email text check (email is null or email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
      -- Seed 000: organizations are never deleted, only deactivated (financial records are kept).
      is_active boolean not null default true,
      plan_tier text not null default 'trial' check (plan_tier in ('trial', 'starter', 'professional', 'enterprise')),
      seats_total integer not null default 1 check (seats_total >= 1),
      settings jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- Actor columns are audit metadata, not relations: no foreign key to keep writes cheap.
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id()
    );
    create unique index organizations_slug_key on organizations (slug);
    create index organizations_is_active_idx on organizations (is_active);
    create trigger organizations_touch before update on organizations for each row execute function app.touch();

    create table users (
      id uuid primary key default gen_random_uuid(),
      email text not null check (char_length(email) <= 254 and email ~ '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$'),
      -- Seed 004: username is 3-50 letters, digits and underscores.
      username text not null check (username ~ '^[A-Za-z0-9_]{3,50}$'),
      password_hash text,
      first_name text not null default '' check (char_length(first_name) <= 100),
      last_name text not null default '' check (char_length(last_name) <= 100),
      -- Seed 002: 1 = active, 2 = inactive, 3 = deleted.
      status text not null default 'active' check (status in ('active', 'inactive', 'deleted')),
      -- Seeds 002/003: an external identity (firebase id, OAuth provider + subject).
      identity_provider text check (identity_provider is null or char_length(identity_provider) between 1 and 50),
      identity_subject text check (identity_subject is null or char_length(identity_subject) between 1 and 255),
      last_login_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      constraint users_identity_pair check ((identity_provider is null) = (identity_subject is null))
    );
    create unique index users_email_key on users (lower(email));
    create unique index users_username_key on users (lower(username));
    create unique index users_identity_key on users (identity_provider, identity_subject) where identity_provider is not null;
    create trigger users_touch before update on users for each row execute function app.touch();

    create table memberships (
      organization_id uuid not null references organizations (id),
      id uuid not null default gen_random_uuid(),
      user_id uuid not null references users (id),
      role text not null default 'member' check (role in ('owner', 'admin', 'officer', 'member', 'viewer')),
      status text not null default 'active' check (status in (
        'pledge', 'active', 'associate', 'alumni', 'alumni_active', 'alumni_lifetime',
        'invited', 'pnm', 'inactive', 'disaffiliated', 'suspended')),
      joined_at timestamptz not null default now(),
      ended_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id),
      constraint memberships_ended_after_joined check (ended_at is null or ended_at >= joined_at)
    );
    -- Seed 000: one live membership per (user, organization); a transfer ends the old one.
    create unique index memberships_one_live_per_user on memberships (organization_id, user_id) where ended_at is null;
    create index memberships_organization_user_idx on memberships (organization_id, user_id);
    create index memberships_organization_joined_idx on memberships (organization_id, joined_at, id);
    create index memberships_user_idx on memberships (user_id);
    create trigger memberships_touch before update on memberships for each row execute function app.touch();

    -- The sign-in rule (docs/security.md) in one place: a live membership whose status gives platform
    -- access, in an active organization, of an active account. Runs as its caller (inside RLS).
    create function app.member_may_sign_in(p_organization_id uuid, p_user_id uuid) returns boolean
      language sql stable
      as $$
        select exists (
          select 1
            from public.memberships m
            join public.organizations o on o.id = m.organization_id
            join public.users u on u.id = m.user_id
           where m.organization_id = p_organization_id
             and m.user_id = p_user_id
             and m.ended_at is null
             and app.membership_grants_access(m.status)
             and o.is_active
             and u.status = 'active')
      $$;

    -- Checked when a request's transaction opens: a token outlives neither its membership, nor
    -- the user's account, nor the organization's activation.
    create function app.session_is_valid() returns boolean
      language sql stable
      as $$ select app.member_may_sign_in(app.current_org_id(), app.current_user_id()) $$;

    -- Sign-in runs before any tenant is known. These functions are owned by tenantql_auth, a
    -- NOLOGIN role without BYPASSRLS that only policies naming it let read accounts; the app role
    -- may call them but never reads other tenants' rows itself.
    --
    -- At most one row: an active account with this email, its password hash (verified by the
    -- application, which has argon2), and the one organization it would sign in to: the one named
    -- by p_slug, or its earliest-joined one, and only if that membership and organization admit it.
    create function app.sign_in_candidate(p_email text, p_slug text)
      returns table (user_id uuid, password_hash text, organization_id uuid)
      language sql stable security definer set search_path = ''
      as $$
        select u.id, u.password_hash,
               (select m.organization_id
                  from public.memberships m
                  join public.organizations o on o.id = m.organization_id
                 where m.user_id = u.id
                   and m.ended_at is null
                   and app.membership_grants_access(m.status)
                   and o.is_active
                   and (p_slug is null or o.slug = p_slug)
                 order by m.joined_at, m.organization_id
                 limit 1)
          from public.users u
         where lower(u.email) = lower(p_email)
           and u.status = 'active'
      $$;

    -- Stamps the sign-in of the user the transaction now acts for, once that session is valid.
    create function app.record_sign_in() returns void
      language sql volatile security definer set search_path = ''
      as $$ update public.users set last_login_at = now() where id = app.current_user_id() and app.session_is_valid() $$;

    -- Lets the owner-side seed ask "is this database empty?" without seeing any row.
    create function app.organizations_exist() returns boolean
      language sql stable security definer set search_path = ''
      as $$ select exists (select 1 from public.organizations) $$;

  `.execute(db);
  await handToAuthRole(db, {
    'app.sign_in_candidate(text, text)': ['tenantql_app'],
    'app.record_sign_in()': ['tenantql_app'],
    'app.organizations_exist()': ['session_user'],
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- One statement, so policies that read one table from another go with them.
    drop table memberships, users, organizations;
    drop function app.sign_in_candidate(text, text);
    drop function app.record_sign_in();
    drop function app.organizations_exist();
    drop function app.session_is_valid();
    drop function app.member_may_sign_in(uuid, uuid);
    drop function app.membership_grants_access(text);
    drop function app.isolate_by_tenant(regclass);
    drop function app.touch();
    drop function app.current_user_id();
    drop function app.current_org_id();
    drop schema app;
  `.execute(db);
}
