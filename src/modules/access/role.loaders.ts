import { sql, type Kysely } from 'kysely';
import { byKey, defineLoader } from '../../graphql/loaders';
import { defineParentConnection } from '../../graphql/connection';
import type { Selectable } from 'kysely';
import type { Database, RolesTable } from '../../db/schema';
import { fixedStatement } from '../../db/statements';
import { Role } from './role.type';

const rolesByIds = fixedStatement((db: Kysely<Database>, ids: readonly string[]) =>
  db
    .selectFrom('roles')
    .selectAll()
    .where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`),
);

export const roleById = defineLoader<string, Role | null>('roleById', async (db, ids) =>
  byKey(ids, await rolesByIds(db, ids), (r) => r.id, Role.fromRow),
);

const permissionsOfRoles = fixedStatement((db: Kysely<Database>, ids: readonly string[]) =>
  db
    .selectFrom('role_permissions')
    .select(['role_id', 'permission'])
    .where('role_id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`)
    .orderBy('permission'),
);

export const permissionsByRoleId = defineLoader<string, string[]>('permissionsByRoleId', async (db, ids) => {
  const rows = await permissionsOfRoles(db, ids);
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
