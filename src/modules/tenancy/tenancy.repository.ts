import { sql, type Kysely } from 'kysely';
import {
  USER_PROFILE_COLUMNS,
  type Database,
  type MembershipRow,
  type OrganizationRow,
  type UserProfileRow,
} from '../../db/schema';
import { fixedStatement } from '../../db/statements';

// Plain functions over the request's transaction. None of them filters by tenant to enforce
// isolation: RLS does that underneath.

export const findUsersByIds: (db: Kysely<Database>, ids: readonly string[]) => Promise<UserProfileRow[]> =
  fixedStatement((db: Kysely<Database>, ids: readonly string[]) =>
    db
      .selectFrom('users')
      .select(USER_PROFILE_COLUMNS)
      .where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`),
  );

export const findOrganizationsByIds: (db: Kysely<Database>, ids: readonly string[]) => Promise<OrganizationRow[]> =
  fixedStatement((db: Kysely<Database>, ids: readonly string[]) =>
    db
      .selectFrom('organizations')
      .selectAll()
      .where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`),
  );

/** The live membership of each user in the current organization. */
export const findLiveMembershipsByUserIds: (
  db: Kysely<Database>,
  userIds: readonly string[],
) => Promise<MembershipRow[]> = fixedStatement((db: Kysely<Database>, userIds: readonly string[]) =>
  db
    .selectFrom('memberships')
    .selectAll()
    .where('user_id', '=', sql<string>`any(${sql.val(userIds)}::uuid[])`)
    .where('ended_at', 'is', null),
);

/** A live membership of the current user in any organization (app.current_user_organizations, migration 0020). */
export interface CurrentUserOrganizationRow {
  organization_id: string;
  name: string;
  slug: string;
  organization_is_active: boolean;
  membership_id: string;
  role: MembershipRow['role'];
  status: MembershipRow['status'];
  joined_at: Date;
  may_sign_in: boolean;
}

/**
 * The current user's live memberships in every organization, in one statement: RLS shows only the
 * current tenant's, so a SECURITY DEFINER function scoped to app.current_user_id() reads them.
 */
export async function currentUserOrganizations(db: Kysely<Database>): Promise<CurrentUserOrganizationRow[]> {
  const { rows } = await sql<CurrentUserOrganizationRow>`select * from app.current_user_organizations()`.execute(db);
  return rows;
}
