-- Registered operations (migration 0019). Re-applied after every migrate; idempotent.

-- The app registers, lists, deprecates and deletes (softly); the text, hash and version never change.
revoke all on registered_operations from tenantql_app;
grant select, insert on registered_operations to tenantql_app;
grant update (deprecated_at, deleted_at) on registered_operations to tenantql_app;

select app.isolate_by_tenant('registered_operations');

-- app.authenticate_api_key_for finds a key's operation before any tenant is set.
grant select on registered_operations to tenantql_auth;
drop policy if exists "key functions find registered operations" on registered_operations;
create policy "key functions find registered operations" on registered_operations
  for select to tenantql_auth using (current_user = 'tenantql_auth');

-- The read-only ad-hoc scope of API keys (set when a key is created).
grant select (ad_hoc_reads) on api_keys to tenantql_app;

select app.audit_table('registered_operations', 'registered_operation', '{"severity": "warning"}');
