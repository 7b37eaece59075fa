import type { Updateable } from 'kysely';
import { organizationOf, type Context } from '../../graphql/context';
import { onViolation } from '../../errors';
import { findRow } from '../../db/rows';
import type { MilestoneStatus, MilestonesTable } from '../../db/schema';
import { Milestone } from './planning.type';

const MILESTONE_RULES = onViolation({
  milestones_title_check: ['title', 'The title must be 1 to 255 characters, not only spaces'],
});

export async function createMilestone(
  ctx: Context,
  input: { projectId: string; title: string; description?: string | null; dueDate?: string | null },
): Promise<Milestone> {
  const db = await ctx.db.get();
  await findRow(db, 'projects', input.projectId, 'Project');
  const row = await db
    .insertInto('milestones')
    .values({
      organization_id: organizationOf(ctx),
      project_id: input.projectId,
      title: input.title.trim(),
      description: input.description?.trim() ?? '',
      due_date: input.dueDate ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(MILESTONE_RULES);
  return Milestone.fromRow(row);
}

export async function updateMilestone(
  ctx: Context,
  input: {
    id: string;
    title?: string | null;
    description?: string | null;
    dueDate?: string | null;
    status?: MilestoneStatus | null;
  },
): Promise<Milestone> {
  const db = await ctx.db.get();
  const current = await findRow(db, 'milestones', input.id, 'Milestone');
  await findRow(db, 'projects', current.project_id, 'Milestone');
  const changes: Updateable<MilestonesTable> = {};
  if (input.title != null) changes.title = input.title.trim();
  if (input.description !== undefined) changes.description = input.description?.trim() ?? '';
  if (input.dueDate !== undefined) changes.due_date = input.dueDate;
  if (input.status != null && input.status !== current.status) {
    changes.status = input.status;
    changes.completed_at = input.status === 'completed' ? new Date() : null;
  }
  if (!Object.keys(changes).length) return Milestone.fromRow(current);
  return Milestone.fromRow(
    await db
      .updateTable('milestones')
      .set(changes)
      .where('id', '=', input.id)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(MILESTONE_RULES),
  );
}

/** Deletes a milestone; its tasks stay, outside any milestone. */
export async function deleteMilestone(ctx: Context, id: string): Promise<string> {
  const db = await ctx.db.get();
  const milestone = await findRow(db, 'milestones', id, 'Milestone');
  await findRow(db, 'projects', milestone.project_id, 'Milestone');
  await db.deleteFrom('milestones').where('id', '=', id).execute();
  return id;
}
