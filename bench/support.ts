import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { bootstrapDatabase, roleUrl, ROLES } from '../src/db/bootstrap';
import { createKysely, createPool } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrate';
import { migrations } from '../db/migrations';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded';
import { PROJECT_ROOT } from '../src/paths';
import { benchEmail, benchSlug, seedBenchData, type DatasetSize } from './seed';

/** Building blocks shared by `npm run bench` (run.ts) and `npm run loadtest` (loadtest.ts). */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A fresh working directory `.data/<prefix>-<pid>`; directories of earlier runs whose process is
 * gone (killed before cleaning up) are removed first.
 */
export function workDirectory(prefix: string): string {
  const root = path.join(PROJECT_ROOT, '.data');
  const pattern = new RegExp(`^${prefix}-(\\d+)$`);
  for (const entry of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const pid = pattern.exec(entry)?.[1];
    if (pid && !isAlive(Number(pid))) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
  }
  const dir = path.join(root, `${prefix}-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  return dir;
}

/**
 * What a bench script runs on: its working directory, its embedded PostgreSQL and its server
 * processes, all stopped and removed by `cleanup()` (also on Ctrl-C).
 *
 * @example
 * const ws = benchWorkspace('bench');
 * try { const cluster = await ws.startCluster(); ws.servers.push(await spawnServer(...)); } finally { await ws.cleanup(); }
 */
export interface BenchWorkspace {
  dir: string;
  servers: Served[];
  cluster: EmbeddedPostgres | undefined;
  startCluster(superuserPassword?: string): Promise<EmbeddedPostgres>;
  cleanup(): Promise<void>;
}

export function benchWorkspace(prefix: string): BenchWorkspace {
  const dir = workDirectory(prefix);
  const ws: BenchWorkspace = {
    dir,
    servers: [],
    cluster: undefined,
    async startCluster(superuserPassword = 'bench-superuser') {
      ws.cluster = await startEmbeddedPostgres({
        dir: path.join(dir, 'pg'),
        port: await freePort(),
        superuserPassword,
        fast: true,
      });
      return ws.cluster;
    },
    async cleanup() {
      for (const s of ws.servers.splice(0)) await s.stop().catch(() => undefined);
      await ws.cluster?.stop().catch(() => undefined);
      ws.cluster = undefined;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  process.once('SIGINT', () => void ws.cleanup().finally(() => process.exit(130)));
  return ws;
}

/** A server process of ours: tenantql or the raw ceiling. */
export interface Served {
  name: string;
  process: ChildProcess;
  url: string;
  /** Resolves when the process has exited, with its code (null when a signal ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 4,000 characters it wrote (stdout and stderr). */
  output(): string;
  /** GET /metrics with the token the server was started with (production closes it to everyone else). */
  metrics(): Promise<string>;
  /** SIGTERM, then SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/**
 * The environment a benchmark gives tenantql: production, an external database, long-lived
 * tokens, and the per-organization, anonymous and costly rate limits off (the benchmark is the
 * only client: the limits would measure themselves).
 */
export function tenantqlBenchEnv(settings: {
  databaseUrl: string;
  jwtSecret: string;
  poolMax: string;
  logLevel?: string;
}): Record<string, string> {
  return {
    JWT_SECRET: settings.jwtSecret,
    ENCRYPTION_KEYS: `k1:${crypto.randomBytes(32).toString('base64')}`,
    DATABASE_URL: settings.databaseUrl,
    NODE_ENV: 'production',
    LOG_LEVEL: settings.logLevel ?? 'warn',
    SEED_DEMO: 'false',
    MIGRATE_ON_START: 'false',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    DB_POOL_MAX: settings.poolMax,
    HOST: '127.0.0.1',
    RATE_LIMIT_ORG_PER_MINUTE: '0',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
    RATE_LIMIT_COSTLY_PER_MINUTE: '0',
  };
}

/**
 * Spawns `node <flags> <script>` on a free port with exactly `serverEnv` (plus PATH and PORT) and
 * waits until POST /graphql answers. Its stderr is echoed with the name as prefix unless `quiet`.
 */
export async function spawnServer(
  name: string,
  script: string,
  serverEnv: Record<string, string>,
  options: { flags?: string[]; quiet?: boolean } = {},
): Promise<Served> {
  const port = await freePort();
  const metricsToken = crypto.randomBytes(24).toString('hex');
  const child = spawn(process.execPath, [...(options.flags ?? []), script], {
    env: { PATH: process.env.PATH ?? '', METRICS_TOKEN: metricsToken, ...serverEnv, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    if (!options.quiet) process.stderr.write(`[${name}] ${chunk.toString()}`);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) while starting:\n${output}`);
    const up = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`${name} did not start within 60 s:\n${output}`);
    await sleep(200);
  }
  return {
    name,
    process: child,
    url,
    exited,
    output: () => output,
    async metrics() {
      return (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** One GraphQL request that must succeed (status 200, no errors); its data. */
export async function graphql(
  url: string,
  token: string | null,
  query: string,
  operationName: string,
  variables?: unknown,
) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, operationName, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
  if (res.status !== 200 || body.errors)
    throw new Error(`${operationName} at ${url} answered ${res.status}: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data!;
}

/** Signs in user `user` of bench organization `organization` (seed.ts names them); its access token. */
export async function signIn(url: string, organization: number, user: number, password: string): Promise<string> {
  const data = await graphql(
    url,
    null,
    'mutation BenchLogin($input: LoginInput!) { login(input: $input) { accessToken } }',
    'BenchLogin',
    {
      input: { email: benchEmail(organization, user), password, organizationSlug: benchSlug(organization) },
    },
  );
  return (data.login as { accessToken: string }).accessToken;
}

export function peakRssReset(pid: number): void {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM (Linux)
  } catch {
    // not Linux, or not allowed: VmHWM is then the peak since start
  }
}

/** Peak and current resident memory of a process in MB (Linux), or null. */
export function rssMb(pid: number): { peak: number; current: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peak: Math.round(kb('VmHWM') / 1024), current: Math.round(kb('VmRSS') / 1024) };
  } catch {
    return null;
  }
}

/**
 * Creates `database` with the real roles on the cluster, migrates it as the owner and seeds
 * `size` (seed.ts) as the superuser.
 */
export async function prepareBenchDatabase(options: {
  superuserUrl: (database: string) => string;
  database: string;
  passwords: { ownerPassword: string; appPassword: string };
  size: DatasetSize;
  passwordHash: string;
}): Promise<void> {
  const superuserUrl = options.superuserUrl('postgres');
  await bootstrapDatabase({ superuserUrl, database: options.database, ...options.passwords });
  const owner = createKysely(
    createPool(roleUrl(superuserUrl, ROLES.owner, options.passwords.ownerPassword, options.database), {
      max: 2,
      applicationName: 'bench-migrate',
    }),
  );
  try {
    await migrateToLatest(owner, migrations);
  } finally {
    await owner.destroy();
  }
  const client = new pg.Client({ connectionString: options.superuserUrl(options.database) });
  await client.connect();
  try {
    await seedBenchData(client, options.size, options.passwordHash);
  } finally {
    await client.end();
  }
}

/**
 * The machine a result file records: CPU, cores, memory, Node, PostgreSQL, kernel, and the load
 * average before (`os.loadavg()` taken at the start) and now (other work on the machine moves every figure).
 *
 * @example
 * const loadBefore = os.loadavg(); ... const document = { machine: benchMachine(loadBefore, await postgresVersion(url)) };
 */
export function benchMachine(loadBefore: number[], postgres: string) {
  const twoDigits = (loads: number[]) => loads.map((l) => Math.round(l * 100) / 100);
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres,
    platform: `${os.type()} ${os.release()}`,
    loadAverageBefore: twoDigits(loadBefore),
    loadAverageAfter: twoDigits(os.loadavg()),
  };
}

/** The cluster's version, e.g. "18.4". */
export async function postgresVersion(superuserUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    return (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
  } finally {
    await client.end();
  }
}
