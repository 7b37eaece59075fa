import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { stdSerializers, type Logger } from 'pino';
import type { RequestSummary } from '../graphql/transaction-plugin';
import type { Metrics } from './metrics';

declare module 'http' {
  interface IncomingMessage {
    /** The request's logger, bound to its `requestId` (observeRequests). */
    log: Logger;
  }
}

/** Paths probed every few seconds by orchestrators and scrapers: logged at debug level only. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
const MAX_LOGGED_LENGTH = 200;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's X-Request-Id when it is a plain token, else a fresh one. */
function requestIdOf(req: Request): string {
  const given = req.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** What a handler that answers a GraphQL request itself (before GraphQL runs) tells the log. */
interface RequestNotes {
  summary?: RequestSummary;
  errorCodes?: string[];
}

/** The notes of one response, where the GraphQL summary and refusal codes are left for the log. */
export function notesOf(res: Response): RequestNotes {
  return ((res.locals as { requestNotes?: RequestNotes }).requestNotes ??= {});
}

/** The code a refusal most likely carried when the handler did not say (Apollo's own answers). */
function codeForStatus(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status >= 500) return 'INTERNAL_SERVER_ERROR';
  return 'BAD_REQUEST';
}

function codesOfBody(body: unknown): string[] | undefined {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return undefined;
  const codes = errors
    .map((e) => (e as { extensions?: { code?: unknown } })?.extensions?.code)
    .filter((c): c is string => typeof c === 'string');
  return codes.length ? [...new Set(codes)] : undefined;
}

function clientOperationName(req: Request): string | null {
  const name = (req.body as { operationName?: unknown } | undefined)?.operationName;
  return typeof name === 'string' && name ? name.slice(0, MAX_LOGGED_LENGTH) : null;
}

export interface RequestObserver {
  middleware: RequestHandler;
  /** Requests received whose response has not closed yet. */
  readonly inFlight: number;
  /** Responses closed before they were completely sent (client gone, or cut off at shutdown). */
  readonly aborted: number;
}

/**
 * Request ids, the per-request logger (`req.log`, bound to `requestId`) and one JSON log line per
 * HTTP request when its response closes; and the GraphQL metrics of requests to
 * `graphqlPath`, including those refused before GraphQL ran (bad JSON, too large, 401). The line
 * has the request id, path without the query string (a GET may carry variables), status,
 * duration and outcome, and for GraphQL the operation, organization, statements and error codes
 * (what tenantql's transaction plugin reports, hence the custom part); never bodies, variables
 * or headers (and `req.log` keeps the logger's redaction of credentials should anything log a
 * whole request: it is a child logger, not a new one). This was pino-http; it built two child
 * loggers per request, one of them serializing the whole request through the redaction, which
 * cost about 4% of the server's time on a 50-row query (docs/performance.md).
 *
 * @example
 * const observer = observeRequests({ logger, metrics, graphqlPath: '/graphql' });
 * app.use(observer.middleware); // first: it sets res.locals.requestId and the X-Request-Id header
 */
export function observeRequests(options: { logger: Logger; metrics: Metrics; graphqlPath: string }): RequestObserver {
  let inFlight = 0;
  let aborted = 0;
  const pathOf = (req: Request) => req.path.slice(0, MAX_LOGGED_LENGTH);

  /** The outcome of a response, as the log line and the metrics tell it. */
  const outcomeOf = (req: Request, res: Response) => {
    const { summary, errorCodes: refusal } = notesOf(res);
    const failed = res.statusCode >= 400;
    return {
      summary,
      errorCodes: summary?.errorCodes ?? refusal ?? (failed ? [codeForStatus(res.statusCode)] : []),
      outcome: !res.writableFinished
        ? ('aborted' as const)
        : (summary?.outcome ?? (failed ? ('error' as const) : ('success' as const))),
      graphql: pathOf(req) === options.graphqlPath,
    };
  };

  const line = (req: Request, res: Response, responseTime: number) => {
    const { summary, errorCodes, outcome, graphql } = outcomeOf(req, res);
    return {
      method: req.method,
      path: pathOf(req),
      status: res.headersSent ? res.statusCode : null,
      durationMs: responseTime,
      outcome,
      ...(graphql
        ? {
            operationName: summary ? summary.operationName : clientOperationName(req),
            operation: summary?.operation ?? null,
            organizationId: summary?.organizationId ?? null,
            statements: summary?.statements ?? null,
            errorCodes,
          }
        : {}),
    };
  };

  // Whatever a handler logs of a request by mistake (`{ req }`) goes through the standard
  // serializers and the logger's redaction of credentials.
  const requestLogger = options.logger.child({}, { serializers: { req: stdSerializers.req, res: stdSerializers.res } });
  // Readiness changes are logged when they happen (app.ts), not on every probe.
  const levelOf = (req: Request) => (PROBES.has(pathOf(req)) ? 'debug' : 'info');

  const middleware: RequestHandler = (req, res, next) => {
    const started = performance.now();
    const startedAt = Date.now();
    inFlight++;
    const requestId = requestIdOf(req);
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    // Only `requestId` is bound: never the whole request with its headers and query string.
    req.log = requestLogger.child({ requestId });
    if (pathOf(req) === options.graphqlPath) {
      // A GraphQL request refused before GraphQL ran (by express, Apollo or a middleware) gets
      // a small GraphQL-shaped error body: its codes are read from there. (res.json sends too.)
      const send = res.send.bind(res);
      res.send = (body?: unknown) => {
        const notes = notesOf(res);
        if (!notes.summary && !notes.errorCodes && typeof body === 'string' && body.length <= 65_536) {
          try {
            notes.errorCodes = codesOfBody(JSON.parse(body));
          } catch {
            // not JSON: the status says what happened
          }
        }
        return send(body);
      };
    }
    // 'close' comes after 'finish' for a complete response, and alone for one cut off.
    res.once('close', () => {
      inFlight--;
      if (!res.writableFinished) aborted++;
      const level = levelOf(req);
      if (req.log.isLevelEnabled(level)) req.log[level](line(req, res, Date.now() - startedAt), 'request');
      const { summary, errorCodes, outcome, graphql } = outcomeOf(req, res);
      if (!graphql) return;
      options.metrics.observe({
        // Only what GraphQL resolved: a refused request's body names nothing worth a label.
        operationName: summary?.operationName ?? null,
        resolved: summary?.operation != null,
        authenticated: summary?.organizationId != null,
        outcome,
        durationSeconds: (performance.now() - started) / 1000,
        errorCodes,
        statements: summary?.statements ?? null,
      });
    });
    next();
  };
  return {
    middleware,
    get inFlight() {
      return inFlight;
    },
    get aborted() {
      return aborted;
    },
  };
}
