import crypto from 'node:crypto';
import http from 'node:http';
import { isIP } from 'node:net';
import express, { type ErrorRequestHandler, type Request } from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import {
  ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled, ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema } from 'graphql';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Context } from '../graphql/context';
import { errorLoggingPlugin, formatError } from '../graphql/errors';
import { Loaders } from '../graphql/loaders';
import { createTransactionPlugin, type RequestSummary } from '../graphql/transaction-plugin';
import { RequestTransaction } from '../db/request-transaction';
import type { Services } from '../services';
import { authenticate } from './authenticate';

export interface AppOptions {
  schema: GraphQLSchema;
  appPool: pg.Pool;
  /** A small pool (same role) for security bookkeeping that commits on its own. */
  standalonePool: pg.Pool;
  services: Services;
  logger: Logger;
  production: boolean;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /** Called once per GraphQL request after its transaction has finished. */
  onRequestFinished?: (summary: RequestSummary) => void;
}

export interface App {
  server: http.Server;
  /** Stops accepting requests and waits for in-flight ones (the pool is the caller's). */
  stop(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdOf(req: Request): string {
  const given = req.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** A GraphQL-shaped error body for failures that happen before GraphQL runs. */
function errorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/**
 * The HTTP server: POST /graphql (Apollo, one request transaction each) and GET /healthz.
 * Every error leaves as JSON with a code, never as an HTML page or a stack.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const server = http.createServer(app);

  const apollo = new ApolloServer<Context>({
    schema: options.schema,
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    // The process owns shutdown (main.ts): Apollo must not race it on SIGINT/SIGTERM.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      createTransactionPlugin(options.onRequestFinished),
      errorLoggingPlugin,
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
  });
  await apollo.start();

  app.use((req, res, next) => {
    const requestId = requestIdOf(req);
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.use(
    '/graphql',
    express.json({ limit: options.bodyLimit ?? 1_000_000 }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<Context> => {
        const requestId = res.locals.requestId as string;
        const { viewer, apiKey } = await authenticate(req.get('authorization'), options.services.tokens, options.appPool);
        const db = new RequestTransaction(options.appPool, {
          organizationId: viewer?.organizationId ?? apiKey?.organizationId ?? null,
          userId: viewer?.userId ?? null,
          sessionId: viewer?.sessionId ?? null,
          apiKeyId: apiKey?.id ?? null,
        }, options.standalonePool);
        // An IPv6 zone id (fe80::1%eth0) is not part of an inet value.
        const ip = req.ip?.replace(/%.*$/, '');
        db.requestInfo = { requestId, ip: ip && isIP(ip) ? ip : null, userAgent: req.get('user-agent') ?? null };
        return {
          requestId,
          viewer,
          apiKey,
          db,
          loaders: new Loaders(db),
          services: options.services,
          log: options.logger.child({ requestId }),
          ip: req.ip,
          userAgent: req.get('user-agent'),
        };
      },
    }),
  );

  app.use((_req, res) => {
    res.status(404).json(errorBody('Not found', 'NOT_FOUND'));
  });

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    const status = typeof error?.status === 'number' ? error.status : 500;
    if (error?.type === 'entity.parse.failed') {
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
    async stop() {
      await apollo.stop();
    },
  };
}
