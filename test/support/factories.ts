import crypto from 'node:crypto';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { withTenant } from '../../src/db/database';
import type {
  Database,
  MembershipRole,
  MembershipRow,
  MembershipStatus,
  OrganizationRow,
  UserRow,
  UserStatus,
} from '../../src/db/schema';
import { hashPassword } from '../../src/auth/passwords';

export const TEST_PASSWORD = 'TestPass123';
let testPasswordHash: Promise<string> | undefined;
const passwordHash = () => (testPasswordHash ??= hashPassword(TEST_PASSWORD));

const unique = () => crypto.randomUUID().slice(0, 8);

/** Factories write as the owner role, acting for the row's own tenant or user (RLS is FORCEd). */
export async function createOrganization(
  db: Kysely<Database>,
  overrides: Partial<Pick<OrganizationRow, 'name' | 'slug' | 'is_active'>> = {},
): Promise<OrganizationRow> {
  const id = crypto.randomUUID();
  const slug = overrides.slug ?? `org-${unique()}`;
  return withTenant(db, { organizationId: id, userId: null }, (trx) =>
    trx
      .insertInto('organizations')
      .values({ id, name: overrides.name ?? `Org ${slug}`, slug, is_active: overrides.is_active })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

export async function createUser(
  db: Kysely<Database>,
  overrides: { email?: string; username?: string; status?: UserStatus; firstName?: string } = {},
): Promise<UserRow> {
  const id = crypto.randomUUID();
  const handle = `user_${unique()}`;
  return withTenant(db, { organizationId: null, userId: id }, async (trx) =>
    trx
      .insertInto('users')
      .values({
        id,
        email: overrides.email ?? `${handle}@example.test`,
        username: overrides.username ?? handle,
        first_name: overrides.firstName ?? 'Test',
        last_name: handle,
        status: overrides.status,
        password_hash: await passwordHash(),
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

export async function addMember(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  options: { role?: MembershipRole; status?: MembershipStatus; joinedAt?: Date; endedAt?: Date } = {},
): Promise<MembershipRow> {
  return withTenant(db, { organizationId, userId: null }, (trx) =>
    trx
      .insertInto('memberships')
      .values({
        organization_id: organizationId,
        user_id: userId,
        role: options.role ?? 'member',
        status: options.status ?? 'active',
        joined_at: options.joinedAt,
        ended_at: options.endedAt ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

/** An organization with an owner and `members` more active members. */
export async function createTenant(db: Kysely<Database>, options: { members?: number; slug?: string } = {}) {
  const organization = await createOrganization(db, { slug: options.slug });
  const owner = await createUser(db);
  await addMember(db, organization.id, owner.id, { role: 'owner' });
  const members: UserRow[] = [];
  for (let i = 0; i < (options.members ?? 0); i++) {
    const user = await createUser(db);
    await addMember(db, organization.id, user.id);
    members.push(user);
  }
  return { organization, owner, members };
}

/** A live session (refresh-token family) of a member, as login would start it; returns its id. */
export async function createSession(db: Kysely<Database>, organizationId: string, userId: string): Promise<string> {
  const familyId = crypto.randomUUID();
  await withTenant(db, { organizationId, userId }, (trx) =>
    trx
      .insertInto('auth_refresh_tokens')
      .values({
        organization_id: organizationId,
        user_id: userId,
        family_id: familyId,
        token_hash: crypto.randomBytes(32).toString('hex'),
        expires_at: new Date(Date.now() + 3_600_000),
      })
      .execute(),
  );
  return familyId;
}

/** A custom role with these permissions. */
export async function createRole(
  db: Kysely<Database>,
  organizationId: string,
  permissions: string[] = ['members:read'],
  name = `role ${unique()}`,
) {
  return withTenant(db, { organizationId, userId: null }, async (trx) => {
    const role = await trx
      .insertInto('roles')
      .values({ organization_id: organizationId, name })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (permissions.length) {
      await trx
        .insertInto('role_permissions')
        .values(permissions.map((permission) => ({ organization_id: organizationId, role_id: role.id, permission })))
        .execute();
    }
    return role;
  });
}

/**
 * At least one row in EVERY tenant table (every table with organization_id) for this
 * organization. The isolation test fails for a table this does not fill: extend it when a
 * migration adds a tenant table.
 */
export async function seedTenantRows(db: Kysely<Database>, organizationId: string): Promise<void> {
  const user = await createUser(db);
  await addMember(db, organizationId, user.id, { role: 'member' });
  await createSession(db, organizationId, user.id);
  await createRole(db, organizationId);
  await withTenant(db, { organizationId, userId: null }, (trx) =>
    trx
      .insertInto('invitations')
      .values({
        organization_id: organizationId,
        email: `invitee_${unique()}@example.test`,
        role: 'member',
        token_hash: crypto.randomBytes(32).toString('hex'),
        expires_at: new Date(Date.now() + 86_400_000),
      })
      .execute(),
  );
  await withTenant(db, { organizationId, userId: null }, (trx) =>
    trx
      .insertInto('api_keys')
      .values({
        organization_id: organizationId,
        name: 'factory key',
        prefix: `tq_${crypto.randomBytes(4).toString('hex')}`,
        secret_hash: crypto.randomBytes(32).toString('hex'),
        permissions: ['members:read'],
      })
      .execute(),
  );
  await withTenant(db, { organizationId, userId: null }, (trx) =>
    trx
      .insertInto('registered_operations')
      .values({
        organization_id: organizationId,
        client_name: 'factory',
        name: 'FactoryOrganization',
        operation_type: 'query',
        document: `query FactoryOrganization { organization { id } } # ${unique()}`,
      })
      .execute(),
  );
  await withTenant(db, { organizationId, userId: null }, async (trx) => {
    const team = await trx
      .insertInto('teams')
      .values({ organization_id: organizationId, name: `team ${unique()}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('team_members')
      .values({ organization_id: organizationId, team_id: team.id, user_id: user.id })
      .execute();
  });
  // Work: a project with a member, sprint, milestone, a task with a subtask and a comment; the
  // triggers add task activity and audit entries.
  const project = await createProject(db, organizationId, user.id);
  await withTenant(db, { organizationId, userId: user.id }, async (trx) => {
    await trx
      .insertInto('project_members')
      .values({ organization_id: organizationId, project_id: project.id, user_id: user.id, role: 'lead' })
      .execute();
    const sprint = await trx
      .insertInto('sprints')
      .values({
        organization_id: organizationId,
        project_id: project.id,
        name: 'Sprint 1',
        start_date: '2026-01-01',
        end_date: '2026-01-15',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const milestone = await trx
      .insertInto('milestones')
      .values({ organization_id: organizationId, project_id: project.id, title: 'Beta' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const task = await createTask(trx, organizationId, project.id, {
      assignee_id: user.id,
      sprint_id: sprint.id,
      milestone_id: milestone.id,
    });
    await createTask(trx, organizationId, project.id, { parent_task_id: task.id });
    await trx
      .insertInto('task_comments')
      .values({ organization_id: organizationId, task_id: task.id, author_id: user.id, body: 'Looks good' })
      .execute();
    await trx
      .insertInto('academic_years')
      .values({ organization_id: organizationId, name: '2026/2027', start_date: '2026-09-01', end_date: '2027-07-01' })
      .execute();
  });
}

/** A project owned by `ownerId` (a member of the organization). */
export async function createProject(
  db: Kysely<Database>,
  organizationId: string,
  ownerId: string,
  values: Partial<Insertable<Database['projects']>> = {},
): Promise<Selectable<Database['projects']>> {
  const name = values.name ?? `Project ${unique()}`;
  return withTenant(db, { organizationId, userId: ownerId }, (trx) =>
    trx
      .insertInto('projects')
      .values({
        organization_id: organizationId,
        name,
        slug: name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, ''),
        owner_id: ownerId,
        ...values,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

/** A task in a project, inside the caller's tenant transaction. */
export async function createTask(
  trx: Kysely<Database>,
  organizationId: string,
  projectId: string,
  values: Partial<Insertable<Database['tasks']>> = {},
): Promise<Selectable<Database['tasks']>> {
  return trx
    .insertInto('tasks')
    .values({ organization_id: organizationId, project_id: projectId, title: `Task ${unique()}`, ...values })
    .returningAll()
    .executeTakeFirstOrThrow();
}
