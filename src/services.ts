import type { TokenService } from './auth/tokens';
import type { KeyRing } from './auth/keyring';

/** Long-lived collaborators shared by every request (created once at start-up). */
export interface Services {
  tokens: TokenService;
  /** Encrypts secrets at rest (phone numbers, later credentials). */
  keyring: KeyRing;
  sessions: {
    refreshTokenTtlSeconds: number;
    /** Sign-in throttle: failures allowed per account and per IP within the window, then a lock. */
    throttle: { perAccount: number; perIp: number; windowSeconds: number; lockSeconds: number };
  };
}
