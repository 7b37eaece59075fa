import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/** The permissions of the work domain (seeds 003, 004), and which built-in roles hold them. */
export const WORK_PERMISSIONS: [key: string, description: string, roles: string[]][] = [
  [
    'projects:read',
    'See projects (private ones only as their member) and their tasks, sprints and milestones',
    ['owner', 'admin', 'officer', 'member', 'viewer'],
  ],
  ['projects:read_private', 'See every private project, member or not', ['owner', 'admin']],
  ['projects:create', 'Create projects', ['owner', 'admin', 'officer', 'member']],
  ['projects:update', 'Change projects and their members', ['owner', 'admin', 'officer']],
  ['projects:delete', 'Delete and restore projects, and see deleted ones', ['owner', 'admin']],
  ['tasks:create', 'Create tasks', ['owner', 'admin', 'officer', 'member']],
  ['tasks:update', 'Change, transition, assign and move tasks', ['owner', 'admin', 'officer', 'member']],
  ['tasks:delete', 'Delete and restore tasks, and see deleted ones', ['owner', 'admin', 'officer']],
  ['sprints:manage', 'Create, change and delete sprints and milestones', ['owner', 'admin', 'officer']],
  [
    'comments:create',
    'Comment on tasks (and edit and delete one’s own comments)',
    ['owner', 'admin', 'officer', 'member'],
  ],
  ['comments:moderate', 'Delete anyone’s comments', ['owner', 'admin']],
  ['audit:read', 'Read the audit log', ['owner', 'admin']],
];

/**
 * Work management (seeds 003 and 004): projects and their members, sprints, milestones, tasks
 * with a status machine and subtasks, comments, and task activity.
 *
 * Rules kept by the database, not only by code: names and slugs unique among live rows; sprint
 * dates ordered and never overlapping within a project (an exclusion constraint); a task's
 * sprint, milestone and parent belong to its project (composite foreign keys); subtasks nest at
 * most 3 deep and never in a cycle; status changes follow the machine; assignees, reporters,
 * owners and project members are members of the organization; story points are Fibonacci.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create extension if not exists btree_gist;

    -- Only people with a membership (not ended) in the row's organization; another tenant's row
    -- is left to RLS, which says nothing about that tenant.
    -- p_constraint names the rule in the error, so the API can say which field broke it.
    create function app.assert_member(p_organization_id uuid, p_user_id uuid, p_constraint text) returns void
      language plpgsql
      as $$
      begin
        if p_user_id is null or p_organization_id is distinct from app.current_org_id() then return; end if;
        if not exists (select 1 from public.memberships m
                        where m.organization_id = p_organization_id and m.user_id = p_user_id and m.ended_at is null) then
          raise exception 'the user is not a member of the organization' using errcode = '23503', constraint = p_constraint;
        end if;
      end
      $$;

    create table projects (
      organization_id uuid not null references organizations (id),
      id uuid not null default gen_random_uuid(),
      name text not null check (char_length(btrim(name)) between 1 and 255),
      slug text not null check (slug ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' and char_length(slug) <= 100),
      description text not null default '' check (char_length(description) <= 10000),
      visibility text not null default 'public' check (visibility in ('public', 'private')),
      settings jsonb not null default '{"features": []}'
        check (jsonb_typeof(settings) = 'object' and jsonb_typeof(settings -> 'features') = 'array'),
      metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object' and pg_column_size(metadata) <= 65536),
      owner_id uuid not null references users (id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      deleted_at timestamptz,
      primary key (organization_id, id)
    );
    create unique index projects_name_key on projects (organization_id, lower(name)) where deleted_at is null;
    create unique index projects_slug_key on projects (organization_id, slug) where deleted_at is null;
    create index projects_name_idx on projects (organization_id, name, id);
    create index projects_created_idx on projects (organization_id, created_at, id);
    create trigger projects_touch before update on projects for each row execute function app.touch();

    create table project_members (
      organization_id uuid not null,
      id uuid not null default gen_random_uuid(),
      project_id uuid not null,
      user_id uuid not null references users (id),
      role text not null default 'member' check (role in ('lead', 'member')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id),
      foreign key (organization_id, project_id) references projects (organization_id, id) on delete cascade
    );
    create unique index project_members_key on project_members (organization_id, project_id, user_id);
    create index project_members_project_idx on project_members (organization_id, project_id, created_at, id);
    create index project_members_user_idx on project_members (organization_id, user_id);
    create trigger project_members_touch before update on project_members for each row execute function app.touch();

    create function app.project_people_are_members() returns trigger
      language plpgsql
      as $$
      begin
        if tg_table_name = 'projects' then
          perform app.assert_member(new.organization_id, new.owner_id, 'projects_owner_is_member');
        else
          perform app.assert_member(new.organization_id, new.user_id, 'project_members_are_members');
        end if;
        return new;
      end
      $$;
    create trigger projects_owner_is_member before insert or update of owner_id on projects
      for each row execute function app.project_people_are_members();
    create trigger project_members_are_members before insert or update of user_id on project_members
      for each row execute function app.project_people_are_members();

    create table sprints (
      organization_id uuid not null,
      id uuid not null default gen_random_uuid(),
      project_id uuid not null,
      name text not null check (char_length(btrim(name)) between 1 and 255),
      goal text not null default '' check (char_length(goal) <= 5000),
      status text not null default 'planned' check (status in ('planned', 'active', 'completed', 'cancelled')),
      start_date date not null,
      end_date date not null,
      completed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id),
      unique (organization_id, project_id, id),
      foreign key (organization_id, project_id) references projects (organization_id, id) on delete cascade,
      constraint sprints_dates_check check (end_date > start_date),
      -- Seed 003: no overlapping sprints per project (a cancelled sprint no longer holds its dates).
      constraint sprints_no_overlap exclude using gist (
        organization_id with =, project_id with =, daterange(start_date, end_date) with &&
      ) where (status <> 'cancelled')
    );
    create unique index sprints_name_key on sprints (organization_id, project_id, lower(name));
    create index sprints_project_idx on sprints (organization_id, project_id, start_date, id);
    create index sprints_start_idx on sprints (organization_id, start_date, id);
    create trigger sprints_touch before update on sprints for each row execute function app.touch();

    create table milestones (
      organization_id uuid not null,
      id uuid not null default gen_random_uuid(),
      project_id uuid not null,
      title text not null check (char_length(btrim(title)) between 1 and 255),
      description text not null default '' check (char_length(description) <= 10000),
      status text not null default 'open' check (status in ('open', 'in_progress', 'completed', 'cancelled')),
      due_date date,
      completed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id),
      unique (organization_id, project_id, id),
      foreign key (organization_id, project_id) references projects (organization_id, id) on delete cascade
    );
    create index milestones_project_idx on milestones (organization_id, project_id, created_at, id);
    create index milestones_created_idx on milestones (organization_id, created_at, id);
    create trigger milestones_touch before update on milestones for each row execute function app.touch();

    create table tasks (
      organization_id uuid not null,
      id uuid not null default gen_random_uuid(),
      project_id uuid not null,
      title text not null check (char_length(btrim(title)) between 1 and 500),
      description text not null default '' check (char_length(description) <= 100000),
      type text not null default 'task' check (type in ('task', 'bug', 'feature', 'epic')),
      status text not null default 'backlog'
        check (status in ('backlog', 'todo', 'in_progress', 'in_review', 'done', 'cancelled')),
      priority text not null default 'medium' check (priority in ('low', 'medium', 'high', 'urgent')),
      -- For ordering by priority (most urgent first) with a keyset cursor.
      priority_rank smallint not null generated always as (
        case priority when 'urgent' then 4 when 'high' then 3 when 'medium' then 2 else 1 end) stored,
      assignee_id uuid references users (id),
      reporter_id uuid references users (id),
      sprint_id uuid,
      milestone_id uuid,
      parent_task_id uuid,
      -- 1 for a top-level task, 2 for a subtask, 3 for a sub-subtask (kept by app.task_hierarchy).
      depth smallint not null default 1 check (depth between 1 and 3),
      story_points integer check (story_points in (1, 2, 3, 5, 8, 13, 21, 34, 55, 89)),
      due_date timestamptz,
      -- For ordering by due date (tasks without one last) with a keyset cursor.
      due_sort timestamptz not null generated always as (coalesce(due_date, 'infinity')) stored,
      started_at timestamptz,
      completed_at timestamptz,
      tags text[] not null default '{}' check (cardinality(tags) <= 50 and array_position(tags, null) is null),
      custom_fields jsonb not null default '{}' check (jsonb_typeof(custom_fields) = 'object' and pg_column_size(custom_fields) <= 65536),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      deleted_at timestamptz,
      primary key (organization_id, id),
      unique (organization_id, project_id, id),
      constraint tasks_project_fkey foreign key (organization_id, project_id) references projects (organization_id, id) on delete cascade,
      -- The sprint, milestone and parent are in the task's own project.
      constraint tasks_sprint_fkey foreign key (organization_id, project_id, sprint_id)
        references sprints (organization_id, project_id, id) on delete set null (sprint_id),
      constraint tasks_milestone_fkey foreign key (organization_id, project_id, milestone_id)
        references milestones (organization_id, project_id, id) on delete set null (milestone_id),
      constraint tasks_parent_fkey foreign key (organization_id, project_id, parent_task_id)
        references tasks (organization_id, project_id, id),
      constraint tasks_not_own_parent check (parent_task_id <> id)
    );
    create index tasks_project_idx on tasks (organization_id, project_id, created_at, id) where deleted_at is null;
    create index tasks_created_idx on tasks (organization_id, created_at, id) where deleted_at is null;
    create index tasks_status_idx on tasks (organization_id, project_id, status) where deleted_at is null;
    create index tasks_assignee_idx on tasks (organization_id, assignee_id, created_at, id) where deleted_at is null;
    create index tasks_sprint_idx on tasks (organization_id, sprint_id) where sprint_id is not null;
    create index tasks_milestone_idx on tasks (organization_id, milestone_id) where milestone_id is not null;
    create index tasks_parent_idx on tasks (organization_id, parent_task_id, created_at, id) where parent_task_id is not null;
    create index tasks_due_idx on tasks (organization_id, due_date) where status not in ('done', 'cancelled') and deleted_at is null;
    create index tasks_tags_idx on tasks using gin (tags);
    create trigger tasks_touch before update on tasks for each row execute function app.touch();

    create function app.task_people_are_members() returns trigger
      language plpgsql
      as $$
      begin
        if tg_op = 'INSERT' or new.assignee_id is distinct from old.assignee_id then
          perform app.assert_member(new.organization_id, new.assignee_id, 'tasks_assignee_is_member');
        end if;
        if tg_op = 'INSERT' or new.reporter_id is distinct from old.reporter_id then
          perform app.assert_member(new.organization_id, new.reporter_id, 'tasks_reporter_is_member');
        end if;
        return new;
      end
      $$;
    create trigger tasks_people_are_members before insert or update of assignee_id, reporter_id on tasks
      for each row execute function app.task_people_are_members();

    -- The status machine (docs/api.md): forward one step, back one step while open, cancel while
    -- open, reopen a done task (to in_progress) or a cancelled one (to backlog). started_at is set
    -- the first time work starts; completed_at while done.
    create function app.task_status_allowed(p_from text, p_to text) returns boolean
      language sql immutable parallel safe
      as $$
        select (p_from, p_to) in (
          ('backlog', 'todo'), ('todo', 'in_progress'), ('in_progress', 'in_review'), ('in_review', 'done'),
          ('todo', 'backlog'), ('in_progress', 'todo'), ('in_review', 'in_progress'),
          ('backlog', 'cancelled'), ('todo', 'cancelled'), ('in_progress', 'cancelled'), ('in_review', 'cancelled'),
          ('done', 'in_progress'), ('cancelled', 'backlog'))
      $$;

    create function app.task_status() returns trigger
      language plpgsql
      as $$
      begin
        if tg_op = 'UPDATE' and new.status is distinct from old.status
           and not app.task_status_allowed(old.status, new.status) then
          raise exception 'a task cannot go from % to %', old.status, new.status
            using errcode = '23514', constraint = 'tasks_status_transition';
        end if;
        if new.status in ('in_progress', 'in_review', 'done') and new.started_at is null then
          new.started_at := now();
        end if;
        if new.status = 'done' then
          new.completed_at := coalesce(case when tg_op = 'UPDATE' and old.status = 'done' then old.completed_at end, new.completed_at, now());
        else
          new.completed_at := null;
        end if;
        return new;
      end
      $$;
    create trigger tasks_status before insert or update of status, started_at, completed_at on tasks
      for each row execute function app.task_status();

    -- Subtasks: at most 3 levels, never a cycle. Checked whenever a parent changes, under a lock
    -- per organization so two concurrent moves cannot build a cycle between them.
    create function app.task_hierarchy() returns trigger
      language plpgsql
      as $$
      declare
        v_parent_depth smallint := 0;
        v_height smallint := 1;
      begin
        if tg_op = 'UPDATE' and new.parent_task_id is not distinct from old.parent_task_id then
          -- Depth is the database's: any write of it (task_depth_follows' or a direct one) becomes the parent's + 1.
          if new.depth is distinct from old.depth then
            new.depth := coalesce((select t.depth from public.tasks t
                                    where t.organization_id = new.organization_id and t.id = new.parent_task_id), 0) + 1;
          end if;
          return new;
        end if;
        if new.parent_task_id is not null then
          perform pg_advisory_xact_lock(hashtextextended('tasks.hierarchy:' || new.organization_id::text, 0));
          if exists (
            with recursive up as (
              select t.id, t.parent_task_id from public.tasks t
               where t.organization_id = new.organization_id and t.id = new.parent_task_id
              union
              select t.id, t.parent_task_id from public.tasks t join up on t.organization_id = new.organization_id and t.id = up.parent_task_id
            ) select 1 from up where up.id = new.id) then
            raise exception 'a task cannot be its own ancestor' using errcode = '23514', constraint = 'tasks_no_cycle';
          end if;
          select t.depth into v_parent_depth from public.tasks t
           where t.organization_id = new.organization_id and t.id = new.parent_task_id;
        end if;
        if tg_op = 'UPDATE' then
          with recursive down as (
            select t.id, 1 as level from public.tasks t where t.organization_id = new.organization_id and t.id = new.id
            union all
            select t.id, down.level + 1 from public.tasks t join down on t.organization_id = new.organization_id and t.parent_task_id = down.id
             where down.level < 4
          ) select max(level) into v_height from down;
        end if;
        if coalesce(v_parent_depth, 0) + v_height > 3 then
          raise exception 'subtasks nest at most 3 levels deep' using errcode = '23514', constraint = 'tasks_depth';
        end if;
        new.depth := coalesce(v_parent_depth, 0) + 1;
        return new;
      end
      $$;
    create trigger tasks_hierarchy before insert or update of parent_task_id, depth on tasks
      for each row execute function app.task_hierarchy();

    -- A moved task's subtasks follow its depth.
    create function app.task_depth_follows() returns trigger
      language plpgsql
      as $$
      begin
        if new.depth is distinct from old.depth then
          update public.tasks t set depth = new.depth + 1
           where t.organization_id = new.organization_id and t.parent_task_id = new.id and t.depth <> new.depth + 1;
        end if;
        return null;
      end
      $$;
    -- Also "of parent_task_id": UPDATE OF fires only for columns the statement sets, not for the
    -- depth that tasks_hierarchy changes.
    create trigger tasks_depth_follows after update of parent_task_id, depth on tasks
      for each row execute function app.task_depth_follows();

    create table task_comments (
      organization_id uuid not null,
      id uuid not null default gen_random_uuid(),
      task_id uuid not null,
      author_id uuid references users (id),
      body text not null check (char_length(btrim(body)) between 1 and 10000),
      edited_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      deleted_at timestamptz,
      primary key (organization_id, id),
      foreign key (organization_id, task_id) references tasks (organization_id, id) on delete cascade
    );
    create index task_comments_task_idx on task_comments (organization_id, task_id, created_at, id);
    create trigger task_comments_touch before update on task_comments for each row execute function app.touch();

    -- Task activity: every change to a task (and every comment) as a history row, written by
    -- triggers as tenantql_auth; the app role may only read it.
    create table task_activity (
      organization_id uuid not null,
      id uuid not null default gen_random_uuid(),
      task_id uuid not null,
      actor_user_id uuid references users (id),
      actor_api_key_id uuid,
      action text not null,
      changes jsonb not null default '{}',
      created_at timestamptz not null default clock_timestamp(),
      primary key (organization_id, id),
      foreign key (organization_id, task_id) references tasks (organization_id, id) on delete cascade
    );
    create index task_activity_task_idx on task_activity (organization_id, task_id, created_at, id);

    create function app.record_task_activity() returns trigger
      language plpgsql security definer
      set search_path = ''
      as $$
      declare
        v_changes jsonb;
        v_action text;
        v_task_id uuid;
      begin
        if tg_table_name = 'task_comments' then
          v_task_id := new.task_id;
          v_action := case when tg_op = 'INSERT' then 'commented'
                           when new.deleted_at is not null and old.deleted_at is null then 'comment_deleted'
                           when new.body is distinct from old.body then 'comment_edited' end;
          if v_action is null then return null; end if;
          v_changes := jsonb_build_object('commentId', new.id);
        else
          v_task_id := new.id;
          v_changes := app.row_changes(case when tg_op = 'UPDATE' then to_jsonb(old) end, to_jsonb(new),
            array['updated_at', 'updated_by', 'created_at', 'created_by', 'organization_id', 'id', 'priority_rank', 'due_sort', 'depth'], '{}');
          if v_changes is null then return null; end if;
          v_action := case
            when tg_op = 'INSERT' then 'created'
            when v_changes -> 'after' ? 'deleted_at' then case when new.deleted_at is null then 'restored' else 'deleted' end
            when v_changes -> 'after' ? 'project_id' or v_changes -> 'after' ? 'parent_task_id' then 'moved'
            when v_changes -> 'after' ? 'status' then 'status_changed'
            when v_changes -> 'after' ? 'assignee_id' and (select count(*) from jsonb_object_keys(v_changes -> 'after')) = 1 then 'assigned'
            else 'updated' end;
        end if;
        insert into public.task_activity (organization_id, task_id, actor_user_id, actor_api_key_id, action, changes)
        values (new.organization_id, v_task_id, app.current_user_id(), app.current_api_key_id(), v_action, v_changes);
        return null;
      end
      $$;
    create trigger tasks_activity after insert or update on tasks
      for each row execute function app.record_task_activity();
    create trigger task_comments_activity after insert or update on task_comments
      for each row execute function app.record_task_activity();

    -- Private projects (seed 004): visible to their members and to holders of projects:read_private.
    -- Evaluated once per statement by the policies of work.sql; runs as tenantql_auth because it
    -- must see the projects it hides.
    create function app.hidden_project_ids() returns uuid[]
      language sql stable security definer
      set search_path = ''
      as $$
        select case when 'projects:read_private' = any (app.current_permissions()) then '{}'::uuid[]
               else coalesce((
                 select array_agg(p.id) from public.projects p
                  where p.organization_id = app.current_org_id() and p.visibility = 'private'
                    and not exists (select 1 from public.project_members m
                                     where m.organization_id = p.organization_id and m.project_id = p.id
                                       and m.user_id = app.current_user_id())), '{}'::uuid[]) end
      $$;
  `.execute(db);
  await handToAuthRole(db, {
    'app.record_task_activity()': ['session_user'],
    'app.hidden_project_ids()': ['tenantql_app', 'session_user'],
  });
  const keys = WORK_PERMISSIONS.map(([key]) => key);
  await sql`insert into permissions (key, description) select * from unnest(${keys}::text[], ${WORK_PERMISSIONS.map(([, d]) => d)}::text[])`.execute(
    db,
  );
  const grants = WORK_PERMISSIONS.flatMap(([key, , roles]) => roles.map((role) => [role, key] as const));
  await sql`insert into built_in_role_permissions (role, permission)
            select * from unnest(${grants.map(([r]) => r)}::text[], ${grants.map(([, k]) => k)}::text[])`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const keys = WORK_PERMISSIONS.map(([key]) => key);
  // Fails while a custom role still grants one of them: take it out of those roles first.
  await sql`delete from permissions where key = any(${keys}::text[])`.execute(db);
  await sql`
    drop table task_activity, task_comments, tasks, milestones, sprints, project_members, projects;
    drop function app.hidden_project_ids();
    drop function app.record_task_activity();
    drop function app.task_depth_follows();
    drop function app.task_hierarchy();
    drop function app.task_status();
    drop function app.task_status_allowed(text, text);
    drop function app.task_people_are_members();
    drop function app.project_people_are_members();
    drop function app.assert_member(uuid, uuid, text);
  `.execute(db);
}
