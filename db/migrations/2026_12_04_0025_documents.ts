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
  // After the triggers: creating one needs EXECUTE on its function, which the hand-over takes away.
  await handToAuthRole(db, {
    'app.folder_tree()': [],
    'app.folder_paths_follow()': [],
    'app.document_version_number()': [],
    'app.document_version_added()': [],
  });

  await addPermissions(db, DOCUMENT_PERMISSIONS);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropPermissions(db, DOCUMENT_PERMISSIONS);
  await sql`
    drop table document_versions;
    drop table documents;
    drop table folders;
    drop function app.document_version_immutable();
    drop function app.document_version_added();
    drop function app.document_version_number();
    drop function app.document_first_version();
    drop function app.folder_paths_follow();
    drop function app.folder_tree();
    drop table uploads;
    drop function app.upload_used_once();
  `.execute(db);
}
