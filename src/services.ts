import type { TokenService } from './auth/tokens';
import type { KeyRing } from './auth/keyring';

/** Long-lived collaborators shared by every request (created once at start-up). */
export interface Services {
  tokens: TokenService;
  /** Encrypts secrets at rest (phone numbers, later credentials). */
  keyring: KeyRing;
  sessions: {
    refreshTokenTtlSeconds: number;
  };
}
