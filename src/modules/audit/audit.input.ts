import { ArgsType, Field, InputType } from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import { ArrayMaxSize, IsOptional, ValidateNested } from 'class-validator';
import type { KeysetSort } from '../../db/pagination';
import type { AuditSeverity } from '../../db/schema';
import { ConnectionArgs, orderEnum } from '../../graphql/connection';
import { AuditSeverityEnum } from './audit.type';
import { OptionalText } from '../../graphql/text';

export const AUDIT_ORDERS = {
  created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
  created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' },
} as const satisfies Record<string, KeysetSort>;
export const AuditLogOrder = orderEnum('AuditLogOrder', AUDIT_ORDERS);

@InputType({ description: 'Conditions on audit entries; every one given must hold.' })
export class AuditLogFilter {
  @Field(() => UUIDResolver, { nullable: true, description: 'The user who made the changes.' })
  actor?: string | null;

  @Field(() => UUIDResolver, { nullable: true, description: 'The API key that made the changes.' })
  actorApiKey?: string | null;

  @OptionalText({ max: 100 })
  resourceType?: string | null;

  @Field(() => UUIDResolver, { nullable: true })
  resourceId?: string | null;

  @OptionalText({ max: 100, description: 'e.g. task.update' })
  action?: string | null;

  @Field(() => [AuditSeverityEnum], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(4)
  severity?: AuditSeverity[] | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'At or after this instant.' })
  from?: Date | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'Before this instant.' })
  to?: Date | null;
}

@ArgsType()
export class AuditLogArgs extends ConnectionArgs {
  @Field(() => AuditLogFilter, { nullable: true })
  @ValidateNested()
  filter?: AuditLogFilter | null;

  @Field(() => AuditLogOrder, { nullable: true, description: 'Default CREATED_AT_DESC (newest first).' })
  orderBy?: string | null;
}
