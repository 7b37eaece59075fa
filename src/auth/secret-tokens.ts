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
