import { isObjectType, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

/**
 * Plain fields (no @FieldResolver, no @Authorized, no middleware) lose the resolver type-graphql
 * wraps around them, so the executor reads the property itself (a getter runs as before): no
 * call, no info object and no middleware chain per value, which a 1,000-row page pays thousands
 * of times. It is what type-graphql's `simpleResolvers` does, but decided from the built
 * metadata for every object type (its own fields and those it inherits, such as a connection's
 * `edges`), so a field that gains @Authorized or a middleware keeps its resolver without anyone
 * having to remember this (with `simpleResolvers` it would be skipped without a word). Call it on
 * the schema `buildSchema` returned: the metadata is complete then.
 * It assumes no `globalMiddlewares` (they would wrap every field; createSchema passes none).
 *
 * @example
 * const schema = await buildSchema({ resolvers });
 * readPlainFields(schema);
 */
export function readPlainFields(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage();
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!isObjectType(type)) continue;
    const fields = type.getFields();
    for (const meta of ownAndInheritedFields(storage, objectType.target)) {
      const field = fields[meta.schemaName];
      const resolvedByMethod = storage.fieldResolvers.some(
        (r) => r.methodName === meta.name && r.getObjectType?.() === meta.target,
      );
      const guarded = meta.roles !== undefined || (meta.middlewares?.length ?? 0) > 0;
      // A field renamed in the schema (`@Field({ name })`) is read by its property name: keep type-graphql's resolver.
      const renamed = meta.schemaName !== meta.name;
      if (field && !resolvedByMethod && !guarded && !renamed) field.resolve = undefined;
    }
  }
  return schema;
}

type Storage = ReturnType<typeof getMetadataStorage>;
type FieldMetadata = NonNullable<Storage['objectTypes'][number]['fields']>[number];

/**
 * A class's `@Field`s, then those it inherits that it does not redeclare: a connection's `edges`
 * and `pageInfo` are declared once on the base class `Connection()` makes.
 */
function ownAndInheritedFields(storage: Storage, target: unknown): FieldMetadata[] {
  const fields = new Map<string, FieldMetadata>();
  for (let cls: unknown = target; typeof cls === 'function'; cls = Object.getPrototypeOf(cls)) {
    const declared = storage.objectTypes.find((objectType) => objectType.target === cls);
    for (const field of declared?.fields ?? []) if (!fields.has(field.schemaName)) fields.set(field.schemaName, field);
  }
  return [...fields.values()];
}
