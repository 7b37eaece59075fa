import { sql } from 'kysely';
import { organizationOf, type Context } from '../../graphql/context';
import { BadUserInputError, ForbiddenError, NotFoundError, onViolation } from '../../errors';
import { Membership } from '../tenancy/membership.type';
import { Role } from './role.type';
import { CURRENT, viewerPermissions } from '../../graphql/permissions';
import type { AssignRoleInput, CreateRoleInput, UpdateRoleInput } from './role.input';

const NAME_TAKEN = onViolation({ roles_name_key: ['name', 'This organization already has a role with that name'] });

/** Permissions must exist in the catalog, and nobody grants what they do not hold themselves. */
export async function assertGrantable(ctx: Context, permissions: string[]): Promise<void> {
  if (permissions.length === 0) return;
  const db = await ctx.db.get();
  const known = new Set(
    (await db.selectFrom('permissions').select('key').where('key', 'in', permissions).execute()).map((r) => r.key),
  );
  const unknown = permissions.filter((p) => !known.has(p));
  if (unknown.length) throw new BadUserInputError('permissions', `Unknown permission: ${unknown.join(', ')}`);
  const held = new Set(await ctx.loaders.use(viewerPermissions).load(CURRENT));
  const beyond = permissions.filter((p) => !held.has(p));
  if (beyond.length)
    throw new ForbiddenError(`You cannot grant permissions you do not hold: ${beyond.join(', ')}`, beyond[0]);
}

async function replacePermissions(ctx: Context, roleId: string, permissions: string[]): Promise<void> {
  const db = await ctx.db.get();
  await db.deleteFrom('role_permissions').where('role_id', '=', roleId).execute();
  const unique = [...new Set(permissions)];
  if (unique.length) {
    await db
      .insertInto('role_permissions')
      .values(unique.map((permission) => ({ organization_id: organizationOf(ctx), role_id: roleId, permission })))
      .execute();
  }
}

async function findRole(ctx: Context, id: string): Promise<Role> {
  const row = await (await ctx.db.get()).selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Role');
  return Role.fromRow(row);
}

export async function createRole(ctx: Context, input: CreateRoleInput): Promise<Role> {
  await assertGrantable(ctx, input.permissions);
  const db = await ctx.db.get();
  const row = await db
    .insertInto('roles')
    .values({
      organization_id: organizationOf(ctx),
      name: input.name.trim(),
      description: input.description?.trim() ?? '',
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(NAME_TAKEN);
  await replacePermissions(ctx, row.id, input.permissions);
  return Role.fromRow(row);
}

export async function updateRole(ctx: Context, input: UpdateRoleInput): Promise<Role> {
  await findRole(ctx, input.id);
  const db = await ctx.db.get();
  const changes: { name?: string; description?: string } = {};
  if (input.name != null) changes.name = input.name.trim();
  if (input.description !== undefined) changes.description = input.description?.trim() ?? '';
  if (Object.keys(changes).length) {
    await db.updateTable('roles').set(changes).where('id', '=', input.id).execute().catch(NAME_TAKEN);
  }
  if (input.permissions != null) {
    await assertGrantable(ctx, input.permissions);
    await replacePermissions(ctx, input.id, input.permissions);
  }
  return findRole(ctx, input.id);
}

/** Deletes a custom role; members who held it keep their built-in role. */
export async function deleteRole(ctx: Context, id: string): Promise<string> {
  await findRole(ctx, id);
  const db = await ctx.db.get();
  await db.updateTable('memberships').set({ custom_role_id: null }).where('custom_role_id', '=', id).execute();
  await db.deleteFrom('roles').where('id', '=', id).execute();
  return id;
}

export async function assignRole(ctx: Context, input: AssignRoleInput): Promise<Membership> {
  const db = await ctx.db.get();
  const membership = await db
    .selectFrom('memberships')
    .selectAll()
    .where('id', '=', input.membershipId)
    .executeTakeFirst();
  if (!membership) throw new NotFoundError('Membership');
  if (input.roleId !== null) {
    await findRole(ctx, input.roleId);
    const { rows } = await sql<{
      permission: string;
    }>`select permission from role_permissions where role_id = ${input.roleId}`.execute(db);
    await assertGrantable(
      ctx,
      rows.map((r) => r.permission),
    );
  }
  const row = await db
    .updateTable('memberships')
    .set({ custom_role_id: input.roleId })
    .where('id', '=', input.membershipId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return Membership.fromRow(row);
}
