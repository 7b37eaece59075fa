import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { createProject } from '../support/factories';
import { milestones } from '../../src/modules/work/milestones';

// One project per tenant, so Project.milestones is a longer list.
const projectOf = new Map<string, Promise<string>>();
describeResource(milestones, {
  parents: async (tenant: Tenant, _n: number, suite: Suite) => {
    if (!projectOf.has(tenant.id))
      projectOf.set(
        tenant.id,
        createProject(suite.db, tenant.id, tenant.admin.userId).then((p) => p.id),
      );
    return { project: await projectOf.get(tenant.id)! };
  },
});
