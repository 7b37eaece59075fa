import 'reflect-metadata';
import v8 from 'node:v8';
import { loadConfig, loadEnvFile } from './config';
import { ConfigError } from './errors';
import { createLogger } from './logger';
import { startServer } from './server';
import { EmbeddedPostgresError } from './db/embedded';
import { DEMO_PASSWORD, DEMO_USERS } from '../db/seed/demo';

async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // Read by V8 at every full collection, so setting it now (before the load) is enough.
  if (config.heapGrowingPercent > 0) v8.setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  const server = await startServer(config, logger);

  const lines = [
    `tenantql is serving GraphQL at ${server.url}`,
    `GraphiQL: ${server.url.replace(/\/graphql$/, '/graphiql')}`,
  ];
  if (config.seedDemo) {
    lines.push(
      server.seeded ? 'Demo data loaded.' : 'Demo data: loaded on the first start of an empty database.',
      `Sign in as ${DEMO_USERS.alice} (acme), ${DEMO_USERS.bob} (globex) or ${DEMO_USERS.carol} (both), password ${DEMO_PASSWORD}:`,
      `  curl -s ${server.url} -H 'content-type: application/json' \\`,
      `    -d '{"query":"mutation { login(input: {email: \\"${DEMO_USERS.alice}\\", password: \\"${DEMO_PASSWORD}\\"}) { accessToken } }"}'`,
    );
  }
  // In-flight requests get SHUTDOWN_TIMEOUT_MS; closing the pools and the embedded database
  // get 15 s more. A second signal exits at once.
  let stoppingSince: number | undefined;
  const stop = (signal: string) => {
    if (stoppingSince !== undefined) {
      // One Ctrl-C may arrive twice: from the terminal and forwarded by npm.
      if (performance.now() - stoppingSince < 1_000) return;
      logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      process.exit(1);
    }
    stoppingSince = performance.now();
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 15_000);
    force.unref();
    server.close().then(
      () => {
        logger.info('shut down');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Last: whoever waits for this banner may signal at once, and the handlers are in place.
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
  } else if (error instanceof EmbeddedPostgresError) {
    process.stderr.write(`tenantql cannot start the embedded PostgreSQL: ${error.message}\n`);
  } else {
    process.stderr.write(
      `tenantql failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
