import crypto from 'node:crypto';

/** What a secret token is for, visible in its prefix (refresh, invitation; reset and verification tokens are made in SQL). */
export type SecretTokenKind = 'rt' | 'iv';

/**
 * A new random token (256 bits) and its SHA-256, the only form ever stored.
 *
 * @example
 * const { token, hash } = newSecretToken('iv'); // mail `token`, store `hash`
 */
export function newSecretToken(kind: SecretTokenKind): { token: string; hash: string } {
  const token = `${kind}_${crypto.randomBytes(32).toString('base64url')}`;
  return { token, hash: hashSecretToken(token) };
}

export function hashSecretToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token that names its organization: `<kind>_<organization id, 32 hex>_<256-bit secret>`. */
const ORGANIZATION_TOKEN = /^([a-z]{2})_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/**
 * A new random token (256 bits) that carries its organization, and its SHA-256 (the only form
 * stored). The organization is read back from the token (organizationOfToken) and set as the
 * tenant before the row is looked up by `(organization_id, hash)` under RLS (docs/security.md,
 * "Looking a row up before the tenant is known"): a forged organization part finds nothing.
 *
 * @example
 * const { token, hash } = newOrganizationToken('ds', organizationId); // show `token` once, store `hash`
 */
export function newOrganizationToken(kind: string, organizationId: string): { token: string; hash: string } {
  const token = `${kind}_${organizationId.replaceAll('-', '').toLowerCase()}_${crypto.randomBytes(32).toString('base64url')}`;
  return { token, hash: hashSecretToken(token) };
}

/**
 * The organization a token of `kind` names, or null when it is not one (wrong shape or kind).
 *
 * @example
 * organizationOfToken('ds', req.params.token); // '7c9e6679-7425-40de-944b-e07fc1f90ae7' or null
 */
export function organizationOfToken(kind: string, token: string): string | null {
  const match = ORGANIZATION_TOKEN.exec(token);
  if (!match || match[1] !== kind) return null;
  const hex = match[2] as string;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
