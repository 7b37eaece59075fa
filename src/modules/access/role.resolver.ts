import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { ConnectionArgs } from '../../graphql/connection';
import { Organization } from '../tenancy/organization.type';
import { Membership, MembershipPayload } from '../tenancy/membership.type';
import { AssignRoleInput, CreateRoleInput, DeleteRoleInput, UpdateRoleInput } from './role.input';
import { DeleteRolePayload, Permission, Role, RoleConnection, RolePayload } from './role.type';
import { permissionsByRoleId, roleById, rolesOfOrganization } from './role.loaders';
import * as roles from './role.service';

const rolePayload = (role: Role) => Object.assign(new RolePayload(), { role });

@Resolver(() => Role)
export class RoleResolver {
  @Authorized()
  @Query(() => [Permission], { nullable: true, description: 'The permission catalog.' })
  async permissions(@Ctx() ctx: Context): Promise<Permission[]> {
    const rows = await (await ctx.db.get()).selectFrom('permissions').selectAll().orderBy('key').execute();
    return rows.map(Permission.fromRow);
  }

  @FieldResolver(() => [String], { name: 'permissions', description: 'Permission keys the role grants.' })
  permissionsOfRole(@Root() role: Role, @Ctx() ctx: Context): Promise<string[]> {
    return ctx.loaders.use(permissionsByRoleId).load(role.id);
  }

  @Authorized('roles:manage')
  @Mutation(() => RolePayload)
  async createRole(
    @Arg('input', () => CreateRoleInput) input: CreateRoleInput,
    @Ctx() ctx: Context,
  ): Promise<RolePayload> {
    return rolePayload(await roles.createRole(ctx, input));
  }

  @Authorized('roles:manage')
  @Mutation(() => RolePayload)
  async updateRole(
    @Arg('input', () => UpdateRoleInput) input: UpdateRoleInput,
    @Ctx() ctx: Context,
  ): Promise<RolePayload> {
    return rolePayload(await roles.updateRole(ctx, input));
  }

  @Authorized('roles:manage')
  @Mutation(() => DeleteRolePayload, { description: 'Deletes a custom role; its members keep their built-in role.' })
  async deleteRole(
    @Arg('input', () => DeleteRoleInput) input: DeleteRoleInput,
    @Ctx() ctx: Context,
  ): Promise<DeleteRolePayload> {
    return Object.assign(new DeleteRolePayload(), { deletedRoleId: await roles.deleteRole(ctx, input.id) });
  }

  @Authorized('roles:manage')
  @Mutation(() => MembershipPayload, {
    description: 'Gives a member a custom role (or takes it away with roleId null).',
  })
  async assignRole(
    @Arg('input', () => AssignRoleInput) input: AssignRoleInput,
    @Ctx() ctx: Context,
  ): Promise<MembershipPayload> {
    return Object.assign(new MembershipPayload(), { membership: await roles.assignRole(ctx, input) });
  }
}

@Resolver(() => Organization)
export class OrganizationRolesResolver {
  @Authorized('roles:read')
  @FieldResolver(() => RoleConnection, { nullable: true, description: 'Custom roles, by name.' })
  roles(
    @Root() organization: Organization,
    @Args() page: ConnectionArgs,
    @Ctx() ctx: Context,
  ): Promise<RoleConnection> {
    return rolesOfOrganization.load(
      ctx.loaders,
      { parentId: organization.id, args: { ...page } },
      new RoleConnection(),
      Role.fromRow,
    );
  }
}

@Resolver(() => Membership)
export class MembershipRoleResolver {
  // Roles are read with roles:read wherever they are reached (members:read alone used to show them here).
  @Authorized('roles:read')
  @FieldResolver(() => Role, {
    nullable: true,
    description: 'The custom role, if any, held besides the built-in role (needs roles:read).',
  })
  customRole(@Root() membership: Membership, @Ctx() ctx: Context): Promise<Role | null> | null {
    return membership.customRoleId ? ctx.loaders.use(roleById).load(membership.customRoleId) : null;
  }
}
