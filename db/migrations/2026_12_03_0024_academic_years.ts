import { sql, type Kysely } from 'kysely';
import { addPermissions, createResourceTable, dropPermissions, type PermissionGrant } from './helpers';

/** The academics permissions (seed 001), and which built-in roles hold them. */
const ACADEMICS_PERMISSIONS: PermissionGrant[] = [
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
  await addPermissions(db, ACADEMICS_PERMISSIONS);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropPermissions(db, ACADEMICS_PERMISSIONS);
  await sql`drop table academic_years`.execute(db);
}
