-- Work management (migration 0011). Re-applied after every migrate; idempotent.

-- One line per table (app.tenant_resource, migration 0022): grants to the app role (update of the
-- listed columns only), ENABLE + FORCE + tenant_isolation, the audit trigger, and with "follows"
-- the private-project rule below. Projects, tasks and comments are soft-deleted (deleted_at),
-- never deleted by the app.
select app.tenant_resource('projects', 'project',
  '{"update": ["name", "slug", "description", "visibility", "settings", "metadata", "owner_id", "deleted_at"]}');
select app.tenant_resource('project_members', 'project_member', '{"delete": true, "follows": "project"}');
select app.tenant_resource('sprints', 'sprint',
  '{"delete": true, "update": ["name", "goal", "status", "start_date", "end_date", "completed_at"], "follows": "project"}');
select app.tenant_resource('milestones', 'milestone',
  '{"delete": true, "update": ["title", "description", "status", "due_date", "completed_at"], "follows": "project"}');
select app.tenant_resource('tasks', 'task', '{
  "update": ["project_id", "title", "description", "type", "status", "priority", "assignee_id", "reporter_id", "sprint_id",
             "milestone_id", "parent_task_id", "depth", "story_points", "due_date", "tags", "custom_fields", "deleted_at"],
  "follows": "project", "audit": {"ignore": ["priority_rank", "due_sort", "depth"]}}');
-- Comments follow their task (whose policies apply inside the check).
select app.tenant_resource('task_comments', 'task_comment',
  '{"update": ["body", "edited_at", "deleted_at"], "follows": "tasks", "followsColumn": "task_id"}');

-- Activity is written by a trigger (app.record_task_activity, as tenantql_auth) and only read:
-- no insert for the app role and no audit trigger, so it is written out.
revoke all on task_activity from tenantql_app;
grant select on task_activity to tenantql_app;
grant insert on task_activity to tenantql_auth;
select app.isolate_by_tenant('task_activity');
drop policy if exists "the activity trigger records changes" on task_activity;
create policy "the activity trigger records changes" on task_activity
  for insert to tenantql_auth with check (current_user = 'tenantql_auth');
drop policy if exists "private projects only for their members" on task_activity;
create policy "private projects only for their members" on task_activity as restrictive to tenantql_app
  using (exists (select 1 from tasks t where t.organization_id = task_activity.organization_id and t.id = task_activity.task_id));

-- Private projects: besides the tenant, the app role sees a private project, and everything in
-- it, only as a member of the project or with projects:read_private. app.hidden_project_ids()
-- (tenantql_auth) lists the ones to hide, once per transaction (migration 0015).
grant select (organization_id, id, visibility) on projects to tenantql_auth;
grant select (organization_id, project_id, user_id) on project_members to tenantql_auth;
-- An ended membership ends its project memberships (app.end_memberships_within, migration 0017),
-- in the organization the transaction acts for (tenant_isolation).
grant delete on project_members to tenantql_auth;
drop policy if exists "the private-project check reads projects" on projects;
create policy "the private-project check reads projects" on projects
  for select to tenantql_auth using (current_user = 'tenantql_auth' and organization_id = (select app.current_org_id()));
drop policy if exists "the private-project check reads project members" on project_members;
create policy "the private-project check reads project members" on project_members
  for select to tenantql_auth using (current_user = 'tenantql_auth' and organization_id = (select app.current_org_id()));

-- The project is the visibility: its own rule, after its tenant_resource line (which drops a
-- policy of this name on a table without "follows").
drop policy if exists "private projects only for their members" on projects;
create policy "private projects only for their members" on projects as restrictive to tenantql_app
  using (id <> all ((select app.hidden_project_ids())::uuid[]));
