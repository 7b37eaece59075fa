-- Teams: groups of members of one organization. Re-applied after every migrate; idempotent.

select app.tenant_resource('teams', 'team', '{"delete": true, "update": ["name", "description"]}');
select app.tenant_resource('team_members', 'team_member', '{"delete": true}');

-- An ended membership ends its team memberships (app.end_memberships_within, migration 0017).
grant select (organization_id, user_id), delete on team_members to tenantql_auth;
