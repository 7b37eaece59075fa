import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import pino from 'pino';
import type pg from 'pg';
import { createApp, type AppOptions } from '../../src/http/app';
import { createSchema } from '../../src/graphql/schema';
import { TokenService, type TokenSettings } from '../../src/auth/tokens';
import { KeyRing } from '../../src/auth/keyring';
import type { RequestSummary } from '../../src/graphql/transaction-plugin';
import { documentHash, PersistedDocuments } from '../../src/graphql/persisted-documents';
import { PERSISTED_DOCUMENTS_FILE } from '../../src/paths';
import { testPool } from './db';
import { LocalBlobStore, type BlobStore } from '../../src/blobs';

export const TEST_TOKEN_SETTINGS: TokenSettings = {
  secret: 'test-secret-that-is-at-least-32-bytes-long!!',
  issuer: 'tenantql',
  audience: 'tenantql-api',
  accessTokenTtlSeconds: 900,
};

/** Two keys: k2 encrypts, k1 still decrypts. */
export const TEST_KEY_SPEC = `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`;
export const TEST_KEYRING = KeyRing.parse(TEST_KEY_SPEC);

/** Sign-in throttling generous enough that the suite's deliberate failures never lock it. */
export const TEST_SESSION_SETTINGS = {
  refreshTokenTtlSeconds: 3600,
  throttle: { perAccount: 20, perIp: 100_000, windowSeconds: 900, lockSeconds: 900 },
};

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: {
      message: string;
      path?: string[];
      extensions?: { code?: string; field?: string; [key: string]: unknown };
    }[];
  };
}

/** Any GraphQL response, for helpers that only look at its errors. */
export type Res = Pick<GqlResponse, 'body'> & { status?: number };

/** The `extensions.code` of a response's first error (undefined when it has none). */
export const codeOf = (res: Res): string | undefined => res.body.errors?.[0]?.extensions?.code;

export interface TestApp {
  url: string;
  pool: pg.Pool;
  tokens: TokenService;
  /** Summaries of finished GraphQL requests, newest last. */
  requests: RequestSummary[];
  /** The registered operations of this app (the real manifest and what `gql` registered). */
  documents: TestDocuments;
  gql<T = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; token?: string; headers?: Record<string, string> },
  ): Promise<GqlResponse<T>>;
  post(body: string, headers?: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }>;
  login(email: string, password: string, organizationSlug?: string): Promise<string>;
  /** Stops the app as a shutdown does; says how many requests were cut off at its timeout. */
  close(): Promise<{ cutOff: number }>;
}

let schema: Promise<GraphQLSchema> | undefined;

/**
 * The real manifest, plus whatever documents the tests run with API keys: `gql` registers those
 * on the fly (API keys may only run registered operations; the tests of that rule use `post`).
 */
export class TestDocuments extends PersistedDocuments {
  static real(): TestDocuments {
    return new TestDocuments(JSON.parse(fs.readFileSync(PERSISTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>);
  }

  /** Registers a document and returns its id (`sha256:<hex>`). */
  register(document: string): string {
    const id = `sha256:${documentHash(document)}`;
    this.put(id, document);
    return id;
  }
}

/** The real HTTP app on a random loopback port, over the app role's pool. */
export async function startTestApp(
  options: {
    poolMax?: number;
    sessions?: typeof TEST_SESSION_SETTINGS;
    apqCacheBytes?: number;
    production?: boolean;
    /** Where uploads go; by default a LocalBlobStore in a directory of its own under the OS's temporary directory. */
    blobStore?: BlobStore;
    /** Another app pool (e.g. to a database that is down); the caller closes it. */
    pool?: pg.Pool;
    /** The pool for security bookkeeping that commits on its own (same database as `pool`); the caller closes it. */
    standalonePool?: pg.Pool;
    /** Options passed to createApp as they are (a logger to read, the metrics token, timeouts). */
    app?: Partial<
      Pick<
        AppOptions,
        | 'logger'
        | 'metricsToken'
        | 'readinessTimeoutMs'
        | 'shutdownTimeoutMs'
        | 'bodyLimit'
        | 'queryLimits'
        | 'transactionTimeouts'
        | 'rateLimits'
        | 'rateLimitClock'
        | 'rateLimitStore'
        | 'compileQueriesAfter'
        | 'demo'
      >
    >;
  } = {},
): Promise<TestApp> {
  const pool = options.pool ?? testPool('app', options.poolMax ?? 5);
  const tokens = new TokenService(TEST_TOKEN_SETTINGS);
  const requests: RequestSummary[] = [];
  const documents = TestDocuments.real();
  const ownBlobDir = options.blobStore ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-blobs-'));
  const app = await createApp({
    schema: await (schema ??= createSchema()),
    appPool: pool,
    standalonePool: options.standalonePool ?? testPool('app', 3, 'jest-standalone'),
    blobStore: options.blobStore ?? new LocalBlobStore(ownBlobDir!),
    services: { tokens, sessions: options.sessions ?? TEST_SESSION_SETTINGS, keyring: TEST_KEYRING },
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    production: options.production ?? false,
    persistedDocuments: documents,
    apqCacheBytes: options.apqCacheBytes,
    onRequestFinished: (summary) => requests.push(summary),
    // Every query the suite sends runs compiled, not only those it repeats.
    compileQueriesAfter: 1,
    ...options.app,
  });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/graphql`;

  const post: TestApp['post'] = async (body, headers = {}) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  const gql: TestApp['gql'] = async (query, { variables, token, headers = {} } = {}) => {
    // An API key sends the registered operation's id, as a partner would.
    const body = token?.startsWith('tq_') ? { documentId: documents.register(query), variables } : { query, variables };
    const res = await post(JSON.stringify(body), {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    });
    return { status: res.status, headers: res.headers, body: JSON.parse(res.text) };
  };

  return {
    url,
    pool,
    tokens,
    requests,
    documents,
    gql,
    post,
    async login(email, password, organizationSlug) {
      const res = await gql<{ login: { accessToken: string } }>(
        'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }',
        { variables: { input: { email, password, organizationSlug } } },
      );
      if (!res.body.data?.login) throw new Error(`login failed for ${email}: ${JSON.stringify(res.body.errors)}`);
      return res.body.data.login.accessToken;
    },
    async close() {
      const stopped = await app.stop();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
      if (ownBlobDir) fs.rmSync(ownBlobDir, { recursive: true, force: true });
      return stopped;
    },
  };
}
