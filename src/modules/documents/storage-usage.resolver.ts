import { Authorized, Ctx, Field, FieldResolver, Float, Int, ObjectType, Resolver } from 'type-graphql';
import { sql } from 'kysely';
import type { Context } from '../../graphql/context';
import { Organization } from '../tenancy/organization.type';

@ObjectType({ description: 'What the organization’s documents take up (every document, whoever may see it).' })
export class StorageUsage {
  @Field(() => Float, {
    description:
      'Bytes in the blob store: each distinct content (checksum) among the versions counted once, deleted documents’ included until their blobs are collected.',
  })
  bytes!: number;

  @Field(() => Int, { description: 'Live documents.' })
  documents!: number;

  @Field(() => Int, { description: 'Versions of every document, deleted ones included.' })
  versions!: number;
}

/** Organization.storageUsage: counted by app.storage_usage() (migration 0025) over the whole organization. */
@Resolver(() => Organization)
export class StorageUsageResolver {
  @Authorized('documents:read')
  @FieldResolver(() => StorageUsage, {
    nullable: true,
    description: 'Bytes, documents and versions of the organization.',
  })
  async storageUsage(@Ctx() ctx: Context): Promise<StorageUsage> {
    const db = await ctx.db.get();
    const { rows } = await sql<{ bytes: string; documents: string; versions: string }>`
      select bytes, documents, versions from app.storage_usage()`.execute(db);
    const row = rows[0]!;
    return Object.assign(new StorageUsage(), {
      bytes: Number(row.bytes),
      documents: Number(row.documents),
      versions: Number(row.versions),
    });
  }
}
