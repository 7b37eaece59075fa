import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type Res, type TestApp } from '../support/app';
import {
  addMember,
  createOrganization,
  createProject,
  createTask,
  createUser,
  TEST_PASSWORD,
} from '../support/factories';
import { withTenant } from '../../src/db/database';
import { documentHash, PersistedDocuments } from '../../src/graphql/persisted-documents';
import { PERSISTED_DOCUMENTS_FILE } from '../../src/paths';
import {
  PartnerCreateTaskDocument,
  PartnerProjectsDocument,
  PartnerTasksDocument,
  SetTrustedDocumentsOnlyDocument,
  SignInDocument,
  SignOutDocument,
  ViewerDocument,
} from '../../schema/generated/operations/graphql';
import { PartnerApiError, runPartnerExample } from '../../examples/partner';

const idOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;
const textOf = (document: unknown) => manifest[idOf(document)]!;
const manifest = JSON.parse(fs.readFileSync(PERSISTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>;

describe('persisted operations', () => {
  let app: TestApp;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);

  beforeAll(async () => {
    app = await startTestApp({ apqCacheBytes: 4096 });
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  /** An organization with an owner (signed in), a project with two tasks, and a partner API key. */
  async function tenant(permissions = ['projects:read', 'tasks:create']) {
    const org = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, org.id, user.id, { role: 'owner' });
    const project = await createProject(db, org.id, user.id, { name: `Partner project ${org.slug}` });
    await withTenant(db, { organizationId: org.id, userId: user.id }, async (trx) => {
      await createTask(trx, org.id, project.id, { title: `todo of ${org.slug}`, status: 'todo' });
      await createTask(trx, org.id, project.id, { title: `backlog of ${org.slug}` });
    });
    const token = await app.login(user.email, TEST_PASSWORD);
    const created = await app.gql<{ createApiKey: { secret: string } }>(
      'mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }',
      { token, variables: { i: { name: 'partner', permissions } } },
    );
    expect(created.body.errors).toBeUndefined();
    return { org, user, project, token, apiKey: created.body.data!.createApiKey.secret };
  }

  /** A raw POST /graphql with a JSON body (the test app's `gql` would register documents for API keys). */
  async function send(body: Record<string, unknown>, credential?: string): Promise<Res & { status: number }> {
    const res = await app.post(JSON.stringify(body), credential ? { authorization: `Bearer ${credential}` } : {});
    return { status: res.status, body: JSON.parse(res.text) };
  }
  const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
  const sessionCount = async (userId: string) =>
    Number(
      (await superuser.query('select count(distinct family_id) from auth_refresh_tokens where user_id = $1', [userId]))
        .rows[0].count,
    );
  const taskCount = async (orgId: string) =>
    Number((await superuser.query('select count(*) from tasks where organization_id = $1', [orgId])).rows[0].count);

  describe('the manifest', () => {
    it('holds every operation of schema/operations by the sha256 of its text', () => {
      const files = fs
        .readdirSync(path.join(path.dirname(PERSISTED_DOCUMENTS_FILE), '../../operations'), { recursive: true })
        .filter((f) => String(f).endsWith('.graphql'));
      const names = Object.values(manifest)
        .map((text) => /(?:query|mutation) (\w+)/.exec(text)![1])
        .sort();
      expect(names).toHaveLength(files.length);
      expect(names).toEqual(expect.arrayContaining(['PartnerCreateTask', 'PartnerProjects', 'PartnerTasks', 'Viewer']));
      for (const [id, text] of Object.entries(manifest)) expect(id).toBe(`sha256:${documentHash(text)}`);
      expect(idOf(PartnerProjectsDocument)).toBe(`sha256:${documentHash(textOf(PartnerProjectsDocument))}`);
    });

    it('refuses an entry that is not the hash of its document, and names a missing file', () => {
      const [id] = Object.keys(manifest);
      expect(() => new PersistedDocuments({ [id!]: '{ organization { id } }' })).toThrow(
        /not the sha256 of its document/,
      );
      expect(() => new PersistedDocuments({ 'not-a-hash': '{ __typename }' })).toThrow(/not the sha256/);
      const missing = path.join(os.tmpdir(), `no-manifest-${process.pid}.json`);
      expect(() => PersistedDocuments.load(missing)).toThrow(
        /persisted-operations manifest .* \(run `npm run codegen`\)/,
      );
    });
  });

  describe('API keys', () => {
    it('run a registered query by documentId, by its bare hash, and by Apollo APQ hash, seeing only their organization', async () => {
      const a = await tenant();
      const b = await tenant();
      for (const body of [
        { documentId: idOf(PartnerProjectsDocument) },
        { documentId: idOf(PartnerProjectsDocument).slice('sha256:'.length) },
        { extensions: apq(idOf(PartnerProjectsDocument).slice('sha256:'.length)) },
      ]) {
        const res = await send(body, a.apiKey);
        expect(res.body.errors).toBeUndefined();
        expect(res.status).toBe(200);
        const text = JSON.stringify(res.body.data);
        expect(text).toContain(a.project.name);
        expect(text).not.toContain(b.project.name);
      }
      const tasks = await send(
        { documentId: idOf(PartnerTasksDocument), variables: { projectId: a.project.id, status: ['TODO'] } },
        a.apiKey,
      );
      expect(tasks.body.errors).toBeUndefined();
      expect(tasks.body.data).toMatchObject({
        tasks: { totalCount: 1, edges: [{ node: { title: `todo of ${a.org.slug}`, status: 'TODO' } }] },
      });
      // Another tenant's project through a registered operation: nothing, as RLS has it.
      const foreign = await send(
        { documentId: idOf(PartnerTasksDocument), variables: { projectId: b.project.id } },
        a.apiKey,
      );
      expect(foreign.body.data).toMatchObject({ tasks: { totalCount: 0, edges: [] } });
    });

    it('run a registered query with GET and documentId', async () => {
      const a = await tenant();
      const res = await fetch(
        `${app.url}?documentId=${encodeURIComponent(idOf(PartnerProjectsDocument))}&variables=${encodeURIComponent('{"first":1}')}`,
        {
          headers: { authorization: `Bearer ${a.apiKey}`, 'apollo-require-preflight': 'true' },
        },
      );
      const body = (await res.json()) as Res['body'];
      expect(body.errors).toBeUndefined();
      expect(JSON.stringify(body.data)).toContain(a.project.name);
    });

    it('run a registered mutation, which RLS and the permissions still govern', async () => {
      const a = await tenant();
      const b = await tenant();
      const created = await send(
        {
          documentId: idOf(PartnerCreateTaskDocument),
          variables: { input: { projectId: a.project.id, title: 'From the partner' } },
        },
        a.apiKey,
      );
      expect(created.body.errors).toBeUndefined();
      expect(created.body.data).toMatchObject({
        createTask: { task: { title: 'From the partner', status: 'BACKLOG' } },
      });
      expect(await taskCount(a.org.id)).toBe(3);

      const before = await taskCount(b.org.id);
      const foreign = await send(
        {
          documentId: idOf(PartnerCreateTaskDocument),
          variables: { input: { projectId: b.project.id, title: 'Sneaky' } },
        },
        a.apiKey,
      );
      expect(['NOT_FOUND', 'BAD_USER_INPUT']).toContain(codeOf(foreign));
      expect(await taskCount(b.org.id)).toBe(before);

      const readOnly = await tenant(['projects:read']);
      const refused = await send(
        {
          documentId: idOf(PartnerCreateTaskDocument),
          variables: { input: { projectId: readOnly.project.id, title: 'No' } },
        },
        readOnly.apiKey,
      );
      expect(codeOf(refused)).toBe('FORBIDDEN');
      expect(await taskCount(readOnly.org.id)).toBe(2);
    });

    it('may not send a document of their own, even a harmless one, and nothing runs', async () => {
      const a = await tenant();
      const mutation = `mutation { createTask(input: {projectId: "${a.project.id}", title: "Arbitrary"}) { task { id } } }`;
      for (const [body, code] of [
        [{ query: '{ organization { id name } }' }, 'PERSISTED_QUERY_ID_REQUIRED'],
        [{ query: mutation }, 'PERSISTED_QUERY_ID_REQUIRED'],
        // A document under a registered id must be that document (Apollo checks the hash).
        [{ query: mutation, documentId: idOf(PartnerProjectsDocument) }, 'BAD_REQUEST'],
        [{ query: mutation, extensions: apq(documentHash(mutation)) }, 'PERSISTED_QUERY_NOT_IN_LIST'],
      ] as const) {
        const res = await send(body, a.apiKey);
        expect(res.status).toBe(400);
        expect(res.body.data ?? null).toBeNull();
        expect(codeOf(res)).toBe(code);
      }
      const plain = await send({ query: '{ organization { id name } }' }, a.apiKey);
      expect(codeOf(plain)).toBe('PERSISTED_QUERY_ID_REQUIRED');
      expect(plain.body.errors![0]!.message).toMatch(/API keys may only run registered operations/);
      expect(await taskCount(a.org.id)).toBe(2);
    });

    it('get PERSISTED_QUERY_NOT_IN_LIST for an id that is not registered, even one another caller cached with APQ', async () => {
      const a = await tenant();
      const unknown = `sha256:${documentHash('query Nope { __typename }')}`;
      expect(codeOf(await send({ documentId: unknown }, a.apiKey))).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(codeOf(await send({ documentId: 'abc' }, a.apiKey))).toBe('PERSISTED_QUERY_NOT_IN_LIST');

      // A signed-in user registers a document with APQ; the API key may still not run it.
      const query = '{ organization { slug } }';
      const hash = documentHash(query);
      expect((await send({ query, extensions: apq(hash) }, a.token)).body.errors).toBeUndefined();
      expect((await send({ extensions: apq(hash) }, a.token)).body.data).toEqual({
        organization: { slug: a.org.slug },
      });
      const res = await send({ extensions: apq(hash) }, a.apiKey);
      expect(codeOf(res)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(res.status).toBe(400);
    });
  });

  describe('automatic persisted queries for clients', () => {
    it("follow Apollo's protocol: unknown hash, then hash and query, then the hash alone", async () => {
      const a = await tenant();
      const query = `query Mine { organization { slug } }`;
      const hash = documentHash(query);
      const miss = await send({ extensions: apq(hash) }, a.token);
      expect(codeOf(miss)).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect((await send({ query, extensions: apq(hash) }, a.token)).body.data).toEqual({
        organization: { slug: a.org.slug },
      });
      expect((await send({ extensions: apq(hash) }, a.token)).body.data).toEqual({
        organization: { slug: a.org.slug },
      });
      // The hash must be the document's.
      const wrong = await send({ query: '{ __typename }', extensions: apq(hash) }, a.token);
      expect(wrong.status).toBe(400);
      expect(wrong.body.errors![0]).toEqual({
        message: 'provided sha does not match query',
        extensions: { code: 'BAD_REQUEST' },
      });
    });

    it('keep a bounded cache: the least recently used documents are dropped', async () => {
      const a = await tenant();
      const first = `query First { organization { slug } }`;
      expect((await send({ query: first, extensions: apq(documentHash(first)) }, a.token)).body.errors).toBeUndefined();
      // The test app's cache holds 4 KiB: these push the first document out.
      for (let i = 0; i < 8; i++) {
        const filler = `query Filler${i} { organization { slug ${'name '.repeat(120)} } }`;
        expect(
          (await send({ query: filler, extensions: apq(documentHash(filler)) }, a.token)).body.errors,
        ).toBeUndefined();
      }
      expect(codeOf(await send({ extensions: apq(documentHash(first)) }, a.token))).toBe('PERSISTED_QUERY_NOT_FOUND');
    });

    it('are kept per tenant: a hash finds only what the same organization (or, anonymously, an anonymous caller) registered', async () => {
      const a = await tenant();
      const b = await tenant();
      const colleague = await createUser(db);
      await addMember(db, a.org.id, colleague.id, { role: 'member' });
      const colleagueToken = await app.login(colleague.email, TEST_PASSWORD);
      const query = `query OnlyA${a.org.slug.replace(/\W/g, '')} { organization { slug } }`;
      const hash = documentHash(query);
      expect((await send({ query, extensions: apq(hash) }, a.token)).body.errors).toBeUndefined();
      // The same organization finds it, another user of it included.
      expect((await send({ extensions: apq(hash) }, a.token)).body.data).toEqual({
        organization: { slug: a.org.slug },
      });
      expect((await send({ extensions: apq(hash) }, colleagueToken)).body.data).toEqual({
        organization: { slug: a.org.slug },
      });
      // Another organization and anonymous callers cannot tell that anyone sent it.
      for (const credential of [b.token, undefined]) {
        const miss = await send({ extensions: apq(hash) }, credential);
        expect(codeOf(miss)).toBe('PERSISTED_QUERY_NOT_FOUND');
        expect(miss.body.data ?? null).toBeNull();
      }
      // Anonymous callers share their own class, which signed-in callers do not see.
      const open = 'query AnonymousOnly { __typename }';
      expect((await send({ query: open, extensions: apq(documentHash(open)) })).body.errors).toBeUndefined();
      expect((await send({ extensions: apq(documentHash(open)) })).body.data).toEqual({ __typename: 'Query' });
      expect(codeOf(await send({ extensions: apq(documentHash(open)) }, a.token))).toBe('PERSISTED_QUERY_NOT_FOUND');
      // B registering the same document gets its own entry.
      expect((await send({ query, extensions: apq(hash) }, b.token)).body.errors).toBeUndefined();
      expect((await send({ extensions: apq(hash) }, b.token)).body.data).toEqual({
        organization: { slug: b.org.slug },
      });
    });

    it('keep one bound in bytes for all tenants together', async () => {
      const a = await tenant();
      const b = await tenant();
      const first = 'query FirstOfA { organization { slug } }';
      expect((await send({ query: first, extensions: apq(documentHash(first)) }, a.token)).body.errors).toBeUndefined();
      // The test app's cache holds 4 KiB: another tenant's documents push A's out.
      for (let i = 0; i < 8; i++) {
        const filler = `query FillerOfB${i} { organization { slug ${'name '.repeat(120)} } }`;
        expect(
          (await send({ query: filler, extensions: apq(documentHash(filler)) }, b.token)).body.errors,
        ).toBeUndefined();
      }
      expect(codeOf(await send({ extensions: apq(documentHash(first)) }, a.token))).toBe('PERSISTED_QUERY_NOT_FOUND');
    });

    it('always find the registered operations, whatever the cache holds', async () => {
      const a = await tenant();
      const res = await send({ extensions: apq(idOf(ViewerDocument).slice(7)) }, a.token);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toMatchObject({
        viewer: { organization: { slug: a.org.slug, trustedDocumentsOnly: false } },
      });
      expect(codeOf(await send({ documentId: `sha256:${'0'.repeat(64)}` }, a.token))).toBe(
        'PERSISTED_QUERY_NOT_IN_LIST',
      );
    });
  });

  describe('an organization that allows only registered operations', () => {
    it("refuses its signed-in users' own documents (and APQ), runs registered ones, and can be switched back", async () => {
      const a = await tenant();
      const b = await tenant();
      const own = '{ organization { slug } }';
      expect((await send({ query: own, extensions: apq(documentHash(own)) }, a.token)).body.errors).toBeUndefined();

      const on = await send(
        { documentId: idOf(SetTrustedDocumentsOnlyDocument), variables: { enabled: true } },
        a.token,
      );
      expect(on.body.errors).toBeUndefined();
      expect(on.body.data).toMatchObject({ updateOrganization: { organization: { trustedDocumentsOnly: true } } });

      const before = app.requests.length;
      for (const body of [{ query: own }, { extensions: apq(documentHash(own)) }]) {
        const res = await send(body, a.token);
        expect(codeOf(res)).toBe('PERSISTED_QUERY_ID_REQUIRED');
        expect(res.body.errors![0]!.message).toMatch(/This organization allows only registered operations/);
        expect(res.body.data ?? null).toBeNull();
      }
      // The check rides on the transaction's opening round trip: BEGIN, then ROLLBACK or COMMIT.
      expect(app.requests.slice(before).map((r) => r.statements)).toEqual([2, 2]);

      const mutation = `mutation { createTask(input: {projectId: "${a.project.id}", title: "Refused"}) { task { id } } }`;
      expect(codeOf(await send({ query: mutation }, a.token))).toBe('PERSISTED_QUERY_ID_REQUIRED');
      expect(await taskCount(a.org.id)).toBe(2);

      const viewer = await send({ documentId: idOf(ViewerDocument) }, a.token);
      expect(viewer.body.data).toMatchObject({
        viewer: { organization: { slug: a.org.slug, trustedDocumentsOnly: true } },
      });
      // Other organizations are not affected, nor is signing in to them with any document.
      expect(await app.login(b.user.email, TEST_PASSWORD)).toEqual(expect.any(String));
      expect((await send({ query: own }, b.token)).body.data).toEqual({ organization: { slug: b.org.slug } });

      // A web client with only registered operations: sign in, sign out; then the token is dead.
      const signIn = await send({
        documentId: idOf(SignInDocument),
        variables: { email: a.user.email, password: TEST_PASSWORD },
      });
      const token = (signIn.body.data as { login: { accessToken: string } }).login.accessToken;
      expect((await send({ documentId: idOf(SignOutDocument) }, token)).body.data).toEqual({
        logout: { sessionsEnded: 1 },
      });
      const stale = await send({ query: own }, token);
      expect(codeOf(stale)).toBe('UNAUTHENTICATED');
      expect(stale.body.data ?? null).toBeNull();

      // Nor may a document of its own get in by signing in or refreshing: what it would read
      // under AuthPayload runs as the organization's. Nothing of the sign-in is kept.
      const sessionsBefore = await sessionCount(a.user.id);
      const ownLogin = await send({
        query: `mutation { login(input: {email: "${a.user.email}", password: "${TEST_PASSWORD}"}) { accessToken organization { apiKeys { edges { node { name } } } } } }`,
      });
      expect(codeOf(ownLogin)).toBe('PERSISTED_QUERY_ID_REQUIRED');
      expect(ownLogin.body.data ?? null).toBeNull();
      expect(await sessionCount(a.user.id)).toBe(sessionsBefore);
      const registered = await send({
        documentId: idOf(SignInDocument),
        variables: { email: a.user.email, password: TEST_PASSWORD },
      });
      const { refreshToken } = (registered.body.data as { login: { refreshToken: string } }).login;
      const ownRefresh = await send({
        query: `mutation { refreshSession(input: {refreshToken: "${refreshToken}"}) { organization { members { totalCount } } } }`,
      });
      expect(codeOf(ownRefresh)).toBe('PERSISTED_QUERY_ID_REQUIRED');
      expect(ownRefresh.body.data ?? null).toBeNull();

      const off = await send(
        { documentId: idOf(SetTrustedDocumentsOnlyDocument), variables: { enabled: false } },
        a.token,
      );
      expect(off.body.errors).toBeUndefined();
      expect((await send({ query: own }, a.token)).body.data).toEqual({ organization: { slug: a.org.slug } });
    });

    it('is changed only with organizations:update', async () => {
      const a = await tenant();
      const member = await createUser(db);
      await addMember(db, a.org.id, member.id, { role: 'member' });
      const token = await app.login(member.email, TEST_PASSWORD);
      const res = await send(
        { documentId: idOf(SetTrustedDocumentsOnlyDocument), variables: { enabled: true } },
        token,
      );
      expect(codeOf(res)).toBe('FORBIDDEN');
      expect(
        (await superuser.query('select trusted_documents_only from organizations where id = $1', [a.org.id])).rows[0]
          .trusted_documents_only,
      ).toBe(false);
    });
  });

  describe('the partner example', () => {
    it('lists projects and open tasks and files a task with the generated typed documents', async () => {
      const a = await tenant();
      const report = await runPartnerExample(app.url, a.apiKey, { createTask: true });
      expect(report.projects).toEqual([
        {
          name: a.project.name,
          totalTasks: 2,
          openTasks: [expect.objectContaining({ title: `todo of ${a.org.slug}`, status: 'TODO' })],
        },
      ]);
      expect(report.created).toMatchObject({
        title: 'Filed by the partner example',
        priority: 'HIGH',
        tags: ['partner'],
      });
      expect(await taskCount(a.org.id)).toBe(3);
      await expect(runPartnerExample(app.url, 'tq_00000000_' + 'x'.repeat(43))).rejects.toEqual(
        expect.any(PartnerApiError),
      );
    });
  });
});
