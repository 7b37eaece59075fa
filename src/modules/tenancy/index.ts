import { AuthResolver } from './auth.resolver';
import { MembershipResolver } from './membership.resolver';
import { OrganizationResolver } from './organization.resolver';
import { ViewerResolver } from './viewer.resolver';

export const tenancyResolvers = [AuthResolver, ViewerResolver, OrganizationResolver, MembershipResolver] as const;
