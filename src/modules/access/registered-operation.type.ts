import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import type { RegisteredOperationsTable } from '../../db/schema';
import { Connection } from '../../graphql/connection';

@ObjectType({ description: 'A variable an operation declares.' })
export class OperationVariable {
  @Field()
  name!: string;

  @Field({ description: 'Its GraphQL type, e.g. "Int" or "[ID!]!".' })
  type!: string;

  @Field(() => String, { nullable: true, description: 'Its default as GraphQL text; null when it has none.' })
  defaultValue!: string | null;
}

@ObjectType({ description: 'An operation the organization registered: its API keys run it by `documentId`.' })
export class RegisteredOperation {
  @Field(() => UUIDResolver)
  id!: string;

  @Field()
  clientName!: string;

  @Field()
  name!: string;

  @Field(() => Int, { description: 'Counted per client and name from 1, by the database.' })
  version!: number;

  @Field({ description: '"query" or "mutation".' })
  operationType!: string;

  @Field()
  document!: string;

  @Field({ description: 'What to send as `documentId`: `sha256:<hex>`, the same hash as APQ and the manifest.' })
  documentId!: string;

  @Field(() => DateTimeResolver, { nullable: true, description: 'Still runs; clients should move to a newer version.' })
  deprecatedAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'A deleted operation no longer runs.' })
  deletedAt!: Date | null;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  static fromRow(row: Selectable<RegisteredOperationsTable>): RegisteredOperation {
    return Object.assign(new RegisteredOperation(), {
      id: row.id,
      clientName: row.client_name,
      name: row.name,
      version: row.version,
      operationType: row.operation_type,
      document: row.document,
      documentId: `sha256:${row.hash}`,
      deprecatedAt: row.deprecated_at,
      deletedAt: row.deleted_at,
      createdAt: row.created_at,
    });
  }
}

@ObjectType()
export class RegisteredOperationConnection extends Connection(RegisteredOperation) {}

@ObjectType()
export class RegisteredOperationPayload {
  @Field(() => RegisteredOperation)
  operation!: RegisteredOperation;
}
