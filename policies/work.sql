-- Work management (migration 0011). Re-applied after every migrate; idempotent.

revoke all on projects, project_members, sprints, milestones, tasks, task_comments, task_activity from tenantql_app;

-- Projects, tasks and comments are soft-deleted (deleted_at), never deleted by the app.
grant select, insert on projects to tenantql_app;
grant update (name, slug, description, visibility, settings, metadata, owner_id, deleted_at) on projects to tenantql_app;
grant select, insert, delete on project_members to tenantql_app;
grant update (role) on project_members to tenantql_app;
grant select, insert, delete on sprints, milestones to tenantql_app;
grant update (name, goal, status, start_date, end_date, completed_at) on sprints to tenantql_app;
grant update (title, description, status, due_date, completed_at) on milestones to tenantql_app;
grant select, insert on tasks to tenantql_app;
grant update (project_id, title, description, type, status, priority, assignee_id, reporter_id, sprint_id, milestone_id,
              parent_task_id, depth, story_points, due_date, tags, custom_fields, deleted_at) on tasks to tenantql_app;
grant select, insert on task_comments to tenantql_app;
grant update (body, edited_at, deleted_at) on task_comments to tenantql_app;
-- Activity is written by a trigger (app.record_task_activity, as tenantql_auth) and only read.
grant select on task_activity to tenantql_app;
grant insert on task_activity to tenantql_auth;

select app.isolate_by_tenant('projects');
select app.isolate_by_tenant('project_members');
select app.isolate_by_tenant('sprints');
select app.isolate_by_tenant('milestones');
select app.isolate_by_tenant('tasks');
select app.isolate_by_tenant('task_comments');
select app.isolate_by_tenant('task_activity');

drop policy if exists "the activity trigger records changes" on task_activity;
create policy "the activity trigger records changes" on task_activity
  for insert to tenantql_auth with check (current_user = 'tenantql_auth');

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

drop policy if exists "private projects only for their members" on projects;
create policy "private projects only for their members" on projects as restrictive to tenantql_app
  using (id <> all ((select app.hidden_project_ids())::uuid[]));
drop policy if exists "private projects only for their members" on project_members;
create policy "private projects only for their members" on project_members as restrictive to tenantql_app
  using (project_id <> all ((select app.hidden_project_ids())::uuid[]));
drop policy if exists "private projects only for their members" on sprints;
create policy "private projects only for their members" on sprints as restrictive to tenantql_app
  using (project_id <> all ((select app.hidden_project_ids())::uuid[]));
drop policy if exists "private projects only for their members" on milestones;
create policy "private projects only for their members" on milestones as restrictive to tenantql_app
  using (project_id <> all ((select app.hidden_project_ids())::uuid[]));
drop policy if exists "private projects only for their members" on tasks;
create policy "private projects only for their members" on tasks as restrictive to tenantql_app
  using (project_id <> all ((select app.hidden_project_ids())::uuid[]));
-- Comments and activity follow their task (whose policies apply inside this check).
drop policy if exists "private projects only for their members" on task_comments;
create policy "private projects only for their members" on task_comments as restrictive to tenantql_app
  using (exists (select 1 from tasks t where t.organization_id = task_comments.organization_id and t.id = task_comments.task_id));
drop policy if exists "private projects only for their members" on task_activity;
create policy "private projects only for their members" on task_activity as restrictive to tenantql_app
  using (exists (select 1 from tasks t where t.organization_id = task_activity.organization_id and t.id = task_activity.task_id));

select app.audit_table('projects', 'project');
select app.audit_table('project_members', 'project_member');
select app.audit_table('sprints', 'sprint');
select app.audit_table('milestones', 'milestone');
select app.audit_table('tasks', 'task', '{"ignore": ["priority_rank", "due_sort", "depth"]}');
select app.audit_table('task_comments', 'task_comment');
