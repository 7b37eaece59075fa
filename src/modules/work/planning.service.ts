import type { Updateable } from 'kysely';
import { organizationOf, type Context } from '../../graphql/context';
import { BadUserInputError, onViolation } from '../../errors';
import { findRow } from '../../db/rows';
import type { MilestoneStatus, MilestonesTable, SprintStatus, SprintsTable } from '../../db/schema';
import { Milestone, Sprint } from './planning.type';

const MILESTONE_RULES = onViolation({
  milestones_title_check: ['title', 'The title must be 1 to 255 characters, not only spaces'],
});

const SPRINT_RULES = onViolation({
  sprints_name_key: ['name', 'This project already has a sprint with that name'],
  sprints_name_check: ['name', 'The name must be 1 to 255 characters, not only spaces'],
  sprints_no_overlap: ['startDate', 'The dates overlap another sprint of the project'],
  sprints_dates_check: ['endDate', 'The end date must be after the start date'],
});

/** PLANNED -> ACTIVE -> COMPLETED, and PLANNED or ACTIVE -> CANCELLED. */
export const SPRINT_TRANSITIONS: Record<SprintStatus, readonly SprintStatus[]> = {
  planned: ['active', 'cancelled'],
  active: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

export async function createSprint(
  ctx: Context,
  input: { projectId: string; name: string; goal?: string | null; startDate: string; endDate: string },
): Promise<Sprint> {
  const db = await ctx.db.get();
  await findRow(db, 'projects', input.projectId, 'Project');
  const row = await db
    .insertInto('sprints')
    .values({
      organization_id: organizationOf(ctx),
      project_id: input.projectId,
      name: input.name.trim(),
      goal: input.goal?.trim() ?? '',
      start_date: input.startDate,
      end_date: input.endDate,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(SPRINT_RULES);
  return Sprint.fromRow(row);
}

export async function updateSprint(
  ctx: Context,
  input: {
    id: string;
    name?: string | null;
    goal?: string | null;
    startDate?: string | null;
    endDate?: string | null;
    status?: SprintStatus | null;
  },
): Promise<Sprint> {
  const db = await ctx.db.get();
  const current = await findRow(db, 'sprints', input.id, 'Sprint', { forUpdate: true });
  await findRow(db, 'projects', current.project_id, 'Sprint');
  const changes: Updateable<SprintsTable> = {};
  if (input.name != null) changes.name = input.name.trim();
  if (input.goal !== undefined) changes.goal = input.goal?.trim() ?? '';
  if (input.startDate != null) changes.start_date = input.startDate;
  if (input.endDate != null) changes.end_date = input.endDate;
  if (input.status != null && input.status !== current.status) {
    if (!SPRINT_TRANSITIONS[current.status].includes(input.status)) {
      throw new BadUserInputError(
        'status',
        `A ${current.status.toUpperCase()} sprint cannot become ${input.status.toUpperCase()}`,
      );
    }
    changes.status = input.status;
    if (input.status === 'completed') changes.completed_at = new Date();
  }
  if (!Object.keys(changes).length) return Sprint.fromRow(current);
  return Sprint.fromRow(
    await db
      .updateTable('sprints')
      .set(changes)
      .where('id', '=', input.id)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(SPRINT_RULES),
  );
}

/** Deletes a sprint; its tasks stay, outside any sprint. */
export async function deleteSprint(ctx: Context, id: string): Promise<string> {
  const db = await ctx.db.get();
  const sprint = await findRow(db, 'sprints', id, 'Sprint');
  await findRow(db, 'projects', sprint.project_id, 'Sprint'); // a deleted project's sprints wait for its restore
  await db.deleteFrom('sprints').where('id', '=', id).execute();
  return id;
}

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
