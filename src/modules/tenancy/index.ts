import { registerResolvers } from '../../resources';
import { MembershipResolver } from './membership.resolver';
import { OrganizationResolver } from './organization.resolver';
import { ViewerResolver } from './viewer.resolver';
import { UserResolver } from './user.resolver';

registerResolvers(ViewerResolver, OrganizationResolver, MembershipResolver, UserResolver);
