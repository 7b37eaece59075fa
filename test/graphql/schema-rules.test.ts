import 'reflect-metadata';
import {
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { createSchema } from '../../src/graphql/schema';

type FieldMetadata = NonNullable<ReturnType<typeof getMetadataStorage>['objectTypes'][number]['fields']>[number];

/**
 * Rules the built schema keeps whatever declares its types (hand-written classes or the resource
 * layer), checked on the whole schema with no list of types or fields.
 */
describe('the API schema', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await createSchema();
  });

  /** Every type but introspection's. */
  const types = () => Object.values(schema.getTypeMap()).filter((type) => !isIntrospectionType(type));

  it('names no field and no argument with `_` (compiled execution falls back to graphql-js for those)', () => {
    const names: string[] = [];
    for (const type of types()) {
      if (!isObjectType(type) && !isInterfaceType(type) && !isInputObjectType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        names.push(`${type.name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : []) names.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    for (const directive of schema.getDirectives())
      for (const arg of directive.args) names.push(`@${directive.name}(${arg.name})`);
    expect(names.length).toBeGreaterThan(500);
    expect(names.filter((name) => name.replace(/^.*[.@(]/, '').includes('_'))).toEqual([]);
  });

  /**
   * type-graphql's declaration of each field of an object type: the class's own `@Field`s and
   * field resolvers, then its base classes' (a connection's `edges`, `pageInfo`, `totalCount`).
   */
  function fieldMetadata(type: GraphQLObjectType): Map<string, FieldMetadata> | undefined {
    const storage = getMetadataStorage();
    const declared = storage.objectTypes.find((objectType) => objectType.name === type.name);
    if (!declared) return undefined;
    const fields = new Map<string, FieldMetadata>();
    for (let target: unknown = declared.target; typeof target === 'function'; target = Object.getPrototypeOf(target)) {
      const ofClass = storage.objectTypes.find((objectType) => objectType.target === target);
      for (const field of ofClass?.fields ?? []) if (!fields.has(field.schemaName)) fields.set(field.schemaName, field);
    }
    return fields;
  }

  it('reads plain fields without a resolver and keeps the resolver of every resolved or guarded field', () => {
    const storage = getMetadataStorage();
    const wrong: string[] = [];
    const counts = { plain: 0, resolved: 0 };
    const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);
    for (const type of types()) {
      if (!isObjectType(type) || roots.has(type)) continue;
      const declared = fieldMetadata(type);
      if (!declared) {
        wrong.push(`${type.name}: not a type-graphql object type`);
        continue;
      }
      for (const [name, field] of Object.entries(type.getFields())) {
        const meta = declared.get(name);
        if (!meta) {
          wrong.push(`${type.name}.${name}: no type-graphql field`);
          continue;
        }
        // A method, a getter (type-graphql records both as field resolvers) or a @FieldResolver.
        const resolved = storage.fieldResolvers.some(
          (resolver) => resolver.methodName === meta.name && resolver.getObjectType?.() === meta.target,
        );
        // @Authorized or a middleware: their check runs inside the resolver.
        const guarded = meta.roles !== undefined || (meta.middlewares?.length ?? 0) > 0;
        // `@Field({ name })`: type-graphql's resolver reads the property under its other name.
        const renamed = meta.schemaName !== meta.name;
        const needsResolver = resolved || guarded || renamed;
        counts[needsResolver ? 'resolved' : 'plain'] += 1;
        if (needsResolver && !field.resolve)
          wrong.push(
            `${type.name}.${name}: ${resolved ? 'resolved' : guarded ? 'guarded' : 'renamed'}, but no resolver`,
          );
        if (!needsResolver && field.resolve) wrong.push(`${type.name}.${name}: plain, but has a resolver`);
      }
    }
    expect(wrong).toEqual([]);
    expect(counts.plain).toBeGreaterThan(200);
    expect(counts.resolved).toBeGreaterThan(40);
  });
});
