-- Access: sessions (refresh-token families). Re-applied after every migrate; idempotent.

grant execute on function app.current_session_id() to tenantql_app, tenantql_auth;

-- The app role starts sessions (login, switchOrganization, under the new tenant) and ends its
-- own (logout); it never reads token hashes. Rotation and cross-tenant revocation go through
-- the functions of migration 0002.
revoke all on auth_refresh_tokens from tenantql_app;
grant select (organization_id, id, user_id, family_id, previous_token_id, replaced_by_token_id, user_agent, ip,
              expires_at, revoked_at, revoked_reason, created_at, updated_at, created_by, updated_by)
  on auth_refresh_tokens to tenantql_app;
grant insert on auth_refresh_tokens to tenantql_app;
grant update (revoked_at, revoked_reason) on auth_refresh_tokens to tenantql_app;
grant select, insert, update on auth_refresh_tokens to tenantql_auth;

select app.isolate_by_tenant('auth_refresh_tokens');

-- Rotation and logoutEverywhere run before or across tenants (see tenancy.sql on current_user).
drop policy if exists "session functions manage refresh tokens" on auth_refresh_tokens;
create policy "session functions manage refresh tokens" on auth_refresh_tokens
  to tenantql_auth using (current_user = 'tenantql_auth') with check (current_user = 'tenantql_auth');

-- Accounts (migration 0004) -------------------------------------------------

-- One-time tokens and the sign-in throttle: only the account functions touch them.
revoke all on user_tokens, sign_in_throttle from tenantql_app;
grant select, insert, update on user_tokens to tenantql_auth;
grant select, insert, update, delete on sign_in_throttle to tenantql_auth;

alter table user_tokens enable row level security;
alter table user_tokens force row level security;
drop policy if exists "account functions manage one-time tokens" on user_tokens;
create policy "account functions manage one-time tokens" on user_tokens
  to tenantql_auth using (current_user = 'tenantql_auth') with check (current_user = 'tenantql_auth');

alter table sign_in_throttle enable row level security;
alter table sign_in_throttle force row level security;
drop policy if exists "account functions keep the throttle" on sign_in_throttle;
create policy "account functions keep the throttle" on sign_in_throttle
  to tenantql_auth using (current_user = 'tenantql_auth') with check (current_user = 'tenantql_auth');

-- The outbox: the app queues mail and cannot read it back; the sender works as the owner in
-- maintenance mode.
revoke all on outbox from tenantql_app;
grant insert (to_address, template, payload) on outbox to tenantql_app;

alter table outbox enable row level security;
alter table outbox force row level security;
drop policy if exists "the app queues mail" on outbox;
create policy "the app queues mail" on outbox for insert to tenantql_app with check (true);
grant insert on outbox to tenantql_auth;
drop policy if exists "account functions queue their mail" on outbox;
create policy "account functions queue their mail" on outbox for insert to tenantql_auth with check (current_user = 'tenantql_auth');
drop policy if exists "maintenance by the owner" on outbox;
create policy "maintenance by the owner" on outbox
  to tenantql_owner using (app.maintenance_mode()) with check (app.maintenance_mode());

-- Roles and permissions (migration 0005) ------------------------------------

grant execute on function app.current_permissions(), app.member_permissions(uuid, uuid) to tenantql_app, tenantql_auth;

-- The catalog and the built-in grants are readable by everyone and changed only by migrations.
revoke all on permissions, built_in_role_permissions from tenantql_app;
grant select on permissions, built_in_role_permissions to tenantql_app, tenantql_auth;
alter table permissions enable row level security;
alter table permissions force row level security;
alter table built_in_role_permissions enable row level security;
alter table built_in_role_permissions force row level security;
drop policy if exists "everyone reads the catalog" on permissions;
create policy "everyone reads the catalog" on permissions for select using (true);
drop policy if exists "migrations maintain the catalog" on permissions;
create policy "migrations maintain the catalog" on permissions to tenantql_owner using (true) with check (true);
drop policy if exists "everyone reads the built-in grants" on built_in_role_permissions;
create policy "everyone reads the built-in grants" on built_in_role_permissions for select using (true);
drop policy if exists "migrations maintain the built-in grants" on built_in_role_permissions;
create policy "migrations maintain the built-in grants" on built_in_role_permissions to tenantql_owner using (true) with check (true);

-- Custom roles belong to their organization.
revoke all on roles, role_permissions from tenantql_app;
grant select, insert, delete on roles, role_permissions to tenantql_app;
grant update (name, description) on roles to tenantql_app;

select app.isolate_by_tenant('roles');

grant select on role_permissions to tenantql_auth;
drop policy if exists "permission functions read custom grants" on role_permissions;

select app.isolate_by_tenant('role_permissions');

-- app.permissions_in (migration 0007) reads the caller's custom grants in another organization.
create policy "permission functions read custom grants" on role_permissions
  for select to tenantql_auth using (current_user = 'tenantql_auth');

-- API keys (migration 0008) --------------------------------------------------

grant execute on function app.current_api_key_id(), app.api_key_is_valid(),
  app.api_key_is_live(uuid, uuid, timestamptz, timestamptz) to tenantql_app, tenantql_auth;

-- The secret's hash is never read back by the app; a key is revoked, never deleted.
revoke all on api_keys from tenantql_app;
grant select (organization_id, id, name, prefix, permissions, expires_at, revoked_at, last_used_at,
              created_at, updated_at, created_by, updated_by) on api_keys to tenantql_app;
grant insert on api_keys to tenantql_app;
grant update (revoked_at) on api_keys to tenantql_app;
grant select, update (last_used_at, updated_at, updated_by) on api_keys to tenantql_auth;

select app.isolate_by_tenant('api_keys');
drop policy if exists "key functions authenticate keys" on api_keys;
create policy "key functions authenticate keys" on api_keys
  to tenantql_auth using (current_user = 'tenantql_auth') with check (current_user = 'tenantql_auth');

-- Audit (policies/audit.sql) -------------------------------------------------
-- A session is a refresh-token row; at sign-in nobody is signed in yet, so its user is the actor.
select app.audit_table('auth_refresh_tokens', 'session', '{"redact": ["token_hash"], "actorColumn": "user_id"}');
select app.audit_table('roles', 'role', '{"severity": "warning"}');
select app.audit_table('role_permissions', 'role_permission', '{"severity": "warning"}');
select app.audit_table('api_keys', 'api_key', '{"redact": ["secret_hash"], "ignore": ["last_used_at"], "severity": "warning"}');
