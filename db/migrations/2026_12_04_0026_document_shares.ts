import { sql, type Kysely } from 'kysely';
import { createResourceTable, handToAuthRole } from './helpers';

/**
 * Document share links (seed 003, "DocumentShare"; issue 17): a link to a document's current
 * version, used without signing in (GET /shares/:token). Only the token's SHA-256 is stored; the
 * token carries the organization (`ds_<organization>_<secret>`, docs/security.md), so the route
 * sets the tenant first and finds the share by (organization_id, token_hash). Creating, changing
 * and revoking one needs MANAGE on the document (a trigger, as for grants); using one goes through
 * app.use_document_share, which counts the download in the same statement that checks the limit.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createResourceTable(db, 'document_shares', {
    parent: { column: 'document_id', table: 'documents', onDelete: 'cascade', index: false },
    columns: sql`
      token_hash text not null check (token_hash ~ '^[0-9a-f]{64}$'),
      access text not null default 'download' check (access in ('view', 'download')),
      expires_at timestamptz not null default now() + interval '7 days',
      max_downloads integer check (max_downloads > 0),
      download_count integer not null default 0 check (download_count >= 0),
      revoked_at timestamptz`,
    constraints: sql`
      constraint document_shares_within_max check (max_downloads is null or download_count <= max_downloads)`,
    indexes: {
      document_shares_token_key: { on: '(organization_id, token_hash)', unique: true },
      document_shares_document_idx: '(organization_id, document_id, created_at, id)',
    },
  });
  await sql`
    -- Sharing is managing (docs/security.md, "Document permissions"): MANAGE on the document, by
    -- its nearest grants or documents:manage where no grant decides, to create, change or revoke.
    create function app.document_share_write_allowed() returns trigger
      language plpgsql
      as $$
      begin
        if current_user <> 'tenantql_app' or new.organization_id is distinct from app.current_org_id() then
          return new;
        end if;
        if (select app.document_level(d.folder_id, d.id) from public.documents d
             where d.organization_id = new.organization_id and d.id = new.document_id) is distinct from 'manage' then
          raise exception 'this needs manage access to the folder or document' using errcode = '42501';
        end if;
        return new;
      end
      $$;
    create trigger document_shares_write_allowed before insert or update on document_shares
      for each row execute function app.document_share_write_allowed();

    -- Uses a share link in the tenant the transaction acts for (set from the token), for a caller
    -- with no user: a live, unrevoked, unexpired share under its limit, of an active organization, counts one download and
    -- answers its document's current file. The UPDATE's row lock orders concurrent uses, and the
    -- limit is checked again after the wait, so a share of at most n downloads serves n. Anything
    -- else answers no row and counts nothing.
    create function app.use_document_share(p_token_hash text)
      returns table (access text, file_name text, mime_type text, size bigint, checksum text)
      language sql volatile security definer
      set search_path = ''
      as $$
        with used as (
          update public.document_shares s set download_count = s.download_count + 1
           where s.organization_id = app.current_org_id() and s.token_hash = p_token_hash
             and s.revoked_at is null and s.expires_at > now()
             and (s.max_downloads is null or s.download_count < s.max_downloads)
             and exists (select 1 from public.documents d
                          where d.organization_id = s.organization_id and d.id = s.document_id and d.deleted_at is null)
             -- A suspended organization serves nothing, through a link as through a session.
             and exists (select 1 from public.organizations o where o.id = s.organization_id and o.is_active)
          returning s.organization_id, s.document_id, s.access)
        select used.access, d.file_name, d.mime_type, d.size, d.checksum
          from used join public.documents d on d.organization_id = used.organization_id and d.id = used.document_id
      $$;
  `.execute(db);
  await handToAuthRole(db, { 'app.use_document_share(text)': ['tenantql_app'] });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table document_shares;
    drop function app.use_document_share(text);
    drop function app.document_share_write_allowed();
  `.execute(db);
}
