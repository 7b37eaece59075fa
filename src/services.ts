import type { TokenService } from './auth/tokens';

/** Long-lived collaborators shared by every request (created once at start-up). */
export interface Services {
  tokens: TokenService;
  sessions: {
    refreshTokenTtlSeconds: number;
  };
}
