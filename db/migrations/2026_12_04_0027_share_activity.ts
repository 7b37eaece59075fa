import { sql, type Kysely } from 'kysely';

/** The actions document_activity allowed before this migration (0025). */
const BEFORE = `'created', 'updated', 'renamed', 'moved', 'status_changed', 'deleted', 'restored', 'new_version'`;
/** What share links add (seed 003 lists "shared" and "downloaded through a share"). */
const SHARE_ACTIONS = `'shared', 'share_revoked', 'downloaded'`;

/**
 * Share links in a document's activity (issue 17): a link created (`shared`), revoked
 * (`share_revoked`) and used (`downloaded`), written by a trigger on document_shares, so every
 * path that counts a download records it in the same transaction. Using a link has no user (the
 * actor is null) and runs in app.use_document_share as tenantql_auth: the trigger writes as that
 * role, which policies/documents.sql lets insert only `downloaded` entries, and only from a trigger.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table document_activity drop constraint document_activity_action_check,
      add constraint document_activity_action_check check (action in (${sql.raw(BEFORE)}, ${sql.raw(SHARE_ACTIONS)}));

    -- Runs as the writer, like app.record_document_activity: the app role for creating and
    -- revoking a link, tenantql_auth inside app.use_document_share (whose search_path is empty,
    -- hence the qualified names). The share's id is in every entry: which link was used.
    create function app.record_document_share_activity() returns trigger
      language plpgsql
      as $$
      declare
        v_action text;
        v_changes jsonb := jsonb_build_object('shareId', new.id, 'access', new.access);
      begin
        if tg_op = 'INSERT' then
          v_action := 'shared';
          v_changes := v_changes || jsonb_build_object('expiresAt', new.expires_at, 'maxDownloads', new.max_downloads);
        elsif old.revoked_at is null and new.revoked_at is not null then
          v_action := 'share_revoked';
        elsif new.download_count > old.download_count then
          v_action := 'downloaded';
          v_changes := v_changes || jsonb_build_object('downloadCount', new.download_count);
        else
          return null;
        end if;
        insert into public.document_activity (organization_id, document_id, actor_api_key_id, action, changes)
        values (new.organization_id, new.document_id, app.current_api_key_id(), v_action, v_changes);
        return null;
      end
      $$;
    create trigger document_shares_activity after insert or update on document_shares
      for each row execute function app.record_document_share_activity();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The owner has no BYPASSRLS: FORCE is lifted for this transaction only, to delete every
  // tenant's share entries (policies/*.sql force it again after every migrate, and so does this).
  await sql`
    drop trigger document_shares_activity on document_shares;
    drop function app.record_document_share_activity();
    alter table document_activity no force row level security;
    delete from document_activity where action in (${sql.raw(SHARE_ACTIONS)});
    alter table document_activity force row level security;
    alter table document_activity drop constraint document_activity_action_check,
      add constraint document_activity_action_check check (action in (${sql.raw(BEFORE)}));
  `.execute(db);
}
