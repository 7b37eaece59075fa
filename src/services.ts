import type { TokenService } from './auth/tokens';
import type { KeyRing } from './auth/keyring';
import type { QueryLimits } from './graphql/limits';

/** Long-lived collaborators shared by every request (created once at start-up). */
export interface Services {
  tokens: TokenService;
  /** Encrypts secrets at rest (phone numbers, later credentials). */
  keyring: KeyRing;
  sessions: {
    refreshTokenTtlSeconds: number;
    /** Sign-in throttle: failures per account (or known device) and per address before a lock that doubles, at most `lockSeconds`. */
    throttle: { perAccount: number; perIp: number; windowSeconds: number; lockSeconds: number };
  };
  /** What registering an operation is checked against (createApp sets it: the request limits and the manifest). */
  operations?: { queryLimits: QueryLimits; manifest: { has(id: unknown): boolean } };
}
