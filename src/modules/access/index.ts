import { registerResolvers } from '../../resources';
import { SessionResolver } from './session.resolver';
import { AccountResolver } from './account.resolver';
import { MembershipRoleResolver, OrganizationRolesResolver, RoleResolver } from './role.resolver';
import { ApiKeyResolver, OrganizationApiKeysResolver } from './api-key.resolver';
import { OrganizationOperationsResolver, RegisteredOperationResolver } from './registered-operation.resolver';

registerResolvers(
  SessionResolver,
  AccountResolver,
  RoleResolver,
  OrganizationRolesResolver,
  MembershipRoleResolver,
  ApiKeyResolver,
  OrganizationApiKeysResolver,
  RegisteredOperationResolver,
  OrganizationOperationsResolver,
);
