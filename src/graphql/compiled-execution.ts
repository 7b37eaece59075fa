import type { GatewayExecutor, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import {
  execute, GraphQLError, GraphQLScalarType, GraphQLSchema, Kind, visit, type DocumentNode, type ExecutionResult,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { UUIDResolver } from 'graphql-scalars';

/** How many compiled queries are kept (least recently used go first); each holds generated code. */
export const DEFAULT_COMPILED_QUERIES = 200;

/**
 * The type every variable gets in a document handed to graphql-jit: graphql-js has coerced the
 * values already (defaults of input fields included, which graphql-jit's own coercion skips), so
 * graphql-jit must pass them through as they are.
 */
const COERCED = new GraphQLScalarType({ name: 'TenantqlCoercedVariable', parseValue: (value) => value, serialize: (value) => value });

/** `document` with every variable of type COERCED, except Booleans: graphql-jit checks those of @skip/@include (coercing a boolean twice is harmless). */
function withCoercedVariables(document: DocumentNode): DocumentNode {
  return visit(document, {
    VariableDefinition: (node) => {
      const named = node.type.kind === Kind.NON_NULL_TYPE ? node.type.type : node.type;
      if (named.kind === Kind.NAMED_TYPE && named.name.value === 'Boolean') return { ...node, defaultValue: undefined };
      return { ...node, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: COERCED.name } }, defaultValue: undefined };
    },
  });
}

/**
 * graphql-jit (0.8.9) writes literal argument values into the code it generates with
 * JSON.stringify, then turns its own markers back into code: `"__MAGIC_DATE__<uuid><text>"`
 * becomes `new Date(<text>)`. The marker is public, so a string literal carrying it would run
 * `<text>` as JavaScript in this process. Such documents are never compiled (graphql-js runs
 * them); no legitimate client sends the marker. Every marker starts with `__MAGIC_`, and
 * JSON.stringify never escapes those characters, so looking at the parsed strings is enough.
 */
function carriesCodeMarker(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (node.value.includes('__MAGIC_')) found = true;
    },
  });
  return found;
}

/** graphql-jit's errors as graphql-js makes them: real GraphQLErrors, extensions from the original error. */
function standardError(error: GraphQLError): GraphQLError {
  const standard = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined });
  if (error.locations) Object.defineProperty(standard, 'locations', { value: error.locations, enumerable: true, writable: true, configurable: true });
  return standard;
}

/**
 * UUIDs read from uuid columns are canonical already: output skips graphql-scalars' regular
 * expression (a thousand ids per nested page); anything else is checked as before.
 */
const serializeUuid = (value: unknown) => (typeof value === 'string' && value.length === 36 ? value : UUIDResolver.serialize(value));

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
 * caches those) in a bounded LRU. A document graphql-jit cannot compile, or must not (see
 * `carriesCodeMarker`), runs on graphql-js.
 */
export function compiledExecution(schema: GraphQLSchema, options: { maxCompiled?: number } = {}): GatewayInterface & { compiledQueries(): number } {
  const maxCompiled = options.maxCompiled ?? DEFAULT_COMPILED_QUERIES;
  const config = schema.toConfig();
  const jitSchema = new GraphQLSchema({ ...config, types: [...config.types, COERCED] });
  // Keyed by document, then operation name; Map order is the LRU order.
  const compiled = new Map<DocumentNode, Map<string, CompiledQuery | null>>();

  const compiledFor = (document: DocumentNode, operationName: string | undefined): CompiledQuery | null => {
    let byName = compiled.get(document);
    if (byName) {
      compiled.delete(document);
      compiled.set(document, byName);
    } else {
      compiled.set(document, (byName = new Map()));
      if (compiled.size > maxCompiled) compiled.delete(compiled.keys().next().value!);
    }
    const key = operationName ?? '';
    let query = byName.get(key);
    if (query === undefined && carriesCodeMarker(document)) {
      query = null;
      byName.set(key, query);
    }
    if (query === undefined) {
      try {
        const result = compileQuery(jitSchema, withCoercedVariables(document), operationName, { customSerializers: { UUID: serializeUuid } });
        query = isCompiledQuery(result) ? result : null;
      } catch {
        query = null;
      }
      byName.set(key, query);
    }
    return query;
  };

  const executor: GatewayExecutor = async (request) => {
    // The name the client asked for (request.operationName is the resolved one, null when none matched).
    const operationName = request.request.operationName ?? undefined;
    const variables = request.request.variables ?? {};
    const interpreted = async () => await execute({
      schema, document: request.document, contextValue: request.context, variableValues: variables, operationName,
    }) as ExecutionResult;
    if (request.operation?.operation !== 'query') return interpreted();
    const coerced = getVariableValues(schema, request.operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
    if (coerced.errors) return { errors: coerced.errors };
    const query = compiledFor(request.document, operationName);
    if (!query) return interpreted();
    const result = await query.query(undefined, request.context, coerced.coerced) as ExecutionResult;
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
    compiledQueries: () => [...compiled.values()].filter((byName) => [...byName.values()].some(Boolean)).length,
  };
}
