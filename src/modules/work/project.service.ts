import { sql, type Updateable } from 'kysely';
import { organizationOf, type Context } from '../../graphql/context';
import { BadUserInputError, ForbiddenError, NotFoundError, onViolation } from '../../errors';
import { slugFrom } from '../../graphql/slug';
import { findRow, setDeleted } from '../../db/rows';
import type { ProjectMemberRole, ProjectsTable, ProjectVisibility } from '../../db/schema';
import { Project, ProjectMember } from './project.type';

/**
 * Names and slugs are unique in the organization, private projects included, so a clash may be
 * with a project the caller cannot see. The answer claims no project, and is the same whether
 * or not the caller can see the one that holds the name (docs/security.md, "Known trade-offs").
 */
export const NAME_NOT_AVAILABLE = 'That name is not available in this organization; choose another';
export const SLUG_NOT_AVAILABLE = 'That slug is not available in this organization; choose another';

const PROJECT_RULES = onViolation({
  projects_name_key: ['name', NAME_NOT_AVAILABLE],
  projects_slug_key: ['slug', SLUG_NOT_AVAILABLE],
  projects_owner_is_member: ['ownerId', 'The owner must be a member of the organization'],
  project_members_are_members: ['ownerId', 'The owner must be a member of the organization'],
  projects_name_check: ['name', 'The name must be 1 to 255 characters, not only spaces'],
  projects_metadata_check: ['metadata', 'The metadata must be at most 64 KiB'],
});

interface ProjectFields {
  name?: string | null;
  slug?: string | null;
  description?: string | null;
  visibility?: ProjectVisibility | null;
  settings?: { features: string[] } | null;
  metadata?: Record<string, unknown> | null;
  ownerId?: string | null;
}

function slugOf(name: string, slug: string | null | undefined): string {
  const value = slug ?? slugFrom(name);
  if (!value) throw new BadUserInputError('slug', 'The name has no letters or digits to make a slug from; give a slug');
  return value;
}

/** A project with the caller as owner unless another member is named; the creator joins it as lead. */
export async function createProject(
  ctx: Context,
  input: ProjectFields & { name: string; visibility: ProjectVisibility },
): Promise<Project> {
  const db = await ctx.db.get();
  const ownerId = input.ownerId ?? ctx.viewer?.userId;
  if (!ownerId) throw new BadUserInputError('ownerId', 'An API key must name the owner of the project');
  const name = input.name.trim();
  if (!name) throw new BadUserInputError('name', 'The name must be 1 to 255 characters, not only spaces');
  // The owner and the creator become its leads in the SAME statement: a private project is hidden
  // from anyone who is not yet a member, and the policies of one statement see the projects as they
  // were when it started (the new one not among the hidden).
  const leads = [...new Set([ownerId, ctx.viewer?.userId].filter((id): id is string => !!id))];
  const row = await db
    .with('project', (qb) =>
      qb
        .insertInto('projects')
        .values({
          organization_id: organizationOf(ctx),
          name,
          slug: slugOf(name, input.slug),
          description: input.description?.trim() ?? '',
          visibility: input.visibility,
          settings: JSON.stringify({ features: input.settings?.features ?? [] }),
          metadata: JSON.stringify(input.metadata ?? {}),
          owner_id: ownerId,
        })
        .returningAll(),
    )
    .with('leads', (qb) =>
      qb
        .insertInto('project_members')
        .columns(['organization_id', 'project_id', 'user_id', 'role'])
        .expression((eb) =>
          eb
            .selectFrom(['project', sql`unnest(${sql.val(leads)}::uuid[])`.as<'lead'>(sql`lead(user_id)`)])
            .select([
              'project.organization_id',
              'project.id',
              sql<string>`lead.user_id`.as('user_id'),
              sql<'lead'>`'lead'`.as('role'),
            ]),
        )
        .returning('project_members.id'),
    )
    .selectFrom('project')
    .selectAll()
    .executeTakeFirstOrThrow()
    .catch(PROJECT_RULES);
  return Project.fromRow(row);
}

export async function updateProject(ctx: Context, input: ProjectFields & { id: string }): Promise<Project> {
  const db = await ctx.db.get();
  const current = await findRow(db, 'projects', input.id, 'Project');
  const changes: Updateable<ProjectsTable> = {};
  if (input.name != null) changes.name = input.name.trim();
  if (input.slug != null) changes.slug = input.slug;
  if (input.description !== undefined) changes.description = input.description?.trim() ?? '';
  if (input.visibility != null) changes.visibility = input.visibility;
  if (input.settings != null)
    changes.settings = JSON.stringify({ ...current.settings, features: input.settings.features });
  if (input.metadata != null) changes.metadata = JSON.stringify(input.metadata);
  if (input.ownerId != null) changes.owner_id = input.ownerId;
  if (!Object.keys(changes).length) return Project.fromRow(current);
  if (changes.owner_id && changes.owner_id !== current.owner_id) {
    // A new owner becomes a member (a lead), so a private project stays visible to them. Before the
    // update: once it makes the project private, a caller who is not its member can no longer add one.
    await db
      .insertInto('project_members')
      .values({
        organization_id: current.organization_id,
        project_id: current.id,
        user_id: changes.owner_id,
        role: 'lead',
      })
      .onConflict((oc) => oc.columns(['organization_id', 'project_id', 'user_id']).doNothing())
      .execute()
      .catch(PROJECT_RULES);
  }
  const row = await db
    .updateTable('projects')
    .set(changes)
    .where('id', '=', input.id)
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(PROJECT_RULES);
  return Project.fromRow(row);
}

/**
 * Soft delete: the project and its live tasks (deleted with it, at the same instant) disappear
 * from lists; its name and slug are free again.
 */
export async function deleteProject(ctx: Context, id: string): Promise<Project> {
  const db = await ctx.db.get();
  const row = await setDeleted(db, 'projects', id, 'Project', true);
  // now() is the transaction's timestamp: the same instant as the project's deleted_at.
  await db
    .updateTable('tasks')
    .set({ deleted_at: sql<Date>`now()` })
    .where('project_id', '=', id)
    .where('deleted_at', 'is', null)
    .execute();
  return Project.fromRow(row);
}

/**
 * Restores a deleted project and the tasks deleted with it (not those deleted before), unless a
 * live project took its name or slug meanwhile (CONFLICT).
 */
export async function restoreProject(ctx: Context, id: string): Promise<Project> {
  const db = await ctx.db.get();
  await findRow(db, 'projects', id, 'Project', { deleted: 'only' });
  // Compared in SQL: a JavaScript Date would lose the microseconds.
  await db
    .updateTable('tasks')
    .set({ deleted_at: null })
    .where('project_id', '=', id)
    .where('deleted_at', '=', db.selectFrom('projects').select('deleted_at').where('id', '=', id))
    .execute();
  return Project.fromRow(await setDeleted(db, 'projects', id, 'Project', false).catch(PROJECT_RULES));
}

export async function addProjectMember(
  ctx: Context,
  input: { projectId: string; userId: string; role: ProjectMemberRole },
): Promise<ProjectMember> {
  const db = await ctx.db.get();
  await findRow(db, 'projects', input.projectId, 'Project');
  const row = await db
    .insertInto('project_members')
    .values({
      organization_id: organizationOf(ctx),
      project_id: input.projectId,
      user_id: input.userId,
      role: input.role,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(
      onViolation({
        project_members_key: ['userId', 'That user is already a member of the project'],
        project_members_are_members: ['userId', 'That user is not a member of the organization'],
      }),
    );
  return ProjectMember.fromRow(row);
}

/** Removes a project member; the project's owner stays (change the owner first). */
export async function removeProjectMember(ctx: Context, input: { projectId: string; userId: string }): Promise<string> {
  const db = await ctx.db.get();
  const project = await findRow(db, 'projects', input.projectId, 'Project');
  if (project.owner_id === input.userId)
    throw new ForbiddenError('The owner of a project stays its member; change the owner first');
  const row = await db
    .deleteFrom('project_members')
    .where('project_id', '=', input.projectId)
    .where('user_id', '=', input.userId)
    .returning('id')
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Project member');
  return row.id;
}
