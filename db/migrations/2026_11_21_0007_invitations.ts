import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/**
 * Membership lifecycle: invitations (token mailed, stored hashed, expiring) and the cross-tenant
 * pieces of the lifecycle, which run as tenantql_auth with their checks inside.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table invitations (
      organization_id uuid not null references organizations (id),
      id uuid not null default gen_random_uuid(),
      email text not null check (char_length(email) <= 254 and email ~ '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$'),
      role text not null check (role in ('owner', 'admin', 'officer', 'member', 'viewer')),
      token_hash text not null check (token_hash ~ '^[0-9a-f]{64}$'),
      expires_at timestamptz not null,
      accepted_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id)
    );
    create unique index invitations_token_key on invitations (token_hash);
    -- One open invitation per person and organization; a new one replaces the old.
    create unique index invitations_one_open_per_email on invitations (organization_id, lower(email))
      where accepted_at is null and revoked_at is null;
    create index invitations_organization_idx on invitations (organization_id, created_at, id);
    create trigger invitations_touch before update on invitations for each row execute function app.touch();

    -- The open, unexpired invitation behind a token, read before the invitee has a tenant.
    create function app.invitation_by_token(p_hash text)
      returns table (organization_id uuid, invitation_id uuid, email text, role text)
      language sql stable security definer set search_path = ''
      as $$
        select i.organization_id, i.id, i.email, i.role
          from public.invitations i join public.organizations o on o.id = i.organization_id
         where i.token_hash = p_hash and i.accepted_at is null and i.revoked_at is null
           and i.expires_at > now() and o.is_active
      $$;

    -- Permissions of the current user in another organization (for moves between tenants).
    create function app.permissions_in(p_organization_id uuid) returns text[]
      language sql stable security definer set search_path = ''
      as $$
        select case when app.member_may_sign_in(p_organization_id, app.current_user_id())
                    then app.member_permissions(p_organization_id, app.current_user_id()) else '{}' end
      $$;

    -- Seed 000: a transfer ends the old membership as inactive and creates the new one in the
    -- other organization, in one transaction. The caller needs members:remove here (checked by
    -- the resolver), members:invite there, and there a built-in role at least the member's; the
    -- member keeps role and status (only members with platform access move).
    create function app.transfer_membership(p_membership_id uuid, p_target uuid) returns uuid
      language plpgsql volatile security definer set search_path = ''
      as $$
      declare
        m public.memberships;
        caller_role text;
        created uuid;
        rank constant jsonb := '{"owner": 5, "admin": 4, "officer": 3, "member": 2, "viewer": 1}';
      begin
        if not app.session_is_valid() or p_target = app.current_org_id()
           or not ('members:invite' = any(app.permissions_in(p_target))) then
          return null;
        end if;
        select c.role into caller_role from public.memberships c
         where c.organization_id = p_target and c.user_id = app.current_user_id() and c.ended_at is null;
        select * into m from public.memberships
         where organization_id = app.current_org_id() and id = p_membership_id and ended_at is null for update;
        if not found or not app.membership_grants_access(m.status)
           or (rank ->> m.role)::int > (rank ->> caller_role)::int then
          return null;
        end if;
        update public.memberships set status = 'inactive', ended_at = now(), updated_by = app.current_user_id()
         where organization_id = m.organization_id and id = m.id;
        update public.auth_refresh_tokens set revoked_at = now(), revoked_reason = 'access_lost'
         where organization_id = m.organization_id and user_id = m.user_id and revoked_at is null;
        insert into public.memberships (organization_id, user_id, role, status, created_by, updated_by)
        values (p_target, m.user_id, m.role, m.status, app.current_user_id(), app.current_user_id())
        returning id into created;
        return created;
      end
      $$;

  `.execute(db);
  await handToAuthRole(db, {
    'app.invitation_by_token(text)': ['tenantql_app'],
    'app.permissions_in(uuid)': ['tenantql_app'],
    'app.transfer_membership(uuid, uuid)': ['tenantql_app'],
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function app.invitation_by_token(text);
    drop function app.transfer_membership(uuid, uuid);
    drop function app.permissions_in(uuid);
    drop table invitations;
  `.execute(db);
}
