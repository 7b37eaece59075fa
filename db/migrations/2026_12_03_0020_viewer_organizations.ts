import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/**
 * What a person may read about their own memberships across organizations, and sessions without
 * an organization. Under a tenant's RLS a request sees only that tenant's memberships, so the
 * organizations a user may switch to, and whether an account has any membership at all, are
 * answered by SECURITY DEFINER functions owned by tenantql_auth, scoped to app.current_user_id()
 * and returning only that user's own rows (docs/security.md, "Your organizations").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A session without an organization (an account that has none yet, signed in to create or
    -- join one) has no refresh-token family to check: it lives as long as its access token and
    -- its account. Sessions in an organization are checked as before.
    create or replace function app.session_is_valid() returns boolean
      language sql stable
      as $$
        select case when app.current_org_id() is null
          then app.current_session_id() is not null and app.account_is_active(app.current_user_id())
          else app.member_may_sign_in(app.current_org_id(), app.current_user_id())
            and exists (
              select 1 from public.auth_refresh_tokens t
               where t.organization_id = app.current_org_id()
                 and t.family_id = app.current_session_id()
                 and t.user_id = app.current_user_id()
                 and t.revoked_at is null)
        end
      $$;

    -- viewer.organizations: the current user's live memberships in every organization, in one
    -- statement, only while their session is valid. Nothing of anyone else.
    create function app.current_user_organizations()
      returns table (organization_id uuid, name text, slug text, organization_is_active boolean,
                     membership_id uuid, role text, status text, joined_at timestamptz, may_sign_in boolean)
      language sql stable security definer set search_path = ''
      as $$
        select o.id, o.name, o.slug, o.is_active, m.id, m.role, m.status, m.joined_at,
               app.membership_grants_access(m.status) and o.is_active
          from public.memberships m
          join public.organizations o on o.id = m.organization_id
         where m.user_id = app.current_user_id()
           and m.ended_at is null
           and app.session_is_valid()
         order by m.joined_at, o.id
      $$;

    -- Sign-in without an organization is for accounts that never had one (signed up without
    -- one); an account whose memberships ended or were suspended is refused as before.
    create function app.current_user_is_unaffiliated() returns boolean
      language sql stable security definer set search_path = ''
      as $$ select not exists (select 1 from public.memberships m where m.user_id = app.current_user_id()) $$;
  `.execute(db);
  await handToAuthRole(db, {
    'app.current_user_organizations()': ['tenantql_app'],
    'app.current_user_is_unaffiliated()': ['tenantql_app'],
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function app.current_user_organizations();
    drop function app.current_user_is_unaffiliated();
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
  `.execute(db);
}
