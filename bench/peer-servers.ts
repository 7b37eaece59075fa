import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/paths';

/**
 * The peers `npm run bench` and `npm run bench:cpu` measure beside tenantql: PostGraphile v5 for
 * now. They live in bench/peers/, a package of its own with its own lock file, installed only
 * for the benchmark (the root `npm install` never sees it): the first run installs it with
 * `npm ci`. BENCH_PEERS=none skips the peers; without network the install fails and the run goes
 * on without them, saying so, unless BENCH_PEERS names them (then the failure is the run's).
 */

export const PEERS_DIR = path.join(PROJECT_ROOT, 'bench', 'peers');
/** Plain JavaScript run from the source tree: its packages resolve from bench/peers/node_modules. */
export const POSTGRAPHILE_SCRIPT = path.join(PEERS_DIR, 'postgraphile-server.mjs');

/**
 * The environment of the PostGraphile peer: the same database URL (the app role), JWT secret
 * and pool size as tenantql and the raw server, and production mode (Grafast's development mode
 * checks every plan).
 */
export function postgraphileEnv(settings: {
  databaseUrl: string;
  jwtSecret: string;
  poolMax: string;
}): Record<string, string> {
  return {
    DATABASE_URL: settings.databaseUrl,
    JWT_SECRET: settings.jwtSecret,
    DB_POOL_MAX: settings.poolMax,
    NODE_ENV: 'production',
    GRAPHILE_ENV: 'production',
  };
}

/** Whether every dependency bench/peers/package.json pins is installed at that version. */
function peersInstalled(): boolean {
  const manifest = JSON.parse(fs.readFileSync(path.join(PEERS_DIR, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return Object.entries(manifest.dependencies).every(([name, version]) => {
    try {
      const installed = JSON.parse(
        fs.readFileSync(path.join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8'),
      ) as { version: string };
      return installed.version === version;
    } catch {
      return false;
    }
  });
}

/**
 * Whether the PostGraphile peer takes part in this run: installs bench/peers once (`npm ci`,
 * about 40 s) when it is missing or out of date. Returns false (after logging why) when it is
 * skipped; throws when BENCH_PEERS=postgraphile asked for it and it cannot be installed.
 */
export function preparePostgraphile(log: (message: string) => void): boolean {
  const wanted = (process.env.BENCH_PEERS ?? 'auto').split(',').filter(Boolean);
  if (wanted.includes('none')) {
    log('BENCH_PEERS=none: PostGraphile is not measured');
    return false;
  }
  const required = wanted.includes('postgraphile');
  if (peersInstalled()) return true;
  log('installing the benchmark peers (PostGraphile v5) into bench/peers/node_modules: npm ci, once');
  const npm = spawnSync('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund', '--loglevel=error'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (npm.status === 0 && peersInstalled()) return true;
  const why = npm.error ? npm.error.message : `npm ci exited with ${npm.status ?? npm.signal}`;
  if (required) throw new Error(`BENCH_PEERS=postgraphile, but bench/peers could not be installed (${why})`);
  log(
    `PostGraphile is NOT measured: bench/peers could not be installed (${why}); ` +
      'run `npm ci --prefix bench/peers` when the registry is reachable, or set BENCH_PEERS=none to skip it quietly',
  );
  return false;
}
