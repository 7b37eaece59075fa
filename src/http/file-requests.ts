import type express from 'express';
import type pg from 'pg';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { BlobStore } from '../blobs';
import { DomainError, PayloadTooLargeError } from '../errors';
import type { Database } from '../db/schema';
import { RequestTransaction, type TenantContext, type TransactionTimeouts } from '../db/request-transaction';
import type { TokenService } from '../auth/tokens';
import type { ApiKeyPrincipal, Viewer } from '../graphql/context';
import { authenticate } from './authenticate';
import { errorBody, sendHttpGraphQLError } from './error-body';
import { requestKeys, type RateLimiter } from './rate-limit';

/** What the file routes (POST /uploads, GET /documents/:id/content) share with the GraphQL route. */
export interface FileRoutesOptions {
  appPool: pg.Pool;
  standalonePool: pg.Pool;
  tokens: TokenService;
  blobStore: BlobStore;
  transactionTimeouts?: TransactionTimeouts;
  rateLimiter: RateLimiter | null;
  /** True once the server is shutting down: new file requests are refused with 503. */
  draining: () => boolean;
  logger: Logger;
}

/** An answer other than success, with the GraphQL-shaped body every HTTP error has. */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: Parameters<typeof errorBody>[1],
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface FileCaller {
  viewer: Viewer | null;
  apiKey: ApiKeyPrincipal | null;
  /** The tenant every transaction of the request acts for. */
  context: TenantContext & { organizationId: string };
}

/**
 * The caller of a file route, checked as /graphql checks it: not while shutting down (503), a
 * valid Bearer access token or API key (401), within the rate limits (429), in an organization
 * (403).
 */
export async function fileCaller(
  req: express.Request,
  res: express.Response,
  options: FileRoutesOptions,
): Promise<FileCaller> {
  if (options.draining()) {
    res.set('retry-after', '1');
    throw new HttpRefusal(503, 'SHUTTING_DOWN', 'The server is shutting down; retry the request');
  }
  const { viewer, apiKey } = await authenticate(req.get('authorization'), options.tokens, options.appPool);
  if (!viewer && !apiKey) {
    res.set('www-authenticate', 'Bearer');
    throw new HttpRefusal(401, 'UNAUTHENTICATED', 'Send an access token or an API key');
  }
  const organizationId = viewer?.organizationId ?? apiKey?.organizationId ?? null;
  if (options.rateLimiter) {
    const retryAfter = await options.rateLimiter.take(requestKeys(organizationId, apiKey?.id ?? null, req.ip));
    if (retryAfter > 0) {
      res.set('retry-after', String(retryAfter));
      throw new HttpRefusal(429, 'RATE_LIMITED', `Too many requests; retry in ${retryAfter} s`, { retryAfter });
    }
  }
  if (!organizationId) {
    throw new HttpRefusal(
      403,
      'FORBIDDEN',
      'You are signed in without an organization: create one or switch to one of yours',
    );
  }
  return {
    viewer,
    apiKey,
    context: {
      organizationId,
      userId: viewer?.userId ?? null,
      sessionId: viewer?.sessionId ?? null,
      apiKeyId: apiKey?.id ?? null,
    },
  };
}

/**
 * Runs `read` in a short read-only tenant transaction (RLS, the app role, the session or key
 * re-checked, as every request), after checking the caller holds `permission`; committed before
 * any byte of a file moves, so no connection waits on a slow client.
 */
export async function readAsCaller<T>(
  options: FileRoutesOptions,
  context: TenantContext,
  permission: string,
  read: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const transaction = new RequestTransaction(
    options.appPool,
    context,
    options.standalonePool,
    options.transactionTimeouts,
  );
  transaction.readOnly = true;
  try {
    const db = await transaction.get();
    if (!transaction.permissions?.includes(permission)) {
      throw new HttpRefusal(403, 'FORBIDDEN', `This needs the ${permission} permission`, { permission });
    }
    return await read(db);
  } finally {
    await transaction.finish('commit');
  }
}

/** After a refusal, how long the rest of a body is read and dropped so the client can read the answer. */
const LINGER_MS = 2_000;

/**
 * The rest of a body the server will not read: Node reads and drops it once the answer is out
 * (keep-alive), for a short while, so the client, still sending, can read the answer (closing a
 * socket with unread data resets it, and the client's kernel may throw the answer away); then
 * the connection is cut, so a refused body of a gigabyte is not read to its end.
 */
function lingerAndClose(req: express.Request, res: express.Response): void {
  res.once('finish', () => {
    if (req.complete) return;
    req.resume();
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
    req.once('end', () => clearTimeout(timer));
  });
}

/** HTTP statuses of the domain errors a request transaction can throw (a session that ended, the database away). */
const STATUS_OF: Partial<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SERVICE_UNAVAILABLE: 503,
};

/** The answer to a failed file request: its status and code, or a masked 500 (logged). */
export function refuse(req: express.Request, res: express.Response, error: unknown, logger: Logger): void {
  // The client went away: nobody to answer (a store removes what it had written). A request read
  // to its end is destroyed too (autoDestroy) while its client waits: a body over the limit by
  // its last bytes is refused only then, and still gets its 413.
  if (res.headersSent || req.socket.destroyed || (req.destroyed && !req.complete)) return;
  lingerAndClose(req, res);
  if (error instanceof HttpRefusal) {
    res.status(error.status).json(errorBody(error.message, error.code, error.extensions));
  } else if (error instanceof PayloadTooLargeError) {
    res.status(413).json(errorBody(error.message, error.code, { maxBytes: error.limitBytes }));
  } else if (error instanceof DomainError) {
    res.status(STATUS_OF[error.code] ?? 400).json(errorBody(error.message, error.code, { ...error.details }));
  } else if (!sendHttpGraphQLError(res, error)) {
    logger.error({ err: error, requestId: res.locals.requestId }, 'file request failed');
    res.status(500).json(errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
  }
}
