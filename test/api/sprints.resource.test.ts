import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { createProject } from '../support/factories';
import { sprints } from '../../src/modules/work/sprints';

const isoDay = (year: number, day: number) => new Date(Date.UTC(year, 0, day)).toISOString().slice(0, 10);

// One project per tenant, so Project.sprints is a longer list; example dates never overlap (a week per n).
const projectOf = new Map<string, Promise<string>>();
describeResource(sprints, {
  parents: async (tenant: Tenant, _n: number, suite: Suite) => {
    if (!projectOf.has(tenant.id))
      projectOf.set(
        tenant.id,
        createProject(suite.db, tenant.id, tenant.admin.userId).then((p) => p.id),
      );
    return { project: await projectOf.get(tenant.id)! };
  },
  updates: {
    startDate: (n) => ({ startDate: isoDay(2030, 1 + 7 * n), endDate: isoDay(2030, 6 + 7 * n) }),
    endDate: (n) => ({ startDate: isoDay(2031, 1 + 7 * n), endDate: isoDay(2031, 5 + 7 * n) }),
  },
});
