import {
  GraphQLError,
  Kind,
  visit,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type SourceLocation,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from './context';
import { unauthorized, unavailableOrRethrow } from './errors';
import { UnauthenticatedError } from '../errors';

/** The meta-fields that reveal the schema; `__typename` reveals nothing and is always allowed. */
const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/** graphql-js's " Did you mean …?" hints at field, argument, type and enum value names. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/**
 * Who may see the schema: a signed-in user whose session is still valid (the plugin checks that
 * before anything is served); anyone else (anonymous callers, API keys) only outside production.
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
  const selects = (selectionSet: SelectionSetNode | undefined): boolean =>
    (selectionSet?.selections ?? []).some((selection) => {
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
  return document.definitions.some(
    (definition) =>
      (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) &&
      selects(definition.selectionSet),
  );
}

function refusal(ctx: Pick<Context, 'apiKey'>): GraphQLError {
  // A partner's key is a known caller that signing in would not help; anyone else should sign in.
  return ctx.apiKey
    ? new GraphQLError('API keys may not introspect the schema', {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      })
    : unauthorized('Sign in to introspect the schema');
}

const sessionEnded = () => unauthorized('Your session is no longer valid; sign in again', 'invalid_token');

/** Names every GraphQL schema has (the spec's scalars and directives): naming them tells nothing. */
const SPEC_NAMES = new Set([
  'Int',
  'Float',
  'String',
  'Boolean',
  'ID',
  'include',
  'skip',
  'deprecated',
  'specifiedBy',
  'oneOf',
]);

/** The one answer to every mistake about a field, so that a wrong shape does not tell whether the field exists. */
export const unusableField = (name: string) =>
  `Cannot query field "${name}" as written: it is unknown here, or its arguments or selection are not valid.`;
const INVALID_DOCUMENT = 'The document is not valid against the schema.';

/**
 * graphql-js messages about a field (unknown, needs a selection or has none, an unknown or missing
 * argument); each captures the field's name. Errors about an argument's value are recognised by
 * where they point (inside a field's arguments), whatever their message.
 */
const FIELD_MESSAGES = [
  /^Cannot query field "(\w+)" on type "\w+"\./,
  /^Field "(\w+)" of type "[^"]+" must have (?:a selection of subfields|at least one field selected)\./,
  /^Field "(\w+)" must not have a selection since type "[^"]+" has no subfields\./,
  /^Unknown argument "\w+" on field "\w+\.(\w+)"\./,
  /^Field "(\w+)" argument "\w+" of type "[^"]+" is required, but it was not provided\./,
];

/**
 * Rewrites that drop a schema member's name from a message unless the request named it in the
 * same role: a type among its own types (variable types, type conditions), an input field among
 * its own input fields. Another use (an alias, a string) does not count, or a guess put there
 * would be confirmed by the message keeping it. The first group is the name.
 */
const REWRITES: [RegExp, 'type' | 'inputField', string][] = [
  [
    /Field "(?:\w+\.)?(\w+)" of required type "[^"]+" was not provided\./,
    'inputField',
    'A required field was not provided.',
  ],
  [/ of required type "([^"]+)" was not provided\./, 'type', ' was not provided.'],
  [/ is not defined by type "([^"]+)"\./, 'type', ' is not defined.'],
  [/Expected type "([^"]+)" to be an object\./, 'type', 'Expected an object.'],
  [/Expected non-nullable type "([^"]+)" not to be null\./, 'type', 'Expected a value, not null.'],
  [/Expected type "([^"]+)"\./, 'type', 'Expected a value of another type.'],
  [/Expected value of type "([^"]+)", found/, 'type', 'Unexpected value: found'],
  [/Enum "([^"]+)" cannot represent/, 'type', 'An enum cannot represent'],
  [/ does not exist in "([^"]+)" enum\./, 'type', ' does not exist in the enum.'],
  [/ for OneOf type "([^"]+)"\./, 'type', '.'],
  [/^OneOf Input Object "([^"]+)" must/, 'type', 'A OneOf input object must'],
  [/ as objects of type "([^"]+)" can never be of type /, 'type', ' as these objects can never be of type '],
  [/ because they return conflicting types "([^"]+)" and "[^"]+"/, 'type', ' because they return conflicting types'],
  [/ because they return conflicting types "[^"]+" and "([^"]+)"/, 'type', ' because they return conflicting types'],
];

/** A name in quotes (a type may carry list and non-null marks; fields `Type.field`, `$variables`, `@directives`). */
const QUOTED_NAME = /"([$@]?[_A-Za-z][_0-9A-Za-z]*(?:\.[_A-Za-z][_0-9A-Za-z]*)?|\[*[_A-Za-z][_0-9A-Za-z]*[\]!]*)"/g;

interface RequestNames {
  /** Every name and string of the document, every key and string of the variables. */
  all: Set<string>;
  /** The types the document names (variable types, type conditions) and the spec's scalars. */
  type: Set<string>;
  /** The input fields the request names (in object literals, keys of the variables' objects). */
  inputField: Set<string>;
}

function namesOfRequest(document: DocumentNode | undefined, variables: unknown): RequestNames {
  const names: RequestNames = { all: new Set(SPEC_NAMES), type: new Set(SPEC_NAMES), inputField: new Set() };
  if (document) {
    visit(document, {
      Name: (node) => void names.all.add(node.value),
      StringValue: (node) => void names.all.add(node.value),
      NamedType: (node) => void names.type.add(node.name.value),
      ObjectField: (node) => void names.inputField.add(node.name.value),
    });
  }
  const seen = new Set<unknown>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 32 || value === null || typeof value !== 'object' || seen.has(value)) {
      if (typeof value === 'string') names.all.add(value);
      return;
    }
    seen.add(value);
    for (const [key, item] of Object.entries(value)) {
      if (!Array.isArray(value)) {
        names.all.add(key);
        names.inputField.add(key);
      }
      walk(item, depth + 1);
    }
  };
  walk(variables, 0);
  return names;
}

/** A quoted name without its marks (`$v`, `@d`, `[T!]!`), split at `Type.field`. */
const partsOf = (quoted: string) =>
  quoted
    .replace(/^[$@]/, '')
    .replace(/[[\]!]/g, '')
    .split('.');

/** Whether every name a message quotes was in the request (or every schema has it). */
function namesOnly(message: string, names: Set<string>): boolean {
  for (const [, quoted] of message.matchAll(QUOTED_NAME)) {
    if (!partsOf(quoted!).every((part) => names.has(part) || part.startsWith('__'))) return false;
  }
  return true;
}

/** For each node of a field (the field, its selection set, anything in its arguments): the field, and whether in its arguments. */
function fieldsByNode(document: DocumentNode): Map<ASTNode, { field: FieldNode; inArguments: boolean }> {
  const owners = new Map<ASTNode, { field: FieldNode; inArguments: boolean }>();
  visit(document, {
    Field(field) {
      owners.set(field, { field, inArguments: false });
      if (field.selectionSet) owners.set(field.selectionSet, { field, inArguments: false });
      for (const argument of field.arguments ?? [])
        visit(argument, { enter: (node) => void owners.set(node, { field, inArguments: true }) });
    },
  });
  return owners;
}

function locationOf(node: ASTNode): SourceLocation[] | undefined {
  const token = node.loc?.startToken;
  return token ? [{ line: token.line, column: token.column }] : undefined;
}

/**
 * What a caller who may not see the schema is told about a mistake in the request: nothing that
 * names a schema member the request did not name itself, and the same answer for every mistake
 * about a field, so that misspelling, a wrong selection or wrong arguments do not tell whether
 * the field exists or what it returns. Errors from resolvers (with a path) are not touched.
 * Returns the messages (and locations) to show, in order, without duplicates.
 *
 * @example
 * withoutSchemaNames([new GraphQLError('Field "viewer" of type "Viewer" must have a selection of subfields.')], parse('{ viewer }'), {});
 * // [{ message: 'Cannot query field "viewer" as written: it is unknown here, or its arguments or selection are not valid.' }]
 */
export function withoutSchemaNames(
  errors: readonly Pick<GraphQLError, 'message' | 'nodes' | 'path' | 'locations'>[],
  document: DocumentNode | undefined,
  variables: unknown,
): { message: string; locations?: readonly SourceLocation[] }[] {
  let names: RequestNames | undefined;
  let owners: Map<ASTNode, { field: FieldNode; inArguments: boolean }> | undefined;
  const ownerOf = (error: Pick<GraphQLError, 'nodes'>) => {
    if (!document) return undefined;
    owners ??= fieldsByNode(document);
    const found = (error.nodes ?? []).map((node) => owners!.get(node)).filter((owner) => owner !== undefined);
    return found.find((owner) => owner.inArguments) ?? found[0];
  };
  return errors.map((error) => {
    const message = error.message.replace(SUGGESTION, '');
    if (error.path !== undefined) return { message, locations: error.locations };
    names ??= namesOfRequest(document, variables);
    const owner = ownerOf(error);
    const aboutField = FIELD_MESSAGES.map((pattern) => pattern.exec(message)?.[1]).find((name) => name !== undefined);
    // A mistake inside a field's arguments (an unknown one, a value of the wrong type) is a mistake about the field.
    if (aboutField !== undefined || owner?.inArguments) {
      const field = owner?.field;
      return {
        message: unusableField(field?.name.value ?? aboutField!),
        locations: field ? locationOf(field) : error.locations,
      };
    }
    let rewritten = message;
    for (const [pattern, role, replacement] of REWRITES) {
      rewritten = rewritten.replace(pattern, (whole, name: string) =>
        partsOf(name).every((part) => names![role].has(part)) ? whole : replacement,
      );
    }
    if (namesOnly(rewritten, names.all)) return { message: rewritten, locations: error.locations };
    // Anything else that names the schema: say only which variable or that the document is wrong.
    const variable = /^Variable "(\$\w+)" got invalid value/.exec(rewritten)?.[1];
    return {
      message: variable ? `Variable "${variable}" got an invalid value.` : INVALID_DOCUMENT,
      locations: error.locations,
    };
  });
}

/**
 * The introspection policy (Apollo itself always allows introspection).
 * - A signed-in caller's session is checked before anything is served: the request transaction
 *   opens in `didResolveOperation` (its opening round trip checks the session and reads the
 *   organization's trustedDocumentsOnly flag), so a query with an ended session is refused with
 *   UNAUTHENTICATED, HTTP 401, also one that needs no database (introspection, `__typename`).
 *   Mutations go on (a stale token may still sign in); their fields meet the same check.
 * - For a caller who may not introspect (see `mayIntrospect`), an operation selecting `__schema`
 *   or `__type` is refused before it runs (UNAUTHENTICATED, HTTP 401, for anonymous callers;
 *   FORBIDDEN, HTTP 403, for API keys).
 * - In production, callers who may not introspect (anonymous callers, API keys, ended sessions,
 *   members of an organization that allows only registered operations) get validation and
 *   variable errors that name nothing of the schema the request did not name (`withoutSchemaNames`).
 *   Outside production everyone may introspect, and " Did you mean …?" suggestions are cut only
 *   for callers who may not.
 *
 * Register it after the persisted-documents plugin (which marks an unregistered document before
 * the transaction opens).
 *
 * @example
 * new ApolloServer({ schema, introspection: true, plugins: [createIntrospectionPlugin({ production })] });
 */
export function createIntrospectionPlugin(options: { production: boolean }): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      // Who asked, as the request arrived (a sign-in during the request changes the context).
      const { viewer, apiKey } = contextValue;
      let session: Promise<boolean> | undefined;
      // Opens the request transaction (once); false when the session has ended.
      const sessionIsValid = () =>
        (session ??= contextValue.db.get().then(
          () => true,
          (error: unknown) => {
            if (error instanceof UnauthenticatedError) return false;
            return unavailableOrRethrow(error);
          },
        ));
      // Asked only when an error would be told differently, so a refused request sends no statement for it.
      const mayIntrospectNow = async (): Promise<boolean> => {
        if (!viewer) return false;
        // Before an operation is known (a validation error) nothing runs: the check needs no write.
        if (!session && !contextValue.db.isOpen) contextValue.db.readOnly = true;
        return (await sessionIsValid().catch(() => false)) && contextValue.db.trustedDocumentsOnly !== true;
      };
      return {
        async didResolveOperation({ document, operation }) {
          if (viewer && !(await sessionIsValid()) && operation?.operation !== 'mutation') throw sessionEnded();
          if (!mayIntrospect({ viewer }, options.production) && selectsIntrospection(document, operation))
            throw refusal({ apiKey });
        },
        // Sees parse, validation and variable-coercion errors, before `formatError` runs.
        async didEncounterErrors({ errors, document, request }) {
          if (!options.production) return;
          const quiet = withoutSchemaNames(errors, document, request.variables);
          if (quiet.every((shown, i) => shown.message === errors[i]!.message) || (await mayIntrospectNow())) return;
          // The same mistake reported twice (a field and its argument) is shown once.
          const shown = new Set<string>();
          const kept: GraphQLError[] = [];
          errors.forEach((error, i) => {
            const key = JSON.stringify(quiet[i]);
            if (shown.has(key)) return;
            shown.add(key);
            error.message = quiet[i]!.message;
            (error as { locations?: readonly SourceLocation[] }).locations = quiet[i]!.locations;
            kept.push(error);
          });
          (errors as GraphQLError[]).splice(0, errors.length, ...kept);
        },
      };
    },
  };
}
