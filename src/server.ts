import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { requireEncryptionKeys, type Config } from './config';
import { ConfigError } from './errors';
import { createKysely, createPool } from './db/database';
import { migrateToLatest } from './db/migrate';
import { migrations } from '../db/migrations';
import { provisionDatabase } from './db/provision';
import { createSchema } from './graphql/schema';
import { createApp } from './http/app';
import { startMetricsServer } from './http/metrics-endpoint';
import { TokenService } from './auth/tokens';
import { KeyRing } from './auth/keyring';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, seedDemoData } from '../db/seed/demo';
import { PersistedDocuments } from './graphql/persisted-documents';
import { PERSISTED_DOCUMENTS_FILE } from './paths';
import { createBlobStore } from './blobs';

export interface RunningServer {
  url: string;
  seeded: boolean;
  /**
   * Graceful stop: no new requests, in-flight ones finish (within SHUTDOWN_TIMEOUT_MS), pools
   * closed, embedded database stopped. Every step runs; it rejects if any of them failed.
   */
  close(): Promise<void>;
}

/** Brings the whole service up: database, migrations and policies, demo data, HTTP. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const database = await provisionDatabase(config, (message) => logger.info(message));
  const cleanups: [string, () => Promise<void>][] = [['database', () => database.stop()]];
  /** Runs every cleanup, newest first; returns the steps that failed (already logged). */
  const closeAll = async () => {
    const failed: string[] = [];
    for (const [step, cleanup] of cleanups.splice(0).reverse()) {
      logger.debug({ step }, 'stopping');
      await cleanup().catch((err) => {
        logger.error({ err, step }, 'shutdown step failed');
        failed.push(step);
      });
    }
    return failed;
  };
  const close = async () => {
    const failed = await closeAll();
    if (failed.length) throw new Error(`shutdown steps failed: ${failed.join(', ')}`);
  };
  try {
    let keyring: KeyRing;
    try {
      keyring = KeyRing.parse(requireEncryptionKeys(database.encryptionKeys));
    } catch (error) {
      throw error instanceof ConfigError ? error : new ConfigError((error as Error).message);
    }
    let seeded = false;
    if (database.ownerUrl && (config.migrateOnStart || config.seedDemo)) {
      const ownerDb = createKysely(createPool(database.ownerUrl, { max: 2, applicationName: 'tenantql-migrate' }));
      try {
        if (config.migrateOnStart) {
          const ran = await migrateToLatest(ownerDb, migrations);
          logger.info({ migrations: ran }, ran.length ? 'migrations applied' : 'database schema is current');
        }
        if (config.seedDemo) seeded = await seedDemoData(ownerDb);
      } finally {
        await ownerDb.destroy();
      }
    }

    const appPool = createPool(database.appUrl, {
      max: config.poolMax,
      applicationName: 'tenantql',
      onError: (err) => logger.warn({ err }, 'idle database connection failed'),
    });
    cleanups.push(['database pool', () => appPool.end()]);
    const standalonePool = createPool(database.appUrl, {
      max: Math.max(2, Math.ceil(config.poolMax / 4)),
      applicationName: 'tenantql-standalone',
      onError: (err) => logger.warn({ err }, 'idle database connection failed'),
    });
    cleanups.push(['standalone pool', () => standalonePool.end()]);

    const blobStore = await createBlobStore(config.blobStore);
    cleanups.push(['blob store', () => blobStore.close()]);
    logger.info({ blobStore: blobStore.kind }, 'blob store ready');

    const app = await createApp({
      blobStore,
      schema: await createSchema(),
      appPool,
      standalonePool,
      logger,
      production: config.env === 'production',
      persistedDocuments: PersistedDocuments.load(PERSISTED_DOCUMENTS_FILE),
      apqCacheBytes: config.apqCacheBytes,
      documentCacheBytes: config.documentCacheBytes,
      compiledQueryCacheBytes: config.compiledQueryCacheBytes,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      metricsToken: config.metricsToken,
      metricsOnOwnPort: config.metricsPort !== undefined,
      bodyLimit: config.bodyLimitBytes,
      queryLimits: config.queryLimits,
      transactionTimeouts: config.transactionTimeouts,
      rateLimits: config.rateLimits,
      rateLimitCacheBytes: config.rateLimitCacheBytes,
      rateLimitStore: config.rateLimitStore,
      demo: config.seedDemo ? { password: DEMO_PASSWORD, accounts: DEMO_ACCOUNTS } : null,
      services: {
        tokens: new TokenService({ secret: database.jwtSecret, ...config.auth }),
        keyring,
        sessions: { refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds, throttle: config.auth.throttle },
      },
    });
    await new Promise<void>((resolve, reject) => {
      app.server.once('error', reject);
      app.server.listen(config.port, config.host, resolve);
    });
    cleanups.push([
      'http',
      async () => {
        const { cutOff } = await app.stop();
        if (cutOff) throw new Error(`${cutOff} request(s) did not finish within SHUTDOWN_TIMEOUT_MS`);
      },
    ]);
    if (config.metricsPort !== undefined) {
      const metricsServer = await startMetricsServer(app.serveMetrics, config.host, config.metricsPort);
      cleanups.push(['metrics server', () => metricsServer.close()]);
      logger.info({ port: metricsServer.port }, 'GET /metrics is served on its own port');
    } else if (config.env === 'production' && !config.metricsToken) {
      logger.warn(
        'GET /metrics is closed: set METRICS_TOKEN (bearer token) or METRICS_PORT (a port of its own) to scrape it',
      );
    }
    const { port } = app.server.address() as AddressInfo;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    return { url: `http://${host}:${port}/graphql`, seeded, close };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
