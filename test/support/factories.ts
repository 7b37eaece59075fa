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
import '../../src/modules';
import { registry, type BuiltResource } from '../../src/resources';

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

/** A seeded row: its columns as the database returned them. */
export type SeededRow = Record<string, unknown> & { id: string };
/** The first row seedTenantRows wrote in each table, by table name. */
export type SeededRows = Record<string, SeededRow>;

/** A table seeded by hand until it moves onto the resource layer: the tables its row points at, and the insert. */
interface HandSeed {
  table: string;
  needs: readonly string[];
  insert(trx: Kysely<Database>, organizationId: string, rows: SeededRows): Promise<SeededRow>;
}

/** Tables that are not resources yet (each skipped once its table is one: the resource's example seeds it). */
const HAND_SEEDS: readonly HandSeed[] = [
  {
    table: 'projects',
    needs: ['users'],
    insert: (trx, organizationId, rows) => insertProject(trx, organizationId, rows.users!.id),
  },
  {
    table: 'project_members',
    needs: ['projects', 'users'],
    insert: (trx, organizationId, rows) =>
      trx
        .insertInto('project_members')
        .values({
          organization_id: organizationId,
          project_id: rows.projects!.id,
          user_id: rows.users!.id,
          role: 'lead',
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
  },
  {
    table: 'milestones',
    needs: ['projects'],
    insert: (trx, organizationId, rows) =>
      trx
        .insertInto('milestones')
        .values({ organization_id: organizationId, project_id: rows.projects!.id, title: 'Beta' })
        .returningAll()
        .executeTakeFirstOrThrow(),
  },
  {
    // A task with every link (assignee, sprint, milestone) and a subtask.
    table: 'tasks',
    needs: ['projects', 'users', 'sprints', 'milestones'],
    async insert(trx, organizationId, rows) {
      const task = await createTask(trx, organizationId, rows.projects!.id, {
        assignee_id: rows.users!.id,
        sprint_id: rows.sprints?.id,
        milestone_id: rows.milestones?.id,
      });
      await createTask(trx, organizationId, rows.projects!.id, { parent_task_id: task.id });
      return task;
    },
  },
  {
    table: 'task_comments',
    needs: ['tasks', 'users'],
    insert: (trx, organizationId, rows) =>
      trx
        .insertInto('task_comments')
        .values({
          organization_id: organizationId,
          task_id: rows.tasks!.id,
          author_id: rows.users!.id,
          body: 'Looks good',
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
  },
];

/** Makes every example of every call unique (team names are unique per organization, sprints may not overlap). */
let seedRun = 0;

/**
 * A row of a resource: its spec's example plus its parents' ids. Every parent whose table has a
 * row is filled, nullable ones too, so the fuzzer sees every link, unless the example names its
 * column null; a parent in its own table gets a second row pointing at the first.
 */
async function insertExample(
  trx: Kysely<Database>,
  organizationId: string,
  resource: BuiltResource,
  rows: SeededRows,
  n: number,
): Promise<SeededRow> {
  const insert = async (self: SeededRow | undefined) => {
    const example = resource.spec.example(n);
    const values: Record<string, unknown> = { organization_id: organizationId, ...example };
    for (const relation of resource.model.relations) {
      // Named null: left empty (a grant is on a folder or on a document, not both).
      if (example[relation.column] === null) continue;
      const table = relation.target().table;
      const target = table === resource.table ? self : rows[table];
      if (target) values[relation.column] = target.id;
      else if (!relation.nullable && table !== resource.table)
        throw new Error(`seedTenantRows: no row of ${table} for ${resource.table}.${relation.column}`);
    }
    return (await trx
      .insertInto(resource.table)
      .values(values as never)
      .returningAll()
      .executeTakeFirstOrThrow()) as unknown as SeededRow;
  };
  const first = await insert(undefined);
  if (resource.model.relations.some((r) => r.target().table === resource.table)) await insert(first);
  return first;
}

/**
 * The resources and the hand-seeded tables, each after the tables its rows point at (the
 * registry's seed order, with the hand-seeded tables put where their parents and children need them).
 */
function seedPlan(seeded: ReadonlySet<string>): (HandSeed | BuiltResource)[] {
  const nodes = new Map<string, HandSeed | BuiltResource>();
  for (const hand of HAND_SEEDS) if (!registry.byTable(hand.table)) nodes.set(hand.table, hand);
  for (const resource of registry.seedOrder()) nodes.set(resource.table, resource);
  const needs = (node: HandSeed | BuiltResource) =>
    'needs' in node ? node.needs : node.model.relations.map((r) => r.target().table);
  const plan: (HandSeed | BuiltResource)[] = [];
  const visit = (table: string, path: readonly string[]) => {
    const node = nodes.get(table);
    if (!node || plan.includes(node) || seeded.has(table)) return;
    if (path.includes(table)) throw new Error(`seedTenantRows: a cycle of parents through ${table}`);
    for (const parent of needs(node)) if (parent !== table) visit(parent, [...path, table]);
    plan.push(node);
  };
  for (const table of nodes.keys()) visit(table, []);
  return plan;
}

/**
 * At least one row in EVERY tenant table (every table with organization_id) for this
 * organization, and the first row of each, by table. The tables that are not resources are
 * written by hand (the people and access rows first, then HAND_SEEDS); every resource gets
 * its spec's example, so a new resource is seeded without an edit here. rls.test.ts fails for
 * a tenant table this leaves empty.
 */
export async function seedTenantRows(db: Kysely<Database>, organizationId: string): Promise<SeededRows> {
  const n = ++seedRun;
  const user = await createUser(db);
  const rows: SeededRows = {
    organizations: { id: organizationId },
    users: user,
    memberships: await addMember(db, organizationId, user.id, { role: 'member' }),
  };
  await createSession(db, organizationId, user.id);
  rows.roles = await createRole(db, organizationId);
  await withTenant(db, { organizationId, userId: null }, async (trx) => {
    rows.invitations = await trx
      .insertInto('invitations')
      .values({
        organization_id: organizationId,
        email: `invitee_${unique()}@example.test`,
        role: 'member',
        token_hash: crypto.randomBytes(32).toString('hex'),
        expires_at: new Date(Date.now() + 86_400_000),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    rows.api_keys = await trx
      .insertInto('api_keys')
      .values({
        organization_id: organizationId,
        name: 'factory key',
        prefix: `tq_${crypto.randomBytes(4).toString('hex')}`,
        secret_hash: crypto.randomBytes(32).toString('hex'),
        permissions: ['members:read'],
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    rows.uploads = await insertUpload(trx, organizationId);
    rows.registered_operations = await trx
      .insertInto('registered_operations')
      .values({
        organization_id: organizationId,
        client_name: 'factory',
        name: 'FactoryOrganization',
        operation_type: 'query',
        document: `query FactoryOrganization { organization { id } } # ${unique()}`,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  // The triggers add task activity and audit entries.
  for (const node of seedPlan(new Set(Object.keys(rows)))) {
    rows[node.table] = await withTenant(db, { organizationId, userId: user.id }, (trx) =>
      'needs' in node ? node.insert(trx, organizationId, rows) : insertExample(trx, organizationId, node, rows, n),
    );
  }
  return rows;
}

/**
 * An upload row as POST /uploads writes it (migration 0025), inside the caller's tenant
 * transaction: a made-up file unless `values` says otherwise (the bytes are not in any blob store).
 */
export function insertUpload(
  trx: Kysely<Database>,
  organizationId: string,
  values: Partial<Insertable<Database['uploads']>> = {},
): Promise<Selectable<Database['uploads']>> {
  const content = `file ${unique()}`;
  return trx
    .insertInto('uploads')
    .values({
      organization_id: organizationId,
      file_name: 'notes.txt',
      mime_type: 'text/plain',
      size: content.length,
      checksum: crypto.createHash('sha256').update(content).digest('hex'),
      ...values,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A project owned by `ownerId` (a member of the organization). */
export async function createProject(
  db: Kysely<Database>,
  organizationId: string,
  ownerId: string,
  values: Partial<Insertable<Database['projects']>> = {},
): Promise<Selectable<Database['projects']>> {
  return withTenant(db, { organizationId, userId: ownerId }, (trx) =>
    insertProject(trx, organizationId, ownerId, values),
  );
}

/** createProject inside the caller's tenant transaction. */
function insertProject(
  trx: Kysely<Database>,
  organizationId: string,
  ownerId: string,
  values: Partial<Insertable<Database['projects']>> = {},
): Promise<Selectable<Database['projects']>> {
  const name = values.name ?? `Project ${unique()}`;
  return trx
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
    .executeTakeFirstOrThrow();
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
