import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './paths';
import type { QueryLimits } from './graphql/limits';
import type { TransactionTimeouts } from './db/request-transaction';
import type { RateLimitSettings } from './http/rate-limit';

/** Where the database comes from: an embedded cluster we run ourselves, or one the operator runs. */
export type DatabaseSource =
  | { kind: 'embedded'; dataDir: string; port: number }
  | { kind: 'external'; appUrl: string; ownerUrl: string | undefined };

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  database: DatabaseSource;
  poolMax: number;
  /** V8's old-generation growth after a full collection, in percent; 0 leaves V8's own (see main.ts). */
  heapGrowingPercent: number;
  /** Bytes of document text cached for automatic persisted queries. */
  apqCacheBytes: number;
  /** Bytes of parsed documents (Apollo's document store) and of compiled queries kept (docs/security.md, "Bounded caches"). */
  documentCacheBytes: number;
  compiledQueryCacheBytes: number;
  /** Load the demo organizations and users when the database is empty (never in production). */
  seedDemo: boolean;
  /** Run migrations and re-apply policies at start-up (needs the owner role). */
  migrateOnStart: boolean;
  logLevel: string;
  /** How long in-flight requests may run on after SIGTERM/SIGINT before their connections close. */
  shutdownTimeoutMs: number;
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. */
  metricsToken: string | undefined;
  /** When set, GET /metrics is served on this port only (its own server), not on `port`. */
  metricsPort: number | undefined;
  /** How many days `npm run db:purge-audit` keeps audit-log entries. */
  auditRetentionDays: number;
  /** Largest request body accepted, in bytes (413 above). */
  bodyLimitBytes: number;
  /** Size limits of one GraphQL operation (QUERY_TOO_COMPLEX above). */
  queryLimits: QueryLimits;
  /** Set on every request transaction. */
  transactionTimeouts: TransactionTimeouts;
  /** Token buckets per organization, API key, anonymous address, costly field and mail target (RATE_LIMITED above). */
  rateLimits: RateLimitSettings;
  /** Bytes of rate-limit buckets kept (least recently used go first). */
  rateLimitCacheBytes: number;
  auth: {
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
    /** Bytes of verified access tokens remembered (src/auth/tokens.ts). */
    verifiedTokenCacheBytes: number;
    refreshTokenTtlSeconds: number;
    throttle: { perAccount: number; perIp: number; windowSeconds: number; lockSeconds: number };
  };
  /** Secrets from the environment; in embedded mode, missing ones are generated into the data directory. */
  secrets: {
    jwtSecret: string | undefined;
    encryptionKeys: string | undefined;
  };
}

export class ConfigError extends Error {}

/** The encryption key ring, or a clear error naming the variable. */
export function requireEncryptionKeys(keys: string | undefined): string {
  if (!keys) throw new ConfigError('ENCRYPTION_KEYS is required with DATABASE_URL (e.g. `k1:$(openssl rand -base64 32)`)');
  return keys;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function boolFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/**
 * Request connections per instance: twice the cores plus one, at most 10. Requests beyond it wait
 * for a connection in the pool's queue, holding nothing; more connections than the cores can serve
 * only add requests halfway through, each holding its rows (memory, garbage collection) while
 * PostgreSQL's backends take turns on the same cores. On the 2-core benchmark machine, 5 served
 * the nested query about 20% faster than 10 (docs/performance.md).
 */
export function defaultPoolMax(cores = os.availableParallelism()): number {
  return Math.min(10, 2 * cores + 1);
}

/**
 * After a full collection V8 lets the old generation grow by up to 4x before the next one: with
 * many requests in flight at that moment, the heap (and RSS) can reach several times what is live.
 * 50% keeps it close to the live size for a little more collection work (docs/performance.md).
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;

/** Reads the configuration from environment variables; every variable is listed in the README. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const production = nodeEnv === 'production';

  let database: DatabaseSource;
  if (env.DATABASE_URL) {
    database = { kind: 'external', appUrl: env.DATABASE_URL, ownerUrl: env.DATABASE_OWNER_URL || undefined };
  } else {
    if (production) {
      throw new ConfigError('DATABASE_URL is required when NODE_ENV=production (the embedded PostgreSQL is for trying tenantql and for tests)');
    }
    database = {
      kind: 'embedded',
      dataDir: path.resolve(PROJECT_ROOT, env.DATA_DIR || '.data'),
      port: intFrom(env, 'EMBEDDED_PG_PORT', 54329, 1024, 65535),
    };
  }

  return {
    env: nodeEnv,
    host: env.HOST || '127.0.0.1',
    port: intFrom(env, 'PORT', 4000, 0, 65535),
    database,
    poolMax: intFrom(env, 'DB_POOL_MAX', defaultPoolMax(), 1, 1000),
    heapGrowingPercent: intFrom(env, 'HEAP_GROWING_PERCENT', DEFAULT_HEAP_GROWING_PERCENT, 0, 1000),
    apqCacheBytes: intFrom(env, 'APQ_CACHE_BYTES', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    documentCacheBytes: intFrom(env, 'DOCUMENT_CACHE_BYTES', 32 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    compiledQueryCacheBytes: intFrom(env, 'COMPILED_QUERY_CACHE_BYTES', 32 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    seedDemo: !production && boolFrom(env, 'SEED_DEMO', true),
    migrateOnStart: boolFrom(env, 'MIGRATE_ON_START', database.kind === 'embedded' || Boolean(env.DATABASE_OWNER_URL)),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    shutdownTimeoutMs: intFrom(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    metricsToken: env.METRICS_TOKEN || undefined,
    metricsPort: env.METRICS_PORT ? intFrom(env, 'METRICS_PORT', 0, 1, 65535) : undefined,
    auditRetentionDays: intFrom(env, 'AUDIT_RETENTION_DAYS', 365, 1, 36500),
    bodyLimitBytes: intFrom(env, 'BODY_LIMIT_BYTES', 1_000_000, 1024, 100 * 1024 * 1024),
    queryLimits: {
      depth: intFrom(env, 'QUERY_MAX_DEPTH', 10, 1, 1000),
      aliases: intFrom(env, 'QUERY_MAX_ALIASES', 15, 0, 100_000),
      directives: intFrom(env, 'QUERY_MAX_DIRECTIVES', 50, 0, 100_000),
      tokens: intFrom(env, 'QUERY_MAX_TOKENS', 2000, 10, 1_000_000),
      cost: intFrom(env, 'QUERY_MAX_COST', 10_000, 1, 1_000_000_000),
    },
    transactionTimeouts: {
      statementTimeoutMs: intFrom(env, 'STATEMENT_TIMEOUT_MS', 5_000, 0, 3_600_000),
      idleInTransactionTimeoutMs: intFrom(env, 'IDLE_IN_TRANSACTION_TIMEOUT_MS', 10_000, 0, 3_600_000),
    },
    rateLimits: {
      organization: {
        perMinute: intFrom(env, 'RATE_LIMIT_ORG_PER_MINUTE', 3000, 0, 10_000_000),
        burst: intFrom(env, 'RATE_LIMIT_ORG_BURST', 500, 1, 10_000_000),
      },
      apiKey: {
        perMinute: intFrom(env, 'RATE_LIMIT_API_KEY_PER_MINUTE', 600, 0, 10_000_000),
        burst: intFrom(env, 'RATE_LIMIT_API_KEY_BURST', 100, 1, 10_000_000),
      },
      anonymous: {
        perMinute: intFrom(env, 'RATE_LIMIT_ANONYMOUS_PER_MINUTE', 60, 0, 10_000_000),
        burst: intFrom(env, 'RATE_LIMIT_ANONYMOUS_BURST', 20, 1, 10_000_000),
      },
      costly: {
        perMinute: intFrom(env, 'RATE_LIMIT_COSTLY_PER_MINUTE', 30, 0, 10_000_000),
        burst: intFrom(env, 'RATE_LIMIT_COSTLY_BURST', 10, 1, 10_000_000),
      },
      // Mail to one address is counted per hour; the limiter's buckets fill per minute.
      mail: {
        perMinute: intFrom(env, 'RATE_LIMIT_MAIL_PER_HOUR', 10, 0, 10_000_000) / 60,
        burst: intFrom(env, 'RATE_LIMIT_MAIL_BURST', 3, 1, 10_000_000),
      },
    },
    rateLimitCacheBytes: intFrom(env, 'RATE_LIMIT_CACHE_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    auth: {
      issuer: env.JWT_ISSUER || 'tenantql',
      audience: env.JWT_AUDIENCE || 'tenantql-api',
      accessTokenTtlSeconds: intFrom(env, 'ACCESS_TOKEN_TTL_SECONDS', 900, 30, 86400),
      verifiedTokenCacheBytes: intFrom(env, 'TOKEN_CACHE_BYTES', 8 * 1024 * 1024, 0, 1024 * 1024 * 1024),
      refreshTokenTtlSeconds: intFrom(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 86400, 300, 365 * 86400),
      throttle: {
        perAccount: intFrom(env, 'SIGN_IN_FAILURES_PER_ACCOUNT', 5, 1, 1000),
        perIp: intFrom(env, 'SIGN_IN_FAILURES_PER_IP', 50, 1, 100000),
        windowSeconds: intFrom(env, 'SIGN_IN_FAILURE_WINDOW_SECONDS', 900, 1, 86400),
        lockSeconds: intFrom(env, 'SIGN_IN_LOCK_SECONDS', 900, 1, 86400),
      },
    },
    secrets: {
      jwtSecret: env.JWT_SECRET || undefined,
      encryptionKeys: env.ENCRYPTION_KEYS || undefined,
    },
  };
}
