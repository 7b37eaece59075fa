import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/**
 * Sessions (seed 001 `auth_refresh_tokens`): rotating refresh tokens, stored only as SHA-256
 * hashes, grouped in families. A session is one family; its access tokens carry the family id,
 * and a revoked family stops its access tokens at the next request.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table auth_refresh_tokens (
      organization_id uuid not null references organizations (id),
      id uuid not null default gen_random_uuid(),
      user_id uuid not null references users (id),
      token_hash text not null check (token_hash ~ '^[0-9a-f]{64}$'),
      family_id uuid not null,
      previous_token_id uuid,
      replaced_by_token_id uuid,
      user_agent text check (char_length(user_agent) <= 512),
      ip text check (char_length(ip) <= 64),
      expires_at timestamptz not null,
      revoked_at timestamptz,
      revoked_reason text check (revoked_reason in ('logout', 'logout_everywhere', 'reuse', 'access_lost')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id),
      foreign key (organization_id, previous_token_id) references auth_refresh_tokens (organization_id, id),
      foreign key (organization_id, replaced_by_token_id) references auth_refresh_tokens (organization_id, id),
      constraint auth_refresh_tokens_revocation check ((revoked_at is null) = (revoked_reason is null))
    );
    create unique index auth_refresh_tokens_hash_key on auth_refresh_tokens (token_hash);
    create index auth_refresh_tokens_family_idx on auth_refresh_tokens (organization_id, family_id) where revoked_at is null;
    create index auth_refresh_tokens_user_idx on auth_refresh_tokens (user_id) where revoked_at is null;
    create trigger auth_refresh_tokens_touch before update on auth_refresh_tokens for each row execute function app.touch();

    create function app.current_session_id() returns uuid
      language sql stable parallel safe
      as $$ select nullif(current_setting('app.current_session_id', true), '')::uuid $$;

    -- A session is valid while its membership, organization and account admit it (0001) and its
    -- family has not been revoked (logout, reuse of a rotated token, lost access).
    create or replace function app.session_is_valid() returns boolean
      language sql stable
      as $$
        select app.member_may_sign_in(app.current_org_id(), app.current_user_id())
        and exists (
          select 1 from public.auth_refresh_tokens t
           where t.organization_id = app.current_org_id()
             and t.family_id = app.current_session_id()
             and t.user_id = app.current_user_id()
             and t.revoked_at is null)
      $$;

    -- Rotation runs without a tenant: the refresh token is the credential. The row is locked,
    -- so concurrent calls with one token produce at most one successor; a token already rotated
    -- or revoked revokes its whole family (seed 001: reuse detection).
    create function app.rotate_refresh_token(p_hash text, p_new_hash text, p_ttl interval, p_user_agent text, p_ip text)
      returns table (outcome text, user_id uuid, organization_id uuid, family_id uuid)
      language plpgsql volatile security definer set search_path = ''
      as $$
      declare
        t public.auth_refresh_tokens;
        successor uuid;
      begin
        select * into t from public.auth_refresh_tokens r where r.token_hash = p_hash for update;
        if not found then
          return query select 'invalid', null::uuid, null::uuid, null::uuid;
          return;
        end if;
        if t.revoked_at is not null or t.replaced_by_token_id is not null then
          update public.auth_refresh_tokens r set revoked_at = now(), revoked_reason = 'reuse'
           where r.organization_id = t.organization_id and r.family_id = t.family_id and r.revoked_at is null;
          return query select 'reused', t.user_id, t.organization_id, t.family_id;
          return;
        end if;
        if t.expires_at <= now() then
          return query select 'expired', t.user_id, t.organization_id, t.family_id;
          return;
        end if;
        if not app.member_may_sign_in(t.organization_id, t.user_id) then
          update public.auth_refresh_tokens r set revoked_at = now(), revoked_reason = 'access_lost'
           where r.organization_id = t.organization_id and r.family_id = t.family_id and r.revoked_at is null;
          return query select 'denied', t.user_id, t.organization_id, t.family_id;
          return;
        end if;
        insert into public.auth_refresh_tokens
               (organization_id, user_id, token_hash, family_id, previous_token_id, user_agent, ip, expires_at, created_by, updated_by)
        values (t.organization_id, t.user_id, p_new_hash, t.family_id, t.id, p_user_agent, p_ip, now() + p_ttl, t.user_id, t.user_id)
        returning id into successor;
        update public.auth_refresh_tokens r set replaced_by_token_id = successor
         where r.organization_id = t.organization_id and r.id = t.id;
        return query select 'rotated', t.user_id, t.organization_id, t.family_id;
      end
      $$;

    -- logoutEverywhere: every live session of the user the transaction acts for, in every organization.
    create function app.revoke_sessions_of_current_user() returns integer
      language sql volatile security definer set search_path = ''
      as $$
        with revoked as (
          update public.auth_refresh_tokens set revoked_at = now(), revoked_reason = 'logout_everywhere'
           where user_id = app.current_user_id() and revoked_at is null and app.session_is_valid()
          returning family_id)
        select count(distinct family_id)::int from revoked
      $$;

    -- switchOrganization: may the current user sign in to that organization?
    create function app.may_sign_in_to(p_organization_id uuid) returns boolean
      language sql stable security definer set search_path = ''
      as $$
        select app.session_is_valid() and app.member_may_sign_in(p_organization_id, app.current_user_id())
      $$;

  `.execute(db);
  await handToAuthRole(db, {
    'app.rotate_refresh_token(text, text, interval, text, text)': ['tenantql_app'],
    'app.revoke_sessions_of_current_user()': ['tenantql_app'],
    'app.may_sign_in_to(uuid)': ['tenantql_app'],
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function app.rotate_refresh_token(text, text, interval, text, text);
    drop function app.revoke_sessions_of_current_user();
    drop function app.may_sign_in_to(uuid);
    create or replace function app.session_is_valid() returns boolean
      language sql stable
      as $$ select app.member_may_sign_in(app.current_org_id(), app.current_user_id()) $$;
    drop table auth_refresh_tokens;
    drop function app.current_session_id();
  `.execute(db);
}
