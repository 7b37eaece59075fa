import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker';
import { createArgumentValidator } from './input-guard';
import { answerPrefetched } from './prefetch';
import { readPlainFields } from './plain-fields';
import { tenancyResolvers } from '../modules/tenancy';
import { accessResolvers } from '../modules/access';
import { teamResolvers } from '../modules/teams';
import { workResolvers } from '../modules/work';
import { auditResolvers } from '../modules/audit';

/** Every module's resolvers; a new module adds its list here. */
const resolvers = [
  ...tenancyResolvers,
  ...accessResolvers,
  ...teamResolvers,
  ...auditResolvers,
  ...workResolvers,
] as const;

/** Builds the executable schema from the type-graphql classes. */
export async function createSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
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
  // Relations the task lists prefetch (withAssignees): answered from the row, no resolver call per row.
  return answerPrefetched(schema, { Task: ['assignee'] });
}

/** The SDL committed as schema/schema.graphql (sorted, so it only changes when the API does). */
export function printSchemaSdl(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
