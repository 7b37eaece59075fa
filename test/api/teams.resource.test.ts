import { describeResource } from '../support/describe-resource';
import { teamMembers, teams } from '../../src/modules/teams';
import type { Suite, Tenant } from '../support/describe-resource';

describeResource(teams);

// Members share one team per tenant (so Team.members is a longer list); each is a new member of the organization.
const teamOf = new Map<string, Promise<string>>();
describeResource(teamMembers, {
  parents: async (tenant: Tenant, n: number, suite: Suite) => {
    if (!teamOf.has(tenant.id)) teamOf.set(tenant.id, suite.create(teams, tenant, n));
    return { team: await teamOf.get(tenant.id)!, user: (await suite.member(tenant)).userId };
  },
});
