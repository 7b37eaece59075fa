import { OrganizationTeamsResolver, TeamMemberResolver, TeamResolver, UserTeamsResolver } from './team.resolver';

export const teamResolvers = [TeamResolver, TeamMemberResolver, OrganizationTeamsResolver, UserTeamsResolver] as const;
