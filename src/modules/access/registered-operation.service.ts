import {
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { sql } from 'kysely';
import { organizationOf, type Context } from '../../graphql/context';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError, onViolation } from '../../errors';
import { checkQueryLimits, DEFAULT_QUERY_LIMITS } from '../../graphql/limits';
import { operationNeeds } from '../../graphql/operation-permissions';
import { documentHash } from '../../graphql/persisted-documents';
import { CURRENT, viewerPermissions } from '../../graphql/permissions';
import { RegisteredOperation } from './registered-operation.type';
import type { RegisterOperationInput } from './registered-operation.input';

const invalid = (message: string) => new BadUserInputError('document', `document ${message}`);

/** The one operation of a registered document; throws what is wrong with it, naming `document` or `name`. */
export function parseRegisteredDocument(
  schema: GraphQLSchema,
  text: string,
  name: string,
  maxTokens: number,
): { document: DocumentNode; operation: OperationDefinitionNode } {
  let document: DocumentNode;
  try {
    document = parse(text, { maxTokens });
  } catch (error) {
    throw invalid(`is not valid GraphQL: ${error instanceof GraphQLError ? error.message : 'it cannot be parsed'}`);
  }
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (operations.length !== 1) throw invalid(`must hold exactly one operation (it holds ${operations.length})`);
  const operation = operations[0]!;
  if (operation.operation === 'subscription') throw invalid('must be a query or a mutation');
  if (operation.name?.value !== name)
    throw new BadUserInputError(
      'name',
      `name must be the document's operation name (${operation.name?.value ?? 'it has none'})`,
    );
  const errors = validate(schema, document);
  if (errors.length) throw invalid(`does not match the schema: ${errors[0]!.message}`);
  return { document, operation };
}

/**
 * Registers an operation for the caller's organization. It must be valid against the schema and
 * within the request limits, and the caller must hold every permission it needs: a key (or a
 * person) registers only what it could run itself. It runs later with the permissions of
 * whichever key calls it, so registering grants nothing.
 */
export async function registerOperation(
  ctx: Context,
  schema: GraphQLSchema,
  input: RegisterOperationInput,
): Promise<RegisteredOperation> {
  const limits = ctx.services.operations?.queryLimits ?? DEFAULT_QUERY_LIMITS;
  const { document, operation } = parseRegisteredDocument(schema, input.document, input.name, limits.tokens);
  try {
    checkQueryLimits(limits, schema, document, operation);
  } catch (error) {
    throw invalid(`is over the request limits: ${(error as Error).message}`);
  }
  if (ctx.services.operations?.manifest.has(documentHash(input.document))) {
    throw new ConflictError('document is already a built-in operation: run it by its documentId', 'document');
  }
  const needs = operationNeeds(schema, document);
  if (needs.personOnly.length) {
    throw new ForbiddenError(`API keys cannot run ${needs.personOnly.join(', ')}: only a signed-in person can`);
  }
  const held = new Set(await ctx.loaders.use(viewerPermissions).load(CURRENT));
  const missing = needs.permissions.filter((permission) => !held.has(permission));
  if (missing.length)
    throw new ForbiddenError(`The operation needs permissions you do not hold: ${missing.join(', ')}`);
  const row = await (
    await ctx.db.get()
  )
    .insertInto('registered_operations')
    .values({
      organization_id: organizationOf(ctx),
      client_name: input.clientName,
      name: input.name,
      operation_type: operation.operation as 'query' | 'mutation',
      document: input.document,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(
      onViolation({
        registered_operations_hash_key: [
          'document',
          'This organization has already registered this exact document: deprecate or delete that one first',
        ],
      }),
    );
  return RegisteredOperation.fromRow(row);
}

/** Marks a live operation deprecated (it still runs); deprecating twice keeps the first time. */
export async function deprecateOperation(ctx: Context, id: string): Promise<RegisteredOperation> {
  const row = await (
    await ctx.db.get()
  )
    .updateTable('registered_operations')
    .set({ deprecated_at: sql`coalesce(deprecated_at, now())` })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Operation');
  return RegisteredOperation.fromRow(row);
}

/** Deletes an operation: from now on no key runs it; its version number is never reused. */
export async function deleteOperation(ctx: Context, id: string): Promise<RegisteredOperation> {
  const row = await (
    await ctx.db.get()
  )
    .updateTable('registered_operations')
    .set({ deleted_at: sql`now()` })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Operation');
  return RegisteredOperation.fromRow(row);
}
