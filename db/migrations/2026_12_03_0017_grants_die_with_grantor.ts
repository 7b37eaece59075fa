import { sql, type Kysely, type RawBuilder } from 'kysely';
import { handToAuthRole, replaceAsAuthRole } from './helpers';

/**
 * Grants that outlive their grantor (issue 13, item 2). An invitation gives its role only while
 * its inviter may still give it, checked when it is read by its token and again when it is
 * accepted, as an API key already acts within what its creator holds now. A password change
 * spends the account's pending reset token (whoever asked for it asked under the old password).
 * An ended membership ends the project and team memberships it held; an account that stops
 * being active loses its sessions for good.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Built-in roles from least to most powerful; nobody gives a role above their own.
    create function app.role_rank(p_role text) returns integer
      language sql immutable parallel safe
      as $$ select array_position(array['viewer', 'member', 'officer', 'admin', 'owner'], p_role) $$;

    -- Whether p_inviter may give p_role in the organization now: a live member with platform
    -- access, holding members:invite, whose built-in role is at least p_role. Runs as its caller.
    create function app.inviter_may_give(p_organization_id uuid, p_inviter uuid, p_role text) returns boolean
      language sql stable
      as $$
        select app.member_may_sign_in(p_organization_id, p_inviter)
           and 'members:invite' = any(app.member_permissions(p_organization_id, p_inviter))
           and exists (
             select 1 from public.memberships m
              where m.organization_id = p_organization_id and m.user_id = p_inviter and m.ended_at is null
                and app.role_rank(m.role) >= app.role_rank(p_role))
      $$;

    -- Acceptance happens in the invitee's transaction: the inviter's rights are checked there too,
    -- so a demotion committed between reading the token and accepting still stops it. The
    -- inviter's membership is share-locked first: a demotion or removal under way is waited for
    -- and then seen, and one that starts later waits for the acceptance (no race between them).
    create function app.invitation_needs_its_inviter() returns trigger
      language plpgsql
      as $$
        begin
          if new.accepted_at is null or old.accepted_at is not null then
            return new;
          end if;
          perform 1 from public.memberships m
           where m.organization_id = new.organization_id and m.user_id = new.created_by and m.ended_at is null
             for share;
          if not app.inviter_may_give(new.organization_id, new.created_by, new.role) then
            raise exception 'the invitation''s inviter may no longer give its role' using errcode = '42501';
          end if;
          return new;
        end
      $$;
    create trigger invitations_need_their_inviter before update of accepted_at on invitations
      for each row execute function app.invitation_needs_its_inviter();

    -- An ended membership takes its project and team memberships with it, so a person who comes
    -- back later (a new invitation, a transfer back) starts without the old private projects.
    -- As tenantql_auth: the remover may not see every private project, and transfers run as it.
    create function app.end_memberships_within() returns trigger
      language plpgsql security definer set search_path = ''
      as $$
        begin
          delete from public.project_members where organization_id = new.organization_id and user_id = new.user_id;
          delete from public.team_members where organization_id = new.organization_id and user_id = new.user_id;
          return null;
        end
      $$;
    create trigger memberships_end_memberships_within after update of ended_at on memberships
      for each row when (old.ended_at is null and new.ended_at is not null)
      execute function app.end_memberships_within();

    -- An account that stops being active loses its sessions everywhere: making it active again
    -- (maintenance) brings none back. (Its access tokens already stop: app.session_is_valid.)
    create function app.end_sessions_of_inactive_account() returns trigger
      language plpgsql security definer set search_path = ''
      as $$
        begin
          update public.auth_refresh_tokens set revoked_at = now(), revoked_reason = 'access_lost'
           where user_id = new.id and revoked_at is null;
          return null;
        end
      $$;
    create trigger users_end_sessions_when_inactive after update of status on users
      for each row when (old.status = 'active' and new.status <> 'active')
      execute function app.end_sessions_of_inactive_account();

    -- A new password spends the pending reset token of the account.
    create function app.spend_reset_tokens() returns trigger
      language plpgsql security definer set search_path = ''
      as $$
        begin
          update public.user_tokens set used_at = now()
           where user_id = new.id and purpose = 'password_reset' and used_at is null;
          return null;
        end
      $$;
    create trigger users_spend_reset_tokens after update of password_hash on users
      for each row when (old.password_hash is distinct from new.password_hash)
      execute function app.spend_reset_tokens();
  `.execute(db);
  // The trigger spends tokens only tenantql_auth may touch; nobody calls it directly.
  await handToAuthRole(db, {
    'app.spend_reset_tokens()': [],
    'app.end_memberships_within()': [],
    'app.end_sessions_of_inactive_account()': [],
  });
  await replaceAsAuthRole(
    db,
    invitationByToken(sql`and app.inviter_may_give(i.organization_id, i.created_by, i.role)`),
  );
}

/** The open, unexpired invitation behind a token (migration 0007), with an extra condition. */
function invitationByToken(condition: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    create or replace function app.invitation_by_token(p_hash text)
      returns table (organization_id uuid, invitation_id uuid, email text, role text)
      language sql stable security definer set search_path = ''
      as $$
        select i.organization_id, i.id, i.email, i.role
          from public.invitations i join public.organizations o on o.id = i.organization_id
         where i.token_hash = p_hash and i.accepted_at is null and i.revoked_at is null
           and i.expires_at > now() and o.is_active ${condition}
      $$`;
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await replaceAsAuthRole(db, invitationByToken(sql``));
  await sql`
    drop trigger memberships_end_memberships_within on memberships;
    drop function app.end_memberships_within();
    drop trigger users_end_sessions_when_inactive on users;
    drop function app.end_sessions_of_inactive_account();
    drop trigger users_spend_reset_tokens on users;
    drop function app.spend_reset_tokens();
    drop trigger invitations_need_their_inviter on invitations;
    drop function app.invitation_needs_its_inviter();
    drop function app.inviter_may_give(uuid, uuid, text);
    drop function app.role_rank(text);
  `.execute(db);
}
