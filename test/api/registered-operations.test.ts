import crypto from 'node:crypto';
import fs from 'node:fs';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { addMember, createOrganization, createProject, createUser, TEST_PASSWORD } from '../support/factories';
import { documentHash } from '../../src/graphql/persisted-documents';
import { PERSISTED_DOCUMENTS_FILE } from '../../src/paths';
import {
  PartnerDeleteOperationDocument,
  PartnerDeprecateOperationDocument,
  PartnerOperationsDocument,
  PartnerProjectsDocument,
  PartnerRegisterOperationDocument,
} from '../../schema/generated/operations/graphql';

/** A partner's own operation: a project with its open tasks, and a page size with a default. */
const PROJECT_BOARD = `query ProjectBoard($id: UUID!, $first: Int = 10) {
  project(id: $id) { name tasks(first: $first) { totalCount edges { node { title } } } }
}`;

describe('operations registered per organization', () => {
  let app: TestApp;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  /** An organization with a signed-in owner. */
  async function tenant() {
    const org = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, org.id, user.id, { role: 'owner' });
    return { org, user, token: await app.login(user.email, TEST_PASSWORD) };
  }

  /** Creates a key through the API, as a partner's admin would. */
  async function apiKey(token: string, permissions: string[]): Promise<string> {
    const res = await app.gql<{ createApiKey: { secret: string } }>(
      'mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }',
      { token, variables: { i: { name: 'partner', permissions } } },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.createApiKey.secret;
  }

  /** Posts an operation by id with a key: all a key may send. */
  async function byId<T = Record<string, unknown>>(
    key: string,
    documentId: string,
    variables?: Record<string, unknown>,
  ): Promise<GqlResponse<T>> {
    const res = await app.post(JSON.stringify({ documentId, variables }), { authorization: `Bearer ${key}` });
    return { status: res.status, headers: res.headers, body: JSON.parse(res.text) };
  }
  const run = <R, V>(key: string, document: TypedDocumentNode<R, V>, variables: V) =>
    byId<R>(key, (document as { __meta__?: { hash?: string } }).__meta__!.hash!, variables as Record<string, unknown>);

  const register = (key: string, input: { name: string; document: string; clientName: string }) =>
    run(key, PartnerRegisterOperationDocument, { input });

  const PARTNER = ['organizations:read', 'projects:read', 'operations:manage'];

  it('a partner creates a key, registers an operation and runs it by its documentId, all through the API', async () => {
    const a = await tenant();
    const project = await createProject(db, a.org.id, a.user.id, { name: 'Board' });
    const key = await apiKey(a.token, PARTNER);

    const registered = await register(key, { name: 'ProjectBoard', document: PROJECT_BOARD, clientName: 'board-sync' });
    expect(registered.body.errors).toBeUndefined();
    const operation = registered.body.data!.registerOperation.operation;
    // The same hash as APQ and the manifest: sha256 of the text.
    expect(operation).toMatchObject({
      clientName: 'board-sync',
      name: 'ProjectBoard',
      version: 1,
      operationType: 'query',
      documentId: `sha256:${documentHash(PROJECT_BOARD)}`,
      deprecatedAt: null,
    });

    const ran = await byId<{ project: { name: string; tasks: { totalCount: number } } }>(key, operation.documentId, {
      id: project.id,
    });
    expect(ran.body.errors).toBeUndefined();
    expect(ran.body.data!.project).toMatchObject({ name: 'Board', tasks: { totalCount: 0 } });
    // Apollo's APQ form finds it too.
    const apq = await app.post(
      JSON.stringify({
        variables: { id: project.id },
        extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(PROJECT_BOARD) } },
      }),
      { authorization: `Bearer ${key}` },
    );
    expect(JSON.parse(apq.text).data.project.name).toBe('Board');

    // Stored per organization, hash computed by the database.
    const { rows } = await superuser.query(
      'select organization_id, hash, version from registered_operations where id = $1',
      [operation.id],
    );
    expect(rows).toEqual([{ organization_id: a.org.id, hash: documentHash(PROJECT_BOARD), version: 1 }]);
  });

  it('runs only for keys of its own organization; other callers are told it is not in the list', async () => {
    const a = await tenant();
    const b = await tenant();
    const keyA = await apiKey(a.token, PARTNER);
    const keyB = await apiKey(b.token, PARTNER);
    const { documentId } = (await register(keyA, { name: 'ProjectBoard', document: PROJECT_BOARD, clientName: 'c' }))
      .body.data!.registerOperation.operation;
    const other = await byId(keyB, documentId, { id: crypto.randomUUID() });
    expect(other.status).toBe(400);
    expect(codeOf(other)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    // A signed-in person (or anonymous caller) cannot name it by documentId either: the manifest is theirs.
    const person = await app.post(JSON.stringify({ documentId, variables: { id: crypto.randomUUID() } }), {
      authorization: `Bearer ${a.token}`,
    });
    expect(JSON.parse(person.text).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    // Keys still send nothing but ids.
    const adHoc = await app.post(JSON.stringify({ query: PROJECT_BOARD, variables: { id: crypto.randomUUID() } }), {
      authorization: `Bearer ${keyA}`,
    });
    expect(JSON.parse(adHoc.text).errors[0].extensions.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
  });

  it('runs with the calling key’s permissions: a key without them is refused field by field', async () => {
    const a = await tenant();
    const project = await createProject(db, a.org.id, a.user.id, { name: 'Secret board' });
    const manager = await apiKey(a.token, PARTNER);
    const weak = await apiKey(a.token, ['organizations:read']);
    const { documentId } = (await register(manager, { name: 'ProjectBoard', document: PROJECT_BOARD, clientName: 'c' }))
      .body.data!.registerOperation.operation;
    const res = await byId(weak, documentId, { id: project.id });
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(JSON.stringify(res.body)).not.toContain('Secret board');
  });

  it('refuses a deleted operation at once, and keeps its version number spent', async () => {
    const a = await tenant();
    const project = await createProject(db, a.org.id, a.user.id);
    const key = await apiKey(a.token, PARTNER);
    const first = (await register(key, { name: 'ProjectBoard', document: PROJECT_BOARD, clientName: 'c' })).body.data!
      .registerOperation.operation;
    const deleted = await run(key, PartnerDeleteOperationDocument, { id: first.id });
    expect(deleted.body.data!.deleteOperation.operation.deletedAt).toEqual(expect.any(String));
    expect(codeOf(await byId(key, first.documentId, { id: project.id }))).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(codeOf(await run(key, PartnerDeleteOperationDocument, { id: first.id }))).toBe('NOT_FOUND');
    // The same text again is a new version that runs.
    const again = (await register(key, { name: 'ProjectBoard', document: PROJECT_BOARD, clientName: 'c' })).body.data!
      .registerOperation.operation;
    expect(again.version).toBe(2);
    expect((await byId(key, again.documentId, { id: project.id })).body.errors).toBeUndefined();
    // A deleted row cannot be brought back, not even by the app role writing SQL.
    const client = await testPool('app', 1, 'jest-app-operations').connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('app.current_org_id', $1, true)`, [a.org.id]);
      await expect(
        client.query('update registered_operations set deleted_at = null where id = $1', [first.id]),
      ).rejects.toThrow(/deleted operation cannot change/);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('lets a key register only what its own permissions could run, naming what is missing', async () => {
    const a = await tenant();
    const key = await apiKey(a.token, ['organizations:read', 'operations:manage']);
    const res = await register(key, { name: 'ProjectBoard', document: PROJECT_BOARD, clientName: 'c' });
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(res.body.errors![0]!.message).toContain('projects:read');
    const personOnly = await register(key, {
      name: 'Me',
      document: 'mutation Me { logout { sessionsEnded } }',
      clientName: 'c',
    });
    expect(codeOf(personOnly)).toBe('FORBIDDEN');
    expect(personOnly.body.errors![0]!.message).toContain('Mutation.logout');
    // Without operations:manage nothing registers at all.
    const reader = await apiKey(a.token, ['organizations:read', 'projects:read']);
    expect(codeOf(await register(reader, { name: 'ProjectBoard', document: PROJECT_BOARD, clientName: 'c' }))).toBe(
      'FORBIDDEN',
    );
    expect(
      (
        await superuser.query('select count(*)::int as n from registered_operations where organization_id = $1', [
          a.org.id,
        ])
      ).rows[0].n,
    ).toBe(0);
  });

  it('refuses an invalid document with an error naming the field', async () => {
    const a = await tenant();
    const key = await apiKey(a.token, PARTNER);
    const cases: [input: { name: string; document: string }, field: string, message: RegExp][] = [
      [{ name: 'Broken', document: 'query Broken { projects {' }, 'document', /not valid GraphQL/],
      [{ name: 'Unknown', document: 'query Unknown { rockets { id } }' }, 'document', /does not match the schema/],
      [
        { name: 'Two', document: 'query Two { organization { id } } query Three { organization { name } }' },
        'document',
        /exactly one operation/,
      ],
      [{ name: 'Other', document: 'query Named { organization { id } }' }, 'name', /operation name \(Named\)/],
      [
        {
          name: 'Costly',
          document:
            'query Costly { projects(first: 100) { edges { node { tasks(first: 100) { edges { node { subtasks(first: 100) { edges { node { id } } } } } } } } } }',
        },
        'document',
        /request limits/,
      ],
    ];
    for (const [input, field, message] of cases) {
      const res = await register(key, { ...input, clientName: 'c' });
      expect(res.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
      expect(res.body.errors![0]!.message).toMatch(message);
    }
    const manifest = JSON.parse(fs.readFileSync(PERSISTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>;
    const partnerProjects = manifest[(PartnerProjectsDocument as { __meta__?: { hash?: string } }).__meta__!.hash!]!;
    const builtIn = await register(key, { name: 'PartnerProjects', document: partnerProjects, clientName: 'c' });
    expect(builtIn.body.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT', field: 'document' } });
    expect(
      (
        await superuser.query('select count(*)::int as n from registered_operations where organization_id = $1', [
          a.org.id,
        ])
      ).rows[0].n,
    ).toBe(0);
  });

  it('versions by client and name, deprecates, and lists variables and permissions', async () => {
    const a = await tenant();
    const key = await apiKey(a.token, PARTNER);
    const v1 = (await register(key, { name: 'ProjectBoard', document: PROJECT_BOARD, clientName: 'board' })).body.data!
      .registerOperation.operation;
    const v2Text = PROJECT_BOARD.replace('title', 'title status');
    const v2 = (await register(key, { name: 'ProjectBoard', document: v2Text, clientName: 'board' })).body.data!
      .registerOperation.operation;
    const otherClient = (
      await register(key, {
        name: 'ProjectBoard',
        document: PROJECT_BOARD.replace('title', 'id'),
        clientName: 'mobile',
      })
    ).body.data!.registerOperation.operation;
    expect([v1.version, v2.version, otherClient.version]).toEqual([1, 2, 1]);
    // The exact same text twice while one is live: one hash, one operation.
    const twice = await register(key, { name: 'ProjectBoard', document: PROJECT_BOARD, clientName: 'other' });
    expect(twice.body.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT', field: 'document' } });

    const deprecated = await run(key, PartnerDeprecateOperationDocument, { id: v1.id });
    expect(deprecated.body.data!.deprecateOperation.operation.deprecatedAt).toEqual(expect.any(String));
    // Deprecated still runs.
    expect((await byId(key, v1.documentId, { id: crypto.randomUUID() })).body.errors).toBeUndefined();

    const listed = await run(key, PartnerOperationsDocument, { clientName: 'board' });
    expect(listed.body.errors).toBeUndefined();
    const nodes = listed.body.data!.organization!.operations.edges.map((e) => e.node);
    expect(nodes.map((n) => [n.name, n.version, n.deprecatedAt !== null])).toEqual([
      ['ProjectBoard', 1, true],
      ['ProjectBoard', 2, false],
    ]);
    expect(nodes[0]).toMatchObject({
      variables: [
        { name: 'id', type: 'UUID!', defaultValue: null },
        { name: 'first', type: 'Int', defaultValue: '10' },
      ],
      permissions: ['projects:read'],
    });
    const all = await run(key, PartnerOperationsDocument, {});
    expect(all.body.data!.organization!.operations.edges).toHaveLength(3);
    // Another organization sees none of them.
    const b = await tenant();
    const keyB = await apiKey(b.token, PARTNER);
    expect((await run(keyB, PartnerOperationsDocument, {})).body.data!.organization!.operations.edges).toEqual([]);
  });

  it('gives a key the read-only ad-hoc scope only when asked: its own queries, never mutations', async () => {
    const a = await tenant();
    const project = await createProject(db, a.org.id, a.user.id, { name: 'BI board' });
    const created = await app.gql<{ createApiKey: { secret: string; apiKey: { adHocReads: boolean } } }>(
      'mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { adHocReads } } }',
      {
        token: a.token,
        variables: {
          i: { name: 'bi', permissions: ['organizations:read', 'projects:read', 'projects:update'], adHocReads: true },
        },
      },
    );
    expect(created.body.data!.createApiKey.apiKey.adHocReads).toBe(true);
    const bi = created.body.data!.createApiKey.secret;
    const plain = await apiKey(a.token, ['organizations:read', 'projects:read']);
    const send = async (key: string, query: string, variables?: Record<string, unknown>) =>
      JSON.parse(
        (await app.post(JSON.stringify({ query, variables }), { authorization: `Bearer ${key}` })).text,
      ) as GqlResponse['body'];

    const read = await send(bi, '{ projects(first: 5) { totalCount edges { node { name } } } }');
    expect(read.errors).toBeUndefined();
    expect(read.data).toEqual({ projects: { totalCount: 1, edges: [{ node: { name: 'BI board' } }] } });
    // Off by default.
    expect((await send(plain, '{ projects { totalCount } }')).errors![0]!.extensions!.code).toBe(
      'PERSISTED_QUERY_ID_REQUIRED',
    );
    // No mutation of its own, even one its permissions allow.
    const write = await send(
      bi,
      'mutation ($id: UUID!) { updateProject(input: { id: $id, name: "Renamed" }) { project { name } } }',
      { id: project.id },
    );
    expect(write.errors![0]!.extensions!.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
    expect(write.errors![0]!.message).toMatch(/only queries/);
    expect((await superuser.query('select name from projects where id = $1', [project.id])).rows[0].name).toBe(
      'BI board',
    );
    // The usual limits hold.
    const costly = await send(
      bi,
      '{ projects(first: 100) { edges { node { tasks(first: 100) { edges { node { subtasks(first: 100) { edges { node { id } } } } } } } } } }',
    );
    expect(costly.errors![0]!.extensions!.code).toBe('QUERY_TOO_COMPLEX');
    // An organization that allows only registered operations holds the scope off.
    await superuser.query('update organizations set trusted_documents_only = true where id = $1', [a.org.id]);
    expect((await send(bi, '{ projects { totalCount } }')).errors![0]!.extensions!.code).toBe(
      'PERSISTED_QUERY_ID_REQUIRED',
    );
  });

  it('serves the SDL to API keys and signed-in users, and to nobody anonymous in production', async () => {
    const production = await startTestApp({ production: true });
    try {
      const a = await tenant();
      const key = await apiKey(a.token, ['organizations:read']);
      const schemaUrl = production.url.replace('/graphql', '/schema.graphql');
      const anonymous = await fetch(schemaUrl);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      const text = await anonymous.text();
      expect(text).not.toContain('type Query');
      expect(JSON.parse(text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      const wrong = await fetch(schemaUrl, { headers: { authorization: `Bearer tq_00000000_${'a'.repeat(43)}` } });
      expect(wrong.status).toBe(401);
      for (const credential of [key, a.token]) {
        const res = await fetch(schemaUrl, { headers: { authorization: `Bearer ${credential}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        const sdl = await res.text();
        expect(sdl).toContain('registerOperation(input: RegisterOperationInput!): RegisteredOperationPayload!');
      }
    } finally {
      await production.close();
    }
    // Outside production anonymous callers get it too, as they get introspection.
    const development = await fetch(app.url.replace('/graphql', '/schema.graphql'));
    expect(development.status).toBe(200);
    expect(await development.text()).toContain('type Query');
  });
});
