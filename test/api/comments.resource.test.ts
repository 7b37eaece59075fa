import { withTenant } from '../../src/db/database';
import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { createProject, createTask } from '../support/factories';
import { comments } from '../../src/modules/work/comments';

// One task per tenant, so Task.comments is a longer list; the admin who creates a comment is its author.
const taskOf = new Map<string, Promise<string>>();
describeResource(comments, {
  parents: async (tenant: Tenant, _n: number, suite: Suite) => {
    if (!taskOf.has(tenant.id))
      taskOf.set(
        tenant.id,
        createProject(suite.db, tenant.id, tenant.admin.userId).then((p) =>
          withTenant(suite.db, { organizationId: tenant.id, userId: tenant.admin.userId }, (trx) =>
            createTask(trx, tenant.id, p.id),
          ).then((t) => t.id),
        ),
      );
    return { task: await taskOf.get(tenant.id)! };
  },
});
