-- Tenancy: who may see and change organizations, users and memberships.
-- Re-applied after every migrate, in one transaction: every statement here is idempotent.

grant usage on schema app to tenantql_app, tenantql_auth;
grant execute on function app.current_org_id(), app.current_user_id(), app.membership_grants_access(text)
  to tenantql_app, tenantql_auth;
grant execute on function app.session_is_valid(), app.member_may_sign_in(uuid, uuid) to tenantql_app, tenantql_auth;
-- EXECUTE on the sign-in functions is granted by the migration that hands them to tenantql_auth.

-- The app role reads the tenant's data. It never reads password hashes (only the sign-in
-- function does), never deletes memberships (a membership ends, it is not removed) and never
-- moves one to another user or organization.
revoke all on organizations, users, memberships from tenantql_app;
grant select on organizations, memberships to tenantql_app;
grant select (id, email, username, first_name, last_name, status, identity_provider, identity_subject,
              last_login_at, created_at, updated_at, created_by, updated_by,
              avatar_url, timezone, language, notification_preferences, phone_number, email_verified_at)
  on users to tenantql_app;
-- signUp creates the user as themselves and, optionally, their organization and owner
-- membership, each under its own RLS check; password hashes are written, never read.
grant insert (id, email, username, password_hash, first_name, last_name) on users to tenantql_app;
grant insert (id, name, slug, email, plan_tier, seats_total, settings) on organizations to tenantql_app;
-- Organizations are never deleted; their owners deactivate them (and reactivate, see below).
grant update (name, email, settings, is_active, trusted_documents_only) on organizations to tenantql_app;
grant update (is_active, updated_by) on organizations to tenantql_auth;
-- Users edit their own profile ("users update themselves" below); the phone number arrives encrypted.
grant update (first_name, last_name, avatar_url, timezone, language, notification_preferences, phone_number)
  on users to tenantql_app;
grant insert on memberships to tenantql_app;
grant update (role, status, ended_at, custom_role_id) on memberships to tenantql_app;
grant select on organizations, users, memberships to tenantql_auth;
grant insert, update on memberships to tenantql_auth;
grant update (last_login_at, password_hash, email_verified_at, updated_by) on users to tenantql_auth;

-- Policies for tenantql_auth also apply to roles that inherit it (the owner is a member so it
-- can hand functions to it): each one also checks that the sign-in function itself is running.

-- organizations -------------------------------------------------------------
alter table organizations enable row level security;
alter table organizations force row level security;

drop policy if exists tenant_isolation on organizations;
create policy tenant_isolation on organizations
  using (id = (select app.current_org_id()))
  with check (id = (select app.current_org_id()));

drop policy if exists "owners reactivate their organization from another session" on organizations;
create policy "owners reactivate their organization from another session" on organizations
  for update to tenantql_auth using (current_user = 'tenantql_auth') with check (current_user = 'tenantql_auth');

drop policy if exists "sign-in functions read organizations" on organizations;
create policy "sign-in functions read organizations" on organizations
  for select to tenantql_auth using (current_user = 'tenantql_auth');

-- users (global: a person may belong to several organizations) ---------------
alter table users enable row level security;
alter table users force row level security;

drop policy if exists "users see themselves" on users;
create policy "users see themselves" on users
  for select using (id = (select app.current_user_id()));

-- The people need users:read (without it a caller sees only themselves, an API key nobody); once per statement.
drop policy if exists "members see the people of their organization" on users;
create policy "members see the people of their organization" on users
  for select using ((select 'users:read' = any (app.current_permissions())) and exists (
    select 1 from memberships m
     where m.organization_id = (select app.current_org_id()) and m.user_id = users.id));

drop policy if exists "users are created as themselves" on users;
create policy "users are created as themselves" on users
  for insert with check (id = (select app.current_user_id()));

drop policy if exists "users update themselves" on users;
create policy "users update themselves" on users
  for update using (id = (select app.current_user_id())) with check (id = (select app.current_user_id()));

drop policy if exists "maintenance by the owner" on users;
create policy "maintenance by the owner" on users
  to tenantql_owner using (app.maintenance_mode()) with check (app.maintenance_mode());

drop policy if exists "account functions update accounts" on users;
create policy "account functions update accounts" on users
  for update to tenantql_auth using (current_user = 'tenantql_auth') with check (current_user = 'tenantql_auth');

drop policy if exists "sign-in functions read accounts" on users;
create policy "sign-in functions read accounts" on users
  for select to tenantql_auth using (current_user = 'tenantql_auth');

-- memberships ---------------------------------------------------------------
select app.isolate_by_tenant('memberships');

drop policy if exists "sign-in functions read memberships" on memberships;
create policy "sign-in functions read memberships" on memberships
  for select to tenantql_auth using (current_user = 'tenantql_auth');

-- transferMember ends a membership here and starts one in another organization.
drop policy if exists "membership functions move members between organizations" on memberships;
create policy "membership functions move members between organizations" on memberships
  for all to tenantql_auth using (current_user = 'tenantql_auth') with check (current_user = 'tenantql_auth');

-- invitations ---------------------------------------------------------------
revoke all on invitations from tenantql_app;
grant select, insert on invitations to tenantql_app;
grant update (accepted_at, revoked_at) on invitations to tenantql_app;
grant select on invitations to tenantql_auth;
-- An invitation gives its role only while its inviter may give it (migration 0017).
grant execute on function app.role_rank(text), app.inviter_may_give(uuid, uuid, text) to tenantql_app, tenantql_auth;

select app.isolate_by_tenant('invitations');

-- An invitee has no tenant yet: the token is read through app.invitation_by_token.
drop policy if exists "invitation functions read invitations" on invitations;
create policy "invitation functions read invitations" on invitations
  for select to tenantql_auth using (current_user = 'tenantql_auth');

-- Audit (policies/audit.sql) -------------------------------------------------
-- A user row has no organization: its changes are recorded in the organization the request acts
-- for (none for an account outside any organization: sign-up alone, password reset).
select app.audit_table('organizations', 'organization', '{"organizationColumn": "id"}');
-- Self-only columns (a "self-only:" column comment, app.self_only_columns) are left out of entries.
select app.audit_table('users', 'user', '{"organizationColumn": "", "redact": ["password_hash"]}');
select app.audit_table('memberships', 'membership', '{"ignore": ["last_login_at"]}');
select app.audit_table('invitations', 'invitation', '{"redact": ["token_hash"]}');
