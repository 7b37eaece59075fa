import { webcrypto } from 'node:crypto';
import type { JWTPayload } from 'jose' with { 'resolution-mode': 'import' };
import { BoundedCache, stringBytes } from '../cache/bounded-cache';

export interface AccessTokenClaims {
  userId: string;
  /** Null for a session without an organization (an account that has none yet): no `org` claim. */
  organizationId: string | null;
  /** The session (refresh-token family) the token belongs to; revoking it ends the token. */
  sessionId: string;
}

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  /** Bytes of verified tokens remembered (DEFAULT_VERIFIED_TOKEN_BYTES when not given). */
  verifiedTokenCacheBytes?: number;
}

// jose is ESM-only: load it once with a real dynamic import.
let joseModule: Promise<typeof import('jose', { with: { 'resolution-mode': 'import' } })> | undefined;
const jose = () => (joseModule ??= import('jose'));

/** Bytes of verified tokens remembered by default: about 10,000 tokens. */
export const DEFAULT_VERIFIED_TOKEN_BYTES = 8 * 1024 * 1024;

/** The claims object kept with a verified token: three UUID strings and the object. */
const CLAIMS_BYTES = 400;

/**
 * A JWS compact serialization as its specification writes it: three base64url parts without
 * padding, each the one encoding of its bytes (no `=`, no stray bits in a last character). jose
 * decodes leniently, so one token would otherwise have many spellings.
 */
const isCanonicalJws = (token: string) => {
  const parts = token.split('.');
  return (
    parts.length === 3 &&
    parts.every(
      (part) => /^[A-Za-z0-9_-]+$/.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part,
    )
  );
};

/** The one algorithm we sign with and the only one we accept. */
const ALGORITHM = 'HS256';

export class InvalidTokenError extends Error {}

/**
 * Signs and verifies short-lived access tokens (JWT, HS256 pinned, issuer and audience checked).
 *
 * @example
 * const tokens = new TokenService({ secret, issuer: 'tenantql', audience: 'tenantql-api', accessTokenTtlSeconds: 900 });
 * const { token } = await tokens.issueAccessToken({ userId, organizationId });
 * const claims = await tokens.verifyAccessToken(token); // throws InvalidTokenError
 */
export class TokenService {
  private readonly key: Uint8Array;
  /** The key imported once for verifying (jose would import the bytes again on every request). */
  private verifyKey: Promise<webcrypto.CryptoKey> | undefined;
  /**
   * Tokens whose signature and claims were verified, by their whole text, with their expiry: a
   * client sends the same token with every request until it expires, and checking it again cost
   * as much as a small query. Whether the session is still valid is the database's question on
   * every request (app.session_is_valid), so this remembers nothing that can be revoked.
   */
  private readonly verified: BoundedCache<string, { claims: AccessTokenClaims; expiresAtMs: number }>;

  constructor(private readonly settings: TokenSettings) {
    this.key = new TextEncoder().encode(settings.secret);
    if (this.key.length < 32) throw new Error('the JWT secret must be at least 32 bytes');
    this.verified = new BoundedCache({
      maxBytes: settings.verifiedTokenCacheBytes ?? DEFAULT_VERIFIED_TOKEN_BYTES,
      sizeOf: (token) => stringBytes(token) + CLAIMS_BYTES,
    });
  }

  async issueAccessToken(claims: AccessTokenClaims): Promise<{ token: string; expiresAt: Date }> {
    const { SignJWT } = await jose();
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.settings.accessTokenTtlSeconds;
    const token = await new SignJWT({
      ...(claims.organizationId ? { org: claims.organizationId } : {}),
      sid: claims.sessionId,
    })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(crypto.randomUUID())
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    if (!isCanonicalJws(token)) throw new InvalidTokenError('invalid access token');
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() < known.expiresAtMs) return known.claims;
      this.verified.delete(token);
    }
    const { jwtVerify } = await jose();
    let payload: JWTPayload;
    try {
      this.verifyKey ??= webcrypto.subtle.importKey('raw', this.key, { name: 'HMAC', hash: 'SHA-256' }, false, [
        'verify',
      ]);
      ({ payload } = await jwtVerify(token, await this.verifyKey, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch {
      throw new InvalidTokenError('invalid or expired access token');
    }
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const isUuid = (value: unknown): value is string => typeof value === 'string' && uuid.test(value);
    if (!isUuid(payload.sub) || (payload.org !== undefined && !isUuid(payload.org)) || !isUuid(payload.sid)) {
      throw new InvalidTokenError('invalid access token claims');
    }
    // Frozen: every request presenting this token gets this object.
    const claims: AccessTokenClaims = Object.freeze({
      userId: payload.sub,
      organizationId: payload.org ?? null,
      sessionId: payload.sid,
    });
    // Least recently used first out; jose has checked that exp is a number in the future.
    this.verified.set(token, { claims, expiresAtMs: payload.exp! * 1000 });
    return claims;
  }
}
