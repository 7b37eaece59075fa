import { sql, type Kysely } from 'kysely';

/**
 * app.current_permissions() runs its statements under one search path (issue 16). It is called
 * with the connection's search path (the opening round trip, the users policy) and with an empty
 * one (inside app.hidden_project_ids(), which pins it), and PostgreSQL re-analyses and re-plans a
 * PL/pgSQL function's cached statements whenever the search path differs from the one they were
 * planned under: some 5% of a filtered task page's PostgreSQL time. Every name in it is already
 * qualified (app., public., pg_catalog's built-ins), so pinning changes no answer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter function app.current_permissions() set search_path = ''`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter function app.current_permissions() reset search_path`.execute(db);
}
