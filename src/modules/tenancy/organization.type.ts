import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeResolver, JSONObjectResolver, UUIDResolver } from 'graphql-scalars';
import type { OrganizationRow, PlanTier } from '../../db/schema';
import { PlanTierEnum } from './tenancy.enums';

@ObjectType({ description: 'A tenant. Never deleted, only deactivated.' })
export class Organization {
  @Field(() => UUIDResolver)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'URL-safe identifier: lowercase letters, digits and hyphens.' })
  slug!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field({ description: 'A deactivated organization admits nobody.' })
  isActive!: boolean;

  @Field(() => PlanTierEnum)
  planTier!: PlanTier;

  @Field(() => Int)
  seatsTotal!: number;

  @Field(() => JSONObjectResolver)
  settings!: Record<string, unknown>;

  @Field({
    description:
      'Only operations registered in the persisted-operations manifest run, for signed-in users too (API keys always).',
  })
  trustedDocumentsOnly!: boolean;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver)
  updatedAt!: Date;

  static fromRow(row: OrganizationRow): Organization {
    return Object.assign(new Organization(), {
      id: row.id,
      name: row.name,
      slug: row.slug,
      email: row.email,
      isActive: row.is_active,
      planTier: row.plan_tier,
      seatsTotal: row.seats_total,
      settings: row.settings,
      trustedDocumentsOnly: row.trusted_documents_only,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    });
  }
}
