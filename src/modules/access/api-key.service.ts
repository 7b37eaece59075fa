import crypto from 'node:crypto';
import { sql } from 'kysely';
import { organizationOf, type Context } from '../../graphql/context';
import { BadUserInputError, ForbiddenError, NotFoundError } from '../../errors';
import { hashSecretToken } from '../../auth/secret-tokens';
import { ApiKey } from './api-key.type';
import { assertGrantable } from './role.service';
import type { CreateApiKeyInput } from './api-key.input';

/** What the app role may read of a key (everything but its hash); lists and mutations return these. */
export const API_KEY_COLUMNS = [
  'organization_id',
  'id',
  'name',
  'prefix',
  'permissions',
  'expires_at',
  'revoked_at',
  'last_used_at',
  'ad_hoc_reads',
  'created_at',
  'updated_at',
  'created_by',
  'updated_by',
] as const;

/** A new key `tq_<8 hex>_<256-bit secret>`; the prefix is shown in lists, the whole only once. */
function newApiKey(): { secret: string; prefix: string; hash: string } {
  const prefix = `tq_${crypto.randomBytes(4).toString('hex')}`;
  const secret = `${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
  return { secret, prefix, hash: hashSecretToken(secret) };
}

/** Keys belong to a person (they live while that person's membership does), so keys do not make keys. */
export async function createApiKey(
  ctx: Context,
  input: CreateApiKeyInput,
): Promise<{ apiKey: ApiKey; secret: string }> {
  if (!ctx.viewer) throw new ForbiddenError('API keys cannot create API keys');
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now())
    throw new BadUserInputError('expiresAt', 'expiresAt must be in the future');
  const permissions = [...new Set(input.permissions)].sort();
  await assertGrantable(ctx, permissions);
  const key = newApiKey();
  const row = await (
    await ctx.db.get()
  )
    .insertInto('api_keys')
    .values({
      organization_id: organizationOf(ctx),
      name: input.name.trim(),
      prefix: key.prefix,
      secret_hash: key.hash,
      permissions,
      expires_at: input.expiresAt ?? null,
      ad_hoc_reads: input.adHocReads ?? false,
    })
    .returning(API_KEY_COLUMNS)
    .executeTakeFirstOrThrow();
  return { apiKey: ApiKey.fromRow(row), secret: key.secret };
}

export async function revokeApiKey(ctx: Context, id: string): Promise<ApiKey> {
  const row = await (
    await ctx.db.get()
  )
    .updateTable('api_keys')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('id', '=', id)
    .returning(API_KEY_COLUMNS)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('API key');
  return ApiKey.fromRow(row);
}
