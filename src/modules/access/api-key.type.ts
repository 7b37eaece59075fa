import { Field, ObjectType } from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import type { ApiKeysTable } from '../../db/schema';
import { Connection } from '../../graphql/connection';

@ObjectType({ description: 'A key for partner integrations: one organization, a list of permissions.' })
export class ApiKey {
  @Field(() => UUIDResolver)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'The visible start of the key (tq_xxxxxxxx), to tell keys apart.' })
  prefix!: string;

  @Field(() => [String])
  permissions!: string[];

  @Field(() => DateTimeResolver, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'Updated at most once a minute.' })
  lastUsedAt!: Date | null;

  @Field({ description: 'It may send query documents of its own (read-only ad-hoc scope).' })
  adHocReads!: boolean;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  static fromRow(row: Omit<Selectable<ApiKeysTable>, 'secret_hash'>): ApiKey {
    return Object.assign(new ApiKey(), {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      permissions: row.permissions,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      lastUsedAt: row.last_used_at,
      adHocReads: row.ad_hoc_reads,
      createdAt: row.created_at,
    });
  }
}

@ObjectType()
export class ApiKeyConnection extends Connection(ApiKey) {}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field({ description: 'The key itself, shown only this once: send it as `Authorization: Bearer <secret>`.' })
  secret!: string;
}

@ObjectType()
export class ApiKeyPayload {
  @Field(() => ApiKey)
  apiKey!: ApiKey;
}
