import crypto from 'node:crypto';
import { getNamedType, isCompositeType, type GraphQLField, type GraphQLSchema } from 'graphql';
import { withTenant } from '../../src/db/database';
import { createSchema } from '../../src/graphql/schema';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { registry, type GeneratedMutation } from '../../src/resources';
import type { FieldModel } from '../../src/resources/model';
import {
  addMember,
  createOrganization,
  createProject,
  createRole,
  createTask,
  createUser,
  insertUpload,
  seedTenantRows,
  TEST_PASSWORD,
  type SeededRows,
} from '../support/factories';

/**
 * Mutations that do not change the organization's data through a role in it, so a viewer's role
 * has nothing to refuse. Each says why; everything else the schema offers must be in INPUTS.
 */
const EXEMPT: Record<string, string> = {
  login: 'starts a session of its own account; the password is the authority, not a role',
  refreshSession: "renews the caller's own session; the refresh token is the authority",
  logout: "ends the caller's own session",
  logoutEverywhere: "ends the caller's own sessions, in every organization",
  switchOrganization: "starts a session in another organization of the caller's own",
  signUp: 'creates a new account (and optionally a new organization it owns); no organization of anyone else',
  createOrganization: 'creates a new organization owned by the caller; this one is untouched',
  acceptInvitation:
    "joins the invitation's organization; the token and the invited account's password are the authority, " +
    'not a role (the caller is not yet a member; membership-lifecycle.test.ts tests it)',
  reactivateOrganization:
    'acts on a deactivated organization the caller owns, never on the active one it is signed in to; the ' +
    'database checks ownership (app.reactivate_organization) and answers NOT_FOUND, tested in ' +
    'organization-lifecycle.test.ts',
  updateProfile: "changes the caller's own user row (global, not the organization's)",
  changePassword: "changes the caller's own password and ends the caller's own other sessions",
  requestEmailVerification: "mails the caller's own verification token",
  verifyEmail: "verifies the email of the token's account; the token is the authority",
  requestPasswordReset: 'mails a reset token to the owner of an email; anonymous, no organization',
  resetPassword: "sets the password of the token's account; the token is the authority",
};

/** The rows every input below refers to, all in one organization (see seed()). */
interface Seeded {
  /** Unique per run, for names and emails that must not collide. */
  tag: string;
  /** Another organization the owner also owns: where transferMember moves someone. */
  elsewhere: string;
  memberships: { suspended: string; ranked: string; removed: string; transferred: string };
  users: { ranked: string; leaving: string };
  role: string;
  invitation: string;
  apiKey: string;
  operation: string;
  project: string;
  otherProject: string;
  task: string;
  movableTask: string;
  comment: string;
  /** Two uploads of the owner's: one for createDocument, one for addDocumentVersion. */
  uploads: { document: string; version: string };
  /** seedTenantRows' first row of each table: what the generated mutations update and delete. */
  rows: SeededRows;
  /** Ids of the rows the generated create mutations made, by table (the owner's run only). */
  created: Record<string, string>;
}

/**
 * The arguments of every hand-written mutation that changes the organization, from the seeded
 * ids: valid inputs, which the owner runs successfully one after the other in this order (the
 * last test), so the viewer's FORBIDDEN is about the role and not about a bad id. A mutation of
 * the schema neither generated, here nor in EXEMPT fails the test by name, and so does an entry
 * here for a generated mutation (its input comes from the registry: see generatedInputs).
 */
const INPUTS: Record<string, (ids: Seeded) => Record<string, unknown>> = {
  updateOrganization: () => ({ input: { name: 'Renamed by a viewer' } }),
  inviteMember: ({ tag }) => ({ input: { email: `friend-${tag}@example.test`, role: 'MEMBER' } }),
  revokeInvitation: ({ invitation }) => ({ input: { invitationId: invitation } }),
  changeMembershipStatus: ({ memberships }) => ({
    input: { membershipId: memberships.suspended, status: 'SUSPENDED' },
  }),
  demoteMember: ({ memberships }) => ({ input: { membershipId: memberships.ranked, role: 'VIEWER' } }),
  promoteMember: ({ memberships }) => ({ input: { membershipId: memberships.ranked, role: 'OFFICER' } }),
  createRole: () => ({ input: { name: 'Made by a viewer', permissions: ['members:read'] } }),
  updateRole: ({ role }) => ({ input: { id: role, name: 'Renamed by a viewer' } }),
  assignRole: ({ memberships, role }) => ({ input: { membershipId: memberships.ranked, roleId: role } }),
  deleteRole: ({ role }) => ({ input: { id: role } }),
  createApiKey: () => ({ input: { name: 'made by a viewer', permissions: ['members:read'] } }),
  revokeApiKey: ({ apiKey }) => ({ input: { id: apiKey } }),
  registerOperation: () => ({
    input: {
      clientName: 'viewer',
      name: 'ViewerOrganization',
      document: 'query ViewerOrganization { organization { id name } }',
    },
  }),
  deprecateOperation: ({ operation }) => ({ input: { id: operation } }),
  deleteOperation: ({ operation }) => ({ input: { id: operation } }),
  transitionTask: ({ task }) => ({ input: { id: task, status: 'TODO' } }),
  addDocumentVersion: ({ rows, uploads }) => ({ input: { documentId: rows.documents!.id, uploadId: uploads.version } }),
  createDocumentShare: ({ rows }) => ({ input: { documentId: rows.documents!.id, maxDownloads: 1 } }),
  revokeDocumentShare: ({ rows }) => ({ input: { id: rows.document_shares!.id } }),
  assignTask: ({ task, users }) => ({ input: { id: task, assigneeId: users.ranked } }),
  moveTask: ({ movableTask, otherProject }) => ({ input: { id: movableTask, projectId: otherProject } }),
  removeMember: ({ memberships }) => ({ input: { membershipId: memberships.removed } }),
  transferMember: ({ memberships, elsewhere }) => ({
    input: { membershipId: memberships.transferred, toOrganizationId: elsewhere },
  }),
  // Last: it ends every session of the organization.
  deactivateOrganization: () => ({}),
};
/** Hand mutations that run after every generated one (the owner's run): deactivating ends every session. */
const LAST = ['deactivateOrganization'];

/** The create inputs' fields that are no column (`CreateSpec.inputs`), from the seeded ids. */
const INPUT_ONLY: Record<string, (ids: Seeded) => unknown> = {
  uploadId: ({ uploads }) => uploads.document,
};

/** A column value as its input field takes it (enums by their GraphQL name, timestamps as ISO text). */
function inputValue(f: FieldModel, value: unknown): unknown {
  if (f.type.kind === 'enum') return Object.entries(f.type.graphql).find(([, v]) => v === value)?.[0];
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * The input of a generated mutation, from the registry alone: the resource's example (`n` keeps
 * it unique), the parents' ids (a row an earlier create made, else the seeded one), and the
 * seeded row it updates, deletes or restores.
 */
function generatedInput(m: GeneratedMutation, n: number): (ids: Seeded) => Record<string, unknown> {
  const { model, spec, table } = m.resource;
  return (ids) => {
    const { rows, created } = ids;
    const row = rows[table];
    if (!row) throw new Error(`seedTenantRows seeded no row of ${table}`);
    const example = spec.example(n);
    const values = (fields: FieldModel[]) =>
      Object.fromEntries(
        fields.flatMap((f) => {
          if (f.inputOnly) return [[f.field, INPUT_ONLY[f.field]!(ids)]];
          if (f.reference) {
            // An optional parent (a project's ownerId) keeps its default (the caller), unless the
            // example names it undefined (a grant's folder: a grant needs a folder or a document).
            if (!f.create?.required && !(f.column in example && example[f.column] === undefined)) return [];
            const parent = model.relations.find((r) => r.column === f.column)!.target().table;
            return [[f.field, created[parent] ?? rows[parent]?.id]];
          }
          return f.column in example ? [[f.field, inputValue(f, example[f.column])]] : [];
        }),
      );
    const columnOf = (field: string) =>
      model.relations.find((r) => r.idProperty === field)?.column ??
      model.nodeFields.find((f) => f.field === field)!.column;
    const by = (spec.mutations?.delete || undefined)?.by;
    switch (m.kind) {
      case 'create':
        return { input: values(model.createFields) };
      case 'update':
        // The row the create made (a comment's author edits it), else the seeded one.
        return { input: { id: created[table] ?? row.id, ...values(model.updateFields.filter((f) => !f.reference)) } };
      case 'delete': {
        // By natural key: the row the create made (the seeded one may be protected by a rule:
        // a project's owner stays its member).
        const target = createdRows[table] ?? row;
        return { input: by ? Object.fromEntries(by.map((field) => [field, target[columnOf(field)]])) : { id: row.id } };
      }
      case 'restore':
        return { input: { id: row.id } };
    }
  };
}

/**
 * Every generated mutation with its input, in the order the owner can run them: creates and
 * updates parents first, then (after the hand ones) deletes children first, each restore right
 * after its delete.
 */
function generatedInputs(): { writes: Map<string, Input>; deletes: Map<string, Input> } {
  const order = registry.seedOrder();
  const of = (resources: readonly unknown[], kinds: readonly GeneratedMutation['kind'][]) =>
    resources.flatMap((r) =>
      kinds.flatMap((kind) => registry.mutations().filter((m) => m.resource === r && m.kind === kind)),
    );
  const entries = (mutations: GeneratedMutation[]) =>
    new Map(mutations.map((m, i): [string, Input] => [m.field, generatedInput(m, 100 + i)]));
  return {
    writes: entries(of(order, ['create', 'update'])),
    deletes: entries(of([...order].reverse(), ['delete', 'restore'])),
  };
}
type Input = (ids: Seeded) => Record<string, unknown>;
/** The rows the owner's run created, by table (read back as superuser): what deletes by natural key remove. */
const createdRows: Record<string, Record<string, unknown>> = {};
const GENERATED = generatedInputs();
const inputOf = (name: string): Input | undefined =>
  INPUTS[name] ?? GENERATED.writes.get(name) ?? GENERATED.deletes.get(name);

/**
 * A document that runs one mutation with its arguments as variables, its types read from the
 * schema; a generated create also selects the new row's id.
 */
function documentFor(field: GraphQLField<unknown, unknown>): string {
  const variables = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const create = registry.mutations().find((m) => m.field === field.name && m.kind === 'create');
  const payload = create ? ` ${create.resource.model.names.payloadField} { id }` : '';
  const selection = isCompositeType(getNamedType(field.type)) ? ` { __typename${payload} }` : '';
  return `mutation${variables ? ` (${variables})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
}

/**
 * A member with the built-in `viewer` role reads, but every mutation that changes the
 * organization is refused with FORBIDDEN, and the organization's data stays exactly as it was.
 * The mutations come from the schema: a new one is covered, or this fails naming it.
 */
describe('a viewer cannot mutate the organization', () => {
  let app: TestApp;
  let schema: GraphQLSchema;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);
  let seeded: Awaited<ReturnType<typeof seed>>;

  /**
   * Every row of one organization: its own row, its people's accounts, and every row of every
   * table with organization_id (tables from the catalog). None is left out: a request changes no
   * tenant row by itself (sessions start at login, before the first snapshot; reads are not
   * audited; the rate-limit counters and the sign-in throttle are not tenant tables).
   */
  async function snapshot(organizationId: string): Promise<Record<string, unknown[]>> {
    const { rows: tables } = await superuser.query<{ name: string }>(`
      select format('%I', c.table_name) as name
        from information_schema.columns c
        join information_schema.tables t using (table_schema, table_name)
       where c.table_schema = 'public' and c.column_name = 'organization_id' and t.table_type = 'BASE TABLE'
       order by c.table_name`);
    const rows = async (query: string) => (await superuser.query(query, [organizationId])).rows;
    const parts: Record<string, unknown[]> = {
      organizations: await rows('select * from organizations where id = $1'),
      users: await rows(
        'select * from users u where id in (select user_id from memberships where organization_id = $1) order by u::text',
      ),
    };
    for (const { name } of tables)
      parts[name] = await rows(`select * from ${name} t where organization_id = $1 order by t::text`);
    return parts;
  }

  /** One organization with a row of every kind a mutation takes, an owner, and a viewer. */
  async function seed() {
    const org = await createOrganization(db);
    const seededRows = await seedTenantRows(db, org.id);
    const tag = crypto.randomUUID().slice(0, 8);
    const person = async (role: 'owner' | 'member' | 'viewer') => {
      const user = await createUser(db);
      return { user, membership: await addMember(db, org.id, user.id, { role }) };
    };
    const boss = await person('owner');
    const viewer = await person('viewer');
    const [suspended, ranked, removed, transferred] = [
      await person('member'),
      await person('member'),
      await person('member'),
      await person('member'),
    ];
    const elsewhere = await createOrganization(db);
    await addMember(db, elsewhere.id, boss.user.id, { role: 'owner' });
    const role = await createRole(db, org.id, ['members:read']);
    const project = await createProject(db, org.id, boss.user.id);
    const otherProject = await createProject(db, org.id, boss.user.id);
    const rows = await withTenant(db, { organizationId: org.id, userId: boss.user.id }, async (trx) => {
      // The one who leaves the project.
      await trx
        .insertInto('project_members')
        .values({ organization_id: org.id, project_id: project.id, user_id: removed.user.id, role: 'member' })
        .execute();
      const invitation = await trx
        .insertInto('invitations')
        .values({
          organization_id: org.id,
          email: `invitee-${tag}@example.test`,
          role: 'member',
          token_hash: crypto.randomBytes(32).toString('hex'),
          expires_at: new Date(Date.now() + 86_400_000),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const apiKey = await trx
        .insertInto('api_keys')
        .values({
          organization_id: org.id,
          name: 'seeded key',
          prefix: `tq_${crypto.randomBytes(4).toString('hex')}`,
          secret_hash: crypto.randomBytes(32).toString('hex'),
          permissions: ['members:read'],
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const operation = await trx
        .insertInto('registered_operations')
        .values({
          organization_id: org.id,
          client_name: 'seeded',
          name: 'SeededOrganization',
          operation_type: 'query',
          document: `query SeededOrganization { organization { id } } # ${tag}`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const task = await createTask(trx, org.id, project.id);
      const movableTask = await createTask(trx, org.id, project.id);
      const comment = await trx
        .insertInto('task_comments')
        .values({ organization_id: org.id, task_id: task.id, author_id: boss.user.id, body: 'Seeded' })
        .returning('id')
        .executeTakeFirstOrThrow();
      // The owner's own uploads (createDocument and addDocumentVersion use the caller's only).
      const uploads = { document: (await insertUpload(trx, org.id)).id, version: (await insertUpload(trx, org.id)).id };
      return {
        uploads,
        invitation: invitation.id,
        apiKey: apiKey.id,
        operation: operation.id,
        task: task.id,
        movableTask: movableTask.id,
        comment: comment.id,
      };
    });
    const ids: Seeded = {
      tag,
      elsewhere: elsewhere.id,
      memberships: {
        suspended: suspended.membership.id,
        ranked: ranked.membership.id,
        removed: removed.membership.id,
        transferred: transferred.membership.id,
      },
      users: { ranked: ranked.user.id, leaving: removed.user.id },
      role: role.id,
      project: project.id,
      otherProject: otherProject.id,
      ...rows,
      rows: seededRows,
      created: {},
    };
    return { organization: org, owner: boss.user, viewer: viewer.user, ids };
  }

  beforeAll(async () => {
    [app, schema] = await Promise.all([startTestApp(), createSchema()]);
    seeded = await seed();
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  it('has every mutation of the schema exempt, generated or with an input, and nothing else', () => {
    const mutations = Object.keys(schema.getMutationType()!.getFields());
    const generated = registry.mutations().map((m) => m.field);
    expect(generated.length).toBeGreaterThanOrEqual(8);
    expect({
      neitherExemptGeneratedNorWithInput: mutations.filter(
        (name) => !(name in EXEMPT) && !(name in INPUTS) && !generated.includes(name),
      ),
      notMutationsOfTheSchema: [...Object.keys(EXEMPT), ...Object.keys(INPUTS), ...generated].filter(
        (name) => !mutations.includes(name),
      ),
      bothExemptAndWithInput: Object.keys(EXEMPT).filter((name) => name in INPUTS),
      // The registry gives a generated mutation its input: a hand entry would go stale unseen.
      generatedButInInputsOrExempt: generated.filter((name) => name in INPUTS || name in EXEMPT),
    }).toEqual({
      neitherExemptGeneratedNorWithInput: [],
      notMutationsOfTheSchema: [],
      bothExemptAndWithInput: [],
      generatedButInInputsOrExempt: [],
    });
  });

  it('gets FORBIDDEN from every other mutation and changes nothing', async () => {
    const { organization, viewer, ids } = seeded;
    const token = await app.login(viewer.email, TEST_PASSWORD, organization.slug);
    const before = await snapshot(organization.id);
    // Every answer first, then one comparison: a failure names every mutation and table at fault.
    const notRefused: Record<string, unknown> = {};
    const fields = Object.values(schema.getMutationType()!.getFields()).filter((field) => !(field.name in EXEMPT));
    for (const field of fields) {
      const input = inputOf(field.name);
      if (!input) {
        notRefused[field.name] = 'neither exempt, generated nor in INPUTS';
        continue;
      }
      const res = await app.gql(documentFor(field), { token, variables: input(ids) });
      const code = res.body.errors?.[0]?.extensions?.code;
      if (code !== 'FORBIDDEN' || res.body.data !== null) notRefused[field.name] = res.body;
    }
    const after = await snapshot(organization.id);
    // Per table, the rows that are gone and the rows that are new (an update is one of each).
    const changed: Record<string, { gone: string[]; new: string[] }> = {};
    for (const table of Object.keys(after)) {
      const was = new Set(before[table]!.map((row) => JSON.stringify(row)));
      const is = new Set(after[table]!.map((row) => JSON.stringify(row)));
      const gone = [...was].filter((row) => !is.has(row));
      const added = [...is].filter((row) => !was.has(row));
      if (gone.length || added.length) changed[table] = { gone, new: added };
    }
    expect({ notRefused, changed }).toEqual({ notRefused: {}, changed: {} });
  });

  // After the viewer (who changed nothing): every input is one that works for a role that may.
  it('has inputs that the owner runs successfully, in order', async () => {
    const { organization, owner, ids } = seeded;
    const token = await app.login(owner.email, TEST_PASSWORD, organization.slug);
    const fields = schema.getMutationType()!.getFields();
    const failed: Record<string, unknown> = {};
    const hand = Object.entries(INPUTS).filter(([name]) => !LAST.includes(name));
    const last = Object.entries(INPUTS).filter(([name]) => LAST.includes(name));
    for (const [name, input] of [...GENERATED.writes, ...hand, ...GENERATED.deletes, ...last]) {
      const field = fields[name];
      if (!field) continue; // named by the first test
      const res = await app.gql<Record<string, Record<string, { id: string } | undefined>>>(documentFor(field), {
        token,
        variables: input(ids),
      });
      if (res.body.errors) failed[name] = res.body.errors;
      // A generated create's row is the parent the next creates use.
      const create = registry.mutations().find((m) => m.field === name && m.kind === 'create');
      const row = create && res.body.data?.[name]?.[create.resource.model.names.payloadField];
      if (row) {
        ids.created[create.resource.table] = row.id;
        createdRows[create.resource.table] = (
          await superuser.query(`select * from ${create.resource.table} where id = $1`, [row.id])
        ).rows[0];
      }
    }
    expect(Object.keys(ids.created).length).toBeGreaterThan(0);
    expect(failed).toEqual({});
  });
});
