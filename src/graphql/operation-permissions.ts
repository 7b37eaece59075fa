import {
  TypeInfo,
  getNamedType,
  print,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getMetadataStorage } from 'type-graphql';

/** What a field asks of its caller: permissions (all of them), or a signed-in person (`@Authorized()`). */
type FieldRule = { permissions: string[] } | 'person';

const rulesBySchema = new WeakMap<GraphQLSchema, Map<string, FieldRule>>();

/**
 * The `@Authorized` rule of every field of the schema, by `Type.field`, read from type-graphql's
 * metadata (the same the auth checker enforces), so it cannot drift from what runs.
 */
function fieldRules(schema: GraphQLSchema): Map<string, FieldRule> {
  let rules = rulesBySchema.get(schema);
  if (rules) return rules;
  rules = new Map();
  const storage = getMetadataStorage();
  type Target = (typeof storage.objectTypes)[number]['target'];
  const classRoles = (target: Target) => storage.authorizedResolver.find((r) => r.target === target)?.roles;
  const typeName = (target: Target | undefined) => storage.objectTypes.find((t) => t.target === target)?.name;
  const set = (type: string | undefined, field: string, roles: unknown[] | undefined) => {
    if (!type || !roles) return;
    const fields = (schema.getType(type) as { getFields?: () => Record<string, unknown> } | undefined)?.getFields?.();
    if (!fields?.[field]) return;
    rules!.set(`${type}.${field}`, roles.length === 0 ? 'person' : { permissions: roles.map(String) });
  };
  for (const query of storage.queries)
    set(schema.getQueryType()?.name, query.schemaName, query.roles ?? classRoles(query.target));
  for (const mutation of storage.mutations)
    set(schema.getMutationType()?.name, mutation.schemaName, mutation.roles ?? classRoles(mutation.target));
  for (const resolver of storage.fieldResolvers) {
    const objectType =
      resolver.getObjectType?.() ?? storage.resolverClasses.find((r) => r.target === resolver.target)?.getObjectType();
    set(typeName(objectType as Target | undefined), resolver.schemaName, resolver.roles ?? classRoles(resolver.target));
  }
  for (const type of storage.objectTypes)
    for (const field of type.fields ?? []) set(type.name, field.schemaName, field.roles);
  rulesBySchema.set(schema, rules);
  return rules;
}

/** What running an operation asks of its caller. */
export interface OperationNeeds {
  /** Every permission some field of the document needs, sorted. */
  permissions: string[];
  /** Fields only a signed-in person may use (`Type.field`): an API key can never run them. */
  personOnly: string[];
}

/**
 * The permissions a (validated) document needs, computed against the schema: every field it
 * selects, fragments included, under the `@Authorized` rule of that field. Checks inside
 * resolvers (an argument that needs more, such as `includeDeleted`) still apply when it runs.
 *
 * @example
 * operationNeeds(schema, parse('{ organization { members { totalCount } } }'));
 * // { permissions: ['members:read', 'organizations:read'], personOnly: [] }
 */
export function operationNeeds(schema: GraphQLSchema, document: DocumentNode): OperationNeeds {
  const rules = fieldRules(schema);
  const permissions = new Set<string>();
  const personOnly = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field) return;
        const rule = rules.get(`${getNamedType(parent).name}.${field.name}`);
        if (rule === 'person') personOnly.add(`${parent.name}.${field.name}`);
        else if (rule) for (const permission of rule.permissions) permissions.add(permission);
      },
    }),
  );
  return { permissions: [...permissions].sort(), personOnly: [...personOnly].sort() };
}

/** An operation's variables as a client declares them: name, type and default (as GraphQL text). */
export function operationVariables(
  operation: OperationDefinitionNode,
): { name: string; type: string; defaultValue: string | null }[] {
  return (operation.variableDefinitions ?? []).map((definition) => ({
    name: definition.variable.name.value,
    type: print(definition.type),
    defaultValue: definition.defaultValue ? print(definition.defaultValue) : null,
  }));
}
