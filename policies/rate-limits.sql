-- Rate-limit counters (migration 0021). Re-applied after every migrate; idempotent.

-- rate-limiter-flexible's PostgreSQL store, under the app role: it upserts a key's window
-- (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), reads it, deletes it, and purges windows
-- that ended an hour ago. Not a tenant table (no organization_id): no other role touches it.
revoke all on rate_limit_counters from tenantql_app, tenantql_auth;
grant select, insert, update, delete on rate_limit_counters to tenantql_app;

alter table rate_limit_counters enable row level security;
alter table rate_limit_counters force row level security;
drop policy if exists "the app keeps rate-limit counters" on rate_limit_counters;
create policy "the app keeps rate-limit counters" on rate_limit_counters
  to tenantql_app using (true) with check (true);
