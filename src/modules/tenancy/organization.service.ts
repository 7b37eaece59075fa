import { SLUG_PATTERN, slugFrom } from '../../graphql/slug';
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { organizationOf, type Context } from '../../graphql/context';
import { setTenant } from '../../db/database';
import type { Database } from '../../db/schema';
import { BadUserInputError, ForbiddenError, NotFoundError, onViolation } from '../../errors';
import { endSessions, revokeOpenInvitations } from './membership.service';

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
  if (!SLUG_PATTERN.test(slug)) {
    throw new BadUserInputError(
      field,
      'Give a slug of lowercase letters, digits and hyphens; none could be made from the name',
    );
  }
  const organizationId = crypto.randomUUID();
  await setTenant(db, { organizationId, userId });
  await db
    .insertInto('organizations')
    .values({ id: organizationId, name, slug })
    .execute()
    .catch(onViolation({ organizations_slug_key: [field, 'That slug is already taken'] }));
  await db
    .insertInto('memberships')
    .values({ organization_id: organizationId, user_id: userId, role: 'owner', status: 'active' })
    .execute();
  return { organizationId };
}

const SETTINGS_LIMIT = 64 * 1024;

/** Changes the current organization's name, contact or settings. */
export async function updateOrganization(
  ctx: Context,
  input: {
    name?: string | null;
    email?: string | null;
    settings?: Record<string, unknown> | null;
    trustedDocumentsOnly?: boolean | null;
  },
): Promise<string> {
  const changes: { name?: string; email?: string | null; settings?: string; trusted_documents_only?: boolean } = {};
  if (input.trustedDocumentsOnly != null) changes.trusted_documents_only = input.trustedDocumentsOnly;
  if (input.name != null) changes.name = input.name.trim();
  if (input.email !== undefined) changes.email = input.email;
  if (input.settings != null) {
    const text = JSON.stringify(input.settings);
    if (text.length > SETTINGS_LIMIT)
      throw new BadUserInputError('settings', `settings must be at most ${SETTINGS_LIMIT} bytes of JSON`);
    changes.settings = text;
  }
  const db = await ctx.db.get();
  const id = organizationOf(ctx);
  if (Object.keys(changes).length) await db.updateTable('organizations').set(changes).where('id', '=', id).execute();
  return id;
}

/** Owners only (seed 000): a deactivated organization admits nobody; its records stay. */
export async function deactivateOrganization(ctx: Context): Promise<string> {
  const db = await ctx.db.get();
  if (!ctx.viewer) throw new ForbiddenError('Only owners can deactivate the organization');
  const { userId } = ctx.viewer;
  const organizationId = organizationOf(ctx);
  const membership = await db
    .selectFrom('memberships')
    .select('role')
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  if (membership?.role !== 'owner') throw new ForbiddenError('Only owners can deactivate the organization');
  await db.updateTable('organizations').set({ is_active: false }).where('id', '=', organizationId).execute();
  // Deactivation ends what reactivation must not bring back: sessions and open invitations.
  await endSessions(db);
  await revokeOpenInvitations(db);
  return organizationId;
}

/** From a session elsewhere, an owner brings a deactivated organization back. */
export async function reactivateOrganization(ctx: Context, organizationId: string): Promise<void> {
  const { rows } = await sql<{
    ok: boolean | null;
  }>`select app.reactivate_organization(${organizationId}) as ok`.execute(await ctx.db.get());
  if (!rows[0]?.ok) throw new NotFoundError('A deactivated organization you own');
}
