import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { getIntrospectionQuery } from 'graphql';
import { closeTestPools, ownerDb } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import { GRAPHIQL_CSP, mountGraphiql } from '../../src/http/graphiql';
import { unusableField } from '../../src/graphql/introspection';
import { GRAPHIQL_DIST_DIR } from '../../src/paths';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';
import type { GraphiqlConfig } from '../../src/http/graphiql-config';
import { withTenant } from '../../src/db/database';

/** A reference the browser would fetch from somewhere else: a script, style, font, worker or import. */
const EXTERNAL_FETCH =
  /(?:\bimport\s*\(|\bfrom|\burl\(|\bimportScripts\(|\bnew Worker\(|\bsrc=|\bhref=|@import)\s*['"]?(?:https?:)?\/\//;
const CDN = /esm\.sh|unpkg\.com|jsdelivr|cdnjs|googleapis|gstatic/;

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

/** Nothing a client sees may carry a stack, SQL or file paths. */
function expectClean(text: string) {
  expect(text).not.toMatch(/\bat .*\.(ts|js):\d+|stacktrace|node_modules|select |\/work\//i);
}

const SCHEMA_QUERY = '{ __schema { queryType { name } } }';
const TYPE_QUERY = '{ __type(name: "Project") { name kind } }';

describe('GraphiQL page', () => {
  let app: TestApp;
  let origin: string;

  beforeAll(async () => {
    app = await startTestApp();
    origin = new URL(app.url).origin;
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  async function page() {
    const res = await fetch(`${origin}/graphiql`);
    return { res, html: await res.text() };
  }

  it('serves the page with a strict Content-Security-Policy and no caching', async () => {
    const { res, html } = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toBe(GRAPHIQL_CSP);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
    expect(html).toContain('<div id="root">');
    expect(html).toMatch(/<script type="module" src="\/graphiql\/assets\/graphiql-[A-Z0-9]+\.js"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="\/graphiql\/assets\/graphiql-[A-Z0-9]+\.css">/);
  });

  it('also answers at /graphiql/', async () => {
    const res = await fetch(`${origin}/graphiql/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(GRAPHIQL_CSP);
  });

  it('names nothing outside its own origin, in the page or in any asset', async () => {
    const { html } = await page();
    expect(html).not.toMatch(/https?:|\/\/[a-z]/i);
    const assets = filesUnder(path.join(GRAPHIQL_DIST_DIR, 'assets')).filter((file) => /\.(js|css)$/.test(file));
    expect(assets.some((file) => file.includes(`${path.sep}workers${path.sep}graphql.worker-`))).toBe(true);
    for (const file of assets) {
      const text = fs.readFileSync(file, 'utf8');
      const external = EXTERNAL_FETCH.exec(text) ?? CDN.exec(text);
      if (external)
        throw new Error(
          `${path.relative(GRAPHIQL_DIST_DIR, file)} refers to another origin: …${text.slice(Math.max(0, external.index - 60), external.index + 80)}…`,
        );
    }
  });

  it('serves the hashed assets with a year of caching, and the worker scripts the bundle names', async () => {
    const { html } = await page();
    const script = /src="([^"]+)"/.exec(html)![1]!;
    const style = /href="([^"]+)"/.exec(html)![1]!;
    const js = await fetch(`${origin}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const code = await js.text();
    const css = await fetch(`${origin}${style}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toContain('.graphiql-container');

    expect(code).toMatch(/from"\/graphiql\/assets\/chunks\/chunk-\w+\.js"/);
    // The worker URLs are in whichever chunk esbuild put monaco-environment.ts.
    const bundled = filesUnder(path.join(GRAPHIQL_DIST_DIR, 'assets'))
      .filter((file) => file.endsWith('.js'))
      .map((file) => fs.readFileSync(file, 'utf8'))
      .join('\n');
    const workers = [...new Set([...bundled.matchAll(/\/graphiql\/assets\/workers\/[\w.-]+\.js/g)].map((m) => m[0]))];
    expect(new Set(workers.map((w) => /workers\/(\w+)\.worker-/.exec(w)![1]))).toEqual(
      new Set(['editor', 'json', 'graphql']),
    );
    for (const worker of workers) {
      const res = await fetch(`${origin}${worker}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
    }
  });

  it('answers an unknown asset with the JSON 404, not a file listing or an HTML page', async () => {
    for (const url of [
      '/graphiql/assets/nope.js',
      '/graphiql/assets/',
      '/graphiql/assets/../manifest.json',
      '/graphiql/index.html',
    ]) {
      const res = await fetch(`${origin}${url}`);
      const text = await res.text();
      expect([res.status, url]).toEqual([404, url]);
      expect(JSON.parse(text).errors[0].extensions.code).toBe('NOT_FOUND');
    }
  });

  it('answers 503 with a message saying how to build it when the build is missing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-no-graphiql-'));
    const bare = express();
    mountGraphiql(bare, { dir: empty });
    const server = bare.listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphiql`);
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(text)).toEqual({
        errors: [
          {
            message: 'GraphiQL is not built on this server: run `npm run build` (it writes dist/graphiql)',
            extensions: { code: 'SERVICE_UNAVAILABLE' },
          },
        ],
      });
      expectClean(text);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the front door and what the page is told', () => {
  let dev: TestApp;
  let prod: TestApp;
  const demo = { password: DEMO_PASSWORD, accounts: DEMO_ACCOUNTS };
  const originOf = (app: TestApp) => new URL(app.url).origin;

  beforeAll(async () => {
    // Both are given the demo accounts: production must not show them all the same.
    [dev, prod] = await Promise.all([
      startTestApp({ app: { demo } }),
      startTestApp({ production: true, app: { demo } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([dev?.close(), prod?.close()]);
  });

  it.each([
    ['development', () => dev],
    ['production', () => prod],
  ])('GET / redirects to /graphiql (%s)', async (_mode, app) => {
    const res = await fetch(`${originOf(app())}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/graphiql');
    expect(res.headers.get('content-security-policy')).toBe(GRAPHIQL_CSP);
    const page = await fetch(`${originOf(app())}/`);
    expect(page.url).toBe(`${originOf(app())}/graphiql`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
  });

  it('tells the page the demo accounts outside production, each of which signs in', async () => {
    const res = await fetch(`${originOf(dev)}/graphiql/config.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toBe(GRAPHIQL_CSP);
    const config = (await res.json()) as GraphiqlConfig;
    expect(config.demo?.password).toBe(DEMO_PASSWORD);
    expect(config.demo?.accounts).toEqual(
      expect.arrayContaining([
        { email: DEMO_USERS.alice, organization: 'acme', role: 'owner' },
        { email: DEMO_USERS.carol, organization: 'globex', role: 'viewer' },
      ]),
    );
    // dave is a prospective member: he may not sign in, so he is not offered.
    expect(config.demo?.accounts.map((a) => a.email)).not.toContain(DEMO_USERS.dave);
    for (const account of config.demo!.accounts) {
      await expect(dev.login(account.email, config.demo!.password, account.organization)).resolves.toMatch(/\./);
    }
  });

  it('shows no demo account in production, even when the app is given some', async () => {
    const res = await fetch(`${originOf(prod)}/graphiql/config.json`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ demo: null });
    expect(text).not.toContain(DEMO_PASSWORD);
  });
});

describe('introspection policy', () => {
  let dev: TestApp;
  let prod: TestApp;
  let aliceInProd: string;

  beforeAll(async () => {
    [dev, prod] = await Promise.all([startTestApp(), startTestApp({ production: true })]);
    aliceInProd = await prod.login(DEMO_USERS.alice, DEMO_PASSWORD, 'acme');
  });
  afterAll(async () => {
    await Promise.all([dev.close(), prod.close()]);
    await closeTestPools();
  });

  const devApp = () => dev;
  const messages = (res: GqlResponse) => res.body.errors!.map((e) => e.message);

  function expectRefused(res: GqlResponse, code = 'UNAUTHENTICATED', status = 401) {
    expect(res.status).toBe(status);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toEqual([
      {
        message:
          code === 'UNAUTHENTICATED' ? 'Sign in to introspect the schema' : 'API keys may not introspect the schema',
        extensions: { code },
      },
    ]);
    expectClean(JSON.stringify(res.body));
  }

  it('lets anonymous callers introspect outside production', async () => {
    const schema = await dev.gql(SCHEMA_QUERY);
    expect(schema.status).toBe(200);
    expect(schema.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    const type = await dev.gql(TYPE_QUERY);
    expect(type.body).toEqual({ data: { __type: { name: 'Project', kind: 'OBJECT' } } });
  });

  it('refuses anonymous introspection in production, however the meta-field is reached', async () => {
    const documents = [
      SCHEMA_QUERY,
      TYPE_QUERY,
      '{ s: __schema { types { name } } }',
      'query Named { viewer { __typename } ...F } fragment F on Query { __schema { queryType { name } } }',
      '{ ... on Query { __type(name: "Query") { name } } }',
      'query A { ...Outer } fragment Outer on Query { ...Inner } fragment Inner on Query { ... on Query { __schema { types { name } } } }',
      getIntrospectionQuery(),
    ];
    for (const query of documents) expectRefused(await prod.gql(query));
  });

  it('refuses only the operation that is run, when a document holds several', async () => {
    const query = 'query Types { __schema { types { name } } } query Plain { __typename }';
    const run = async (operationName: string): Promise<GqlResponse> => {
      const res = await prod.post(JSON.stringify({ query, operationName }));
      return { status: res.status, headers: res.headers, body: JSON.parse(res.text) };
    };
    expect((await run('Plain')).body).toEqual({ data: { __typename: 'Query' } });
    expectRefused(await run('Types'));
  });

  it('always allows __typename', async () => {
    const res = await prod.gql('{ __typename viewer { __typename } }');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { __typename: 'Query', viewer: null } });
  });

  it('lets a signed-in user introspect in production, with the query GraphiQL sends', async () => {
    const res = await prod.gql<{ __schema: { types: { name: string }[] } }>(getIntrospectionQuery(), {
      token: aliceInProd,
    });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.__schema.types.map((t) => t.name)).toEqual(
      expect.arrayContaining(['Query', 'Mutation', 'Project', 'Viewer']),
    );
    const type = await prod.gql(TYPE_QUERY, { token: aliceInProd });
    expect(type.body).toEqual({ data: { __type: { name: 'Project', kind: 'OBJECT' } } });
  });

  it('refuses an API key in production with FORBIDDEN, even for a registered operation', async () => {
    const db = ownerDb();
    const org = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, org.id, user.id, { role: 'owner' });
    const token = await prod.login(user.email, TEST_PASSWORD);
    const created = await prod.gql<{ createApiKey: { secret: string } }>(
      'mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }',
      { token, variables: { i: { name: 'partner', permissions: ['organizations:read'] } } },
    );
    expect(created.body.errors).toBeUndefined();
    const secret = created.body.data!.createApiKey.secret;
    expectRefused(await prod.gql(SCHEMA_QUERY, { token: secret }), 'FORBIDDEN', 403);
    // The key itself works: the refusal is about introspection.
    const plain = await prod.gql('{ organization { slug } }', { token: secret });
    expect(plain.body).toEqual({ data: { organization: { slug: org.slug } } });
  });

  describe('field suggestions', () => {
    const MISSPELT = '{ viewr { user { email } } }';
    const MESSAGE = 'Cannot query field "viewr" on type "Query".';
    const messages = (res: GqlResponse) => res.body.errors!.map((e) => e.message);

    it('are cut from validation errors for callers who may not introspect', async () => {
      const res = await prod.gql(MISSPELT);
      expect(res.status).toBe(400);
      expect(codeOf(res)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(messages(res)).toEqual([unusableField('viewr')]);
      const nested = await prod.gql('{ __typename viewer { usr { emial } } }');
      expect(messages(nested)).toEqual([unusableField('usr')]);
      const argument = await prod.gql('{ projects(frist: 5) { totalCount } }');
      expect(messages(argument).join(' ')).not.toMatch(/Did you mean|first/);
    });

    it('are cut from variable errors for callers who may not introspect', async () => {
      const res = await prod.gql('mutation ($input: LoginInput!) { login(input: $input) { accessToken } }', {
        variables: { input: { emial: DEMO_USERS.alice, password: DEMO_PASSWORD } },
      });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      const text = messages(res).join(' ');
      expect(text).toContain('Field "emial" is not defined by type "LoginInput".');
      expect(text).not.toContain('Did you mean');
    });

    it('are kept for a signed-in user in production and for anyone outside production', async () => {
      const signedIn = await prod.gql(MISSPELT, { token: aliceInProd });
      expect(messages(signedIn)).toEqual([`${MESSAGE} Did you mean "viewer"?`]);
      const anonymousInDev = await dev.gql(MISSPELT);
      expect(messages(anonymousInDev)).toEqual([`${MESSAGE} Did you mean "viewer"?`]);
      const variables = await dev.gql('mutation ($input: LoginInput!) { login(input: $input) { accessToken } }', {
        variables: { input: { emial: DEMO_USERS.alice, password: DEMO_PASSWORD } },
      });
      expect(messages(variables).join(' ')).toContain('Did you mean "email"?');
    });
  });

  describe('validation messages in production', () => {
    const messages = (res: GqlResponse) => res.body.errors!.map((e) => e.message);
    const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
    const CREATE = 'mutation ($i: CreateProjectInput!) { createProject(input: $i) { project { id } } }';
    /**
     * graphql-js's messages (what anyone gets outside production) and what a caller who may not
     * introspect gets in production: no schema name the request did not contain, and one answer
     * for every mistake about a field, existing or not.
     */
    const CASES: { query: string; variables?: Record<string, unknown>; development: string[]; production: string[] }[] =
      [
        {
          query: '{ viewr }',
          development: ['Cannot query field "viewr" on type "Query". Did you mean "viewer"?'],
          production: [unusableField('viewr')],
        },
        {
          query: '{ nothingHere }',
          development: ['Cannot query field "nothingHere" on type "Query".'],
          production: [unusableField('nothingHere')],
        },
        {
          query: '{ viewer }',
          development: [
            'Field "viewer" of type "Viewer" must have a selection of subfields. Did you mean "viewer { ... }"?',
          ],
          production: [unusableField('viewer')],
        },
        {
          query: '{ project(id: "00000000-0000-4000-8000-000000000000") { createdAt { x } } }',
          development: ['Field "createdAt" must not have a selection since type "DateTime!" has no subfields.'],
          production: [unusableField('createdAt')],
        },
        {
          query: '{ projects(frist: 5) { totalCount } }',
          development: ['Unknown argument "frist" on field "Query.projects". Did you mean "first" or "last"?'],
          production: [unusableField('projects')],
        },
        {
          query: '{ project { id } }',
          development: ['Field "project" argument "id" of type "UUID!" is required, but it was not provided.'],
          production: [unusableField('project')],
        },
        {
          query: '{ projects(first: "5") { totalCount } }',
          development: ['Int cannot represent non-integer value: "5"'],
          production: [unusableField('projects')],
        },
        {
          query: 'query ($n: String) { projects(first: $n) { totalCount } }',
          development: ['Variable "$n" of type "String" used in position expecting type "Int".'],
          production: [unusableField('projects')],
        },
        {
          query: 'mutation { login(input: {email: "a@example.com"}) { accessToken } }',
          development: ['Field "LoginInput.password" of required type "String!" was not provided.'],
          production: [unusableField('login')],
        },
        {
          query: 'mutation { login(input: {email: "a@example.com", password: "x", secret: 1}) { accessToken } }',
          development: ['Field "secret" is not defined by type "LoginInput".'],
          production: [unusableField('login')],
        },
        {
          query: '{ viewer { ... on Project { id } } }',
          development: ['Fragment cannot be spread here as objects of type "Viewer" can never be of type "Project".'],
          production: ['Fragment cannot be spread here as these objects can never be of type "Project".'],
        },
        // A guess in an alias (or a string) does not count as naming the type: it is not confirmed.
        {
          query: '{ Viewer: viewer { ... on Project { id } } }',
          development: ['Fragment cannot be spread here as objects of type "Viewer" can never be of type "Project".'],
          production: ['Fragment cannot be spread here as these objects can never be of type "Project".'],
        },
        {
          query: '{ viewer { a: user { id } a: organization { id } } }',
          development: [
            'Fields "a" conflict because "user" and "organization" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
          ],
          production: [
            'Fields "a" conflict because "user" and "organization" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
          ],
        },
        {
          query: LOGIN,
          variables: { input: { email: 'a@example.com' } },
          development: [
            'Variable "$input" got invalid value { email: "a@example.com" }; Field "password" of required type "String!" was not provided.',
          ],
          production: [
            'Variable "$input" got invalid value { email: "a@example.com" }; A required field was not provided.',
          ],
        },
        {
          query: CREATE,
          variables: { i: { name: 'x', settings: { bogus: 1 } } },
          development: [
            'Variable "$i" got invalid value { bogus: 1 } at "i.settings"; Field "features" of required type "[String!]!" was not provided.',
            'Variable "$i" got invalid value { bogus: 1 } at "i.settings"; Field "bogus" is not defined by type "ProjectSettingsInput".',
          ],
          production: [
            'Variable "$i" got invalid value { bogus: 1 } at "i.settings"; A required field was not provided.',
            'Variable "$i" got invalid value { bogus: 1 } at "i.settings"; Field "bogus" is not defined.',
          ],
        },
        {
          query: CREATE,
          variables: { i: { name: 'x', visibility: 'SECRET' } },
          development: [
            'Variable "$i" got invalid value "SECRET" at "i.visibility"; Value "SECRET" does not exist in "ProjectVisibility" enum.',
          ],
          production: [
            'Variable "$i" got invalid value "SECRET" at "i.visibility"; Value "SECRET" does not exist in the enum.',
          ],
        },
        {
          query: CREATE,
          variables: { i: { name: 'x', settings: 5 } },
          development: [
            'Variable "$i" got invalid value 5 at "i.settings"; Expected type "ProjectSettingsInput" to be an object.',
          ],
          production: ['Variable "$i" got invalid value 5 at "i.settings"; Expected an object.'],
        },
      ];

    it.each(CASES.map((c) => [c.query, c]))('%s', async (_query, { query, variables, development, production }) => {
      const dev = await devApp().gql(query, { variables });
      expect(messages(dev)).toEqual(development);
      const res = await prod.gql(query, { variables });
      expect(res.status).toBe(dev.status);
      expect(res.body.errors!.map((e) => e.extensions?.code)).toEqual(
        dev.body.errors!.map((e) => e.extensions?.code).slice(0, production.length),
      );
      expect(messages(res)).toEqual(production);
      // A signed-in user in production is told what graphql-js says.
      expect(messages(await prod.gql(query, { variables, token: aliceInProd }))).toEqual(development);
    });

    it('answers a mistake about a field once, at the field, whether or not the field exists', async () => {
      const existing = await prod.gql('{ projects(frist: 5, lst: 2) }');
      const missing = await prod.gql('{ projectz(frist: 5, lst: 2) }');
      expect(existing.body.errors).toEqual([
        {
          message: unusableField('projects'),
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ]);
      expect(missing.body.errors).toEqual([
        {
          message: unusableField('projectz'),
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ]);
    });
  });

  describe('ended sessions', () => {
    async function endedSession(how: 'logout' | 'removed') {
      const db = ownerDb();
      const org = await createOrganization(db);
      const owner = await createUser(db);
      const user = await createUser(db);
      await addMember(db, org.id, owner.id, { role: 'owner' });
      const membership = await addMember(db, org.id, user.id, { role: 'member' });
      const token = await prod.login(user.email, TEST_PASSWORD);
      expect((await prod.gql(SCHEMA_QUERY, { token })).body).toEqual({
        data: { __schema: { queryType: { name: 'Query' } } },
      });
      if (how === 'logout') {
        expect((await prod.gql('mutation { logout { sessionsEnded } }', { token })).body.errors).toBeUndefined();
      } else {
        const ownerToken = await prod.login(owner.email, TEST_PASSWORD);
        const removed = await prod.gql(
          'mutation ($id: UUID!) { removeMember(input: {membershipId: $id}) { membership { id } } }',
          { token: ownerToken, variables: { id: membership.id } },
        );
        expect(removed.body.errors).toBeUndefined();
      }
      return { token, user };
    }

    it.each(['logout', 'removed'] as const)(
      'get no introspection, not even __typename, once the session has ended (%s)',
      async (how) => {
        const { token } = await endedSession(how);
        for (const query of [SCHEMA_QUERY, TYPE_QUERY, getIntrospectionQuery(), '{ __typename }']) {
          const res = await prod.gql(query, { token });
          expect(res.status).toBe(401);
          expect(res.body).toEqual({
            errors: [
              { message: 'Your session is no longer valid; sign in again', extensions: { code: 'UNAUTHENTICATED' } },
            ],
          });
        }
        // Outside production too: the session is checked, not the mode.
        expect((await devApp().gql(SCHEMA_QUERY, { token })).status).toBe(401);
      },
    );

    it('are like those of an organization that allows only registered operations: no introspection, no schema names', async () => {
      const db = ownerDb();
      const org = await createOrganization(db);
      const user = await createUser(db);
      await addMember(db, org.id, user.id, { role: 'owner' });
      const token = await prod.login(user.email, TEST_PASSWORD);
      await withTenant(db, { organizationId: org.id, userId: null }, (trx) =>
        trx.updateTable('organizations').set({ trusted_documents_only: true }).where('id', '=', org.id).execute(),
      );
      // Not SCHEMA_QUERY: the API-key test above registered that one in this app's manifest.
      const schema = await prod.gql('{ __schema { mutationType { name } } }', { token });
      expect(codeOf(schema)).toBe('PERSISTED_QUERY_ID_REQUIRED');
      expect(schema.body.data ?? null).toBeNull();
      expect(messages(await prod.gql('{ viewer }', { token }))).toEqual([unusableField('viewer')]);
    });

    it('get validation messages without schema names, and may still sign in with the stale token', async () => {
      const { token, user } = await endedSession('logout');
      expect(messages(await prod.gql('{ viewer }', { token }))).toEqual([unusableField('viewer')]);
      const login = await prod.gql<{ login: { accessToken: string } }>(
        'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }',
        { token, variables: { input: { email: user.email, password: TEST_PASSWORD } } },
      );
      expect(login.body.errors).toBeUndefined();
      const fresh = login.body.data!.login.accessToken;
      expect(messages(await prod.gql('{ viewer }', { token: fresh }))[0]).toMatch(
        /of type "Viewer" must have a selection/,
      );
    });
  });
});
