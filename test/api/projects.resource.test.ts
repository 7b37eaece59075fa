import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { createProject } from '../support/factories';
import { projectMembers, projects } from '../../src/modules/work/projects';

describeResource(projects, {
  updates: {
    slug: (n) => ({ slug: `changed-${n}` }),
    settings: (n) => ({ settings: { features: [`feature-${n}`] } }),
    metadata: (n) => ({ metadata: { n, nested: { a: [n] } } }),
  },
});

// One project per tenant, so Project.members is a longer list; each member is a new person of the tenant.
const projectOf = new Map<string, Promise<string>>();
describeResource(projectMembers, {
  parents: async (tenant: Tenant, _n: number, suite: Suite) => {
    if (!projectOf.has(tenant.id))
      projectOf.set(
        tenant.id,
        createProject(suite.db, tenant.id, tenant.admin.userId).then((p) => p.id),
      );
    return { project: await projectOf.get(tenant.id)!, user: (await suite.member(tenant)).userId };
  },
});
