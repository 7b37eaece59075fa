-- Documents and files (seed 003, migration 0025). Re-applied after every migrate; idempotent.

-- Uploads (POST /uploads): inserted and read by the tenant; the only change is used_at, set once
-- by createDocument or addDocumentVersion (a trigger refuses a second use).
select app.tenant_resource('uploads', 'upload', '{"update": ["used_at"]}');

-- Folders and documents are soft-deleted (deleted_at), never deleted by the app. A folder's path
-- and a document's file columns are the database's (migration 0025): the app role may not write
-- them; the tree and version triggers do, as tenantql_auth.
select app.tenant_resource('folders', 'folder',
  '{"update": ["parent_id", "name", "description", "deleted_at"], "audit": {"ignore": ["path"]}}');
select app.tenant_resource('documents', 'document',
  '{"update": ["folder_id", "project_id", "title", "description", "status", "tags", "metadata", "deleted_at"]}');
-- Versions are only ever added (no update, no delete), and are seen while their document is.
select app.tenant_resource('document_versions', 'document_version',
  '{"follows": "documents", "followsColumn": "document_id"}');

-- A document of a private project is its members' (and holders of projects:read_private), as the
-- project's tasks are; a document without a project is not held by this rule.
drop policy if exists "private projects only for their members" on documents;
create policy "private projects only for their members" on documents as restrictive to tenantql_app
  using (project_id is null or project_id <> all ((select app.hidden_project_ids())::uuid[]));

-- What the tree and version triggers (SECURITY DEFINER, owned by tenantql_auth) read and write:
-- every folder and version of the organization the transaction acts for (tenant_isolation), the
-- ones the caller may not see included.
grant select (organization_id, id, parent_id, path), update (path) on folders to tenantql_auth;
grant select (organization_id, id, folder_id, current_version),
      update (current_version, file_name, size, mime_type, checksum) on documents to tenantql_auth;
grant select (organization_id, document_id, version_number) on document_versions to tenantql_auth;
-- What the permission functions (app.hidden_folder_ids, app.hidden_document_ids,
-- app.document_level, app.document_grantees; tenantql_auth) read: every grant, and the caller's teams.
grant select (organization_id, folder_id, document_id, grantee, level) on document_permissions to tenantql_auth;
grant select (organization_id, team_id, user_id) on team_members to tenantql_auth;

-- Document permissions (docs/security.md, "Document permissions"): grants are changed by holders
-- of MANAGE on their folder or document (a trigger checks it), never hidden from what they grant.
select app.tenant_resource('document_permissions', 'document_permission', '{"delete": true, "update": ["level"]}');

-- Besides the tenant, the app role sees a folder or document only when the nearest grants up the
-- tree name the caller, or there are none, or with documents:manage. app.hidden_folder_ids() and
-- app.hidden_document_ids() (tenantql_auth, which reads every grant) list what to hide, once per
-- transaction; versions follow their document, grants their folder or document.
drop policy if exists "document permissions" on folders;
create policy "document permissions" on folders as restrictive to tenantql_app
  using (id <> all ((select app.hidden_folder_ids())::uuid[]));
drop policy if exists "document permissions" on documents;
create policy "document permissions" on documents as restrictive to tenantql_app
  using (id <> all ((select app.hidden_document_ids())::uuid[]));
drop policy if exists "document permissions" on document_permissions;
create policy "document permissions" on document_permissions as restrictive to tenantql_app
  using ((folder_id is null or folder_id <> all ((select app.hidden_folder_ids())::uuid[]))
         and (document_id is null or document_id <> all ((select app.hidden_document_ids())::uuid[])));

-- Attachments (a resource's `attachments: { table }`, migration 0028): each link is seen, made and
-- removed while both its owner row and its document (its permissions) are visible.
select app.attachment_resource('task_attachments', 'tasks', 'task_id');
select app.attachment_resource('project_attachments', 'projects', 'project_id');

-- Organization.storageUsage (app.storage_usage, tenantql_auth) counts the whole organization's.
grant select (organization_id, checksum, size) on document_versions to tenantql_auth;
grant select (organization_id, deleted_at) on documents to tenantql_auth;

-- Document activity: written by triggers only (app.record_document_activity runs as the writer:
-- the app role's own inserts are refused), never changed, seen while its document is.
select app.tenant_resource('document_activity', 'document_activity',
  '{"follows": "documents", "followsColumn": "document_id"}');
drop policy if exists "only the activity trigger records" on document_activity;
create policy "only the activity trigger records" on document_activity as restrictive for insert to tenantql_app
  with check (pg_trigger_depth() > 0);
-- Using a share link (app.use_document_share, tenantql_auth, migration 0027) records its download
-- through the share trigger, as that role: a trigger's `downloaded` entry only, in the tenant the
-- link names (tenant_isolation), with no actor.
grant insert (organization_id, document_id, actor_api_key_id, action, changes) on document_activity to tenantql_auth;
drop policy if exists "share links record their downloads" on document_activity;
create policy "share links record their downloads" on document_activity as restrictive for insert to tenantql_auth
  with check (pg_trigger_depth() > 0 and action = 'downloaded' and actor_user_id is null);

-- Document share links (migration 0026): created by holders of MANAGE on the document (a trigger
-- checks it), seen while their document is; revoking sets revoked_at, the only change the app
-- role makes. Using a link (app.use_document_share, tenantql_auth) reads the share and its
-- document without a user, and counts the download.
select app.tenant_resource('document_shares', 'document_share',
  '{"update": ["revoked_at"], "follows": "documents", "followsColumn": "document_id"}');
grant select (organization_id, document_id, token_hash, access, expires_at, max_downloads, download_count, revoked_at),
      update (download_count) on document_shares to tenantql_auth;
grant select (file_name, mime_type, size, checksum) on documents to tenantql_auth;
