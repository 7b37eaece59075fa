import { withTenant } from '../../src/db/database';
import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { createProject, createTask } from '../support/factories';
import { documents } from '../../src/modules/documents/documents';
import { taskAttachments } from '../../src/modules/documents/task-attachments';

/** One task per tenant (so Task.attachments is a longer list), a new document for each attachment. */
const taskOf = new Map<string, Promise<string>>();
describeResource(taskAttachments, {
  parents: async (tenant: Tenant, n: number, suite: Suite) => {
    const as = { organizationId: tenant.id, userId: tenant.admin.userId };
    if (!taskOf.has(tenant.id))
      taskOf.set(
        tenant.id,
        createProject(suite.db, tenant.id, tenant.admin.userId).then((p) =>
          withTenant(suite.db, as, async (trx) => (await createTask(trx, tenant.id, p.id)).id),
        ),
      );
    const document = await withTenant(suite.db, as, (trx) =>
      trx
        .insertInto('documents')
        .values({ organization_id: tenant.id, ...documents.spec.example(n) })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    return { task: await taskOf.get(tenant.id)!, document: document.id };
  },
});
