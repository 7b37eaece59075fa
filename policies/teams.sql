-- Teams: groups of members of one organization. Re-applied after every migrate; idempotent.

revoke all on teams, team_members from tenantql_app;
grant select, insert, delete on teams, team_members to tenantql_app;
grant update (name, description) on teams to tenantql_app;
grant update (role) on team_members to tenantql_app;

alter table teams enable row level security;
alter table teams force row level security;
drop policy if exists tenant_isolation on teams;
create policy tenant_isolation on teams
  using (organization_id = (select app.current_org_id()))
  with check (organization_id = (select app.current_org_id()));

alter table team_members enable row level security;
alter table team_members force row level security;
drop policy if exists tenant_isolation on team_members;
create policy tenant_isolation on team_members
  using (organization_id = (select app.current_org_id()))
  with check (organization_id = (select app.current_org_id()));
