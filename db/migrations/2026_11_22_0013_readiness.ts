import { sql, type Kysely } from 'kysely';

/**
 * `GET /readyz` (issue 5) answers "not ready" until every migration the code knows is applied,
 * so the app role may read the names in Kysely's migration table (created before the first
 * migration runs; it holds migration names and times, nothing of a tenant).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`grant select on kysely_migration to tenantql_app`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`revoke select on kysely_migration from tenantql_app`.execute(db);
}
