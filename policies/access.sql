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

alter table auth_refresh_tokens enable row level security;
alter table auth_refresh_tokens force row level security;

drop policy if exists tenant_isolation on auth_refresh_tokens;
create policy tenant_isolation on auth_refresh_tokens
  using (organization_id = (select app.current_org_id()))
  with check (organization_id = (select app.current_org_id()));

-- Rotation and logoutEverywhere run before or across tenants (see tenancy.sql on current_user).
drop policy if exists "session functions manage refresh tokens" on auth_refresh_tokens;
create policy "session functions manage refresh tokens" on auth_refresh_tokens
  to tenantql_auth using (current_user = 'tenantql_auth') with check (current_user = 'tenantql_auth');
