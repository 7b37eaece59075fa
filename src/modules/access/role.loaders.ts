import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema';
import type { RequestTransaction } from '../../db/request-transaction';
import { byKey, defineLoader } from '../../graphql/loaders';
import { defineParentConnection } from '../../graphql/connection';
import type { Selectable } from 'kysely';
import type { RolesTable } from '../../db/schema';
import { Role } from './role.type';

/** The key of the caller's own permissions (there is one caller per request). */
export const CURRENT = 'current';

/** What the caller may do in the current organization (roles of a user, or an API key's scope), once per request. */
export const viewerPermissions = defineLoader<string, string[]>('viewerPermissions', async (db, keys, request) => {
  const permissions = await currentPermissions(db, request);
  return keys.map(() => permissions);
});

/**
 * The caller's permissions inside a loader's batch: usually read with BEGIN already (see
 * RequestTransaction.permissions), asked for otherwise.
 *
 * @example
 * if (!(await currentPermissions(db, request)).includes('users:read')) ...
 */
export async function currentPermissions(db: Kysely<Database>, request: RequestTransaction): Promise<string[]> {
  return (
    request.permissions ??
    (await sql<{ permissions: string[] }>`select app.current_permissions() as permissions`.execute(db)).rows[0]!
      .permissions
  );
}

export const roleById = defineLoader<string, Role | null>('roleById', async (db, ids) =>
  byKey(
    ids,
    await db
      .selectFrom('roles')
      .selectAll()
      .where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`)
      .execute(),
    (r) => r.id,
    Role.fromRow,
  ),
);

export const permissionsByRoleId = defineLoader<string, string[]>('permissionsByRoleId', async (db, ids) => {
  const rows = await db
    .selectFrom('role_permissions')
    .select(['role_id', 'permission'])
    .where('role_id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`)
    .orderBy('permission')
    .execute();
  const byRole = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const row of rows) byRole.get(row.role_id)?.push(row.permission);
  return ids.map((id) => byRole.get(id)!);
});

/** `organization.roles(...)`: custom roles by name. */
export const rolesOfOrganization = defineParentConnection<Selectable<RolesTable>, null>({
  name: 'rolesOfOrganization',
  table: 'roles',
  alias: 'r',
  parentColumn: 'organization_id',
  sort: { column: 'name', direction: 'asc', type: 'text' },
});
