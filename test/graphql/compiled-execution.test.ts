import {
  execute,
  getOperationAST,
  GraphQLEnumType,
  GraphQLError,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type ExecutionResult,
  type GraphQLFieldConfigMap,
} from 'graphql';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { compiledExecution } from '../../src/graphql/compiled-execution';

/**
 * The compiled executor answers exactly as graphql-js does (results, errors, variables and their
 * defaults), compiles queries only, and keeps a bounded number of them.
 */
describe('compiled execution', () => {
  const calls: string[] = [];
  const Mode = new GraphQLEnumType({ name: 'Mode', values: { FAST: { value: 'fast' }, SAFE: { value: 'safe' } } });
  const Filter = new GraphQLInputObjectType({
    name: 'Filter',
    fields: {
      mode: { type: new GraphQLNonNull(Mode), defaultValue: 'safe' },
      limit: { type: GraphQLInt, defaultValue: 3 },
      tags: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    },
  });
  const Item: GraphQLObjectType = new GraphQLObjectType({
    name: 'Item',
    fields: (): GraphQLFieldConfigMap<{ id: string }, unknown> => ({
      id: { type: new GraphQLNonNull(GraphQLString) },
      label: { type: GraphQLString, resolve: (item: { id: string }) => `item ${item.id}` },
      failing: {
        type: GraphQLString,
        resolve: () => {
          throw Object.assign(new Error('not yours'), { extensions: { code: 'FORBIDDEN' } });
        },
      },
      required: { type: new GraphQLNonNull(GraphQLString), resolve: () => null },
      children: {
        type: new GraphQLList(Item),
        resolve: (item: { id: string }) => [{ id: `${item.id}.1` }, { id: `${item.id}.2` }],
      },
    }),
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        items: {
          type: new GraphQLList(Item),
          args: { filter: { type: Filter }, first: { type: GraphQLInt, defaultValue: 2 } },
          resolve: async (_root, args: { filter?: { limit: number }; first: number }) =>
            Array.from({ length: Math.min(args.first, args.filter?.limit ?? 9) }, (_, i) => ({ id: String(i + 1) })),
        },
        echo: {
          type: GraphQLString,
          args: { filter: { type: new GraphQLNonNull(Filter) } },
          resolve: (_root, args) => JSON.stringify(args.filter),
        },
        wrapper: {
          type: new GraphQLObjectType({
            name: 'Wrapper',
            fields: { item: { type: new GraphQLNonNull(Item), resolve: () => ({ id: 'w' }) } },
          }),
          resolve: () => ({}),
        },
      },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        step: {
          type: new GraphQLNonNull(GraphQLString),
          args: { name: { type: new GraphQLNonNull(GraphQLString) }, fail: { type: GraphQLInt } },
          resolve: (_root, args: { name: string; fail?: number }) => {
            calls.push(args.name);
            if (args.fail) throw new Error(`step ${args.name} failed`);
            return args.name;
          },
        },
      },
    }),
  });

  /** Runs `query` through the gateway's executor as Apollo would call it. */
  async function run(
    executor: GatewayExecutor,
    query: string,
    variables?: Record<string, unknown>,
    operationName?: string,
  ) {
    const document = parse(query);
    const operation = getOperationAST(document, operationName) ?? undefined;
    const request = {
      request: { query, variables, operationName },
      document,
      operation,
      operationName: operation?.name?.value ?? null,
      context: {},
    } as unknown as GatewayGraphQLRequestContext;
    return { result: (await executor(request)) as ExecutionResult, document };
  }
  const interpreted = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
    execute({
      schema,
      document: parse(query),
      variableValues: variables,
      contextValue: {},
      operationName,
    }) as Promise<ExecutionResult>;
  const plain = (result: ExecutionResult) => JSON.parse(JSON.stringify(result));

  async function start(maxBytes?: number, compileAfter = 1) {
    const gateway = compiledExecution(schema, { maxBytes, compileAfter });
    gateway.onSchemaLoadOrUpdate(() => undefined);
    const { executor } = await gateway.load({
      apollo: { key: undefined, keyHash: undefined, graphRef: undefined },
    } as never);
    return { gateway: gateway as ReturnType<typeof compiledExecution>, executor: executor! };
  }

  // [what, query, variables, compiled: false where graphql-jit would answer differently (see notCompilable)]
  it.each([
    [
      'nested lists with aliases and fragments',
      'query { a: items(first: 3) { id ...F children { id label } } b: items { id } } fragment F on Item { label }',
      undefined,
      true,
    ],
    [
      'input-field defaults of a variable (graphql-jit would skip them)',
      'query ($f: Filter!) { echo(filter: $f) }',
      { f: { tags: 'one' } },
      true,
    ],
    [
      'enum values and argument defaults',
      'query ($f: Filter) { items(filter: $f) { id } echo(filter: { mode: FAST }) }',
      { f: { mode: 'FAST', limit: 1 } },
      true,
    ],
    ['a resolver error keeps its extensions', '{ items { id failing } }', undefined, true],
    [
      'a null in a non-null field nulls its parent',
      '{ wrapper { item { id required } } items { id } }',
      undefined,
      true,
    ],
    ['__typename', '{ items { __typename id } wrapper { __typename } }', undefined, true],
    [
      '@skip and @include from variables',
      'query ($s: Boolean!) { items { id label @skip(if: $s) children @include(if: $s) { id } } }',
      { s: true },
      false,
    ],
    [
      '@include on a fragment spread also spread elsewhere',
      'query ($x: Boolean!) { a: items { ...F @include(if: $x) } b: items { ...F } } fragment F on Item { id label }',
      { x: false },
      false,
    ],
    [
      'an alias with _ next to the path it spells',
      '{ items_children: items { id } items { children { id } } }',
      undefined,
      false,
    ],
    ['a variable omitted inside an object literal', 'query ($l: Int) { echo(filter: { limit: $l }) }', {}, false],
    [
      'introspection',
      '{ __type(name: "TenantqlCoercedVariable") { name } __schema { types { name } } }',
      undefined,
      false,
    ],
  ])('answers %s as graphql-js does', async (_name, query, variables, compiled) => {
    const { executor, gateway } = await start();
    const { result } = await run(executor, query, variables);
    expect(plain(result)).toEqual(plain(await interpreted(query, variables)));
    expect(gateway.compiledQueries()).toBe(compiled ? 1 : 0);
  });

  it('compiles a document the second time it runs, by default', async () => {
    const gateway = compiledExecution(schema);
    gateway.onSchemaLoadOrUpdate(() => undefined);
    const { executor } = await gateway.load({
      apollo: { key: undefined, keyHash: undefined, graphRef: undefined },
    } as never);
    const query = '{ items { id label } }';
    const first = await run(executor!, query);
    expect(gateway.compiledQueries()).toBe(0);
    const request = {
      request: { query },
      document: first.document,
      operation: getOperationAST(first.document)!,
      operationName: null,
      context: {},
    };
    const second = (await executor!(request as unknown as GatewayGraphQLRequestContext)) as ExecutionResult;
    expect(gateway.compiledQueries()).toBe(1);
    expect(plain(second)).toEqual(plain(first.result));
  });

  it('hands resolver errors to Apollo as graphql-js errors, original error and all', async () => {
    const { executor } = await start();
    const { result } = await run(executor, '{ items { id failing } }');
    const error = result.errors![0]!;
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.originalError?.message).toBe('not yours');
    expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(error.path).toEqual(['items', 0, 'failing']);
    expect(error.locations).toEqual([{ line: 1, column: 14 }]);
  });

  it("reports bad variables with graphql-js's errors, without compiling", async () => {
    const { executor, gateway } = await start();
    const query = 'query ($f: Filter!) { echo(filter: $f) }';
    const { result } = await run(executor, query, { f: { mode: 'SLOW' } });
    expect(plain(result)).toEqual(plain(await interpreted(query, { f: { mode: 'SLOW' } })));
    expect(result.errors![0]!.nodes![0]!.kind).toBe('VariableDefinition'); // what Apollo turns into BAD_USER_INPUT
    expect(gateway.compiledQueries()).toBe(0);
  });

  it('leaves mutations to graphql-js: serial, and stopped by the first failed non-null field', async () => {
    const { executor, gateway } = await start();
    calls.length = 0;
    const { result } = await run(
      executor,
      'mutation { a: step(name: "a") b: step(name: "b", fail: 1) c: step(name: "c") }',
    );
    expect(calls).toEqual(['a', 'b']);
    expect(result.data).toBeNull();
    expect(gateway.compiledQueries()).toBe(0);
  });

  it('answers an operation name that is not in the document as graphql-js does', async () => {
    const { executor } = await start();
    const query = 'query A { items { id } } query B { items { label } }';
    const { result } = await run(executor, query, undefined, 'C');
    expect(plain(result)).toEqual(plain(await interpreted(query, undefined, 'C')));
    expect(result.errors![0]!.message).toBe('Unknown operation named "C".');
  });

  it("never compiles a document whose strings carry graphql-jit's code marker (it would run them as JavaScript)", async () => {
    const { executor, gateway } = await start();
    const payload = '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d0)+(globalThis.tenantqlInjected=1)+(0';
    const query = `{ echo(filter: { tags: [${JSON.stringify(payload)}] }) }`;
    const { result } = await run(executor, query);
    expect((globalThis as { tenantqlInjected?: number }).tenantqlInjected).toBeUndefined();
    expect(plain(result)).toEqual(plain(await interpreted(query)));
    expect(result.data).toEqual({ echo: JSON.stringify({ mode: 'safe', limit: 3, tags: [payload] }) });
    expect(gateway.compiledQueries()).toBe(0);
  });

  it('keeps compiled queries up to maxBytes, the least recently used going first, and reuses them', async () => {
    const documents = ['{ items { id } }', '{ items { label } }', '{ wrapper { item { id } } }'];
    // What each document's compiled query counts for, measured on a gateway of its own.
    const sizes = await Promise.all(
      documents.map(async (document) => {
        const probe = await start();
        await run(probe.executor, document);
        return probe.gateway.compiledBytes();
      }),
    );
    const { executor, gateway } = await start(sizes[0]! + sizes[1]! + sizes[2]! - 1);
    const first = await run(executor, documents[0]!);
    await run(executor, documents[1]!);
    expect(gateway.compiledQueries()).toBe(2);
    await run(executor, documents[2]!);
    expect(gateway.compiledQueries()).toBe(2);
    // The same parsed document (Apollo caches them) runs its compiled query again.
    const again = (await executor({
      ...({} as GatewayGraphQLRequestContext),
      request: { query: documents[0] },
      document: first.document,
      operation: getOperationAST(first.document)!,
      operationName: null,
      context: {},
    } as unknown as GatewayGraphQLRequestContext)) as ExecutionResult;
    expect(again.data).toEqual({ items: [{ id: '1' }, { id: '2' }] });
    expect(gateway.compiledQueries()).toBe(2);
  });

  /** Runs an already parsed document again, as Apollo does with the documents it caches. */
  const executorRun = (executor: GatewayExecutor, document: ReturnType<typeof parse>) =>
    executor({
      request: { query: '' },
      document,
      operation: getOperationAST(document)!,
      operationName: null,
      context: {},
    } as unknown as GatewayGraphQLRequestContext) as Promise<ExecutionResult>;

  it('counts a compiled query by what its document and code hold, and keeps none larger than the budget', async () => {
    const { executor, gateway } = await start();
    await run(executor, '{ items { id } }');
    const small = gateway.compiledBytes();
    // The same query behind 20,000 comments: the parser's token limit ignores them, the heap does not.
    await run(executor, `{ items { label } }${'\n#'.repeat(20_000)}`);
    expect(gateway.compiledBytes() - small).toBeGreaterThan(20_000 * 100);
    const tight = await start(small * 3);
    const large = await run(tight.executor, `{ items { label } }${'\n#'.repeat(20_000)}`);
    expect(tight.gateway.compiledQueries()).toBe(0);
    // Run again, it stays on graphql-js with the same answer (not compiled anew on every run).
    const again = await executorRun(tight.executor, large.document);
    expect(again.data).toEqual(large.result.data);
    expect(tight.gateway.compiledQueries()).toBe(0);
    await run(tight.executor, '{ items { id } }');
    expect(tight.gateway.compiledQueries()).toBe(1);
  });
});
