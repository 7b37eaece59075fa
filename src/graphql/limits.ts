import {
  Kind,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type NamedTypeNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type TypeNode,
  type ValueNode,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../db/pagination';
import { queryTooComplex } from './errors';

/** How large one GraphQL operation may be (see docs/security.md, "Query limits"). */
export interface QueryLimits {
  /** Nested field levels: `{ viewer { user { name } } }` is 3. Fragments and a connection's `edges { node }` add no level. */
  depth: number;
  /** Aliased fields, counted at every place a fragment is spread. */
  aliases: number;
  /** Directive uses (`@include`, `@skip`, ...), counted like aliases. */
  directives: number;
  /** Lexical tokens of the document (enforced by the parser: Apollo's `parseOptions.maxTokens`). */
  tokens: number;
  /** Estimated work, see `measureOperation`. */
  cost: number;
}

/** Close to graphql-armor's defaults; the cost lets the standard 50 projects x 20 tasks query through. */
export const DEFAULT_QUERY_LIMITS: Readonly<QueryLimits> = {
  depth: 10,
  aliases: 15,
  directives: 50,
  tokens: 2000,
  cost: 10_000,
};

/** What an operation measures against the limits other than tokens. */
export interface OperationMeasures {
  depth: number;
  aliases: number;
  directives: number;
  cost: number;
}

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/**
 * What a field that aggregates rows costs (`@Extensions({ cost: AGGREGATE_COST })` on the field:
 * a connection's `totalCount`, a milestone's progress): a count reads every matching row, so it
 * is priced like a page of unknown size (the default page), once per connection (not per row of
 * the page, and also under `first: 0`), times the pages around it. Counts under the pages of
 * many parents are one grouped statement; a full page (100) would refuse the registered
 * PartnerProjects at its largest page.
 */
export const AGGREGATE_COST = DEFAULT_PAGE_SIZE;

/**
 * Most groups one aggregate query answers (`tasksAggregate(groupBy: ...)`); one more is a
 * BAD_USER_INPUT naming `groupBy`. It bounds the answer, which the cost does not price: a
 * grouped query is one statement whatever its size.
 */
export const MAX_AGGREGATE_GROUPS = 1000;

/**
 * Whether a field only wraps the level a client means: a connection's `edges` (its type also
 * has `pageInfo`) and an edge's `node` (its type also has `cursor`), Relay's shape. They add no
 * depth, so `projects → tasks → comments → author` is 4 levels (plus the leaf), not 10; their
 * rows are priced by the cost, where the page sizes are.
 */
function isConnectionWrapper(parent: GraphQLCompositeType | undefined, name: string): boolean {
  if (!parent || !(isObjectType(parent) || isInterfaceType(parent))) return false;
  const fields = parent.getFields();
  return (name === 'edges' && 'pageInfo' in fields) || (name === 'node' && 'cursor' in fields);
}

/** A field's own price from its schema extension `cost` (0 without one). */
const ownCost = (field: GraphQLField<unknown, unknown> | undefined): number => {
  const cost = field?.extensions?.cost;
  return typeof cost === 'number' && cost > 0 ? cost : 0;
};

/**
 * A page size given as a literal or a variable; absent, null or not a number means the default
 * page. Sizes outside 0..100 are refused by their own field (BAD_USER_INPUT) or by variable
 * coercion before any SQL; they are priced as the nearest valid size, so that the client gets
 * that error, and so a negative one cannot lower what its siblings may cost.
 */
function pageSize(
  value: ValueNode | undefined,
  variables: Record<string, unknown>,
  operation: OperationDefinitionNode,
): number {
  const clamp = (n: number) => Math.min(MAX_PAGE_SIZE, Math.max(0, n));
  if (!value) return DEFAULT_PAGE_SIZE;
  if (value.kind === Kind.INT) return clamp(Number(value.value));
  if (value.kind === Kind.VARIABLE) {
    const name = value.name.value;
    const given = Object.hasOwn(variables, name)
      ? variables[name]
      : operation.variableDefinitions?.find((d) => d.variable.name.value === name)?.defaultValue;
    if (typeof given === 'number' && Number.isFinite(given)) return clamp(Math.ceil(given));
    if (given && typeof given === 'object' && (given as ValueNode).kind === Kind.INT)
      return clamp(Number((given as { value: string }).value));
  }
  return DEFAULT_PAGE_SIZE;
}

/**
 * Measures one operation of a valid document: its depth, aliases, directives and cost.
 *
 * Cost estimates the rows a query can make the server load: a leaf field costs 0, unless the
 * schema prices it (`extensions.cost`: AGGREGATE_COST for counts, paid once per connection); an object
 * field costs 1 plus the cost of its selection; a paginated field (one taking `first`/`last`)
 * costs its page size times that, the page size being `first` or `last` (literal, or the
 * request's variable, at most 100), else the default page of 20. Lists without pagination arguments (a
 * connection's `edges`, the permission catalog) count once: their length is bounded by the
 * connection around them or by the catalog. Introspection (`__schema`, `__type`) is served from
 * memory and adds neither depth nor cost, so GraphiQL's deep introspection query passes.
 * Fragments are measured once each and counted wherever they are spread.
 *
 * @example
 * // 50 x (1 + edges 1 + node 1 + 20 x (1 + edges 1 + node 1 + assignee 1)) = 4150
 * measureOperation(schema, parse('{ projects(first: 50) { edges { node { tasks(first: 20) { edges { node { assignee { name } } } } } } } }'));
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation?: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): OperationMeasures {
  const op =
    operation ?? document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!op) return { depth: 0, aliases: 0, directives: 0, cost: 0 };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // `flat`: the priced fields directly in a selection, which a connection pays once, not per row.
  type Measures = OperationMeasures & { flat: number };
  const measured = new Map<string, Measures>();
  const inProgress = new Set<string>();
  const countDirectives = (directives: readonly DirectiveNode[] | undefined) => directives?.length ?? 0;

  const measureSet = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType | undefined,
    introspection: boolean,
  ): Measures => {
    const total: Measures = { depth: 0, aliases: 0, directives: 0, cost: 0, flat: 0 };
    const add = (part: Measures, extraDepth: number) => {
      total.depth = Math.max(total.depth, part.depth + extraDepth);
      total.aliases += part.aliases;
      total.directives += part.directives;
      total.cost += part.cost;
      total.flat += part.flat;
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        // Introspection is answered from memory: its subtree adds neither depth nor cost.
        const inIntrospection = introspection || INTROSPECTION_FIELDS.has(name);
        const field: GraphQLField<unknown, unknown> | undefined =
          parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
        const priced = inIntrospection ? 0 : ownCost(field);
        const own = {
          depth: 0,
          aliases: selection.alias ? 1 : 0,
          directives: countDirectives(selection.directives),
          cost: priced,
          flat: priced,
        };
        if (selection.selectionSet) {
          const type = field ? getNamedType(field.type) : undefined;
          const inner = measureSet(
            selection.selectionSet,
            type && isCompositeType(type) ? type : undefined,
            inIntrospection,
          );
          own.depth = inIntrospection ? 0 : inner.depth;
          own.aliases += inner.aliases;
          own.directives += inner.directives;
          if (!inIntrospection) {
            const paginated = field?.args.some((a) => a.name === 'first' || a.name === 'last') ?? false;
            const arg = (n: string) => selection.arguments?.find((a) => a.name.value === n)?.value;
            const size = !paginated
              ? 1
              : Math.max(
                  arg('first') || !arg('last') ? pageSize(arg('first'), variables, op) : 0,
                  arg('last') ? pageSize(arg('last'), variables, op) : 0,
                );
            // The connection's own priced fields (totalCount) once, the rest per row of the page.
            own.cost += paginated ? size * (1 + inner.cost - inner.flat) + inner.flat : size * (1 + inner.cost);
            // A priced object (a connection's aggregate) is one answer per connection: its fields too.
            if (priced) own.flat = own.cost;
          }
        }
        add(own, introspection || isConnectionWrapper(parent, name) ? 0 : 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        const inner = measureSet(
          selection.selectionSet,
          condition && isCompositeType(condition) ? condition : undefined,
          introspection,
        );
        add({ ...inner, directives: inner.directives + countDirectives(selection.directives) }, 0);
      } else {
        const name = selection.name.value;
        const key = introspection ? `__introspection:${name}` : name;
        let inner = measured.get(key);
        const fragment = fragments.get(name);
        if (!inner && fragment && !inProgress.has(key)) {
          // Validation has already refused cycles; the guard only keeps this function total.
          inProgress.add(key);
          const condition = schema.getType(fragment.typeCondition.name.value);
          inner = measureSet(
            fragment.selectionSet,
            condition && isCompositeType(condition) ? condition : undefined,
            introspection,
          );
          inner.directives += countDirectives(fragment.directives);
          inProgress.delete(key);
          measured.set(key, inner);
        }
        const part = inner ?? { depth: 0, aliases: 0, directives: 0, cost: 0, flat: 0 };
        add({ ...part, directives: part.directives + countDirectives(selection.directives) }, 0);
      }
    }
    return total;
  };

  const root =
    op.operation === 'query'
      ? schema.getQueryType()
      : op.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const { flat: _flat, ...result } = measureSet(op.selectionSet, root ?? undefined, false);
  return { ...result, directives: result.directives + countDirectives(op.directives) };
}

/**
 * Throws the refusal for the first limit the operation exceeds (depth, aliases, directives, cost).
 *
 * @example
 * checkQueryLimits(DEFAULT_QUERY_LIMITS, schema, document, operation, request.variables);
 */
export function checkQueryLimits(
  limits: QueryLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
  operation?: OperationDefinitionNode,
  variables?: Record<string, unknown>,
): OperationMeasures {
  const measures = measureRemembered(schema, document, operation, variables);
  for (const limit of ['depth', 'aliases', 'directives', 'cost'] as const) {
    if (measures[limit] > limits[limit]) throw queryTooComplex(limit, limits[limit], measures[limit]);
  }
  return measures;
}

/** Distinct page sizes remembered per operation of a parsed document; past that it is measured each time. */
const MEASURES_PER_OPERATION = 32;
const remembered = new WeakMap<OperationDefinitionNode, Map<string, OperationMeasures>>();

/**
 * `measureOperation`, remembered per operation node of a parsed document (Apollo keeps parsed
 * documents, so a query sent again is the same node) and per value of its `Int` variables, the
 * only values it reads (page sizes): a repeated query is measured once.
 */
function measureRemembered(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode | undefined,
  variables: Record<string, unknown> | undefined,
): OperationMeasures {
  if (!operation) return measureOperation(schema, document, operation, variables);
  let byValues = remembered.get(operation);
  if (!byValues) remembered.set(operation, (byValues = new Map()));
  const key = JSON.stringify(
    (operation.variableDefinitions ?? [])
      .filter((d) => getNamedTypeNode(d.type).name.value === 'Int')
      .map((d) => variables?.[d.variable.name.value] ?? null),
  );
  let measures = byValues.get(key);
  if (!measures) {
    measures = measureOperation(schema, document, operation, variables);
    if (byValues.size < MEASURES_PER_OPERATION) byValues.set(key, measures);
  }
  return measures;
}

/** The named type under a variable's list and non-null wrappers. */
function getNamedTypeNode(type: TypeNode): NamedTypeNode {
  return type.kind === Kind.NAMED_TYPE ? type : getNamedTypeNode(type.type);
}

/**
 * Refuses operations over the limits (QUERY_TOO_COMPLEX, HTTP 400) before they execute and
 * before the request transaction is opened. The token limit is the parser's (pass
 * `parseOptions: { maxTokens: limits.tokens }` to Apollo).
 *
 * It runs in `didResolveOperation`, the first hook that knows the operation and the variables
 * (Apollo's validation rules see neither, and validated documents are cached). The hook throws
 * synchronously, before it returns a promise: Apollo calls the plugins' `didResolveOperation`
 * hooks one after another in one `map`, so the hooks of later plugins (the persisted-documents
 * plugin opens the transaction there) are never called. Register it first.
 *
 * @example
 * new ApolloServer({ schema, parseOptions: { maxTokens: limits.tokens }, plugins: [createQueryLimitsPlugin(limits), ...] });
 */
export function createQueryLimitsPlugin<C extends object>(limits: QueryLimits): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        didResolveOperation({ schema, document, operation, request }) {
          // No operation resolved (several, none named): execution refuses the request anyway.
          if (operation) checkQueryLimits(limits, schema, document, operation, request.variables ?? {});
          return Promise.resolve();
        },
      };
    },
  };
}
