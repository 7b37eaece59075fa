import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker';
import { createArgumentValidator } from './input-guard';
import { answerPrefetched } from './prefetch';
import { readPlainFields } from './plain-fields';
// Every module registers its resources and resolvers when imported (src/modules/index.ts).
import '../modules';
import { registry } from '../resources';

/** Builds the executable schema from the type-graphql classes. */
export async function createSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    // The hand resolvers, each resource's leaf, and the inverse lists (built at the first call).
    resolvers: registry.resolvers(),
    authChecker,
    // class-validator, after the checks no input type can express (NUL, unpaired surrogates, nesting).
    validateFn: createArgumentValidator({
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
    }),
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
  });
  // Plain fields: the executor reads the property, no resolver call per field and row.
  readPlainFields(schema);
  // Relations lists prefetch (withRelated): answered from the row, no resolver call per row.
  return answerPrefetched(schema, registry.prefetched());
}

/** The SDL committed as schema/schema.graphql (sorted, so it only changes when the API does). */
export function printSchemaSdl(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
