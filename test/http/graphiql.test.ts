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
import { GRAPHIQL_DIST_DIR } from '../../src/paths';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';

/** A reference the browser would fetch from somewhere else: a script, style, font, worker or import. */
const EXTERNAL_FETCH = /(?:\bimport\s*\(|\bfrom|\burl\(|\bimportScripts\(|\bnew Worker\(|\bsrc=|\bhref=|@import)\s*['"]?(?:https?:)?\/\//;
const CDN = /esm\.sh|unpkg\.com|jsdelivr|cdnjs|googleapis|gstatic/;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
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
      if (external) throw new Error(`${path.relative(GRAPHIQL_DIST_DIR, file)} refers to another origin: …${text.slice(Math.max(0, external.index - 60), external.index + 80)}…`);
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
    const bundled = filesUnder(path.join(GRAPHIQL_DIST_DIR, 'assets')).filter((file) => file.endsWith('.js')).map((file) => fs.readFileSync(file, 'utf8')).join('\n');
    const workers = [...new Set([...bundled.matchAll(/\/graphiql\/assets\/workers\/[\w.-]+\.js/g)].map((m) => m[0]))];
    expect(new Set(workers.map((w) => /workers\/(\w+)\.worker-/.exec(w)![1]))).toEqual(new Set(['editor', 'json', 'graphql']));
    for (const worker of workers) {
      const res = await fetch(`${origin}${worker}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
    }
  });

  it('answers an unknown asset with the JSON 404, not a file listing or an HTML page', async () => {
    for (const url of ['/graphiql/assets/nope.js', '/graphiql/assets/', '/graphiql/assets/../manifest.json', '/graphiql/index.html']) {
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
        errors: [{ message: 'GraphiQL is not built on this server: run `npm run build` (it writes dist/graphiql)', extensions: { code: 'SERVICE_UNAVAILABLE' } }],
      });
      expectClean(text);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(empty, { recursive: true, force: true });
    }
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

  function expectRefused(res: GqlResponse, code = 'UNAUTHENTICATED', status = 401) {
    expect(res.status).toBe(status);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toEqual([{
      message: code === 'UNAUTHENTICATED' ? 'Sign in to introspect the schema' : 'API keys may not introspect the schema',
      extensions: { code },
    }]);
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
    const res = await prod.gql<{ __schema: { types: { name: string }[] } }>(getIntrospectionQuery(), { token: aliceInProd });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.__schema.types.map((t) => t.name)).toEqual(expect.arrayContaining(['Query', 'Mutation', 'Project', 'Viewer']));
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
      expect(messages(res)).toEqual([MESSAGE]);
      const nested = await prod.gql('{ __typename viewer { usr { emial } } }');
      expect(messages(nested)).toEqual(['Cannot query field "usr" on type "Viewer".']);
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
});
