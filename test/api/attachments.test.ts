import { withTenant } from '../../src/db/database';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema';
import { attachmentsOf, type BuiltResource } from '../../src/resources';
import { documents } from '../../src/modules/documents/documents';
import { projects } from '../../src/modules/work/projects';
import { tasks } from '../../src/modules/work/tasks';
import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { resourceRules } from '../support/resource-rules';
import { addMember, createProject, createTask, createUser, TEST_PASSWORD } from '../support/factories';
import { PartnerRegisterOperationDocument } from '../../schema/generated/operations/graphql';

/**
 * Attachments, the layer's capability (`attachments: { table }`): the link resources it generates
 * for tasks (task_attachments) and projects (project_attachments) run the conformance suite like
 * any resource, and the rules below hold for both.
 */
const taskAttachments = attachmentsOf(tasks)!;
const projectAttachments = attachmentsOf(projects)!;

let documentCounter = 0;
/** A new document of the tenant, inserted as `userId`. */
const newDocument = (db: Kysely<Database>, organizationId: string, userId: string) =>
  withTenant(db, { organizationId, userId }, (trx) =>
    trx
      .insertInto('documents')
      .values({ organization_id: organizationId, ...documents.spec.example(++documentCounter) })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then((d) => d.id),
  );
const newProject = async (db: Kysely<Database>, organizationId: string, userId: string) =>
  (await createProject(db, organizationId, userId)).id;
const newTask = async (db: Kysely<Database>, organizationId: string, userId: string) => {
  const project = await newProject(db, organizationId, userId);
  return withTenant(db, { organizationId, userId }, async (trx) => (await createTask(trx, organizationId, project)).id);
};

/** One owner row per tenant (so its attachments list grows), a new document for each attachment. */
function ownerPerTenant(make: (db: Kysely<Database>, organizationId: string, userId: string) => Promise<string>) {
  const owners = new Map<string, Promise<string>>();
  return async (tenant: Tenant, _n: number, suite: Suite) => {
    if (!owners.has(tenant.id)) owners.set(tenant.id, make(suite.db, tenant.id, tenant.admin.userId));
    return {
      owner: await owners.get(tenant.id)!,
      document: await newDocument(suite.db, tenant.id, tenant.admin.userId),
    };
  };
}
const taskPerTenant = ownerPerTenant(newTask);
describeResource(taskAttachments, {
  parents: async (...a) => {
    const { owner, document } = await taskPerTenant(...a);
    return { task: owner, document };
  },
});
const projectPerTenant = ownerPerTenant(newProject);
describeResource(projectAttachments, {
  parents: async (...a) => {
    const { owner, document } = await projectPerTenant(...a);
    return { project: owner, document };
  },
});

describe('attachments: the rules', () => {
  const t = resourceRules(projectAttachments);

  /** An organization with an admin and an officer (projects:update and tasks:update, not documents:manage). */
  async function setting() {
    const admin = await t.tenant('admin');
    const user = await createUser(t.db);
    await addMember(t.db, admin.orgId, user.id, { role: 'officer' });
    const officer = { userId: user.id, token: await t.app.login(user.email, TEST_PASSWORD) };
    return { admin, officer };
  }

  const cases: [BuiltResource, BuiltResource, typeof newTask][] = [
    [tasks, taskAttachments, newTask],
    [projects, projectAttachments, newProject],
  ];
  for (const [owner, link, make] of cases) {
    const { names } = link.model;
    const ownerId = link.model.relations[0]!.idProperty;
    const byId = owner.model.names.byId;
    const attach = (token: string, ownerRow: string, documentId: string) =>
      t.app.gql(
        `mutation ($i: ${names.createInput}!) { ${names.create}(input: $i) { ${names.payloadField} { id document { id } } } }`,
        { token, variables: { i: { [ownerId]: ownerRow, documentId } } },
      );
    const detach = (token: string, ownerRow: string, documentId: string) =>
      t.app.gql(`mutation ($i: ${names.deleteInput}!) { ${names.delete}(input: $i) { ${names.deletedIdField} } }`, {
        token,
        variables: { i: { [ownerId]: ownerRow, documentId } },
      });
    const listed = async (token: string, ownerRow: string) => {
      const res = await t.app.gql<
        Record<string, { attachments: { totalCount: number; edges: { node: { document: { id: string } } }[] } }>
      >(`query ($id: UUID!) { ${byId}(id: $id) { attachments { totalCount edges { node { document { id } } } } } }`, {
        token,
        variables: { id: ownerRow },
      });
      expect(res.body.errors).toBeUndefined();
      const list = res.body.data![byId]!.attachments;
      return { count: list.totalCount, ids: list.edges.map((e) => e.node.document.id) };
    };
    const links = async (table: string) =>
      Number((await t.superuser.query(`select count(*) from ${table}`)).rows[0].count);

    describe(`${owner.typeName}`, () => {
      it(`${names.create} attaches a document (once: CONFLICT on documentId), ${byId}.attachments lists it, ${names.delete} detaches it and the document stays`, async () => {
        const { admin, officer } = await setting();
        const row = await make(t.db, admin.orgId, admin.userId);
        const [first, second] = [
          await newDocument(t.db, admin.orgId, admin.userId),
          await newDocument(t.db, admin.orgId, admin.userId),
        ];
        for (const d of [first, second]) expect((await attach(officer.token, row, d)).body.errors).toBeUndefined();
        expect(await listed(officer.token, row)).toEqual({ count: 2, ids: [first, second] });
        const twice = await attach(officer.token, row, first);
        expect([t.codeOf(twice), t.fieldOf(twice)]).toEqual(['CONFLICT', 'documentId']);

        const res = await detach(officer.token, row, first);
        expect(res.body.errors).toBeUndefined();
        expect(await listed(officer.token, row)).toEqual({ count: 1, ids: [second] });
        const again = await detach(officer.token, row, first);
        expect(t.codeOf(again)).toBe('NOT_FOUND');
        const kept = await t.superuser.query('select count(*) from documents where id = $1', [first]);
        expect(Number(kept.rows[0].count)).toBe(1);
      });

      it(`${names.create} with another tenant's document, or to another tenant's ${owner.model.label.toLowerCase()}, is NOT_FOUND and writes nothing`, async () => {
        const { admin } = await setting();
        const other = await t.tenant('admin');
        const row = await make(t.db, admin.orgId, admin.userId);
        const foreignDocument = await newDocument(t.db, other.orgId, other.userId);
        const foreignRow = await make(t.db, other.orgId, other.userId);
        const before = await links(link.table);
        expect(t.codeOf(await attach(admin.token, row, foreignDocument))).toBe('NOT_FOUND');
        const mine = await newDocument(t.db, admin.orgId, admin.userId);
        expect(t.codeOf(await attach(admin.token, foreignRow, mine))).toBe('NOT_FOUND');
        expect(await links(link.table)).toBe(before);
      });

      it(`a deleted ${owner.model.label.toLowerCase()}'s attachments can be neither added nor removed (NOT_FOUND), and come back with it`, async () => {
        const { admin } = await setting();
        const row = await make(t.db, admin.orgId, admin.userId);
        const [kept, other] = [
          await newDocument(t.db, admin.orgId, admin.userId),
          await newDocument(t.db, admin.orgId, admin.userId),
        ];
        expect((await attach(admin.token, row, kept)).body.errors).toBeUndefined();
        const { names: ownerNames } = owner.model;
        const setDeleted = async (name: string, input: string) =>
          expect(
            (
              await t.app.gql(`mutation ($i: ${input}!) { ${name}(input: $i) { __typename } }`, {
                token: admin.token,
                variables: { i: { id: row } },
              })
            ).body.errors,
          ).toBeUndefined();
        await setDeleted(ownerNames.delete, ownerNames.deleteInput);
        expect(t.codeOf(await attach(admin.token, row, other))).toBe('NOT_FOUND');
        expect(t.codeOf(await detach(admin.token, row, kept))).toBe('NOT_FOUND');
        await setDeleted(ownerNames.restore, ownerNames.restoreInput);
        expect(await listed(admin.token, row)).toEqual({ count: 1, ids: [kept] });
      });

      it(`an API key needs documents:read besides ${owner.model.permissions.update} to attach and to detach (FORBIDDEN naming it)`, async () => {
        const owner_ = await t.tenant('owner');
        const row = await make(t.db, owner_.orgId, owner_.userId);
        const document = await newDocument(t.db, owner_.orgId, owner_.userId);
        const key = async (permissions: string[]) => {
          const res = await t.app.gql<{ createApiKey: { secret: string } }>(
            'mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }',
            { token: owner_.token, variables: { i: { name: 'partner', permissions } } },
          );
          expect(res.body.errors).toBeUndefined();
          return res.body.data!.createApiKey.secret;
        };
        // A key runs registered operations only (docs/api.md, "Persisted operations").
        const byId = async (secret: string, documentId: string, variables: Record<string, unknown>) =>
          JSON.parse(
            (await t.app.post(JSON.stringify({ documentId, variables }), { authorization: `Bearer ${secret}` })).text,
          ) as { data?: Record<string, unknown>; errors?: { extensions: { code: string; permission?: string } }[] };
        const permissions = [owner.model.permissions.update!, owner.model.permissions.read, 'operations:manage'];
        const reader = await key([...permissions, 'documents:read']);
        const blind = await key(permissions);
        const register = async (name: string, document: string) => {
          const hash = (PartnerRegisterOperationDocument as { __meta__?: { hash?: string } }).__meta__!.hash!;
          const res = await byId(reader, hash, { input: { name, document, clientName: 'sync' } });
          expect(res.errors).toBeUndefined();
          return (res.data!.registerOperation as { operation: { documentId: string } }).operation.documentId;
        };
        const vars = `($o: UUID!, $d: UUID!)`;
        const input = `input: { ${ownerId}: $o, documentId: $d }`;
        const attachOp = await register(
          'Attach',
          `mutation Attach${vars} { ${names.create}(${input}) { ${names.payloadField} { document { title } } } }`,
        );
        const detachOp = await register(
          'Detach',
          `mutation Detach${vars} { ${names.delete}(${input}) { ${names.deletedIdField} } }`,
        );
        const variables = { o: row, d: document };

        const refused = await byId(blind, attachOp, variables);
        expect(refused.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
        expect(refused.errors?.[0]?.extensions.permission).toBe('documents:read');
        const attached = async () =>
          Number(
            (await t.superuser.query(`select count(*) from ${link.table} where document_id = $1`, [document])).rows[0]
              .count,
          );
        expect(await attached()).toBe(0);
        expect((await byId(reader, attachOp, variables)).errors).toBeUndefined();
        expect((await byId(blind, detachOp, variables)).errors?.[0]?.extensions.code).toBe('FORBIDDEN');
        expect(await attached()).toBe(1);
        expect((await byId(reader, detachOp, variables)).errors).toBeUndefined();
        expect(await attached()).toBe(0);
      });

      it('a document the caller may not see is not listed nor counted, and can be neither attached nor detached (NOT_FOUND)', async () => {
        const { admin, officer } = await setting();
        const row = await make(t.db, admin.orgId, admin.userId);
        const visible = await newDocument(t.db, admin.orgId, admin.userId);
        const hidden = await newDocument(t.db, admin.orgId, admin.userId);
        // A grant to the admin alone: the document is the admin's (and documents:manage holders').
        const grant = await t.app.gql(
          'mutation ($i: CreateDocumentPermissionInput!) { createDocumentPermission(input: $i) { documentPermission { id } } }',
          { token: admin.token, variables: { i: { documentId: hidden, userId: admin.userId, level: 'MANAGE' } } },
        );
        expect(grant.body.errors).toBeUndefined();
        for (const d of [visible, hidden]) expect((await attach(admin.token, row, d)).body.errors).toBeUndefined();
        expect(await listed(admin.token, row)).toEqual({ count: 2, ids: [visible, hidden] });

        expect(await listed(officer.token, row)).toEqual({ count: 1, ids: [visible] });
        const another = await make(t.db, admin.orgId, admin.userId);
        expect(t.codeOf(await attach(officer.token, another, hidden))).toBe('NOT_FOUND');
        expect(t.codeOf(await detach(officer.token, row, hidden))).toBe('NOT_FOUND');
        expect(await listed(admin.token, row)).toEqual({ count: 2, ids: [visible, hidden] });
      });
    });
  }

  it('attachments nested under lists cost the same statements for 2 projects as for 6 (each with a task)', async () => {
    const { admin } = await setting();
    const query = `{ projects(first: 10) { edges { node {
        attachments(first: 5) { totalCount edges { node { createdAt document { title } } } }
        tasks(first: 3) { edges { node { attachments(first: 5) { edges { node { document { title } } } } } } } } } } }`;
    const grow = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const project = await newProject(t.db, admin.orgId, admin.userId);
        const task = await withTenant(
          t.db,
          { organizationId: admin.orgId, userId: admin.userId },
          async (trx) => (await createTask(trx, admin.orgId, project)).id,
        );
        for (let j = 0; j < 2; j++) {
          await attach(projectAttachments, project, await newDocument(t.db, admin.orgId, admin.userId));
          await attach(taskAttachments, task, await newDocument(t.db, admin.orgId, admin.userId));
        }
      }
    };
    const attach = async (link: BuiltResource, ownerRow: string, documentId: string) => {
      const { names, relations } = link.model;
      const res = await t.app.gql(
        `mutation ($i: ${names.createInput}!) { ${names.create}(input: $i) { ${names.payloadField} { id } } }`,
        { token: admin.token, variables: { i: { [relations[0]!.idProperty]: ownerRow, documentId } } },
      );
      expect(res.body.errors).toBeUndefined();
    };
    const measure = async () => {
      const res = await t.app.gql<{
        projects: {
          edges: {
            node: {
              attachments: { totalCount: number };
              tasks: { edges: { node: { attachments: { edges: unknown[] } } }[] };
            };
          }[];
        };
      }>(query, { token: admin.token });
      expect(res.body.errors).toBeUndefined();
      const nodes = res.body.data!.projects.edges.map((e) => e.node);
      return {
        attachments: nodes.reduce(
          (sum, n) =>
            sum + n.attachments.totalCount + n.tasks.edges.reduce((s, e) => s + e.node.attachments.edges.length, 0),
          0,
        ),
        statements: t.app.requests.at(-1)!.statements,
      };
    };
    await grow(2);
    const few = await measure();
    await grow(4);
    const many = await measure();
    expect([few.attachments, many.attachments]).toEqual([8, 24]);
    expect(many.statements).toBe(few.statements);
  });
});
