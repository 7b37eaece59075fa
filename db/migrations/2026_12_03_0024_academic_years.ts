import { sql, type Kysely } from 'kysely';
import { createResourceTable } from './helpers';

/** The academics permissions (seed 001), and which built-in roles hold them. */
const ACADEMICS_PERMISSIONS: [key: string, description: string, roles: string[]][] = [
  ['academics:read', 'See academic years', ['owner', 'admin', 'officer', 'member', 'viewer']],
  ['academics:manage', 'Create, change, delete and restore academic years', ['owner', 'admin']],
];

/**
 * Academic years (seed 001, the school platform): the school years that will scope classes,
 * timetables and fee plans. The first table built on the resource layer. Years of one
 * organization never overlap and at most one is current; both rules hold for live years only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createResourceTable(db, 'academic_years', {
    softDelete: true,
    columns: sql`
      name text not null check (char_length(btrim(name)) between 1 and 100),
      start_date date not null,
      end_date date not null,
      current boolean not null default false`,
    constraints: sql`
      constraint academic_years_dates_check check (end_date > start_date),
      constraint academic_years_no_overlap exclude using gist
        (organization_id with =, daterange(start_date, end_date) with &&) where (deleted_at is null)`,
    indexes: {
      academic_years_name_key: { on: '(organization_id, lower(name))', unique: true, where: 'deleted_at is null' },
      academic_years_one_current: { on: '(organization_id)', unique: true, where: 'current and deleted_at is null' },
      academic_years_start_idx: '(organization_id, start_date, id)',
    },
  });
  const keys = ACADEMICS_PERMISSIONS.map(([key]) => key);
  await sql`insert into permissions (key, description)
            select * from unnest(${keys}::text[], ${ACADEMICS_PERMISSIONS.map(([, d]) => d)}::text[])`.execute(db);
  const grants = ACADEMICS_PERMISSIONS.flatMap(([key, , roles]) => roles.map((role) => [role, key] as const));
  await sql`insert into built_in_role_permissions (role, permission)
            select * from unnest(${grants.map(([r]) => r)}::text[], ${grants.map(([, k]) => k)}::text[])`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Fails while a custom role still grants one of them: take it out of those roles first.
  await sql`delete from permissions where key = any(${ACADEMICS_PERMISSIONS.map(([key]) => key)}::text[])`.execute(db);
  await sql`drop table academic_years`.execute(db);
}
