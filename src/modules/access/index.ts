import { SessionResolver } from './session.resolver';
import { AccountResolver } from './account.resolver';
import { MembershipRoleResolver, OrganizationRolesResolver, RoleResolver } from './role.resolver';
import { ApiKeyResolver, OrganizationApiKeysResolver } from './api-key.resolver';

export const accessResolvers = [SessionResolver, AccountResolver, RoleResolver, OrganizationRolesResolver, MembershipRoleResolver, ApiKeyResolver, OrganizationApiKeysResolver] as const;
