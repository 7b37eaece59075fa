import { Field, ObjectType } from 'type-graphql';
import { DateTimeResolver, JSONObjectResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import type { ProjectMemberRole, ProjectMembersTable, ProjectsTable, ProjectVisibility } from '../../db/schema';
import { Connection, type NodeColumns } from '../../graphql/connection';
import { ProjectMemberRoleEnum, ProjectVisibilityEnum } from './work.enums';

@ObjectType({ description: 'Project settings (seed 004).' })
export class ProjectSettings {
  @Field(() => [String], { description: 'Features turned on for the project.' })
  features!: string[];
}

@ObjectType({ description: 'A project of the organization: tasks, sprints and milestones live in one.' })
export class Project {
  @Field(() => UUIDResolver)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'Lowercase letters, digits and hyphens; unique among the live projects of the organization.' })
  slug!: string;

  @Field()
  description!: string;

  @Field(() => ProjectVisibilityEnum)
  visibility!: ProjectVisibility;

  @Field(() => ProjectSettings)
  settings!: ProjectSettings;

  @Field(() => JSONObjectResolver, { description: 'Free-form data of the client.' })
  metadata!: Record<string, unknown>;

  ownerId!: string;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver)
  updatedAt!: Date;

  @Field(() => DateTimeResolver, {
    nullable: true,
    description: 'Set when the project is deleted (it can be restored).',
  })
  deletedAt!: Date | null;

  /** A project from its row; the project list reads only the columns its selection needs (PROJECT_COLUMNS). */
  static fromRow(row: Selectable<ProjectsTable>): Project {
    return Object.assign(new Project(), {
      id: row.id,
      name: row.name,
      slug: row.slug,
      description: row.description,
      visibility: row.visibility,
      settings: row.settings && Object.assign(new ProjectSettings(), { features: row.settings.features ?? [] }),
      metadata: row.metadata,
      ownerId: row.owner_id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      deletedAt: row.deleted_at,
    });
  }
}

/** The columns each field of Project reads, for the project list (see NodeColumns); the child lists need the id. */
export const PROJECT_COLUMNS: NodeColumns = {
  always: ['id'],
  fields: {
    id: [],
    name: ['name'],
    slug: ['slug'],
    description: ['description'],
    visibility: ['visibility'],
    settings: ['settings'],
    metadata: ['metadata'],
    createdAt: ['created_at'],
    updatedAt: ['updated_at'],
    deletedAt: ['deleted_at'],
    owner: ['owner_id'],
    members: [],
    tasks: [],
    sprints: [],
    milestones: [],
  },
};

@ObjectType({ description: 'A member of the organization in a project.' })
export class ProjectMember {
  @Field(() => UUIDResolver)
  id!: string;

  projectId!: string;
  userId!: string;

  @Field(() => ProjectMemberRoleEnum)
  role!: ProjectMemberRole;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  static fromRow(row: Selectable<ProjectMembersTable>): ProjectMember {
    return Object.assign(new ProjectMember(), {
      id: row.id,
      projectId: row.project_id,
      userId: row.user_id,
      role: row.role,
      createdAt: row.created_at,
    });
  }
}

@ObjectType()
export class ProjectConnection extends Connection(Project) {}

@ObjectType()
export class ProjectMemberConnection extends Connection(ProjectMember) {}

@ObjectType()
export class ProjectPayload {
  @Field(() => Project)
  project!: Project;
}

@ObjectType()
export class ProjectMemberPayload {
  @Field(() => ProjectMember)
  projectMember!: ProjectMember;
}

@ObjectType()
export class RemoveProjectMemberPayload {
  @Field(() => UUIDResolver)
  removedProjectMemberId!: string;
}
