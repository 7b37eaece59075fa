import { sql, type Kysely } from 'kysely';
import { addPermissions, createResourceTable, dropPermissions, type PermissionGrant } from './helpers';

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

  await addPermissions(db, DOCUMENT_PERMISSIONS);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropPermissions(db, DOCUMENT_PERMISSIONS);
  await sql`
    drop table uploads;
    drop function app.upload_used_once();
  `.execute(db);
}
