import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { PROJECT_ROOT } from './paths';
import type { QueryLimits } from './graphql/limits';
import type { TransactionTimeouts } from './db/request-transaction';
import type { RateLimitSettings, RateLimitStore } from './http/rate-limit';
import type { DatabaseSource } from './db/provision';
import type { BlobStoreSettings } from './blobs';
import { ConfigError } from './errors';

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
  /** Where uploaded files go: DATA_DIR/blobs, or an S3-compatible bucket (`BLOB_STORE=s3`). */
  blobStore: BlobStoreSettings;
  /** Size limits of one GraphQL operation (QUERY_TOO_COMPLEX above). */
  queryLimits: QueryLimits;
  /** Set on every request transaction. */
  transactionTimeouts: TransactionTimeouts;
  /** Limits per organization, API key, anonymous address, costly field and mail target (RATE_LIMITED above). */
  rateLimits: RateLimitSettings;
  /** Bytes of rate-limit counters kept in memory (least recently used go first). */
  rateLimitCacheBytes: number;
  /** Where rate-limit counters are kept: this instance's memory, or the database all instances share. */
  rateLimitStore: RateLimitStore;
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

/** The encryption key ring, or a clear error naming the variable. */
export function requireEncryptionKeys(keys: string | undefined): string {
  if (!keys)
    throw new ConfigError('ENCRYPTION_KEYS is required with DATABASE_URL (e.g. `k1:$(openssl rand -base64 32)`)');
  return keys;
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

/**
 * Loads `.env` (by default the project's) into process.env when it exists; variables already set
 * in the environment win. Node's own parser (util.parseEnv, as `node --env-file`; Node 20.12+): no dependency.
 *
 * @example
 * loadEnvFile(); // before loadConfig()
 */
export function loadEnvFile(file = path.join(PROJECT_ROOT, '.env'), target: NodeJS.ProcessEnv = process.env): boolean {
  if (!fs.existsSync(file)) return false;
  for (const [name, value] of Object.entries(parseEnv(fs.readFileSync(file, 'utf8')))) {
    if (target[name] === undefined) target[name] = value;
  }
  return true;
}

/** Unset and empty are the same: the default applies. */
const given = z
  .string()
  .optional()
  .transform((raw) => (raw === undefined || raw === '' ? undefined : raw));

/** An integer variable within [min, max]; undefined when not given. */
function int(min: number, max: number) {
  return given.transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (Number.isInteger(value) && value >= min && value <= max) return value;
    ctx.addIssue({ code: 'custom', message: `must be an integer between ${min} and ${max}, got "${raw}"` });
    return z.NEVER;
  });
}

const bool = given.transform((raw, ctx) => {
  if (raw === undefined) return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  ctx.addIssue({ code: 'custom', message: `must be true or false, got "${raw}"` });
  return z.NEVER;
});

function oneOf<const T extends string>(values: readonly T[]) {
  return given.transform((raw, ctx) => {
    if (raw === undefined || (values as readonly string[]).includes(raw)) return raw as T | undefined;
    ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}, got "${raw}"` });
    return z.NEVER;
  });
}

const httpUrl = given.transform((raw, ctx) => {
  if (raw === undefined) return undefined;
  if (/^https?:\/\//.test(raw) && URL.canParse(raw)) return raw;
  ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
  return z.NEVER;
});

const postgresUrl = given.transform((raw, ctx) => {
  if (raw === undefined) return undefined;
  if (/^postgres(ql)?:\/\//.test(raw) && URL.canParse(raw)) return raw;
  ctx.addIssue({ code: 'custom', message: 'must be a postgres:// URL' });
  return z.NEVER;
});

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * Every environment variable tenantql reads, checked at once: a wrong start names every invalid
 * variable in one message. Defaults that depend on others are applied in loadConfig.
 */
const environment = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test'] as const),
  HOST: given,
  PORT: int(0, 65535),
  DATA_DIR: given,
  EMBEDDED_PG_PORT: int(1024, 65535),
  DATABASE_URL: postgresUrl,
  DATABASE_OWNER_URL: postgresUrl,
  DB_POOL_MAX: int(1, 1000),
  HEAP_GROWING_PERCENT: int(0, 1000),
  APQ_CACHE_BYTES: int(1024, GIB),
  DOCUMENT_CACHE_BYTES: int(0, GIB),
  COMPILED_QUERY_CACHE_BYTES: int(0, GIB),
  SEED_DEMO: bool,
  MIGRATE_ON_START: bool,
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000),
  METRICS_TOKEN: given,
  METRICS_PORT: int(1, 65535),
  AUDIT_RETENTION_DAYS: int(1, 36500),
  BODY_LIMIT_BYTES: int(1024, 100 * MIB),
  BLOB_STORE: oneOf(['local', 's3'] as const),
  S3_BUCKET: given,
  S3_ENDPOINT: httpUrl,
  S3_REGION: given,
  S3_ACCESS_KEY_ID: given,
  S3_SECRET_ACCESS_KEY: given,
  S3_FORCE_PATH_STYLE: bool,
  S3_ALLOW_PRIVATE_ENDPOINT: bool,
  QUERY_MAX_DEPTH: int(1, 1000),
  QUERY_MAX_ALIASES: int(0, 100_000),
  QUERY_MAX_DIRECTIVES: int(0, 100_000),
  QUERY_MAX_TOKENS: int(10, 1_000_000),
  QUERY_MAX_COST: int(1, 1_000_000_000),
  STATEMENT_TIMEOUT_MS: int(0, 3_600_000),
  IDLE_IN_TRANSACTION_TIMEOUT_MS: int(0, 3_600_000),
  RATE_LIMIT_ORG_PER_MINUTE: int(0, 10_000_000),
  RATE_LIMIT_ORG_BURST: int(1, 10_000_000),
  RATE_LIMIT_API_KEY_PER_MINUTE: int(0, 10_000_000),
  RATE_LIMIT_API_KEY_BURST: int(1, 10_000_000),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: int(0, 10_000_000),
  RATE_LIMIT_ANONYMOUS_BURST: int(1, 10_000_000),
  RATE_LIMIT_COSTLY_PER_MINUTE: int(0, 10_000_000),
  RATE_LIMIT_COSTLY_BURST: int(1, 10_000_000),
  RATE_LIMIT_MAIL_PER_HOUR: int(0, 10_000_000),
  RATE_LIMIT_MAIL_BURST: int(1, 10_000_000),
  RATE_LIMIT_CACHE_BYTES: int(1024, GIB),
  RATE_LIMIT_STORE: oneOf(['memory', 'postgres'] as const),
  JWT_ISSUER: given,
  JWT_AUDIENCE: given,
  ACCESS_TOKEN_TTL_SECONDS: int(30, 86400),
  TOKEN_CACHE_BYTES: int(0, GIB),
  REFRESH_TOKEN_TTL_SECONDS: int(300, 365 * 86400),
  SIGN_IN_FAILURES_PER_ACCOUNT: int(1, 1000),
  SIGN_IN_FAILURES_PER_IP: int(1, 100000),
  SIGN_IN_FAILURE_WINDOW_SECONDS: int(1, 86400),
  SIGN_IN_LOCK_SECONDS: int(1, 86400),
  JWT_SECRET: given,
  ENCRYPTION_KEYS: given,
});

/** The names of every variable read (tests check .env.example and the README list each one). */
export const ENVIRONMENT_VARIABLES = Object.keys(environment.shape);

/**
 * Reads the configuration from environment variables (every one is listed in the README and in
 * .env.example). Throws one ConfigError naming every invalid variable.
 *
 * @example
 * loadConfig({ PORT: 'eighty', SEED_DEMO: 'maybe' });
 * // ConfigError: 2 invalid environment variables:
 * //   PORT must be an integer between 0 and 65535, got "eighty"
 * //   SEED_DEMO must be true or false, got "maybe"
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environment.safeParse(source);
  const lines = parsed.success ? [] : parsed.error.issues.map((issue) => `  ${issue.path.join('.')} ${issue.message}`);
  // The rules across variables, in the same list.
  if (source.NODE_ENV === 'production' && !source.DATABASE_URL) {
    lines.push(
      '  DATABASE_URL is required when NODE_ENV=production (the embedded PostgreSQL is for trying tenantql and for tests)',
    );
  }
  if (source.BLOB_STORE === 's3' && !source.S3_BUCKET) lines.push('  S3_BUCKET is required when BLOB_STORE=s3');
  if (Boolean(source.S3_ACCESS_KEY_ID) !== Boolean(source.S3_SECRET_ACCESS_KEY)) {
    lines.push(
      '  S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither (the SDK then finds credentials itself)',
    );
  }
  if (!parsed.success || lines.length) {
    throw new ConfigError(
      `${lines.length} invalid environment variable${lines.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
    );
  }
  const env = parsed.data;
  const nodeEnv = env.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';

  const dataDir = path.resolve(PROJECT_ROOT, env.DATA_DIR ?? '.data');
  const database: DatabaseSource = env.DATABASE_URL
    ? { kind: 'external', appUrl: env.DATABASE_URL, ownerUrl: env.DATABASE_OWNER_URL }
    : {
        kind: 'embedded',
        dataDir,
        port: env.EMBEDDED_PG_PORT ?? 54329,
      };

  return {
    env: nodeEnv,
    host: env.HOST ?? '127.0.0.1',
    port: env.PORT ?? 4000,
    database,
    poolMax: env.DB_POOL_MAX ?? defaultPoolMax(),
    heapGrowingPercent: env.HEAP_GROWING_PERCENT ?? DEFAULT_HEAP_GROWING_PERCENT,
    apqCacheBytes: env.APQ_CACHE_BYTES ?? 8 * MIB,
    documentCacheBytes: env.DOCUMENT_CACHE_BYTES ?? 32 * MIB,
    compiledQueryCacheBytes: env.COMPILED_QUERY_CACHE_BYTES ?? 32 * MIB,
    seedDemo: !production && (env.SEED_DEMO ?? true),
    migrateOnStart: env.MIGRATE_ON_START ?? (database.kind === 'embedded' || Boolean(env.DATABASE_OWNER_URL)),
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? 10_000,
    metricsToken: env.METRICS_TOKEN,
    metricsPort: env.METRICS_PORT,
    auditRetentionDays: env.AUDIT_RETENTION_DAYS ?? 365,
    bodyLimitBytes: env.BODY_LIMIT_BYTES ?? 1_000_000,
    blobStore:
      env.BLOB_STORE === 's3'
        ? {
            kind: 's3',
            bucket: env.S3_BUCKET!,
            endpoint: env.S3_ENDPOINT,
            region: env.S3_REGION ?? 'us-east-1',
            credentials:
              env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
                ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
                : undefined,
            forcePathStyle: env.S3_FORCE_PATH_STYLE ?? false,
            allowPrivateEndpoint: env.S3_ALLOW_PRIVATE_ENDPOINT ?? false,
          }
        : { kind: 'local', dir: path.join(dataDir, 'blobs') },
    queryLimits: {
      depth: env.QUERY_MAX_DEPTH ?? 10,
      aliases: env.QUERY_MAX_ALIASES ?? 15,
      directives: env.QUERY_MAX_DIRECTIVES ?? 50,
      tokens: env.QUERY_MAX_TOKENS ?? 2000,
      cost: env.QUERY_MAX_COST ?? 10_000,
    },
    transactionTimeouts: {
      statementTimeoutMs: env.STATEMENT_TIMEOUT_MS ?? 5_000,
      idleInTransactionTimeoutMs: env.IDLE_IN_TRANSACTION_TIMEOUT_MS ?? 10_000,
    },
    rateLimits: {
      organization: { perMinute: env.RATE_LIMIT_ORG_PER_MINUTE ?? 3000, burst: env.RATE_LIMIT_ORG_BURST ?? 500 },
      apiKey: { perMinute: env.RATE_LIMIT_API_KEY_PER_MINUTE ?? 600, burst: env.RATE_LIMIT_API_KEY_BURST ?? 100 },
      anonymous: { perMinute: env.RATE_LIMIT_ANONYMOUS_PER_MINUTE ?? 60, burst: env.RATE_LIMIT_ANONYMOUS_BURST ?? 20 },
      costly: { perMinute: env.RATE_LIMIT_COSTLY_PER_MINUTE ?? 30, burst: env.RATE_LIMIT_COSTLY_BURST ?? 10 },
      // Mail to one address is counted per hour; the limiter's buckets fill per minute.
      mail: { perMinute: (env.RATE_LIMIT_MAIL_PER_HOUR ?? 10) / 60, burst: env.RATE_LIMIT_MAIL_BURST ?? 3 },
    },
    rateLimitCacheBytes: env.RATE_LIMIT_CACHE_BYTES ?? 32 * MIB,
    rateLimitStore: env.RATE_LIMIT_STORE ?? 'memory',
    auth: {
      issuer: env.JWT_ISSUER ?? 'tenantql',
      audience: env.JWT_AUDIENCE ?? 'tenantql-api',
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS ?? 900,
      verifiedTokenCacheBytes: env.TOKEN_CACHE_BYTES ?? 8 * MIB,
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS ?? 30 * 86400,
      throttle: {
        perAccount: env.SIGN_IN_FAILURES_PER_ACCOUNT ?? 5,
        perIp: env.SIGN_IN_FAILURES_PER_IP ?? 50,
        windowSeconds: env.SIGN_IN_FAILURE_WINDOW_SECONDS ?? 900,
        lockSeconds: env.SIGN_IN_LOCK_SECONDS ?? 900,
      },
    },
    secrets: {
      jwtSecret: env.JWT_SECRET,
      encryptionKeys: env.ENCRYPTION_KEYS,
    },
  };
}
