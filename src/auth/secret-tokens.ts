import crypto from 'node:crypto';

/** What a secret token is for, visible in its prefix (refresh, password reset, email verification, invitation). */
export type SecretTokenKind = 'rt' | 'pr' | 'ev' | 'iv';

/**
 * A new random token (256 bits) and its SHA-256, the only form ever stored.
 *
 * @example
 * const { token, hash } = newSecretToken('pr'); // mail `token`, store `hash`
 */
export function newSecretToken(kind: SecretTokenKind): { token: string; hash: string } {
  const token = `${kind}_${crypto.randomBytes(32).toString('base64url')}`;
  return { token, hash: hashSecretToken(token) };
}

export function hashSecretToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}
