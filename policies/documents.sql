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
grant select (organization_id, id, current_version),
      update (current_version, file_name, size, mime_type, checksum) on documents to tenantql_auth;
grant select (organization_id, document_id, version_number) on document_versions to tenantql_auth;
