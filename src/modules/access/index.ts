import { SessionResolver } from './session.resolver';
import { AccountResolver } from './account.resolver';
import { MembershipRoleResolver, OrganizationRolesResolver, RoleResolver } from './role.resolver';

export const accessResolvers = [SessionResolver, AccountResolver, RoleResolver, OrganizationRolesResolver, MembershipRoleResolver] as const;
