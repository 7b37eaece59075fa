import http from 'node:http';
import { isIP } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { printSchemaSdl } from '../graphql/schema';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Context } from '../graphql/context';
import { errorLoggingPlugin, formatError } from '../graphql/errors';
import { createIntrospectionPlugin } from '../graphql/introspection';
import { Loaders } from '../graphql/loaders';
import { createTransactionPlugin, type RequestSummary } from '../graphql/transaction-plugin';
import {
  APOLLO_APQ_CACHE,
  checkApiKeyRequest,
  createPersistedDocumentsPlugin,
  organizationOperationHash,
  type PersistedDocuments,
} from '../graphql/persisted-documents';
import { BoundedCache, keyValueCache, stringBytes } from '../cache/bounded-cache';
import { documentBytes } from '../graphql/document-bytes';
import { RequestTransaction } from '../db/request-transaction';
import type { Services } from '../services';
import { authenticate } from './authenticate';
import { errorBody } from './error-body';
import { uploadRoutes } from './uploads';
import { downloadRoutes } from './downloads';
import { shareRoutes } from './shares';
import type { FileRoutesOptions } from './file-requests';
import type { BlobStore } from '../blobs';
import { mountGraphiql, type GraphiqlConfig } from './graphiql';
import { checkReadiness } from '../db/readiness';
import { migrations } from '../../db/migrations';
import { Metrics } from './metrics';
import { metricsEndpoint } from './metrics-endpoint';
import { notesOf, observeRequests } from './request-log';
import { acceptDocumentIds, graphqlParams } from './persisted-documents';
import { INVALID_UTF8, rejectInvalidUtf8 } from './utf8';
import { createQueryLimitsPlugin, DEFAULT_QUERY_LIMITS, type QueryLimits } from '../graphql/limits';
import { createFieldCostPlugin } from '../graphql/field-costs';
import { rateLimited } from '../graphql/errors';
import { RateLimiter, requestKeys, type RateLimitSettings, type RateLimitStore } from './rate-limit';
import type { TransactionTimeouts } from '../db/request-transaction';
import { compiledExecution } from '../graphql/compiled-execution';

export interface AppOptions {
  schema: GraphQLSchema;
  appPool: pg.Pool;
  /** A small pool (same role) for security bookkeeping that commits on its own. */
  standalonePool: pg.Pool;
  /** Where uploaded files go (POST /uploads). */
  blobStore: BlobStore;
  services: Services;
  logger: Logger;
  production: boolean;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /** The registered operations (the persisted-operations manifest): all an API key may run. */
  persistedDocuments: PersistedDocuments;
  /** Bytes of document text kept for automatic persisted queries (least recently used go first). */
  apqCacheBytes?: number;
  /** Bytes of parsed, validated documents kept (Apollo's document store; least recently used go first). */
  documentCacheBytes?: number;
  /** Bytes of compiled queries kept (see compiled-execution.ts). */
  compiledQueryCacheBytes?: number;
  /** Called once per GraphQL request after its transaction has finished. */
  onRequestFinished?: (summary: RequestSummary) => void;
  /** How long `stop()` lets in-flight requests finish before closing their connections. */
  shutdownTimeoutMs?: number;
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** GET /metrics only on METRICS_PORT's own server (see `serveMetrics`), never here. */
  metricsOnOwnPort?: boolean;
  /** How long GET /readyz waits for the database. */
  readinessTimeoutMs?: number;
  /** Size limits of one GraphQL operation; DEFAULT_QUERY_LIMITS when not given. */
  queryLimits?: QueryLimits;
  /** statement_timeout and idle_in_transaction_session_timeout of every request transaction. */
  transactionTimeouts?: TransactionTimeouts;
  /** Request rate limits; none when not given. */
  rateLimits?: RateLimitSettings;
  /** Bytes of rate-limit counters kept in memory (DEFAULT_RATE_LIMIT_CACHE_BYTES when not given). */
  rateLimitCacheBytes?: number;
  /** Where rate-limit counters are kept: 'memory' (default, per instance) or 'postgres' (shared, over appPool). */
  rateLimitStore?: RateLimitStore;
  /** A query document is compiled the time it runs this often (default 2; tests use 1 so every query runs compiled). */
  compileQueriesAfter?: number;
  /** Demo accounts GraphiQL offers to sign in with; never shown when `production` is set. */
  demo?: GraphiqlConfig['demo'];
  /** The memory rate limiter's clock in ms (tests move it instead of sleeping). */
  rateLimitClock?: () => number;
}

export interface App {
  server: http.Server;
  /**
   * Stops accepting requests and waits for in-flight ones, at most `shutdownTimeoutMs`; then
   * their connections are closed and `cutOff` says how many were (the pool is the caller's).
   */
  stop(): Promise<{ cutOff: number }>;
  /** GET /metrics with its token check, for METRICS_PORT's own server (src/http/metrics-endpoint.ts). */
  serveMetrics: express.RequestHandler;
}

/** Default byte budgets of the caches that hold caller-controlled documents (docs/security.md, "Bounded caches"). */
export const DEFAULT_APQ_CACHE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_DOCUMENT_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * The HTTP server: POST /graphql (Apollo, one request transaction each), POST /uploads and
 * GET /documents/:id/content (files, streamed to and from the blob store) and GET /healthz.
 * Every error leaves as JSON with a code, never as an HTML page or a stack.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const app = express();
  app.disable('x-powered-by');
  // No ETag on res.send bodies: it hashed every GraphQL response (100 KB and more) for a header no POST uses.
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  const server = http.createServer(app);
  const metrics = new Metrics(
    { app: options.appPool, standalone: options.standalonePool },
    options.persistedDocuments.operationNames(),
  );
  const observer = observeRequests({ logger: options.logger, metrics, graphqlPath: '/graphql' });
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  let draining = false;
  // The response of each GraphQL request, so its summary reaches the request log. Keyed by the
  // request's transaction: Apollo hands plugins a shallow copy of the context object.
  const responses = new WeakMap<RequestTransaction, express.Response>();
  const rememberResponse = (res: express.Response, context: Context): Context => {
    responses.set(context.db, res);
    // Work deferred until the answer is out (RequestTransaction.afterAnswer) starts now.
    res.once('close', () => context.db.answered());
    context.db.onDeferredError = (error) =>
      context.log.error({ err: error }, 'work deferred until after the response failed');
    return context;
  };

  const queryLimits = options.queryLimits ?? DEFAULT_QUERY_LIMITS;
  // Registered operations are checked against the limits requests are held to.
  const services: Services = { ...options.services, operations: { queryLimits, manifest: options.persistedDocuments } };
  const rateLimiter = options.rateLimits
    ? new RateLimiter(options.rateLimits, {
        store: options.rateLimitStore,
        pool: options.appPool,
        now: options.rateLimitClock,
        maxBytes: options.rateLimitCacheBytes,
      })
    : null;

  // Automatic persisted queries for every client, kept per tenant by the persisted-documents
  // plugin (Apollo's own cache would be one for all), in one cache bounded by bytes (text, key
  // and entry), so a flood of tiny documents cannot hold many times the setting.
  const apqCache = keyValueCache(
    new BoundedCache<string, string>({
      maxBytes: options.apqCacheBytes ?? DEFAULT_APQ_CACHE_BYTES,
      sizeOf: (key, document) => stringBytes(key) + stringBytes(document),
    }),
  );

  const apollo = new ApolloServer<Context>({
    // Queries run compiled (graphql-jit); see compiled-execution.ts for why Apollo calls it a gateway.
    gateway: compiledExecution(options.schema, {
      compileAfter: options.compileQueriesAfter,
      maxBytes: options.compiledQueryCacheBytes,
    }),
    // Parsed documents by the hash of their text, sized by what they hold on the heap (tokens,
    // comments and text included): Apollo's default store sized them by their JSON, which a
    // document of comments undercounts thousands of times.
    documentStore: keyValueCache(
      new BoundedCache<string, DocumentNode>({
        maxBytes: options.documentCacheBytes ?? DEFAULT_DOCUMENT_CACHE_BYTES,
        sizeOf: (key, document) => stringBytes(key) + documentBytes(document),
      }),
    ),
    // Always on here: createIntrospectionPlugin decides per caller (signed in, or not production).
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // The process owns shutdown (main.ts): Apollo must not race it on SIGINT/SIGTERM.
    stopOnTerminationSignals: false,
    formatError,
    persistedQueries: { cache: APOLLO_APQ_CACHE },
    // The token limit is the parser's; formatError reports it as QUERY_TOO_COMPLEX.
    parseOptions: { maxTokens: queryLimits.tokens },
    plugins: [
      // First: it refuses oversized operations before any other plugin may open the transaction.
      createQueryLimitsPlugin<Context>(queryLimits),
      // Second, for the same reason: one credential check per operation; costly fields charged per field.
      createFieldCostPlugin(rateLimiter),
      createTransactionPlugin((summary, context) => {
        const res = responses.get(context.db);
        if (res) notesOf(res).summary = summary;
        options.onRequestFinished?.(summary);
      }),
      // After the transaction plugin (see its doc comment).
      createPersistedDocumentsPlugin(options.persistedDocuments, apqCache),
      createIntrospectionPlugin({ production: options.production }),
      errorLoggingPlugin,
      ApolloServerPluginDrainHttpServer({ httpServer: server, stopGracePeriodMillis: shutdownTimeoutMs }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
  });
  await apollo.start();

  // First: it gives the request its id (res.locals.requestId, X-Request-Id) and logger (req.log).
  app.use(observer.middleware);

  // Shutting down, a GraphQL request that still arrives on a kept-alive connection (sent right
  // after, or pipelined behind, an in-flight one) is refused, never run: the drain closes that
  // connection once its responses are out, so it could commit with nobody left to read the
  // answer (a write applied, its client told the connection failed). A 503 is safe to retry.
  app.use('/graphql', (_req, res, next) => {
    if (!draining) return next();
    res
      .status(503)
      .set('retry-after', '1')
      .json(errorBody('The server is shutting down; retry the request', 'SHUTTING_DOWN'));
  });

  // Liveness: the process answers. Readiness: it may be sent traffic (database reachable,
  // schema current, not shutting down). Probes and scrapes are never cached.
  app.get('/healthz', (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'ok' });
  });

  let lastReadiness = 'ready';
  app.get('/readyz', async (_req, res) => {
    const state = draining
      ? { ready: false as const, reason: 'shutting down' }
      : await checkReadiness(options.appPool, migrations, options.readinessTimeoutMs ?? 2_000);
    const now = state.ready ? 'ready' : state.reason;
    if (now !== lastReadiness) {
      if (state.ready) options.logger.info('ready');
      else
        options.logger.warn(
          { reason: state.reason, pending: 'pending' in state ? state.pending : undefined },
          'not ready',
        );
      lastReadiness = now;
    }
    res.set('cache-control', 'no-store');
    if (state.ready) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not ready', reason: state.reason });
  });

  const serveMetrics = metricsEndpoint(metrics, options.metricsToken);
  // Closed in production unless a token guards them: they name operations and show load (docs/operations.md, "Metrics").
  if (!options.metricsOnOwnPort && !(options.production && !options.metricsToken)) app.get('/metrics', serveMetrics);

  // Exactly /graphql (app.use would also take /graphql/anything).
  app.all(
    '/graphql',
    express.json({ limit: options.bodyLimit ?? 1_000_000, verify: rejectInvalidUtf8 }),
    acceptDocumentIds(options.persistedDocuments),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<Context> => {
        const requestId = res.locals.requestId as string;
        const params = graphqlParams(req);
        const { viewer, apiKey } = await authenticate(
          req.get('authorization'),
          options.services.tokens,
          options.appPool,
          organizationOperationHash(params, options.persistedDocuments),
        );
        if (rateLimiter) {
          // After authentication (a bad credential is a 401, not a spent token), before any GraphQL work.
          const organizationId = viewer?.organizationId ?? apiKey?.organizationId ?? null;
          const retryAfter = await rateLimiter.take(requestKeys(organizationId, apiKey?.id ?? null, req.ip));
          if (retryAfter > 0) throw rateLimited(retryAfter);
        }
        if (apiKey) checkApiKeyRequest(params, options.persistedDocuments, apiKey);
        const db = new RequestTransaction(
          options.appPool,
          {
            organizationId: viewer?.organizationId ?? apiKey?.organizationId ?? null,
            userId: viewer?.userId ?? null,
            sessionId: viewer?.sessionId ?? null,
            apiKeyId: apiKey?.id ?? null,
          },
          options.standalonePool,
          options.transactionTimeouts,
        );
        // An IPv6 zone id (fe80::1%eth0) is not part of an inet value.
        const ip = req.ip?.replace(/%.*$/, '');
        db.requestInfo = { requestId, ip: ip && isIP(ip) ? ip : null, userAgent: req.get('user-agent') ?? null };
        return rememberResponse(res, {
          requestId,
          viewer,
          apiKey,
          db,
          loaders: new Loaders(db),
          services,
          log: req.log,
          ip: req.ip,
          userAgent: req.get('user-agent'),
        });
      },
    }),
  );

  // The SDL, so partners can generate types: for an API key or a signed-in user; anonymous
  // callers only outside production (as introspection). Printed once, on first use.
  let sdl: string | undefined;
  app.get('/schema.graphql', async (req, res, next) => {
    let caller;
    try {
      caller = await authenticate(req.get('authorization'), options.services.tokens, options.appPool);
    } catch (error) {
      if (!(error instanceof GraphQLError)) return next(error);
      res
        .status(401)
        .set('www-authenticate', 'Bearer error="invalid_token"')
        .json(errorBody(error.message, 'UNAUTHENTICATED'));
      return;
    }
    if (options.production && !caller.viewer && !caller.apiKey) {
      res
        .status(401)
        .set('www-authenticate', 'Bearer')
        .json(errorBody('Send an API key or an access token to read the schema', 'UNAUTHENTICATED'));
      return;
    }
    sdl ??= printSchemaSdl(options.schema);
    res.set('cache-control', 'no-store').type('text/plain; charset=utf-8').send(sdl);
  });

  // The file routes stream their bodies themselves: no body parser runs before them.
  const fileRoutes: FileRoutesOptions = {
    appPool: options.appPool,
    standalonePool: options.standalonePool,
    tokens: options.services.tokens,
    blobStore: options.blobStore,
    transactionTimeouts: options.transactionTimeouts,
    rateLimiter,
    draining: () => draining,
    logger: options.logger,
  };
  app.use(uploadRoutes(fileRoutes), downloadRoutes(fileRoutes), shareRoutes(fileRoutes));

  mountGraphiql(app, { demo: options.production ? null : options.demo });

  app.use((_req, res) => {
    res.status(404).json(errorBody('Not found', 'NOT_FOUND'));
  });

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    const status = typeof error?.status === 'number' ? error.status : 500;
    if (error?.type === INVALID_UTF8) {
      res.status(400).json(errorBody('The request body is not valid UTF-8', 'BAD_REQUEST'));
    } else if (error?.type === 'entity.parse.failed') {
      res.status(400).json(errorBody('The request body is not valid JSON', 'BAD_REQUEST'));
    } else if (error?.type === 'entity.too.large') {
      res.status(413).json(errorBody('The request body is too large', 'BAD_REQUEST'));
    } else if (status >= 400 && status < 500) {
      res.status(status).json(errorBody('The request could not be read', 'BAD_REQUEST'));
    } else {
      options.logger.error({ err: error, requestId: res.locals.requestId }, 'unhandled HTTP error');
      res.status(500).json(errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
    }
  };
  app.use(onError);

  return {
    server,
    serveMetrics,
    async stop() {
      draining = true;
      const started = performance.now();
      const abortedBefore = observer.aborted;
      options.logger.info(
        { inFlight: observer.inFlight, timeoutMs: shutdownTimeoutMs },
        'no longer accepting connections; finishing in-flight requests',
      );
      await apollo.stop();
      // Timers may fire a little early by this clock: a few ms of slack, not a second condition.
      const timedOut = performance.now() - started >= shutdownTimeoutMs - 50;
      // Past the grace period the drain closed the connections of unfinished requests: wait
      // (bounded) for their responses' close events, which count them as aborted.
      const settle = performance.now() + 1_000;
      while (observer.inFlight > 0 && performance.now() < settle)
        await new Promise((resolve) => setTimeout(resolve, 5));
      const cutOff = timedOut ? observer.aborted - abortedBefore : 0;
      if (cutOff)
        options.logger.warn(
          { cutOff, timeoutMs: shutdownTimeoutMs },
          'requests still running at the shutdown timeout were cut off',
        );
      return { cutOff };
    },
  };
}
