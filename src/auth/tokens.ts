import { webcrypto } from 'node:crypto';
import type { JWTPayload } from 'jose' with { 'resolution-mode': 'import' };

export interface AccessTokenClaims {
  userId: string;
  organizationId: string;
  /** The session (refresh-token family) the token belongs to; revoking it ends the token. */
  sessionId: string;
}

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

// jose is ESM-only: load it once with a real dynamic import.
let joseModule: Promise<typeof import('jose', { with: { 'resolution-mode': 'import' } })> | undefined;
const jose = () => (joseModule ??= import('jose'));

/** How many verified tokens are remembered (a few hundred bytes each). */
const VERIFIED_TOKENS = 10_000;

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
  private readonly verified = new Map<string, { claims: AccessTokenClaims; expiresAtMs: number }>();

  constructor(private readonly settings: TokenSettings) {
    this.key = new TextEncoder().encode(settings.secret);
    if (this.key.length < 32) throw new Error('the JWT secret must be at least 32 bytes');
  }

  async issueAccessToken(claims: AccessTokenClaims): Promise<{ token: string; expiresAt: Date }> {
    const { SignJWT } = await jose();
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.settings.accessTokenTtlSeconds;
    const token = await new SignJWT({ org: claims.organizationId, sid: claims.sessionId })
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
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() < known.expiresAtMs) return known.claims;
      this.verified.delete(token);
    }
    const { jwtVerify } = await jose();
    let payload: JWTPayload;
    try {
      this.verifyKey ??= webcrypto.subtle.importKey('raw', this.key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
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
    if (!isUuid(payload.sub) || !isUuid(payload.org) || !isUuid(payload.sid)) {
      throw new InvalidTokenError('invalid access token claims');
    }
    // Frozen: every request presenting this token gets this object.
    const claims: AccessTokenClaims = Object.freeze({ userId: payload.sub, organizationId: payload.org, sessionId: payload.sid });
    // Oldest first out (Map keeps insertion order); jose has checked that exp is a number in the future.
    if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { claims, expiresAtMs: payload.exp! * 1000 });
    return claims;
  }
}
