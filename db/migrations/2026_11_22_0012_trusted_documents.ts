import { sql, type Kysely } from 'kysely';

/**
 * Trusted documents (issue 5): an organization may allow only the operations registered in the
 * persisted-operations manifest, for its signed-in users too (API keys are always held to it).
 * The flag is read in the request's opening round trip through `app.trusted_documents_only()`,
 * as the caller, under the organizations policy (a caller reads only its own organization).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table organizations add column trusted_documents_only boolean not null default false;

    create function app.trusted_documents_only() returns boolean
      language sql stable set search_path = ''
      as $$
        select coalesce((select o.trusted_documents_only from public.organizations o where o.id = app.current_org_id()), false)
      $$;
    grant execute on function app.trusted_documents_only() to tenantql_app;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function app.trusted_documents_only();
    alter table organizations drop column trusted_documents_only;
  `.execute(db);
}
