import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { RequestSummary } from '../graphql/transaction-plugin';
import type { Metrics } from './metrics';

/** Paths probed every few seconds by orchestrators and scrapers: logged at debug level only. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
const MAX_LOGGED_LENGTH = 200;

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
  const codes = errors.map((e) => (e as { extensions?: { code?: unknown } })?.extensions?.code).filter((c): c is string => typeof c === 'string');
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
 * One JSON log line per HTTP request when its response closes, and the GraphQL metrics of
 * requests to `graphqlPath`, including those refused before GraphQL ran (bad JSON, too large,
 * 401). Logs ids, path without the query string (a GET may carry variables), status, duration
 * and outcome; never bodies, variables or headers.
 *
 * @example
 * const observer = observeRequests({ logger, metrics, graphqlPath: '/graphql' });
 * app.use(observer.middleware); // after the request id is set
 */
export function observeRequests(options: { logger: Logger; metrics: Metrics; graphqlPath: string }): RequestObserver {
  let inFlight = 0;
  let aborted = 0;
  const middleware: RequestHandler = (req, res, next) => {
    const started = performance.now();
    const path = req.path.slice(0, MAX_LOGGED_LENGTH);
    inFlight++;
    if (path === options.graphqlPath) {
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
    res.once('close', () => {
      inFlight--;
      const durationMs = performance.now() - started;
      const complete = res.writableFinished;
      if (!complete) aborted++;
      const { summary, errorCodes: refusal } = notesOf(res);
      const failed = res.statusCode >= 400;
      const errorCodes = summary?.errorCodes ?? refusal ?? (failed ? [codeForStatus(res.statusCode)] : []);
      const outcome = !complete ? 'aborted' : summary?.outcome ?? (failed ? 'error' : 'success');
      const graphql = path === options.graphqlPath;
      const operationName = summary ? summary.operationName : clientOperationName(req);
      if (graphql) {
        options.metrics.observe({
          // Only what GraphQL resolved: a refused request's body names nothing worth a label.
          operationName: summary?.operationName ?? null,
          resolved: summary?.operation != null,
          authenticated: summary?.organizationId != null,
          outcome,
          durationSeconds: durationMs / 1000,
          errorCodes,
          statements: summary?.statements ?? null,
        });
      }
      const line = {
        requestId: res.locals.requestId as string,
        method: req.method,
        path,
        status: res.headersSent ? res.statusCode : null,
        durationMs: Math.round(durationMs * 10) / 10,
        outcome,
        ...(graphql ? {
          operationName,
          operation: summary?.operation ?? null,
          organizationId: summary?.organizationId ?? null,
          statements: summary?.statements ?? null,
          errorCodes,
        } : {}),
      };
      // Readiness changes are logged when they happen (app.ts), not on every probe.
      if (PROBES.has(path)) options.logger.debug(line, 'request');
      else options.logger.info(line, 'request');
    });
    next();
  };
  return {
    middleware,
    get inFlight() { return inFlight; },
    get aborted() { return aborted; },
  };
}
