import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { setTenant } from '../../db/database';
import type { Database } from '../../db/schema';
import { BadUserInputError, conflictOn } from '../../graphql/errors';

/** Seed 004 slug: lowercase letters, digits and hyphens; derived from the name when not given. */
export function slugFrom(name: string): string {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100).replace(/-+$/, '');
}

/**
 * Creates an organization with `userId` as its owner, in the caller's transaction, and leaves the
 * transaction acting for the new organization (RLS checks each insert against it).
 */
export async function createOrganizationWithOwner(
  db: Kysely<Database>,
  input: { name: string; slug?: string | null },
  userId: string,
  field = 'slug',
): Promise<{ organizationId: string }> {
  const name = input.name.trim();
  const slug = input.slug ?? slugFrom(name);
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(slug)) {
    throw new BadUserInputError(field, 'Give a slug of lowercase letters, digits and hyphens; none could be made from the name');
  }
  const organizationId = crypto.randomUUID();
  await setTenant(db, { organizationId, userId });
  await db.insertInto('organizations').values({ id: organizationId, name, slug })
    .execute().catch(conflictOn({ organizations_slug_key: [field, 'That slug is already taken'] }));
  await db.insertInto('memberships').values({ organization_id: organizationId, user_id: userId, role: 'owner', status: 'active' }).execute();
  return { organizationId };
}
