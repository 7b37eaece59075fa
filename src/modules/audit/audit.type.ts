import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeResolver, JSONObjectResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import { AUDIT_SEVERITIES, type AuditLogTable, type AuditSeverity } from '../../db/schema';
import { Connection } from '../../graphql/connection';
import { enumOf } from '../../graphql/enums';

export const AuditSeverityEnum = enumOf(AUDIT_SEVERITIES);
registerEnumType(AuditSeverityEnum, {
  name: 'AuditSeverity',
  description: 'Deletions are WARNING at least; so is every change to roles and API keys.',
});

@ObjectType({
  description: 'One change to the organization’s data, recorded by the database in the transaction that made it.',
})
export class AuditLogEntry {
  @Field(() => UUIDResolver)
  id!: string;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => UUIDResolver, { nullable: true, description: 'The user who made the change (see actor).' })
  actorUserId!: string | null;

  @Field(() => UUIDResolver, { nullable: true, description: 'The API key that made the change, if one did.' })
  actorApiKeyId!: string | null;

  @Field({ description: '<resource>.<create|update|delete|restore>, e.g. task.update.' })
  action!: string;

  @Field({ description: 'e.g. project, task, membership, api_key.' })
  resourceType!: string;

  @Field(() => UUIDResolver, { nullable: true })
  resourceId!: string | null;

  @Field(() => JSONObjectResolver, {
    description: '{before, after}: the changed columns only; secrets appear as "[redacted]".',
  })
  changes!: Record<string, unknown>;

  @Field(() => AuditSeverityEnum)
  severity!: AuditSeverity;

  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: 'The GraphQL operation name of the request.' })
  operationName!: string | null;

  static fromRow(row: Selectable<AuditLogTable>): AuditLogEntry {
    return Object.assign(new AuditLogEntry(), {
      id: row.id,
      createdAt: row.created_at,
      actorUserId: row.actor_user_id,
      actorApiKeyId: row.actor_api_key_id,
      action: row.action,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      changes: row.changes,
      severity: row.severity,
      requestId: row.request_id,
      ip: row.ip,
      userAgent: row.user_agent,
      operationName: row.operation_name,
    });
  }
}

@ObjectType()
export class AuditLogConnection extends Connection(AuditLogEntry) {}
