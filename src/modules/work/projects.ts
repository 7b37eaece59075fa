import { Field, InputType, ObjectType } from 'type-graphql';
import { ArrayMaxSize, Length, MaxLength } from 'class-validator';
import { sql, type Insertable } from 'kysely';
import { IsSlug, slugFrom } from '../../graphql/slug';
import { BadUserInputError, ForbiddenError, onViolation } from '../../errors';
import { PROJECT_VISIBILITIES, type ProjectsTable } from '../../db/schema';
import { col, defineResource, external, parent, type ParentSpec } from '../../resources';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import { ProjectMemberRoleEnum, ProjectVisibilityEnum } from './work.enums';
import type { KeysetSort } from '../../db/pagination';

/**
 * Names and slugs are unique in the organization, private projects included, so a clash may be
 * with a project the caller cannot see. The answer claims no project, and is the same whether
 * or not the caller can see the one that holds the name (docs/security.md, "Known trade-offs").
 */
export const NAME_NOT_AVAILABLE = 'That name is not available in this organization; choose another';
export const SLUG_NOT_AVAILABLE = 'That slug is not available in this organization; choose another';
const BLANK_NAME = 'The name must be 1 to 255 characters, not only spaces';
const OWNER_NOT_MEMBER = 'The owner must be a member of the organization';

@ObjectType({ description: 'Project settings (seed 004).' })
export class ProjectSettings {
  @Field(() => [String], { description: 'Features turned on for the project.' })
  features!: string[];
}

@InputType()
export class ProjectSettingsInput {
  @Field(() => [String])
  @ArrayMaxSize(50)
  @Length(1, 100, { each: true, message: 'each feature must be 1 to 100 characters' })
  features!: string[];
}

const userRef = external({ typeName: 'User', type: () => User, table: 'users', byId: userById, label: 'User' });

const violations: Record<string, [string, string]> = {
  projects_name_key: ['name', NAME_NOT_AVAILABLE],
  projects_slug_key: ['slug', SLUG_NOT_AVAILABLE],
  projects_owner_is_member: ['ownerId', OWNER_NOT_MEMBER],
  project_members_are_members: ['ownerId', OWNER_NOT_MEMBER],
  projects_name_check: ['name', BLANK_NAME],
  projects_metadata_check: ['metadata', 'The metadata must be at most 64 KiB'],
};
const onProjectRule = onViolation(violations);

export const PROJECT_ORDERS = {
  name_asc: { column: 'name', direction: 'asc', type: 'text' },
  name_desc: { column: 'name', direction: 'desc', type: 'text' },
  created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
  updated_at_desc: { column: 'updated_at', direction: 'desc', type: 'timestamp' },
} as const satisfies Record<string, KeysetSort>;

export const projects = defineResource({
  name: 'Project',
  table: 'projects',
  description: 'A project of the organization: tasks, sprints and milestones live in one.',
  relations: {
    owner: parent(userRef, {
      column: 'owner_id',
      field: 'owner',
      input: {
        create: 'optional',
        update: true,
        description: 'A member of the organization; the caller when not given.',
      },
      filter: true,
    }),
  },
  columns: {
    name: col.text({ length: { min: 1, max: 255 }, create: 'required', update: true, filter: 'string' }),
    slug: col.text({
      description: 'Lowercase letters, digits and hyphens; unique among the live projects of the organization.',
      create: { required: false, description: 'Derived from the name when not given.' },
      update: true,
      trim: false,
      filter: 'string',
      validate: () => [IsSlug(), MaxLength(100)],
    }),
    description: col.text({ dbDefault: true, length: { max: 10000 }, create: 'optional', update: true }),
    visibility: col.enum(PROJECT_VISIBILITIES, ProjectVisibilityEnum, {
      dbDefault: true,
      create: { required: true, defaultValue: 'public' },
      update: true,
      filter: 'enum',
    }),
    settings: col.json({
      dbDefault: true,
      objectType: () => ProjectSettings,
      inputType: () => ProjectSettingsInput,
      create: 'optional',
      update: true,
    }),
    metadata: col.json({
      dbDefault: true,
      description: 'Free-form data of the client.',
      create: 'optional',
      update: { description: 'Replaces the metadata.' },
    }),
  },
  timestamps: {
    createdAt: true,
    updatedAt: true,
    deletedAt: { description: 'Set when the project is deleted (it can be restored).' },
  },
  permissions: {
    read: 'projects:read',
    create: 'projects:create',
    update: 'projects:update',
    delete: 'projects:delete',
  },
  // Project.attachments, attachDocumentToProject, detachDocumentFromProject (migration 0028).
  attachments: { table: 'project_attachments' },
  lists: {
    orders: PROJECT_ORDERS,
    root: { description: 'Projects of the organization (private ones only for their members and admins).' },
    byId: { description: 'A project by id; null when there is none the caller can see.' },
    filter: { order: ['name', 'slug', 'visibility', 'ownerId', 'createdAt'] },
    alias: 'p',
  },
  mutations: {
    create: {
      description: 'Creates a project; its owner and creator become its leads.',
      order: ['name', 'slug', 'description', 'visibility', 'settings', 'metadata', 'ownerId'],
    },
    update: { order: ['name', 'slug', 'description', 'visibility', 'settings', 'metadata', 'ownerId'] },
    delete: { mode: 'soft', description: 'Soft-deletes a project and its tasks; restoreProject brings them back.' },
    restore: {},
  },
  violations,
  rules: {
    beforeCreate(ctx, values, input) {
      const owner = (values.owner_id as string | undefined) ?? ctx.viewer?.userId;
      if (!owner) throw new BadUserInputError('ownerId', 'An API key must name the owner of the project');
      if (!values.name) throw new BadUserInputError('name', BLANK_NAME);
      const slug = (values.slug as string | undefined) ?? slugFrom(values.name as string);
      if (!slug)
        throw new BadUserInputError('slug', 'The name has no letters or digits to make a slug from; give a slug');
      const settings = input.settings as { features: string[] } | null | undefined;
      Object.assign(values, {
        owner_id: owner,
        slug,
        settings: JSON.stringify({ features: settings?.features ?? [] }),
        metadata: JSON.stringify(input.metadata ?? {}),
      });
    },
    // The owner and the creator become its leads in the SAME statement: a private project is hidden
    // from anyone who is not yet a member, and the policies of one statement see the projects as
    // they were when it started (the new one not among the hidden).
    async insert(ctx, values) {
      const leads = [...new Set([values.owner_id as string, ctx.viewer?.userId].filter((id): id is string => !!id))];
      return (await ctx.db.get())
        .with('project', (qb) =>
          qb
            .insertInto('projects')
            .values(values as unknown as Insertable<ProjectsTable>)
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
        .executeTakeFirstOrThrow();
    },
    async beforeUpdate(ctx, current, changes) {
      if (changes.settings)
        changes.settings = JSON.stringify({
          ...(current.settings as object),
          features: (changes.settings as { features: string[] }).features,
        });
      if (changes.metadata) changes.metadata = JSON.stringify(changes.metadata);
      if (!changes.owner_id || changes.owner_id === current.owner_id) return;
      // A new owner becomes a member (a lead), so a private project stays visible to them. Before the
      // update: once it makes the project private, a caller who is not its member can no longer add one.
      await (
        await ctx.db.get()
      )
        .insertInto('project_members')
        .values({
          organization_id: current.organization_id as string,
          project_id: current.id as string,
          user_id: changes.owner_id as string,
          role: 'lead',
        })
        .onConflict((oc) => oc.columns(['organization_id', 'project_id', 'user_id']).doNothing())
        .execute()
        .catch(onProjectRule);
    },
    // A project's live tasks are deleted with it, at the same instant (now() is the transaction's).
    async afterSetDeleted(ctx, row, deleted) {
      if (!deleted) return;
      await (
        await ctx.db.get()
      )
        .updateTable('tasks')
        .set({ deleted_at: sql<Date>`now()` })
        .where('project_id', '=', row.id as string)
        .where('deleted_at', 'is', null)
        .execute();
    },
    // Restored: the tasks deleted with it (not those deleted before), while its deleted_at still
    // says which; compared in SQL, as a JavaScript Date would lose the microseconds.
    async beforeSetDeleted(ctx, current, deleted) {
      if (deleted) return;
      const db = await ctx.db.get();
      await db
        .updateTable('tasks')
        .set({ deleted_at: null })
        .where('project_id', '=', current.id as string)
        .where(
          'deleted_at',
          '=',
          db
            .selectFrom('projects')
            .select('deleted_at')
            .where('id', '=', current.id as string),
        )
        .execute();
    },
  },
  example: (n) => ({ name: `Project ${n}`, slug: `project-${n}` }),
});

export const projectMembers = defineResource({
  name: 'ProjectMember',
  table: 'project_members',
  description: 'A member of the organization in a project.',
  label: 'Project member',
  relations: {
    user: parent(userRef, {
      column: 'user_id',
      field: 'user',
      input: { create: 'required', description: 'A member of the organization.' },
    }),
    project: parent(() => projects, {
      column: 'project_id',
      input: { create: 'required' },
      // A deleted project's members are out of reach with it: NOT_FOUND 'Project' on add and remove.
      requireLive: true,
      inverse: {
        field: 'members',
        description: 'Members of the project, in the order they joined.',
        args: 'page',
        loaderName: 'membersOfProject',
      },
    }),
  },
  columns: {
    role: col.enum(['lead', 'member'], ProjectMemberRoleEnum, {
      dbDefault: true,
      create: { required: true, defaultValue: 'member' },
    }),
  },
  timestamps: { createdAt: true },
  permissions: { read: 'projects:read', create: 'projects:update', delete: 'projects:update' },
  lists: { orders: { created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' } }, alias: 'pm' },
  mutations: {
    create: { name: 'addProjectMember', inputName: 'AddProjectMemberInput', order: ['projectId', 'userId', 'role'] },
    delete: {
      mode: 'hard',
      name: 'removeProjectMember',
      inputName: 'RemoveProjectMemberInput',
      by: ['projectId', 'userId'],
      payloadName: 'RemoveProjectMemberPayload',
      payloadField: 'removedProjectMemberId',
    },
    payload: { name: 'ProjectMemberPayload', field: 'projectMember' },
  },
  violations: {
    project_members_key: ['userId', 'That user is already a member of the project'],
    project_members_are_members: ['userId', 'That user is not a member of the organization'],
  },
  rules: {
    async beforeDelete(ctx, current) {
      const project = await (
        await ctx.db.get()
      )
        .selectFrom('projects')
        .select('owner_id')
        .where('id', '=', current.project_id as string)
        .executeTakeFirst();
      if (project?.owner_id === current.user_id)
        throw new ForbiddenError('The owner of a project stays its member; change the owner first');
    },
  },
  example: () => ({}),
});

/**
 * The project a sprint or milestone belongs to: required on create, filterable, a group key of
 * aggregates, and live (a deleted project's rows are gone with it until it is restored: by id,
 * in the root list and for writes); `inverse` names its list on Project.
 *
 * @example
 * relations: { project: inProject('sprints') }
 */
export const inProject = (inverse: string): ParentSpec =>
  parent(() => projects, {
    column: 'project_id',
    field: 'project',
    input: { create: 'required' },
    filter: true,
    requireLive: true,
    aggregateGroupBy: true,
    inverse: { field: inverse },
  });
