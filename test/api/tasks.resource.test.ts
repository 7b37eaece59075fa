import { withTenant } from '../../src/db/database';
import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { createProject, createTask } from '../support/factories';
import { STORY_POINTS, tasks } from '../../src/modules/work/tasks';

const isoDay = (day: number) => new Date(Date.UTC(2027, 0, day)).toISOString().slice(0, 10);

/**
 * One project per tenant with one sprint, one milestone and one top-level task: every new task
 * is a subtask of that task in them, so Project.tasks, Sprint.tasks, Milestone.tasks and
 * Task.subtasks are longer lists; the admin is every task's assignee.
 */
const parentsOf = new Map<string, Promise<Record<string, string>>>();
describeResource(tasks, {
  parents: async (tenant: Tenant, _n: number, suite: Suite) => {
    if (!parentsOf.has(tenant.id))
      parentsOf.set(
        tenant.id,
        createProject(suite.db, tenant.id, tenant.admin.userId).then((p) =>
          withTenant(suite.db, { organizationId: tenant.id, userId: tenant.admin.userId }, async (trx) => {
            const sprint = await trx
              .insertInto('sprints')
              .values({
                organization_id: tenant.id,
                project_id: p.id,
                name: 'Sprint',
                start_date: isoDay(1),
                end_date: isoDay(14),
              })
              .returning('id')
              .executeTakeFirstOrThrow();
            const milestone = await trx
              .insertInto('milestones')
              .values({ organization_id: tenant.id, project_id: p.id, title: 'Milestone' })
              .returning('id')
              .executeTakeFirstOrThrow();
            const top = await createTask(trx, tenant.id, p.id);
            return {
              project: p.id,
              sprint: sprint.id,
              milestone: milestone.id,
              parentTask: top.id,
              assignee: tenant.admin.userId,
            };
          }),
        ),
      );
    return parentsOf.get(tenant.id)!;
  },
  updates: {
    // Story points are Fibonacci numbers (the kind's +1 would break the rule).
    storyPoints: (n) => ({ storyPoints: STORY_POINTS[n % STORY_POINTS.length] }),
    customFields: (n) => ({ customFields: { estimate: n } }),
  },
});
