import type {
  GatewayExecutor,
  GatewayInterface,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import {
  execute,
  GraphQLError,
  GraphQLScalarType,
  GraphQLSchema,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionResult,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { compileQuery, isCompiledQuery, type CompiledQuery, type CompilerOptions } from 'graphql-jit';
import { UUIDResolver } from 'graphql-scalars';
import { BoundedCache, stringBytes } from '../cache/bounded-cache';
import { documentBytes } from './document-bytes';

/** Bytes of compiled queries kept (least recently used go first), as `compiledBytes` estimates them. */
export const DEFAULT_COMPILED_QUERY_BYTES = 32 * 1024 * 1024;
/** A document is compiled the time it runs this often (before, graphql-js runs it). */
export const DEFAULT_COMPILE_AFTER = 2;

/**
 * The type every variable gets in a document handed to graphql-jit: graphql-js has coerced the
 * values already (defaults of input fields included, which graphql-jit's own coercion skips), so
 * graphql-jit must pass them through as they are.
 */
const COERCED = new GraphQLScalarType({
  name: 'TenantqlCoercedVariable',
  parseValue: (value) => value,
  serialize: (value) => value,
});

/** A document's compiled queries by operation name (null: runs on graphql-js), and what their code holds. */
interface Compiled {
  byName: Map<string, CompiledQuery | null>;
  sourceBytes: number;
}

/**
 * A private copy of `document` for graphql-jit, every variable of type COERCED: graphql-jit
 * writes its own bookkeeping onto the field nodes it compiles, which must not reach the document
 * Apollo caches and graphql-js runs. Locations are shared (read only).
 */
function forCompiling(document: DocumentNode): DocumentNode {
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = key === 'loc' ? item : copy(item);
    return out;
  };
  return visit(copy(document) as DocumentNode, {
    VariableDefinition: (node) => ({
      ...node,
      type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: COERCED.name } },
      defaultValue: undefined,
    }),
  });
}

/**
 * Why a document must run on graphql-js instead of being compiled, or null. Each reason is a
 * place where graphql-jit 0.8.9 is unsafe or answers differently from graphql-js:
 * - **a string literal with `__MAGIC_`**: graphql-jit writes literal arguments into its code with
 *   JSON.stringify, then turns its own markers back into code (`"__MAGIC_DATE__<uuid><text>"`
 *   becomes `new Date(<text>)`). The marker is public, so such a literal would run `<text>` as
 *   JavaScript here. (The generated code is checked too: see `writesCodeFromValues`.)
 * - **@skip/@include**: it stores their conditions on the field nodes, so a fragment spread in two
 *   places, or in two operations, takes one place's condition to the other.
 * - **a response name with `_`** (not `__typename`): it names each field's `info` by joining the
 *   path with `_`, so the alias `a_b` and `a { b }` would get each other's `info`.
 * - **introspection**: it would show the COERCED scalar of the schema it compiles against.
 * - **a variable inside a list or object literal**: an omitted one becomes null there, where
 *   graphql-js leaves the field out (and applies its default).
 */
function notCompilable(document: DocumentNode): string | null {
  let reason: string | null = null;
  let literalDepth = 0;
  visit(document, {
    StringValue(node) {
      if (node.value.includes('__MAGIC_')) reason ??= 'code marker in a string';
    },
    Directive(node) {
      if (node.name.value === 'skip' || node.name.value === 'include') reason ??= '@skip/@include';
    },
    Field(node) {
      const name = (node.alias ?? node.name).value;
      if (name === '__schema' || name === '__type' || node.name.value === '__schema' || node.name.value === '__type')
        reason ??= 'introspection';
      else if (name !== '__typename' && name.includes('_')) reason ??= 'a response name with _';
    },
    ObjectValue: { enter: () => void literalDepth++, leave: () => void literalDepth-- },
    ListValue: { enter: () => void literalDepth++, leave: () => void literalDepth-- },
    Variable() {
      if (literalDepth > 0) reason ??= 'a variable inside a literal';
    },
  });
  return reason;
}

/**
 * Whether graphql-jit wrote `new Date(...)` into the code: the one piece of code it makes from a
 * value (its date marker; NaN and Infinity become fixed tokens). Legitimate only for a DateTime
 * literal argument, and such documents can run on graphql-js: a second lock behind the
 * string-literal check of `notCompilable`, whatever a scalar's parseLiteral makes of its input.
 */
const writesCodeFromValues = (source: string) => source.includes('new Date(');

/** graphql-jit's errors as graphql-js makes them: real GraphQLErrors, extensions from the original error. */
function standardError(error: GraphQLError): GraphQLError {
  const standard = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
  });
  if (error.locations)
    Object.defineProperty(standard, 'locations', {
      value: error.locations,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return standard;
}

/**
 * UUIDs read from uuid columns are canonical already: output skips graphql-scalars' regular
 * expression (a thousand ids per nested page); anything else is checked as before.
 */
const serializeUuid = (value: unknown) =>
  typeof value === 'string' && value.length === 36 ? value : UUIDResolver.serialize(value);

/**
 * Runs queries as compiled JavaScript (graphql-jit) instead of graphql-js's interpreter: the same
 * resolvers and results, without graphql-js's per-field bookkeeping (an info object, argument
 * coercion and a promise check for every value), which dominated large nested answers.
 *
 * It plugs into Apollo as a gateway, the hook Apollo offers for a different executor: parsing,
 * validation, plugins and error formatting stay Apollo's. Only queries are compiled; mutations
 * keep graphql-js (serial execution that stops at the first failed non-null field). Variables are
 * coerced by graphql-js, so errors about them and input defaults are exactly graphql-js's;
 * compiled code sees the coerced values. Compiled queries are kept per parsed document (Apollo
 * caches those) in a byte-bounded LRU, from a document's second run on. A document graphql-jit cannot
 * compile, or must not (see `notCompilable`), runs on graphql-js. The cache is bounded by bytes
 * (`maxBytes`), not entries: a compiled query costs what its document and code cost.
 */
export function compiledExecution(
  schema: GraphQLSchema,
  options: { maxBytes?: number; compileAfter?: number } = {},
): GatewayInterface & { compiledQueries(): number; compiledBytes(): number } {
  const compileAfter = options.compileAfter ?? DEFAULT_COMPILE_AFTER;
  const config = schema.toConfig();
  const jitSchema = new GraphQLSchema({ ...config, types: [...config.types, COERCED] });
  // Keyed by document, then operation name. An entry holds the document (its key), a private
  // copy of it (sharing its tokens) and the generated code (kept as source text by V8 too).
  const compiled = new BoundedCache<DocumentNode, Compiled>({
    maxBytes: options.maxBytes ?? DEFAULT_COMPILED_QUERY_BYTES,
    sizeOf: (document, entry) => 2 * documentBytes(document) + entry.sourceBytes,
  });

  // How often each document ran before it is compiled: a one-off query, or a client that changes
  // its text every time, costs no compilation (about 3 ms for a nested query).
  const uses = new WeakMap<DocumentNode, number>();
  const tooLarge = new WeakSet<DocumentNode>();

  const compile = (
    document: DocumentNode,
    operationName: string | undefined,
  ): { query: CompiledQuery | null; sourceBytes: number } => {
    try {
      const options = { customSerializers: { UUID: serializeUuid }, debug: true } as Partial<CompilerOptions>;
      const result = compileQuery(jitSchema, forCompiling(document), operationName, options);
      if (!isCompiledQuery(result)) return { query: null, sourceBytes: 0 };
      // `debug` keeps the generated source on the result: read it, then let it go.
      const withSource = result as { __DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation?: unknown };
      const source = withSource.__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation;
      delete withSource.__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation;
      if (typeof source !== 'string' || writesCodeFromValues(source)) return { query: null, sourceBytes: 0 };
      // The source text, and the code and closures made from it (measured below its length again).
      return { query: result, sourceBytes: 2 * stringBytes(source) };
    } catch {
      return { query: null, sourceBytes: 0 };
    }
  };

  const compiledFor = (document: DocumentNode, operationName: string | undefined): CompiledQuery | null => {
    let entry = compiled.get(document);
    if (!entry) {
      if (tooLarge.has(document)) return null;
      const used = (uses.get(document) ?? 0) + 1;
      uses.set(document, used);
      if (used < compileAfter) return null;
      entry = { byName: new Map(), sourceBytes: 0 };
    }
    const key = operationName ?? '';
    let query = entry.byName.get(key);
    if (query === undefined) {
      const made =
        notCompilable(document) === null ? compile(document, operationName) : { query: null, sourceBytes: 0 };
      query = made.query;
      entry.byName.set(key, query);
      entry.sourceBytes += made.sourceBytes + stringBytes(key);
      // Stored again with its new size (or for the first time); one larger than the budget is not
      // kept, and runs on graphql-js from now on rather than being compiled on every run.
      compiled.set(document, entry);
      if (!compiled.has(document)) tooLarge.add(document);
    }
    return query;
  };

  const executor: GatewayExecutor = async (request) => {
    // The name the client asked for (request.operationName is the resolved one, null when none matched).
    const operationName = request.request.operationName ?? undefined;
    const variables = request.request.variables ?? {};
    const interpreted = async () =>
      (await execute({
        schema,
        document: request.document,
        contextValue: request.context,
        variableValues: variables,
        operationName,
      })) as ExecutionResult;
    if (request.operation?.operation !== 'query') return interpreted();
    const coerced = getVariableValues(schema, request.operation.variableDefinitions ?? [], variables, {
      maxErrors: 50,
    });
    if (coerced.errors) return { errors: coerced.errors };
    const query = compiledFor(request.document, operationName);
    if (!query) return interpreted();
    const result = (await query.query(undefined, request.context, coerced.coerced)) as ExecutionResult;
    return result.errors ? { ...result, errors: result.errors.map(standardError) } : result;
  };

  let listener: GatewaySchemaLoadOrUpdateCallback | undefined;
  return {
    onSchemaLoadOrUpdate(callback) {
      listener = callback;
      return () => {
        listener = undefined;
      };
    },
    async load() {
      listener?.({ apiSchema: schema, coreSupergraphSdl: '' });
      return { schema, executor };
    },
    async stop() {
      compiled.clear();
    },
    /** How many documents have compiled queries now (tests). */
    compiledQueries: () => [...compiled].filter(([, entry]) => [...entry.byName.values()].some(Boolean)).length,
    /** The estimated bytes the compiled queries hold (tests, metrics). */
    compiledBytes: () => compiled.bytes,
  };
}
