import { MembershipResolver } from './membership.resolver';
import { OrganizationResolver } from './organization.resolver';
import { ViewerResolver } from './viewer.resolver';

export const tenancyResolvers = [ViewerResolver, OrganizationResolver, MembershipResolver] as const;
