import type { Logger } from 'pino';
import { ForbiddenError } from '../errors';
import type { RequestTransaction } from '../db/request-transaction';
import type { Loaders } from './loaders';
import type { Services } from '../services';

/** Who is calling: known from a verified access token; null for anonymous requests. */
export interface Viewer {
  userId: string;
  /** Null in a session without an organization: only fields marked `withoutOrganization` run there. */
  organizationId: string | null;
  /** The session (refresh-token family) of the access token; random, unstored, without an organization. */
  sessionId: string;
}

/** A partner request: an API key of one organization, acting with exactly its permissions. */
export interface ApiKeyPrincipal {
  id: string;
  organizationId: string;
  /** The organization's registered operation the request names by hash (found with the key, in one statement). */
  operation?: { hash: string; document: string } | null;
  /** The key may send query documents of its own (read-only ad-hoc scope, for BI tools). */
  adHocReads?: boolean;
}

/** What every resolver receives. One per GraphQL request. */
export interface Context {
  requestId: string;
  /** The signed-in user, or null (anonymous, or an API key). */
  viewer: Viewer | null;
  apiKey: ApiKeyPrincipal | null;
  /** The request's one transaction: `await ctx.db.get()` for its Kysely instance. */
  db: RequestTransaction;
  /** Per-request DataLoaders; they share `db`. */
  loaders: Loaders;
  services: Services;
  log: Logger;
  ip: string | undefined;
  userAgent: string | undefined;
}

/** The organization the request acts for, whoever is calling (resolvers behind @Authorized). */
export function organizationOf(ctx: Context): string {
  const id = ctx.viewer?.organizationId ?? ctx.apiKey?.organizationId;
  if (!id) {
    // A session without an organization is refused by the auth checker first; this is the backstop.
    if (ctx.viewer)
      throw new ForbiddenError('You are signed in without an organization: create one or switch to one of yours');
    throw new Error('organizationOf called on an unauthenticated request');
  }
  return id;
}
