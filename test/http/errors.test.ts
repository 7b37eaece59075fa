import { closeTestPools } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';

/** Nothing a client sees may carry a stack, SQL or file paths. */
function expectClean(text: string) {
  expect(text).not.toMatch(/\bat .*\.(ts|js):\d+|stacktrace|node_modules|select |insert |\/work\//i);
}

describe('HTTP errors', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  async function raw(init: RequestInit & { path?: string }) {
    const res = await fetch(app.url.replace('/graphql', init.path ?? '/graphql'), init);
    const text = await res.text();
    expectClean(text);
    return { status: res.status, text, json: () => JSON.parse(text), headers: res.headers };
  }

  it('answers malformed JSON with 400 and a GraphQL error body', async () => {
    const res = await raw({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ viewer { user { id } } }"',
    });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('answers a missing query with 400', async () => {
    const res = await raw({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"variables": {}}',
    });
    expect(res.status).toBe(400);
    expect(res.json().errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('answers a body that is too large with 413', async () => {
    const res = await raw({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ viewer { __typename } } # ${'x'.repeat(1_100_000)}` }),
    });
    expect(res.status).toBe(413);
    expect(res.json().errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a non-JSON content type without running anything (CSRF prevention)', async () => {
    const before = app.requests.length;
    const res = await raw({
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"mutation { login(input: {email: \\"a@b.test\\", password: \\"x\\"}) { accessToken } }"}',
    });
    expect(res.status).toBe(400);
    expect(app.requests.length).toBe(before);
  });

  it('refuses a mutation over GET', async () => {
    const query = encodeURIComponent('mutation { login(input: {email: "a@b.test", password: "x"}) { accessToken } }');
    const res = await raw({
      method: 'GET',
      path: `/graphql?query=${query}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(405);
  });

  it('reports syntax errors and unknown fields with their codes', async () => {
    const syntax = await app.gql('{ viewer { ');
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors![0]!.extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
    const unknown = await app.gql('{ viewer { passwordHash } }');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('reports a variable of the wrong type as BAD_USER_INPUT', async () => {
    const res = await app.gql('query ($first: Int) { organization { members(first: $first) { totalCount } } }', {
      variables: { first: 'ten' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it("quotes at most a little of a caller's value or name in any message", async () => {
    const big = 'z'.repeat(900_000);
    const cases = [
      // A bad variable: graphql-js quotes the value, the UUID scalar quotes it again.
      { query: 'query ($id: UUID!) { project(id: $id) { id } }', variables: { id: big } },
      // The same value as a literal in the document, and as a string a scalar refuses there.
      { query: `{ project(id: "${big}") { id } }` },
      // Names come from the caller too: an operation name that is not in the document, an unknown field.
      { query: '{ __typename }', operationName: big },
      { query: `{ ${big} }` },
    ];
    for (const body of cases) {
      const res = await app.post(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.text.length).toBeLessThan(2_000);
      const { errors } = JSON.parse(res.text) as { errors: { message: string }[] };
      for (const error of errors) expect(error.message).toMatch(/zzzz…|^[^z]*$/);
    }
    // What follows a quoted value still names where it was found.
    const nested = await app.post(
      JSON.stringify({
        query: 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { task { id } } }',
        variables: { input: { projectId: big, title: 'T' } },
      }),
    );
    expect(nested.text.length).toBeLessThan(2_000);
    expect((JSON.parse(nested.text) as { errors: { message: string }[] }).errors[0]!.message).toContain(
      'at "input.projectId"',
    );
  });

  it('refuses an access token spelled with padding (401), as its canonical spelling is not', async () => {
    // A real session: a signed-in request checks it before answering anything.
    const token = await app.login(DEMO_USERS.alice, DEMO_PASSWORD);
    for (const spelling of [`${token}=`, `${token}==`]) {
      const res = await app.post(JSON.stringify({ query: '{ __typename }' }), { authorization: `Bearer ${spelling}` });
      expect(res.status).toBe(401);
    }
    const canonical = await app.post(JSON.stringify({ query: '{ __typename }' }), { authorization: `Bearer ${token}` });
    expect(canonical.status).toBe(200);
  });

  it('answers unknown paths with a JSON 404', async () => {
    for (const path of ['/nope', '/graphql/nope', '/graphqlx']) {
      const res = await raw({ method: 'GET', path });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.json().errors[0].extensions.code).toBe('NOT_FOUND');
    }
  });

  it('echoes a valid x-request-id and makes one up otherwise', async () => {
    const given = await app.gql('{ viewer { __typename } }', { headers: { 'x-request-id': 'client-req-42' } });
    expect(given.headers.get('x-request-id')).toBe('client-req-42');
    const made = await app.gql('{ viewer { __typename } }', {
      headers: { 'x-request-id': 'bad id with spaces <script>' },
    });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves /healthz', async () => {
    const res = await raw({ method: 'GET', path: '/healthz' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });
});
