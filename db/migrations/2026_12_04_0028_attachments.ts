import { sql, type Kysely } from 'kysely';
import { createAttachmentTable } from './helpers';

/**
 * Attachments as a capability of the resource layer (issue 17): `app.attachment_resource`, the one
 * policy line of every attachments table (task_attachments, made by migration 0025, and the ones
 * `createAttachmentTable` makes), and the attachments of projects, the second owner.
 *
 * `app.attachment_resource(table, owner, column)` is `app.tenant_resource` with what every link
 * table needs: SELECT, INSERT and DELETE (a link is never changed), the tenant's RLS, "follows"
 * its owner (a link of a hidden private project's row is hidden with it), the audit trigger (as
 * `<table>` without its plural s), and the restrictive "document permissions" policy: a link is
 * seen, made and removed only while its document is visible to the caller (the documents' own
 * rules), so a list of attachments never names a document the caller may not see.
 *
 * @example
 * -- policies/documents.sql
 * select app.attachment_resource('project_attachments', 'projects', 'project_id');
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function app.attachment_resource(p_table regclass, p_owner text, p_owner_column text) returns void
      language plpgsql
      set search_path = ''
      as $fn$
      declare
        v_schema text := (select n.nspname from pg_catalog.pg_class c
                            join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = p_table);
        v_name text := (select c.relname from pg_catalog.pg_class c where c.oid = p_table);
      begin
        perform app.tenant_resource(p_table, regexp_replace(v_name, 's$', ''),
                                    jsonb_build_object('delete', true, 'follows', p_owner, 'followsColumn', p_owner_column));
        execute format('drop policy if exists "document permissions" on %s', p_table);
        execute format('create policy "document permissions" on %1$s as restrictive to tenantql_app '
                       'using (exists (select 1 from %2$I.documents d '
                       'where d.organization_id = %1$s.organization_id and d.id = %1$s.document_id))',
                       p_table, v_schema);
      end
      $fn$;
    revoke execute on function app.attachment_resource(regclass, text, text) from public;
  `.execute(db);
  await createAttachmentTable(db, 'project_attachments', { table: 'projects', column: 'project_id' });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table project_attachments;
    drop function app.attachment_resource(regclass, text, text);
  `.execute(db);
}
