import fs from 'node:fs';
import { getIntrospectionQuery, Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { MAX_PAGE_SIZE } from '../../src/db/pagination';
import { PERSISTED_DOCUMENTS_FILE } from '../../src/paths';
import { createSchema } from '../../src/graphql/schema';
import { AGGREGATE_COST, checkQueryLimits, DEFAULT_QUERY_LIMITS, measureOperation } from '../../src/graphql/limits';
import { registry } from '../../src/resources';
import { loadConfig } from '../../src/config';
import { closeTestPools, ownerDb } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { createTenant, TEST_PASSWORD } from '../support/factories';

/** The benchmark's standard query: 50 projects x 20 tasks x assignee. */
const BENCHMARK =
  '{ projects(first: 50) { edges { node { tasks(first: 20) { edges { node { assignee { name } } } } } } } }';

describe('measuring an operation', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await createSchema();
  });
  const measure = (query: string, variables?: Record<string, unknown>) =>
    measureOperation(schema, parse(query), undefined, variables);

  it('prices the benchmark query at 4150 with depth 4 (edges and node add none), well under the defaults', () => {
    expect(measure(BENCHMARK)).toEqual({ depth: 4, aliases: 0, directives: 0, cost: 4150 });
    expect(() => checkQueryLimits(DEFAULT_QUERY_LIMITS, schema, parse(BENCHMARK))).not.toThrow();
  });

  it('takes page sizes from variables, variable defaults, or the default page of 20', () => {
    const query =
      'query ($p: Int, $t: Int = 5) { projects(first: $p) { edges { node { tasks(first: $t) { edges { node { assignee { name } } } } } } } }';
    expect(measure(query, { p: 50, t: 20 }).cost).toBe(4150);
    expect(measure(query, { p: 50 }).cost).toBe(50 * (3 + 5 * 4)); // $t's default
    expect(measure(query, {}).cost).toBe(20 * (3 + 5 * 4)); // no $p: the default page
    expect(measure(query, { p: null, t: null }).cost).toBe(20 * (3 + 20 * 4));
    expect(measure(query, { p: 'many', t: 20 }).cost).toBe(20 * (3 + 20 * 4)); // refused by coercion later anyway
    expect(measure('{ projects(last: 7) { edges { node { id } } } }').cost).toBe(7 * 3);
    expect(measure('{ projects { __typename } }').cost).toBe(20);
    // a negative page (refused by its field) costs nothing, and takes nothing off its siblings
    expect(measure('{ a: projects(first: -1000) { __typename } b: projects(first: 30) { __typename } }').cost).toBe(30);
    expect(
      measure('query ($n: Int = -1000) { a: projects(first: $n) { __typename } b: projects(first: 30) { __typename } }')
        .cost,
    ).toBe(30);
    expect(
      measure('query ($n: Int) { a: projects(first: $n) { __typename } b: projects(first: 30) { __typename } }', {
        n: -1000,
      }).cost,
    ).toBe(30);
    // above 100 the field refuses the size itself (BAD_USER_INPUT): priced as the largest page
    expect(measure('{ projects(first: 1000000) { __typename } }').cost).toBe(100);
    expect(measure('query ($n: Int) { projects(first: $n) { __typename } }', { n: 2 ** 31 }).cost).toBe(100);
  });

  it('gives leaves no cost and counts lists without page arguments once', () => {
    expect(measure('{ viewer { permissions } }').cost).toBe(1);
    expect(measure('{ permissions { name } }').cost).toBe(1);
    expect(measure('{ __typename }')).toEqual({ depth: 1, aliases: 0, directives: 0, cost: 0 });
  });

  it("prices a count (totalCount, a milestone's progress) as a default page, once per connection, also under first: 0", () => {
    expect(measure('{ tasks(first: 0) { totalCount } }').cost).toBe(AGGREGATE_COST);
    expect(AGGREGATE_COST).toBe(20);
    // once per connection, not once per row of its page
    expect(measure('{ tasks(first: 50) { totalCount edges { node { id } } } }').cost).toBe(AGGREGATE_COST + 50 * 3);
    // ...but once per row of the page around it
    expect(measure('{ projects(first: 10) { edges { node { tasks(first: 0) { totalCount } } } } }').cost).toBe(
      10 * (3 + AGGREGATE_COST),
    );
    expect(measure('{ milestones(first: 5) { edges { node { progress { ratio } } } } }').cost).toBe(
      5 * (3 + AGGREGATE_COST + 1),
    );
    // fragments and inline fragments price it the same
    expect(measure('{ tasks(first: 0) { ...C } } fragment C on TaskConnection { totalCount }').cost).toBe(
      AGGREGATE_COST,
    );
    // the attack: 15 aliases counting whole tables cost 15 pages, not 0; counts under full pages add up to a refusal
    const aliases = Array.from({ length: 15 }, (_, i) => `c${i}: tasks(first: 0) { totalCount }`).join(' ');
    expect(measure(`{ ${aliases} }`).cost).toBe(15 * AGGREGATE_COST);
    const perProject = (i: number) =>
      `p${i}: projects(first: 100) { edges { node { tasks(first: 0) { totalCount } } } }`;
    expect(measure(`{ ${perProject(0)} }`).cost).toBe(100 * (3 + AGGREGATE_COST));
    expect(() =>
      checkQueryLimits(DEFAULT_QUERY_LIMITS, schema, parse(`{ ${[0, 1, 2, 3, 4].map(perProject).join(' ')} }`)),
    ).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ limit: 'cost' }) }));
  });

  it("prices aggregates as counts: tasksAggregate once, a connection's aggregate with its fields once per connection", () => {
    // the root query: its price, plus its object and the groups list (counted once: at most 1,000 groups)
    expect(measure('{ tasksAggregate(groupBy: [STATUS]) { groups { count } } }').cost).toBe(AGGREGATE_COST + 2);
    // on a connection: one answer per connection, whatever its page size
    const aggregate = 'aggregate { count sum { storyPoints } }';
    expect(measure(`{ tasks(first: 50) { ${aggregate} edges { node { id } } } }`).cost).toBe(
      AGGREGATE_COST + 2 + 50 * 3,
    );
    expect(measure(`{ tasks(first: 0) { ${aggregate} } }`).cost).toBe(AGGREGATE_COST + 2);
    // ...but once per row of the page around it
    expect(measure(`{ projects(first: 10) { edges { node { tasks(first: 0) { ${aggregate} } } } } }`).cost).toBe(
      10 * (3 + AGGREGATE_COST + 2),
    );
    const aggregates = Object.values(schema.getTypeMap()).flatMap((type) => {
      const fields = (
        type as unknown as { getFields?(): Record<string, { extensions: { cost?: unknown } }> }
      ).getFields?.();
      return fields?.aggregate ? [{ type: type.name, cost: fields.aggregate.extensions.cost }] : [];
    });
    // Every resource's connection (Task's too), each priced as a count.
    const expected = registry.resources().map((r) => r.model.names.connection);
    expect(aggregates.map((a) => a.type).sort()).toEqual(expected.sort());
    for (const a of aggregates) expect(a.cost).toBe(AGGREGATE_COST);
    const query = schema.getQueryType()!.getFields();
    for (const name of registry.resources().flatMap((r) => (r.spec.lists?.root ? [r.model.names.rootList] : [])))
      expect([name, query[`${name}Aggregate`]!.extensions.cost]).toEqual([name, AGGREGATE_COST]);
  });

  it("prices every count from the schema: each connection's totalCount carries a cost", () => {
    expect(AGGREGATE_COST).toBeGreaterThan(0);
    const connections = Object.values(schema.getTypeMap()).filter((type) => type.name.endsWith('Connection'));
    expect(connections.length).toBeGreaterThan(5);
    for (const type of connections) {
      const totalCount = (
        type as unknown as { getFields(): Record<string, { extensions: { cost?: unknown } }> }
      ).getFields().totalCount;
      expect({ type: type.name, cost: totalCount?.extensions.cost }).toEqual({ type: type.name, cost: AGGREGATE_COST });
    }
  });

  it('counts fragments wherever they are spread, without adding depth', () => {
    const query = `query { a: projects(first: 10) { ...P } b: projects(first: 10) { ... on ProjectConnection @include(if: true) { ...P } } }
      fragment P on ProjectConnection { edges @skip(if: false) { node { id } } }`;
    expect(measure(query)).toEqual({ depth: 2, aliases: 2, directives: 3, cost: 60 });
  });

  it("counts depth as a client means it: a connection's edges and node add no level, the cost still counts their rows", () => {
    const chain =
      '{ projects(first: 5) { edges { node { tasks(first: 5) { edges { node { comments(first: 5) { edges { node { author { name } } } } } } } } } } }';
    // projects → tasks → comments → author → name; before, 11 levels and refused by the default 10.
    expect(measure(chain)).toEqual({ depth: 5, aliases: 0, directives: 0, cost: 5 * (3 + 5 * (3 + 5 * 4)) });
    expect(() => checkQueryLimits(DEFAULT_QUERY_LIMITS, schema, parse(chain))).not.toThrow();
    // pageInfo is no wrapper, and a connection's own fields count as usual.
    expect(measure('{ projects(first: 1) { pageInfo { hasNextPage } } }').depth).toBe(3);
    expect(measure('{ projects(first: 1) { edges { cursor } } }').depth).toBe(2);
  });

  it('measures a fragment once, however often it is spread (no exponential blow-up)', () => {
    // F0 is spread 2^30 times in effect; measuring must still be instant.
    const fragments = Array.from(
      { length: 30 },
      (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const query = `{ ...F0 }\n${fragments}\nfragment F30 on Query { a: organization { id } }`;
    const started = performance.now();
    const measures = measure(query);
    expect(performance.now() - started).toBeLessThan(200);
    expect(measures.aliases).toBe(2 ** 30);
    expect(() => checkQueryLimits(DEFAULT_QUERY_LIMITS, schema, parse(query))).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ limit: 'aliases' }) }),
    );
  });

  it('keeps every registered operation within the default limits, even at the largest page size', () => {
    const documents = JSON.parse(fs.readFileSync(PERSISTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>;
    expect(Object.keys(documents).length).toBeGreaterThan(3);
    for (const text of Object.values(documents)) {
      const document = parse(text, { maxTokens: DEFAULT_QUERY_LIMITS.tokens });
      const operation = document.definitions.find(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      )!;
      // every Int variable at 100 prices each page size given by a variable at its maximum
      const variables = Object.fromEntries(
        (operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, MAX_PAGE_SIZE]),
      );
      expect(() => checkQueryLimits(DEFAULT_QUERY_LIMITS, schema, document, operation, variables)).not.toThrow();
    }
  });

  it("lets GraphiQL's introspection query through: introspection adds neither depth nor cost", () => {
    const document = parse(
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }),
    );
    const measures = measureOperation(schema, document);
    expect(measures).toEqual({ depth: 1, aliases: 0, directives: 0, cost: 0 });
    expect(
      measure('{ __type(name: "Task") { fields { name type { ofType { ofType { ofType { name } } } } } } }').depth,
    ).toBe(1);
    // ...but a query's own fields beside it still count
    expect(measure('{ __schema { types { name } } projects(first: 3) { __typename } }')).toMatchObject({
      depth: 2,
      cost: 3,
    });
  });
});

describe('query limits over HTTP', () => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    app = await startTestApp();
    const { owner } = await createTenant(ownerDb());
    token = await app.login(owner.email, TEST_PASSWORD);
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  /** Runs a signed-in query; returns the response and the statements its request sent. */
  async function run(query: string, variables?: Record<string, unknown>) {
    const before = app.requests.length;
    const res = await app.gql(query, { token, variables });
    expect(app.requests.length).toBe(before + 1);
    return { res, statements: app.requests.at(-1)!.statements };
  }
  function expectAccepted({ res, statements }: { res: GqlResponse; statements: number }) {
    expect(res.body.errors).toBeUndefined();
    expect(res.status).toBe(200);
    expect(statements).toBeGreaterThan(0);
  }
  function expectRefused({ res, statements }: { res: GqlResponse; statements: number }, limit: string, max: number) {
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit, max });
    expect(res.body.errors![0]!.extensions).not.toHaveProperty('http');
    expect(statements).toBe(0);
  }

  const parents = (n: number) => `${'parent { '.repeat(n)}id${' }'.repeat(n)}`;

  it('accepts depth 10 and refuses depth 11 before any SQL', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expectAccepted(await run(`{ organization { id } task(id: "${id}") { ${parents(8)} } }`));
    expectRefused(await run(`{ organization { id } task(id: "${id}") { ${parents(9)} } }`), 'depth', 10);
  });

  it('accepts 15 aliases and refuses 16', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: organization { id }`).join(' ')} }`;
    expectAccepted(await run(aliases(15)));
    const refused = await run(aliases(16));
    expectRefused(refused, 'aliases', 15);
    expect(refused.res.body.errors![0]!.extensions!.found).toBe(16);
  });

  it('accepts 50 directives and refuses 51', async () => {
    const directives = (n: number) => `{ organization { ${'... @include(if: true) { id } '.repeat(n)} } }`;
    expectAccepted(await run(directives(50)));
    expectRefused(await run(directives(51)), 'directives', 50);
  });

  it('accepts 2000 tokens and refuses 2001 (the parser stops; nothing runs)', async () => {
    // Many distinct aliases are the cheap way to a long valid document: allow them here.
    const wide = await startTestApp({ app: { queryLimits: { ...DEFAULT_QUERY_LIMITS, aliases: 1000 } } });
    try {
      // `{ organization { id } ... }` is 6 tokens, `aN: __typename` 3, `__typename` 1
      const tokens = (n: number) => {
        const k = Math.floor((n - 6) / 3);
        return `{ organization { id } ${Array.from({ length: k }, (_, i) => `a${i}: __typename`).join(' ')} ${'__typename '.repeat(n - 6 - 3 * k)}}`;
      };
      const runWide = async (query: string) => {
        const res = await wide.gql(query, { token });
        return { res, statements: wide.requests.at(-1)!.statements };
      };
      expectAccepted(await runWide(tokens(2000)));
      const refused = await runWide(tokens(2001));
      expectRefused(refused, 'tokens', 2000);
      expect(refused.res.body.errors![0]!.message).toBe('The query document is too long (at most 2000)');
    } finally {
      await wide.close();
    }
  });

  it('leaves a page size above 100 to its field, which names it (BAD_USER_INPUT, no SQL)', async () => {
    const { res, statements } = await run('query ($n: Int) { projects(first: $n) { totalCount } }', {
      n: 1_000_000_000,
    });
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(statements).toBeLessThanOrEqual(2); // at most BEGIN (with the settings) and ROLLBACK/COMMIT
  });

  it('accepts cost 10000 and refuses 10001, with page sizes from literals or variables', async () => {
    // 100 x (1 + edges 1 + node 1 + tasks 97 x 1) = 10000
    const atLimit = '{ projects(first: 100) { edges { node { tasks(first: 97) { __typename } } } } }';
    expectAccepted(await run(atLimit));
    expectRefused(await run(`{ organization { id } ${atLimit.slice(1)}`), 'cost', 10_000);
    const withVariable =
      'query ($t: Int) { projects(first: 100) { edges { node { tasks(first: $t) { __typename } } } } }';
    expectAccepted(await run(withVariable, { t: 97 }));
    expectRefused(await run(withVariable, { t: 98 }), 'cost', 10_000);
    // Measures are remembered per parsed document and page-size values: asked again, the same answers.
    expectAccepted(await run(withVariable, { t: 97 }));
    expectRefused(await run(withVariable, { t: 98 }), 'cost', 10_000);
  });

  it("runs the benchmark query and GraphiQL's introspection", async () => {
    expectAccepted(await run(BENCHMARK));
    const introspection = await run(
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }),
    );
    expect(introspection.res.body.errors).toBeUndefined();
    expect(introspection.res.body.data).toHaveProperty('__schema');
  });

  it('refuses anonymous callers over a limit the same way', async () => {
    const res = await app.gql(`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses JSON array batches with 400 before any GraphQL work', async () => {
    const before = app.requests.length;
    const res = await app.post(
      JSON.stringify([{ query: '{ organization { id } }' }, { query: '{ organization { id } }' }]),
      { authorization: `Bearer ${token}` },
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({
      errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }],
    });
    expect(app.requests.length).toBe(before);
  });
});

describe('configured limits', () => {
  let app: TestApp;
  afterAll(async () => {
    await app?.close();
    await closeTestPools();
  });

  it('reads the limits from the environment, with the documented defaults', () => {
    const defaults = loadConfig({});
    expect(defaults.queryLimits).toEqual({ depth: 10, aliases: 15, directives: 50, tokens: 2000, cost: 10_000 });
    expect(defaults.bodyLimitBytes).toBe(1_000_000);
    expect(defaults.transactionTimeouts).toEqual({ statementTimeoutMs: 5_000, idleInTransactionTimeoutMs: 10_000 });
    const set = loadConfig({
      QUERY_MAX_DEPTH: '4',
      QUERY_MAX_ALIASES: '0',
      QUERY_MAX_DIRECTIVES: '2',
      QUERY_MAX_TOKENS: '100',
      QUERY_MAX_COST: '50',
      BODY_LIMIT_BYTES: '4096',
      STATEMENT_TIMEOUT_MS: '0',
      IDLE_IN_TRANSACTION_TIMEOUT_MS: '1500',
    });
    expect(set.queryLimits).toEqual({ depth: 4, aliases: 0, directives: 2, tokens: 100, cost: 50 });
    expect(set.bodyLimitBytes).toBe(4096);
    expect(set.transactionTimeouts).toEqual({ statementTimeoutMs: 0, idleInTransactionTimeoutMs: 1500 });
    expect(() => loadConfig({ QUERY_MAX_DEPTH: '0' })).toThrow(/QUERY_MAX_DEPTH must be an integer/);
    expect(() => loadConfig({ QUERY_MAX_COST: 'lots' })).toThrow(/QUERY_MAX_COST/);
    expect(() => loadConfig({ STATEMENT_TIMEOUT_MS: '-1' })).toThrow(/STATEMENT_TIMEOUT_MS/);
    expect(() => loadConfig({ BODY_LIMIT_BYTES: '10' })).toThrow(/BODY_LIMIT_BYTES/);
  });

  it('applies the limits and the body size it is given', async () => {
    app = await startTestApp({
      app: { queryLimits: { depth: 2, aliases: 1, directives: 0, tokens: 20, cost: 5 }, bodyLimit: 2048 },
    });
    expect(codeOf(await app.gql('{ a: __typename }'))).toBeUndefined();
    expect((await app.gql('{ a: __typename b: __typename }')).body.errors![0]!.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'aliases',
      max: 1,
    });
    expect((await app.gql('{ __typename @include(if: true) }')).body.errors![0]!.extensions).toMatchObject({
      limit: 'directives',
      max: 0,
    });
    expect((await app.gql('{ viewer { user { id } } }')).body.errors![0]!.extensions).toMatchObject({
      limit: 'depth',
      max: 2,
    });
    expect((await app.gql('{ projects(first: 6) { __typename } }')).body.errors![0]!.extensions).toMatchObject({
      limit: 'cost',
      max: 5,
      found: 6,
    });
    expect((await app.gql(`{ ${'__typename '.repeat(20)}}`)).body.errors![0]!.extensions).toMatchObject({
      limit: 'tokens',
      max: 20,
    });

    const padded = (bytes: number) => {
      const body = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
      return JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(bytes - body.length) } });
    };
    expect(padded(2048)).toHaveLength(2048);
    expect((await app.post(padded(2048))).status).toBe(200);
    const tooLarge = await app.post(padded(2049));
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text)).toEqual({
      errors: [{ message: 'The request body is too large', extensions: { code: 'BAD_REQUEST' } }],
    });
  });
});
