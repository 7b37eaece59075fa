import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startServer } from './server';
import { DEMO_PASSWORD, DEMO_USERS } from '../db/seed/demo';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, logger);

  const lines = [`tenantql is serving GraphQL at ${server.url}`];
  if (config.seedDemo) {
    lines.push(
      server.seeded ? 'Demo data loaded.' : 'Demo data: loaded on the first start of an empty database.',
      `Sign in as ${DEMO_USERS.alice} (acme), ${DEMO_USERS.bob} (globex) or ${DEMO_USERS.carol} (both), password ${DEMO_PASSWORD}:`,
      `  curl -s ${server.url} -H 'content-type: application/json' \\`,
      `    -d '{"query":"mutation { login(input: {email: \\"${DEMO_USERS.alice}\\", password: \\"${DEMO_PASSWORD}\\"}) { accessToken } }"}'`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    server.close().then(() => process.exit(0), (err) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
  } else {
    process.stderr.write(`tenantql failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  }
  process.exit(1);
});
