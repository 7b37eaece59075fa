import { MembershipResolver } from './membership.resolver';
import { OrganizationResolver } from './organization.resolver';
import { ViewerResolver } from './viewer.resolver';
import { UserResolver } from './user.resolver';

export const tenancyResolvers = [ViewerResolver, OrganizationResolver, MembershipResolver, UserResolver] as const;
