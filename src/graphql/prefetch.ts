import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';

/**
 * Lets fields that a list may prefetch answer straight from their parent object: when
 * `parent[field]` is not undefined (a list set it, e.g. `withRelated` sets `task.assignee`),
 * that value is the answer and the field's resolver is not called; otherwise the resolver runs
 * as before. A 1,000-row page then spends no resolver call (type-graphql's wrapper: parameter
 * list, middleware chain, allocations) per row on a relation it already holds.
 *
 * @example
 * answerPrefetched(schema, { Task: ['assignee'] });
 */
export function answerPrefetched(
  schema: GraphQLSchema,
  fields: Readonly<Record<string, readonly string[]>>,
): GraphQLSchema {
  for (const [typeName, names] of Object.entries(fields)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`answerPrefetched: ${typeName} is not an object type of the schema`);
    for (const name of names) {
      const field = type.getFields()[name];
      if (!field) throw new Error(`answerPrefetched: ${typeName}.${name} is not a field of the schema`);
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const value = (source as Record<string, unknown>)[name];
        return value !== undefined ? value : resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
