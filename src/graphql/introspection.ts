import {
  GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from './context';

/** The meta-fields that reveal the schema; `__typename` reveals nothing and is always allowed. */
const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/** graphql-js's " Did you mean …?" hints at field, argument, type and enum value names. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/**
 * Who may see the schema: a signed-in user always; anyone else (anonymous callers, API keys)
 * only outside production.
 */
export function mayIntrospect(ctx: Pick<Context, 'viewer'>, production: boolean): boolean {
  return ctx.viewer !== null || !production;
}

/**
 * Whether the operation selects `__schema` or `__type` anywhere: at any depth, through inline
 * fragments and named fragments. With no operation resolved, every definition in the document
 * counts.
 *
 * @example
 * selectsIntrospection(parse('{ ...F } fragment F on Query { __schema { types { name } } }')); // true
 * selectsIntrospection(parse('{ viewer { __typename } }'));                                    // false
 */
export function selectsIntrospection(document: DocumentNode, operation?: OperationDefinitionNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const visited = new Set<string>();
  const selects = (selectionSet: SelectionSetNode | undefined): boolean => (selectionSet?.selections ?? []).some((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return INTROSPECTION_FIELDS.has(selection.name.value) || selects(selection.selectionSet);
      case Kind.INLINE_FRAGMENT:
        return selects(selection.selectionSet);
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        if (visited.has(name)) return false;
        visited.add(name);
        return selects(fragments.get(name)?.selectionSet);
      }
      default:
        return false;
    }
  });
  if (operation) return selects(operation.selectionSet);
  return document.definitions.some((definition) =>
    (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) && selects(definition.selectionSet));
}

function refusal(ctx: Pick<Context, 'apiKey'>): GraphQLError {
  // A partner's key is a known caller that signing in would not help; anyone else should sign in.
  return ctx.apiKey
    ? new GraphQLError('API keys may not introspect the schema', { extensions: { code: 'FORBIDDEN', http: { status: 403 } } })
    : new GraphQLError('Sign in to introspect the schema', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/**
 * The introspection policy (Apollo itself always allows introspection). For a caller who may
 * not introspect (see `mayIntrospect`), an operation selecting `__schema` or `__type` is refused
 * before it runs (UNAUTHENTICATED, HTTP 401, for anonymous callers; FORBIDDEN, HTTP 403, for API
 * keys), and the " Did you mean …?" suggestions are cut from every error message, so that
 * misspelt names cannot be used to discover the schema either.
 *
 * @example
 * new ApolloServer({ schema, introspection: true, plugins: [createIntrospectionPlugin({ production })] });
 */
export function createIntrospectionPlugin(options: { production: boolean }): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      if (mayIntrospect(contextValue, options.production)) return;
      return {
        async didResolveOperation({ document, operation }) {
          if (selectsIntrospection(document, operation)) throw refusal(contextValue);
        },
        // Sees parse, validation and variable-coercion errors, before `formatError` runs.
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (SUGGESTION.test(error.message)) error.message = error.message.replace(SUGGESTION, '');
          }
        },
      };
    },
  };
}
