-- The audit log (migration 0010). Re-applied after every migrate; idempotent.
-- Entries are written only by the audit trigger (app.audit_row, running as tenantql_auth); the app
-- role reads its tenant's entries and can neither write, change nor remove one. Each domain's
-- policy file installs the trigger on its tables with app.audit_table.

revoke all on audit_log from tenantql_app, tenantql_auth;
grant select on audit_log to tenantql_app;
grant insert on audit_log to tenantql_auth;
grant execute on function app.current_request() to tenantql_app, tenantql_auth;

select app.isolate_by_tenant('audit_log');

drop policy if exists "the audit trigger records changes" on audit_log;
create policy "the audit trigger records changes" on audit_log
  for insert to tenantql_auth with check (current_user = 'tenantql_auth');

-- db:purge-audit runs as the owner in maintenance mode; the append-only trigger still refuses
-- every entry younger than the retention cut-off it sets.
drop policy if exists "retention by the owner" on audit_log;
create policy "retention by the owner" on audit_log
  to tenantql_owner using (app.maintenance_mode()) with check (false);
