-- Teams: groups of members of one organization. Re-applied after every migrate; idempotent.

revoke all on teams, team_members from tenantql_app;
grant select, insert, delete on teams, team_members to tenantql_app;
grant update (name, description) on teams to tenantql_app;
grant update (role) on team_members to tenantql_app;

select app.isolate_by_tenant('teams');

select app.isolate_by_tenant('team_members');

-- An ended membership ends its team memberships (app.end_memberships_within, migration 0017).
grant select (organization_id, user_id), delete on team_members to tenantql_auth;

select app.audit_table('teams', 'team');
select app.audit_table('team_members', 'team_member');
