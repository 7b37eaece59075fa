import crypto from 'node:crypto';
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { ApolloServerPlugin } from '@apollo/server';
import { Extensions } from 'type-graphql';
import type { Context } from './context';
import { mustRunFirst, oneCredentialCheck, rateLimited } from './errors';
import { clientKey, type RateLimiter, type RateLimitKey } from '../http/rate-limit';

/**
 * What a root field makes the server do that a caller pays for before it runs: the one registry
 * of costly fields, declared on the field with `@Cost(...)` and read back from the schema. Every
 * field with a cost takes a token from the `costly` bucket of the client address (whatever token
 * the request carries) per occurrence in the operation.
 */
export interface FieldCost {
  /** It checks a credential (a password or a refresh token): an operation may hold one such field. */
  credential?: boolean;
  /** It runs argon2 (verifies or hashes a password): what makes it costly when it sends no mail. */
  argon2?: boolean;
  /**
   * Its standalone work needs rows that earlier fields of the same operation may hold until the
   * request commits (refresh tokens a `logout` revoked): it must be the operation's first field.
   */
  runsFirst?: boolean;
  /** It mails someone: the argument path of the address (`input.email`), or `viewer` for the signed-in user. */
  mailTo?: string;
}

/**
 * Declares a field costly (see FieldCost); the field's `extensions.cost` in the schema.
 *
 * @example
 * @Cost({ credential: true, argon2: true })
 * @Mutation(() => AuthPayload)
 * async login(...) {}
 */
export const Cost = (cost: FieldCost): MethodDecorator & PropertyDecorator => Extensions({ cost });

/**
 * The declared cost of a field, if any.
 *
 * @example
 * costOf(schema.getMutationType()!.getFields().login); // { credential: true, argon2: true }
 */
export function costOf(field: GraphQLField<unknown, unknown> | undefined): FieldCost | undefined {
  const cost = field?.extensions?.cost;
  // A number is the query cost limit's price of the field (AGGREGATE_COST on `tasksAggregate`, limits.ts), not a FieldCost.
  return cost && typeof cost === 'object' ? (cost as FieldCost) : undefined;
}

/**
 * Every field of the schema's root types that declares a cost, as `Type.field` (for tests and docs).
 *
 * @example
 * costlyFields(schema).get('Mutation.requestPasswordReset'); // { mailTo: 'input.email' }
 */
export function costlyFields(schema: GraphQLSchema): Map<string, FieldCost> {
  const found = new Map<string, FieldCost>();
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const cost = costOf(field);
      if (cost) found.set(`${root!.name}.${field.name}`, cost);
    }
  }
  return found;
}

/** One costly field as the operation will run it. */
export interface CostlyField {
  /** `alias: name`, or the name. */
  label: string;
  /** Its place among the operation's root fields (response keys), from 0: the order they run in. */
  position: number;
  cost: FieldCost;
  node: FieldNode;
}

/** @skip / @include with the request's variables; a value that cannot be read counts as included. */
function included(node: { directives?: readonly DirectiveNode[] }, variables: Record<string, unknown>): boolean {
  try {
    if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  } catch {
    return true;
  }
}

/**
 * The costly root fields of an operation, one per response key as execution merges them
 * (aliases and fragments included; a fragment spread twice at the same level runs once).
 *
 * @example
 * costlyFieldsOf(schema, parse('mutation { a: login(...) { accessToken } b: login(...) { accessToken } }'));
 * // [{ label: 'a: login', cost: { credential: true, argon2: true }, ... }, { label: 'b: login', ... }]
 */
export function costlyFieldsOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation?: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): CostlyField[] {
  const op =
    operation ?? document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const root: GraphQLObjectType | null | undefined =
    op?.operation === 'query'
      ? schema.getQueryType()
      : op?.operation === 'mutation'
        ? schema.getMutationType()
        : undefined;
  if (!op || !root) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const byKey = new Map<string, CostlyField>();
  const keys = new Set<string>();
  const visited = new Set<string>();
  const collect = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection, variables)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        // `__typename` runs no resolver and holds nothing.
        if (keys.has(key) || selection.name.value.startsWith('__')) continue;
        const cost = costOf(root.getFields()[selection.name.value]);
        if (cost)
          byKey.set(key, {
            label: selection.alias ? `${key}: ${selection.name.value}` : key,
            position: keys.size,
            cost,
            node: selection,
          });
        keys.add(key);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet);
      } else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(op.selectionSet);
  return [...byKey.values()];
}

/** The value at `path` inside an argument, from literals and (uncoerced) variables alike. */
function valueAt(node: ValueNode | undefined, path: string[], variables: Record<string, unknown>): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) {
    let value: unknown = variables[node.name.value];
    for (const step of path)
      value = value && typeof value === 'object' ? (value as Record<string, unknown>)[step] : undefined;
    return value;
  }
  if (path.length === 0) return node.kind === Kind.STRING ? node.value : undefined;
  if (node.kind !== Kind.OBJECT) return undefined;
  return valueAt(node.fields.find((f) => f.name.value === path[0])?.value, path.slice(1), variables);
}

/** Who a mail goes to, as a bucket key: the lower-cased address, or the signed-in user. */
function mailTarget(field: CostlyField, viewerId: string | null, variables: Record<string, unknown>): string | null {
  const to = field.cost.mailTo;
  if (!to) return null;
  if (to === 'viewer') return viewerId ? `user:${viewerId}` : null;
  const [argument, ...path] = to.split('.');
  const value = valueAt(field.node.arguments?.find((a) => a.name.value === argument)?.value, path, variables);
  // Not an address: its field refuses it before any mail is sent. Hashed: a bucket's key has one size.
  if (typeof value !== 'string' || value.length > 254) return null;
  return `email:${crypto.createHash('sha256').update(value.trim().toLowerCase()).digest('base64url')}`;
}

/**
 * Refuses, before execution, an operation with more than one credential check (QUERY_TOO_COMPLEX)
 * or with a `runsFirst` field after another one (BAD_REQUEST),
 * then charges every costly field to the rate limits (RATE_LIMITED, 429 + Retry-After): one point
 * of the client address's `costly` limit each, and one of the target's `mail` limit for each
 * mail. Runs in `didResolveOperation` (the operation and its variables are known) and throws
 * its refusals of the document synchronously, like the query limits; the rate limit answers
 * asynchronously (it may ask the database), and the request transaction opens only after it
 * (`RequestTransaction.openAfter`). Register it right after the query limits, before the
 * transaction plugin, so a refused operation opens no transaction.
 *
 * @example
 * plugins: [createQueryLimitsPlugin(limits), createFieldCostPlugin(rateLimiter), createTransactionPlugin(), ...]
 */
export function createFieldCostPlugin(limiter: RateLimiter | null): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        didResolveOperation({ schema, document, operation, request, contextValue }) {
          if (!operation) return Promise.resolve();
          let variables = request.variables ?? {};
          // Variables the client sent can only count more fields (a directive that cannot be read
          // counts as included), so most operations, with no costly field, stop here.
          let fields = costlyFieldsOf(schema, document, operation, variables);
          if (fields.length && operation.variableDefinitions?.length) {
            // As execution will see them: a variable's default (`$e: String! = "x@y"`) names a mail's
            // recipient as well as a value sent. Values that do not coerce fail before anything runs.
            variables =
              getVariableValues(schema, operation.variableDefinitions, variables, { maxErrors: 1 }).coerced ??
              variables;
            fields = costlyFieldsOf(schema, document, operation, variables);
          }
          const credentials = fields.filter((f) => f.cost.credential);
          if (credentials.length > 1) throw oneCredentialCheck(credentials.map((f) => f.label));
          const late = fields.find((f) => f.cost.runsFirst && f.position > 0);
          if (late) throw mustRunFirst(late.label);
          if (limiter && fields.length) {
            const address = clientKey(contextValue.ip);
            const keys: RateLimitKey[] = [];
            for (const field of fields) {
              keys.push(['costly', address]);
              const target = mailTarget(field, contextValue.viewer?.userId ?? null, variables);
              if (target) keys.push(['mail', target]);
            }
            const charged = limiter.take(keys).then((retryAfter) => {
              if (retryAfter > 0) throw rateLimited(retryAfter);
            });
            // Later plugins' hooks run while the limiter answers: none may open the transaction before it has.
            contextValue.db.openAfter(charged);
            return charged;
          }
          return Promise.resolve();
        },
      };
    },
  };
}
