import type { Logger } from 'pino';
import type { RequestTransaction } from '../db/request-transaction';
import type { Loaders } from './loaders';
import type { Services } from '../services';

/** Who is calling: known from a verified access token; null for anonymous requests. */
export interface Viewer {
  userId: string;
  organizationId: string;
  /** The session (refresh-token family) of the access token. */
  sessionId: string;
}

/** What every resolver receives. One per GraphQL request. */
export interface Context {
  requestId: string;
  viewer: Viewer | null;
  /** The request's one transaction: `await ctx.db.get()` for its Kysely instance. */
  db: RequestTransaction;
  /** Per-request DataLoaders; they share `db`. */
  loaders: Loaders;
  services: Services;
  log: Logger;
  ip: string | undefined;
  userAgent: string | undefined;
}
