import { sql, type Kysely } from 'kysely';
import { addPermissions, createResourceTable, dropPermissions, handToAuthRole, type PermissionGrant } from './helpers';

/** The document permissions (seed 003), and which built-in roles hold them. */
const DOCUMENT_PERMISSIONS: PermissionGrant[] = [
  [
    'documents:read',
    'See folders and documents (those restricted by document permissions only with a grant) and download them',
    ['owner', 'admin', 'officer', 'member', 'viewer'],
  ],
  [
    'documents:write',
    'Upload files, create folders and documents, add versions and change them',
    ['owner', 'admin', 'officer', 'member'],
  ],
  [
    'documents:manage',
    'See every folder and document whatever their permissions; delete, restore and share them',
    ['owner', 'admin'],
  ],
];

/**
 * Documents and files (seed 003, "Document Management"; issue 17): uploads, the files streamed in
 * by POST /uploads and not yet used; folders, a tree per organization; documents and their
 * immutable versions. The database keeps the rules: a folder's path is its own (ids from the top,
 * computed on insert and move, a move rewriting every descendant in one statement), at most 10
 * levels, never a cycle, names unique among live siblings; a version's number is the next one of
 * its document, taken under the document's row lock, so numbers are gap-free under concurrent
 * uploads; versions never change; a document's file columns are its current version's.
 * Document permissions (grants on a folder or a document) decide, nearest first up the tree, who
 * sees (RLS, answers kept per transaction) and who changes what (a trigger); task attachments,
 * document activity (written by triggers) and the organization's storage usage complete it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // A file streamed in (POST /uploads), waiting for createDocument or addDocumentVersion to use it,
  // once: used_at is set in the same transaction, and never again. The bytes are in the blob store
  // under `${organization_id}/${checksum}` (content-addressed: the same bytes are stored once).
  // created_by is the user, null for an API key (api_key_id then names it).
  await createResourceTable(db, 'uploads', {
    columns: sql`
      api_key_id uuid,
      file_name text not null check (char_length(btrim(file_name)) between 1 and 255),
      mime_type text not null check (char_length(mime_type) between 1 and 255),
      size bigint not null check (size >= 0),
      checksum text not null check (checksum ~ '^[0-9a-f]{64}$'),
      used_at timestamptz`,
    constraints: sql`
      constraint uploads_api_key_fkey foreign key (organization_id, api_key_id)
        references api_keys (organization_id, id) on delete set null (api_key_id)`,
    indexes: {
      // The cleanup's: unused uploads by age.
      uploads_unused_idx: { on: '(organization_id, created_at)', where: 'used_at is null' },
    },
  });
  await sql`
    -- Used once: a used upload stays used (a second createDocument with it finds nothing to use).
    create function app.upload_used_once() returns trigger
      language plpgsql
      as $$
      begin
        if old.used_at is not null and new.used_at is distinct from old.used_at then
          raise exception 'an upload is used once' using errcode = '23514', constraint = 'uploads_used_once';
        end if;
        return new;
      end
      $$;
    create trigger uploads_used_once before update of used_at on uploads
      for each row execute function app.upload_used_once();
  `.execute(db);

  // Folders: a tree per organization. path is the ids from the top folder down to this one,
  // computed by app.folder_tree (never written by the app); its length is the depth.
  await createResourceTable(db, 'folders', {
    parent: { column: 'parent_id', table: 'folders', onDelete: 'cascade', nullable: true },
    softDelete: true,
    columns: sql`
      name text not null check (char_length(btrim(name)) between 1 and 255),
      description text not null default '' check (char_length(description) <= 10000),
      path uuid[] not null default '{}'`,
    constraints: sql`constraint folders_not_own_parent check (parent_id <> id)`,
    indexes: {
      // Names are unique among live siblings, top-level folders being siblings too (PostgreSQL 15+).
      folders_name_key: {
        on: '(organization_id, parent_id, lower(name)) nulls not distinct',
        unique: true,
        where: 'deleted_at is null',
      },
      folders_created_idx: '(organization_id, created_at, id)',
    },
  });
  await sql`
    -- The tree's rules, on insert and on every move, under a lock per organization so that two
    -- concurrent moves cannot build a cycle or a deep branch between them: the parent is not the
    -- folder nor one of its sub-folders, and the deepest folder of the moved branch ends at most
    -- 10 levels down. Runs as tenantql_auth, which sees every folder of the organization, so that
    -- folders the caller may not see (document permissions) still count and still move.
    create function app.folder_tree() returns trigger
      language plpgsql security definer
      set search_path = ''
      as $$
      declare
        v_parent uuid[] := '{}';
        v_height int := 1;
      begin
        if tg_op = 'UPDATE' and new.parent_id is not distinct from old.parent_id then
          -- The path is the database's: only the rewrite below (a nested statement) changes it.
          if pg_catalog.pg_trigger_depth() < 2 then
            new.path := old.path;
          end if;
          return new;
        end if;
        perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('folders.tree:' || new.organization_id::text, 0));
        if new.parent_id is not null then
          select f.path into v_parent from public.folders f
           where f.organization_id = new.organization_id and f.id = new.parent_id;
          -- A missing parent: the foreign key refuses it.
          if new.id = any (v_parent) then
            raise exception 'a folder cannot be moved under itself or its own sub-folders'
              using errcode = '23514', constraint = 'folders_no_cycle';
          end if;
        end if;
        if tg_op = 'UPDATE' then
          select max(pg_catalog.cardinality(f.path)) - pg_catalog.cardinality(old.path) + 1 into v_height
            from public.folders f
           where f.organization_id = new.organization_id and f.path @> array[new.id];
        end if;
        if pg_catalog.cardinality(coalesce(v_parent, '{}')) + coalesce(v_height, 1) > 10 then
          raise exception 'folders nest at most 10 levels deep' using errcode = '23514', constraint = 'folders_depth';
        end if;
        new.path := coalesce(v_parent, '{}') || new.id;
        return new;
      end
      $$;
    create trigger folders_tree before insert or update of parent_id, path on folders
      for each row execute function app.folder_tree();

    -- A moved folder's sub-folders, at every level, follow its path: one statement.
    create function app.folder_paths_follow() returns trigger
      language plpgsql security definer
      set search_path = ''
      as $$
      begin
        if new.path is distinct from old.path then
          update public.folders f
             set path = new.path || f.path[pg_catalog.cardinality(old.path) + 1:]
           where f.organization_id = new.organization_id and f.path @> array[new.id] and f.id <> new.id;
        end if;
        return null;
      end
      $$;
    create trigger folders_paths_follow after update of parent_id on folders
      for each row execute function app.folder_paths_follow();
  `.execute(db);

  // Documents: the current version's file columns (kept by app.document_version_added), the rest
  // the document's own.
  await createResourceTable(db, 'documents', {
    softDelete: true,
    columns: sql`
      project_id uuid,
      folder_id uuid,
      owner_id uuid references users (id),
      title text not null check (char_length(btrim(title)) between 1 and 500),
      description text not null default '' check (char_length(description) <= 100000),
      file_name text not null check (char_length(btrim(file_name)) between 1 and 255),
      size bigint not null check (size >= 0),
      mime_type text not null check (char_length(mime_type) between 1 and 255),
      checksum text not null check (checksum ~ '^[0-9a-f]{64}$'),
      current_version integer not null default 1,
      status text not null default 'draft' check (status in ('draft', 'published', 'archived')),
      tags text[] not null default '{}' check (cardinality(tags) <= 50),
      metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object' and pg_column_size(metadata) <= 65536)`,
    constraints: sql`
      constraint documents_project_fkey foreign key (organization_id, project_id)
        references projects (organization_id, id) on delete set null (project_id),
      constraint documents_folder_fkey foreign key (organization_id, folder_id)
        references folders (organization_id, id) on delete set null (folder_id)`,
    indexes: {
      // Seed 003's: a folder's live documents, de-duplication by checksum, an owner's, by status.
      documents_folder_idx: { on: '(organization_id, folder_id, created_at, id)', where: 'deleted_at is null' },
      documents_checksum_idx: '(organization_id, checksum)',
      documents_owner_idx: '(organization_id, owner_id)',
      documents_status_updated_idx: '(organization_id, status, updated_at desc)',
      documents_project_idx: '(organization_id, project_id, created_at, id)',
      documents_updated_idx: '(organization_id, updated_at, id)',
      documents_created_idx: '(organization_id, created_at, id)',
    },
  });

  // Versions: immutable; version_number is the database's (app.document_version_number).
  await createResourceTable(db, 'document_versions', {
    parent: { column: 'document_id', table: 'documents', onDelete: 'cascade', index: false },
    columns: sql`
      version_number integer not null check (version_number >= 1),
      file_name text not null check (char_length(btrim(file_name)) between 1 and 255),
      size bigint not null check (size >= 0),
      mime_type text not null check (char_length(mime_type) between 1 and 255),
      checksum text not null check (checksum ~ '^[0-9a-f]{64}$'),
      change_summary text not null default '' check (char_length(change_summary) <= 10000)`,
    indexes: {
      document_versions_number_key: { on: '(organization_id, document_id, version_number)', unique: true },
      document_versions_checksum_idx: '(organization_id, checksum)',
    },
  });
  await sql`
    -- A new document starts at version 1, written from its own file columns.
    create function app.document_first_version() returns trigger
      language plpgsql
      as $$
      begin
        if tg_op = 'INSERT' and tg_when = 'BEFORE' then
          new.current_version := 1;
          return new;
        end if;
        insert into public.document_versions (organization_id, document_id, file_name, size, mime_type, checksum, created_by)
        values (new.organization_id, new.id, new.file_name, new.size, new.mime_type, new.checksum, new.created_by);
        return null;
      end
      $$;
    create trigger documents_first_version_number before insert on documents
      for each row execute function app.document_first_version();
    create trigger documents_first_version after insert on documents
      for each row execute function app.document_first_version();

    -- The next number of the document, under its row lock: concurrent versions of one document
    -- wait for each other, so numbers are gap-free and unique (a rolled-back version takes its
    -- number with it). Runs as tenantql_auth, which may lock and read every version.
    create function app.document_version_number() returns trigger
      language plpgsql security definer
      set search_path = ''
      as $$
      begin
        perform 1 from public.documents d
         where d.organization_id = new.organization_id and d.id = new.document_id for update;
        new.version_number := coalesce((select max(v.version_number) from public.document_versions v
                                         where v.organization_id = new.organization_id
                                           and v.document_id = new.document_id), 0) + 1;
        return new;
      end
      $$;
    create trigger document_versions_number before insert on document_versions
      for each row execute function app.document_version_number();

    -- The document's file columns are its current version's: the app role cannot write them.
    create function app.document_version_added() returns trigger
      language plpgsql security definer
      set search_path = ''
      as $$
      begin
        update public.documents d
           set current_version = new.version_number, file_name = new.file_name, size = new.size,
               mime_type = new.mime_type, checksum = new.checksum
         where d.organization_id = new.organization_id and d.id = new.document_id
           and d.current_version is distinct from new.version_number;
        return null;
      end
      $$;
    create trigger document_versions_added after insert on document_versions
      for each row execute function app.document_version_added();

    -- Versions never change (the app role may not even try: it has no UPDATE or DELETE on them).
    create function app.document_version_immutable() returns trigger
      language plpgsql
      as $$
      begin
        raise exception 'a document version never changes' using errcode = '23514', constraint = 'document_versions_immutable';
      end
      $$;
    create trigger document_versions_immutable before update on document_versions
      for each row execute function app.document_version_immutable();
  `.execute(db);
  // Grants on a folder (inherited by everything in it without grants of its own) or on one
  // document, to one user, one team or everyone with one built-in role.
  await createResourceTable(db, 'document_permissions', {
    columns: sql`
      folder_id uuid,
      document_id uuid,
      user_id uuid references users (id),
      team_id uuid,
      role text check (role in ('owner', 'admin', 'officer', 'member', 'viewer')),
      level text not null default 'view' check (level in ('view', 'edit', 'manage')),
      grantee text not null generated always as (coalesce('user:' || user_id, 'team:' || team_id, 'role:' || role)) stored`,
    constraints: sql`
      constraint document_permissions_folder_fkey foreign key (organization_id, folder_id)
        references folders (organization_id, id) on delete cascade,
      constraint document_permissions_document_fkey foreign key (organization_id, document_id)
        references documents (organization_id, id) on delete cascade,
      constraint document_permissions_team_fkey foreign key (organization_id, team_id)
        references teams (organization_id, id) on delete cascade,
      constraint document_permissions_one_target check (num_nonnulls(folder_id, document_id) = 1),
      constraint document_permissions_one_grantee check (num_nonnulls(user_id, team_id, role) = 1)`,
    indexes: {
      // One grant per target and grantee (change its level instead).
      document_permissions_key: {
        on: '(organization_id, folder_id, document_id, grantee) nulls not distinct',
        unique: true,
      },
      document_permissions_folder_idx: '(organization_id, folder_id, created_at, id)',
      document_permissions_document_idx: '(organization_id, document_id, created_at, id)',
    },
  });
  await sql`
    -- A grant to a user is to a member of the organization.
    create function app.document_permission_user_is_member() returns trigger
      language plpgsql
      as $$
      begin
        perform app.assert_member(new.organization_id, new.user_id, 'document_permissions_user_is_member');
        return new;
      end
      $$;
    create trigger document_permissions_user_is_member before insert or update of user_id on document_permissions
      for each row execute function app.document_permission_user_is_member();

    -- Who the caller is for a grant: 'user:<id>', 'role:<built-in role>' and 'team:<id>' of each
    -- of their teams (document_permissions.grantee). An API key has none: no user, no role.
    create function app.document_grantees() returns text[]
      language sql stable security definer
      set search_path = ''
      as $$
        select array['user:' || m.user_id, 'role:' || m.role]
               || array(select 'team:' || t.team_id from public.team_members t
                         where t.organization_id = m.organization_id and t.user_id = m.user_id)
          from public.memberships m
         where m.organization_id = app.current_org_id() and m.user_id = app.current_user_id() and m.ended_at is null
      $$;

    -- The folders the caller may not see: those whose nearest folder with grants (itself or up
    -- the tree) has none naming the caller. Kept for the transaction like app.hidden_project_ids
    -- (migration 0015); writes that change it forget it.
    create function app.hidden_folder_ids() returns uuid[]
      language plpgsql stable security definer
      set search_path = ''
      as $$
        declare
          context text := app.cache_context();
          cached text := current_setting('app.cached_hidden_folder_ids', true);
          keys text[];
          answer uuid[] := '{}';
        begin
          if starts_with(cached, context) then
            return substr(cached, length(context) + 1)::uuid[];
          end if;
          if not 'documents:manage' = any (app.current_permissions()) then
            keys := coalesce(app.document_grantees(), '{}');
            answer := coalesce((
              with grants as (
                select p.folder_id, bool_or(p.grantee = any (keys)) as mine from public.document_permissions p
                 where p.organization_id = app.current_org_id() and p.folder_id is not null group by p.folder_id)
              select array_agg(f.id) from public.folders f
               where f.organization_id = app.current_org_id() and exists (select 1 from grants)
                 and not coalesce((select g.mine from unnest(f.path) with ordinality a (id, n)
                                     join grants g on g.folder_id = a.id order by a.n desc limit 1), true)), '{}');
          end if;
          perform set_config('app.cached_hidden_folder_ids', context || answer::text, true);
          return answer;
        end
      $$;

    -- The documents the caller may not see: with grants of their own, when none names the caller;
    -- without, when their folder is hidden.
    create function app.hidden_document_ids() returns uuid[]
      language plpgsql stable security definer
      set search_path = ''
      as $$
        declare
          context text := app.cache_context();
          cached text := current_setting('app.cached_hidden_document_ids', true);
          keys text[];
          folders uuid[];
          answer uuid[] := '{}';
        begin
          if starts_with(cached, context) then
            return substr(cached, length(context) + 1)::uuid[];
          end if;
          if not 'documents:manage' = any (app.current_permissions()) then
            keys := coalesce(app.document_grantees(), '{}');
            folders := app.hidden_folder_ids();
            answer := coalesce((
              with own as (
                select p.document_id, bool_or(p.grantee = any (keys)) as mine from public.document_permissions p
                 where p.organization_id = app.current_org_id() and p.document_id is not null group by p.document_id)
              select array_agg(d.id) from public.documents d left join own on own.document_id = d.id
               where d.organization_id = app.current_org_id()
                 and (not own.mine or (own.document_id is null and d.folder_id = any (folders)))), '{}');
          end if;
          perform set_config('app.cached_hidden_document_ids', context || answer::text, true);
          return answer;
        end
      $$;

    -- The caller's level on a document (p_document_id, in its folder p_folder_id or, when null,
    -- the folder it is in) or on a folder: 'manage' with
    -- documents:manage; else the nearest grants up the tree decide (the document's own, else its
    -- folder's, else the parent folder's, ...): the highest level among those naming the caller, or
    -- 'none'; null when there are no grants on the way up (the caller's permissions alone decide).
    create function app.document_level(p_folder_id uuid, p_document_id uuid) returns text
      language sql stable security definer
      set search_path = ''
      as $$
        with nodes as (
          select 0::bigint as n, p_document_id as document_id, null::uuid as folder_id where p_document_id is not null
          union all
          select a.n, null, a.id from public.folders f cross join unnest(f.path) with ordinality a (id, n)
           where f.organization_id = app.current_org_id()
             and f.id = coalesce(p_folder_id, (select d.folder_id from public.documents d
                                                where d.organization_id = app.current_org_id() and d.id = p_document_id))
        ), nearest as (
          select nodes.* from nodes
           where exists (select 1 from public.document_permissions p
                          where p.organization_id = app.current_org_id()
                            and (p.document_id = nodes.document_id or p.folder_id = nodes.folder_id))
           order by nodes.n = 0 desc, nodes.n desc limit 1
        )
        select case
          when 'documents:manage' = any (app.current_permissions()) then 'manage'
          when not exists (select 1 from nearest) then null
          else coalesce((select (array['view', 'edit', 'manage'])[max(array_position(array['view', 'edit', 'manage'], p.level))]
                           from public.document_permissions p cross join nearest
                          where p.organization_id = app.current_org_id()
                            and (p.document_id = nearest.document_id or p.folder_id = nearest.folder_id)
                            and p.grantee = any (app.document_grantees())), 'none') end
      $$;

    -- What a write by the app role needs (docs/security.md, "Document permissions"): 'edit' on
    -- the folder a folder or document is created or moved into and on what it changes, 'manage'
    -- to delete or restore and to change grants. Where no grants decide (null), edits need only the
    -- role's documents:write (the API checks it) and the rest documents:manage.
    create function app.document_write_allowed() returns trigger
      language plpgsql
      as $$
      declare
        v_rank constant jsonb := '{"none": 0, "view": 1, "edit": 2, "manage": 3}';
        v_need text := 'edit';
        v_levels text[];
        v_level text;
      begin
        -- Another organization's row is left to RLS, which refuses it without saying anything about it.
        if current_user <> 'tenantql_app'
           or (case when tg_op = 'DELETE' then old.organization_id else new.organization_id end)
              is distinct from app.current_org_id() then
          return case when tg_op = 'DELETE' then old else new end;
        end if;
        if tg_table_name = 'folders' then
          v_levels := case when tg_op = 'INSERT' then array[app.document_level(new.parent_id, null)]
                           else array[app.document_level(old.id, null)] end;
          if tg_op = 'UPDATE' and new.parent_id is distinct from old.parent_id then
            v_levels := v_levels || app.document_level(new.parent_id, null);
          end if;
          if tg_op = 'UPDATE' and new.deleted_at is distinct from old.deleted_at then v_need := 'manage'; end if;
        elsif tg_table_name = 'documents' then
          v_levels := case when tg_op = 'INSERT' then array[app.document_level(new.folder_id, null)]
                           else array[app.document_level(old.folder_id, old.id)] end;
          if tg_op = 'UPDATE' and new.folder_id is distinct from old.folder_id then
            v_levels := v_levels || app.document_level(new.folder_id, null);
          end if;
          if tg_op = 'UPDATE' and new.deleted_at is distinct from old.deleted_at then v_need := 'manage'; end if;
        elsif tg_table_name = 'document_versions' then
          v_levels := array[(select app.document_level(d.folder_id, d.id) from public.documents d
                              where d.organization_id = new.organization_id and d.id = new.document_id)];
        else -- document_permissions
          v_need := 'manage';
          v_levels := case when tg_op = 'DELETE' then array[app.document_level(old.folder_id, old.document_id)]
                           else array[app.document_level(new.folder_id, new.document_id)] end;
        end if;
        foreach v_level in array v_levels loop
          if (v_level is null and v_need = 'manage') or (v_rank ->> coalesce(v_level, 'edit'))::int < (v_rank ->> v_need)::int then
            raise exception 'this needs % access to the folder or document', v_need using errcode = '42501';
          end if;
        end loop;
        return case when tg_op = 'DELETE' then old else new end;
      end
      $$;
    create trigger folders_write_allowed before insert or update on folders
      for each row execute function app.document_write_allowed();
    create trigger documents_write_allowed before insert or update on documents
      for each row execute function app.document_write_allowed();
    create trigger document_versions_write_allowed before insert on document_versions
      for each row execute function app.document_write_allowed();
    create trigger document_permissions_write_allowed before insert or update or delete on document_permissions
      for each row execute function app.document_write_allowed();

    -- Writes that can change who sees which folder or document forget the kept answers.
    create trigger document_permissions_forget_access after insert or update or delete or truncate on document_permissions
      for each statement execute function app.forget_answers('app.cached_hidden_folder_ids', 'app.cached_hidden_document_ids');
    create trigger folders_forget_access after insert or update or delete or truncate on folders
      for each statement execute function app.forget_answers('app.cached_hidden_folder_ids', 'app.cached_hidden_document_ids');
    create trigger documents_forget_access after insert or update of folder_id or delete or truncate on documents
      for each statement execute function app.forget_answers('app.cached_hidden_document_ids');
    create trigger team_members_forget_access after insert or update or delete or truncate on team_members
      for each statement execute function app.forget_answers('app.cached_hidden_folder_ids', 'app.cached_hidden_document_ids');
    create trigger memberships_forget_access after insert or update or delete or truncate on memberships
      for each statement execute function app.forget_answers('app.cached_hidden_folder_ids', 'app.cached_hidden_document_ids');
  `.execute(db);

  // A document attached to a task (seed 003, project management).
  await createResourceTable(db, 'task_attachments', {
    parent: { column: 'task_id', table: 'tasks', onDelete: 'cascade', index: false },
    columns: sql`document_id uuid not null`,
    constraints: sql`
      constraint task_attachments_document_fkey foreign key (organization_id, document_id)
        references documents (organization_id, id) on delete cascade`,
    indexes: {
      task_attachments_key: { on: '(organization_id, task_id, document_id)', unique: true },
      task_attachments_task_idx: '(organization_id, task_id, created_at, id)',
      task_attachments_document_idx: '(organization_id, document_id, created_at, id)',
    },
  });
  await sql`
    -- Organization.storageUsage: the whole organization's, whoever asks (a count, no content): the
    -- bytes of each distinct content once (blobs are content-addressed), live documents, versions.
    create function app.storage_usage() returns table (bytes bigint, documents bigint, versions bigint)
      language sql stable security definer
      set search_path = ''
      as $$
        select coalesce((select sum(s.size) from (select distinct on (v.checksum) v.size from public.document_versions v
                                                   where v.organization_id = app.current_org_id()
                                                   order by v.checksum) s), 0)::bigint,
               (select count(*) from public.documents d where d.organization_id = app.current_org_id() and d.deleted_at is null),
               (select count(*) from public.document_versions v where v.organization_id = app.current_org_id())
      $$;
  `.execute(db);
  // What happened to a document, written by triggers (created, changed, renamed, moved, status
  // changed, deleted, restored, a new version), read as Document.activity.
  await createResourceTable(db, 'document_activity', {
    parent: { column: 'document_id', table: 'documents', onDelete: 'cascade', index: false },
    columns: sql`
      actor_user_id uuid references users (id) default app.current_user_id(),
      actor_api_key_id uuid,
      action text not null check (action in ('created', 'updated', 'renamed', 'moved', 'status_changed', 'deleted',
                                              'restored', 'new_version')),
      changes jsonb not null default '{}'`,
    indexes: { document_activity_document_idx: '(organization_id, document_id, created_at, id)' },
  });
  await sql`
    -- Runs as the writer (the app role, whose direct inserts a policy refuses: only a trigger's
    -- pass). The file columns a new version changes are the version's entry, not the document's.
    create function app.record_document_activity() returns trigger
      language plpgsql
      as $$
      declare
        v_changes jsonb;
        v_action text;
        v_document uuid := new.id;
      begin
        if tg_table_name = 'document_versions' then
          if new.version_number = 1 then return null; end if;
          v_document := new.document_id;
          v_action := 'new_version';
          v_changes := jsonb_build_object('versionNumber', new.version_number, 'checksum', new.checksum);
        else
          v_changes := app.row_changes(case when tg_op = 'UPDATE' then to_jsonb(old) end, to_jsonb(new),
            array['updated_at', 'updated_by', 'created_at', 'created_by', 'organization_id', 'id', 'current_version',
                  'file_name', 'size', 'mime_type', 'checksum'], '{}');
          if v_changes is null then return null; end if;
          v_action := case
            when tg_op = 'INSERT' then 'created'
            when v_changes -> 'after' ? 'deleted_at' then case when new.deleted_at is null then 'restored' else 'deleted' end
            when v_changes -> 'after' ? 'folder_id' then 'moved'
            when v_changes -> 'after' ? 'status' then 'status_changed'
            when v_changes -> 'after' ? 'title' then 'renamed'
            else 'updated' end;
        end if;
        insert into public.document_activity (organization_id, document_id, actor_api_key_id, action, changes)
        values (new.organization_id, v_document, app.current_api_key_id(), v_action, v_changes);
        return null;
      end
      $$;
    create trigger documents_activity after insert or update on documents
      for each row execute function app.record_document_activity();
    create trigger document_versions_activity after insert on document_versions
      for each row execute function app.record_document_activity();
  `.execute(db);
  // After the triggers: creating one needs EXECUTE on its function, which the hand-over takes away.
  await handToAuthRole(db, {
    'app.folder_tree()': [],
    'app.folder_paths_follow()': [],
    'app.document_version_number()': [],
    'app.document_version_added()': [],
    'app.document_grantees()': [],
    'app.hidden_folder_ids()': ['tenantql_app'],
    'app.hidden_document_ids()': ['tenantql_app'],
    'app.document_level(uuid, uuid)': ['tenantql_app'],
    'app.storage_usage()': ['tenantql_app'],
  });

  await addPermissions(db, DOCUMENT_PERMISSIONS);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropPermissions(db, DOCUMENT_PERMISSIONS);
  await sql`
    drop trigger memberships_forget_access on memberships;
    drop trigger team_members_forget_access on team_members;
    drop table document_activity, task_attachments, document_permissions, document_versions, documents, folders, uploads;
    drop function app.storage_usage();
    drop function app.record_document_activity();
    drop function app.document_write_allowed();
    drop function app.document_level(uuid, uuid);
    drop function app.hidden_document_ids();
    drop function app.hidden_folder_ids();
    drop function app.document_grantees();
    drop function app.document_permission_user_is_member();
    drop function app.document_version_immutable();
    drop function app.document_version_added();
    drop function app.document_version_number();
    drop function app.document_first_version();
    drop function app.folder_paths_follow();
    drop function app.folder_tree();
    drop function app.upload_used_once();
  `.execute(db);
}
