import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { roleUrl, ROLES } from '../src/db/bootstrap';
import { hashPassword } from '../src/auth/passwords';
import { defaultPoolMax } from '../src/config';
import { PROJECT_ROOT } from '../src/paths';
import type { DatasetSize } from './seed';
import {
  benchWorkspace,
  prepareBenchDatabase,
  peakRssReset,
  rssMb,
  signIn,
  spawnServer,
  tenantqlBenchEnv,
  type Served,
} from './support';
import { comparableAnswer, READ_SCENARIOS } from './scenarios';
import { POSTGRAPHILE_SCRIPT, postgraphileEnv, preparePostgraphile } from './peer-servers';

/**
 * CPU milliseconds per request of the benchmark's (a) and (b), for tenantql, the raw-SQL
 * ceiling and the PostGraphile peer (bench/peers/, installed on first use): the server process's utime + stime (/proc/<pid>/stat) around N requests, first one
 * at a time, then 16 in flight, and the PostgreSQL cluster's CPU for the same requests. It
 * moves far less than req/s when other work shares the machine, though a busy machine still
 * inflates it (caches, shared cores): compare with the raw server's figure of the same run.
 * Linux only.
 *
 *   npm run bench:cpu      (about 3 minutes: the 10,000-task dataset, the three servers)
 *
 * Env: CPU_REQUESTS (default 200 per measurement), CPU_CONCURRENCY (16), BENCH_NODE_FLAGS,
 * BENCH_POOL_MAX, CPU_SERVERS=tenantql,raw,postgraphile, BENCH_PEERS=none, CPU_SCENARIOS=nested,taskPage, CPU_PROF=1 (tenantql writes a
 * --cpu-prof profile to .data/bench-profiles/), CPU_QUERIES=<file> (a JSON array of other
 * queries to measure on tenantql alone, e.g. the nested query cut down field by field).
 */

const env = process.env;
const REQUESTS = Number(env.CPU_REQUESTS || 200);
const CONCURRENCY = Number(env.CPU_CONCURRENCY || 16);
/** Database connections of each server: tenantql's default on this machine, as in the benchmark. */
const POOL_MAX = String(Number(env.BENCH_POOL_MAX || defaultPoolMax()));
const NODE_FLAGS = (env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const SERVERS = (env.CPU_SERVERS || 'tenantql,raw,postgraphile').split(',');
const SCENARIOS = (env.CPU_SCENARIOS || 'nested,taskPage').split(',');
const PROFILE_FLAGS =
  env.CPU_PROF === '1'
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${path.join(PROJECT_ROOT, '.data', 'bench-profiles')}`,
        `--cpu-prof-name=cpu-tenantql-${Date.now()}.cpuprofile`,
      ]
    : [];
const PASSWORD = 'BenchPass123';
/** The benchmark's 10,000-task dataset. */
const SIZE: DatasetSize = {
  organizations: 5,
  usersPerOrganization: 20,
  projectsPerOrganization: 50,
  tasksPerProject: 40,
};
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

const log = (message: string) => process.stderr.write(`[cpu] ${message}\n`);

/** utime + stime of a process, in milliseconds. */
const cpuMs = (pid: number): number => cpuTimes(pid).total;

/** utime (user) and stime (system: syscalls, loopback TCP) of a process, in milliseconds. */
function cpuTimes(pid: number): { total: number; system: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [user, system] = [Number(fields[11]), Number(fields[12])].map((ticks) => (ticks * 1000) / TICKS_PER_SECOND) as [
    number,
    number,
  ];
  return { total: user + system, system };
}

/** The cluster's processes: the postmaster started on `dataDir` and its children (backends, workers). */
function clusterPids(dataDir: string): number[] {
  const pids = fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
  const read = (pid: number, file: string) => {
    try {
      return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
    } catch {
      return ''; // gone meanwhile
    }
  };
  const postmaster = pids.find((pid) => read(pid, 'cmdline').split('\0').includes(dataDir));
  if (postmaster === undefined) return [];
  const parentOf = (pid: number) => {
    const stat = read(pid, 'stat');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  return [postmaster, ...pids.filter((pid) => parentOf(pid) === postmaster)];
}

/** CPU ms of each of the cluster's processes now. */
function clusterCpu(dataDir: string): Map<number, number> {
  const times = new Map<number, number>();
  for (const pid of clusterPids(dataDir)) {
    try {
      times.set(pid, cpuMs(pid));
    } catch {
      // gone meanwhile
    }
  }
  return times;
}

/**
 * The cluster's CPU ms between two readings: a backend that started meanwhile counts whole (a
 * pool reconnecting after its idle timeout), one that exited meanwhile not at all (an idle
 * connection another server's pool closed: its last milliseconds are lost, its earlier CPU
 * must not come off the total).
 */
function clusterCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

async function request(url: string, token: string, body: string): Promise<unknown> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const text = await res.text();
  if (res.status !== 200 || text.includes('"errors":[')) throw new Error(`${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** CPU ms per request (server and PostgreSQL) and wall ms per request for `count` requests, `inFlight` at a time. */
async function measure(
  server: Served,
  tokens: string[],
  body: string,
  count: number,
  inFlight: number,
  dataDir: string,
) {
  const pid = server.process.pid!;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      await request(server.url, tokens[n % tokens.length]!, body);
    }
  };
  peakRssReset(pid);
  const pg0 = clusterCpu(dataDir);
  const cpu0 = cpuTimes(pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const wall = performance.now() - t0;
  const cpu1 = cpuTimes(pid);
  const cpu = cpu1.total - cpu0.total;
  const pgCpu = clusterCpuSince(pg0, clusterCpu(dataDir));
  const perRequest = (ms: number) => Math.round((ms / count) * 100) / 100;
  return {
    cpuMsPerRequest: perRequest(cpu),
    systemMsPerRequest: perRequest(cpu1.system - cpu0.system),
    postgresCpuMsPerRequest: perRequest(pgCpu),
    wallMsPerRequest: perRequest(wall),
    peakRssMb: rssMb(pid)?.peak ?? null,
  };
}

async function main(): Promise<void> {
  const ws = benchWorkspace('cpu');
  const { servers } = ws;
  try {
    const pgDir = path.join(ws.dir, 'pg');
    const cluster = await ws.startCluster();
    const passwords = { ownerPassword: 'bench-owner', appPassword: 'bench-app' };
    const database = 'tenantql_cpu';
    await prepareBenchDatabase({
      superuserUrl: cluster.superuserUrl,
      database,
      passwords,
      size: SIZE,
      passwordHash: await hashPassword(PASSWORD),
    });
    const appUrl = roleUrl(cluster.superuserUrl('postgres'), ROLES.app, passwords.appPassword, database);
    const jwtSecret = crypto.randomBytes(48).toString('base64');
    // The compiled tree this script runs from (dist/, or another outDir) holds the server too.
    const tenantql = await spawnServer(
      'tenantql',
      path.join(__dirname, '..', 'src', 'main.js'),
      tenantqlBenchEnv({ databaseUrl: appUrl, jwtSecret, poolMax: POOL_MAX }),
      { flags: [...NODE_FLAGS, ...PROFILE_FLAGS] },
    );
    servers.push(tenantql);
    const raw = await spawnServer(
      'raw',
      path.join(__dirname, 'raw-server.js'),
      { JWT_SECRET: jwtSecret, DATABASE_URL: appUrl, DB_POOL_MAX: POOL_MAX },
      { flags: NODE_FLAGS },
    );
    servers.push(raw);
    if (SERVERS.includes('postgraphile') && !env.CPU_QUERIES && preparePostgraphile(log)) {
      servers.push(
        await spawnServer(
          'postgraphile',
          POSTGRAPHILE_SCRIPT,
          postgraphileEnv({ databaseUrl: appUrl, jwtSecret, poolMax: POOL_MAX }),
          { flags: NODE_FLAGS },
        ),
      );
    }

    const tokens: string[] = [];
    for (let c = 0; c < 16; c++)
      tokens.push(
        await signIn(tenantql.url, 1 + (c % SIZE.organizations), 2 + Math.floor(c / SIZE.organizations), PASSWORD),
      );

    /** Each scenario's request body for tenantql's schema (the raw server's too) and for the peer's. */
    let scenarios: Record<string, { tenantql: string; postgraphile?: string }> = Object.fromEntries(
      Object.entries(READ_SCENARIOS).map(([name, documents]) => [
        name,
        { tenantql: JSON.stringify(documents.tenantql), postgraphile: JSON.stringify(documents.postgraphile) },
      ]),
    );
    const bodyFor = (server: Served, name: string) =>
      server.name === 'postgraphile' ? scenarios[name]!.postgraphile! : scenarios[name]!.tenantql;
    if (env.CPU_QUERIES) {
      const queries = JSON.parse(fs.readFileSync(env.CPU_QUERIES, 'utf8')) as string[];
      scenarios = Object.fromEntries(
        queries.map((query) => [query.replace(/\s+/g, ' '), { tenantql: JSON.stringify({ query }) }]),
      );
      servers.splice(servers.indexOf(raw), 1);
      await raw.stop();
    } else {
      // The raw server answers tenantql's JSON exactly; the peer the same rows (scenarios.ts, comparableAnswer).
      for (const name of Object.keys(scenarios)) {
        const [expected, ...answers] = await Promise.all(
          servers.map((server) => request(server.url, tokens[0]!, bodyFor(server, name))),
        );
        servers.slice(1).forEach((server, i) => {
          const same =
            server.name === 'raw'
              ? isDeepStrictEqual(expected, answers[i])
              : isDeepStrictEqual(comparableAnswer(expected), comparableAnswer(answers[i]));
          if (!same) throw new Error(`${name}: tenantql and ${server.name} disagree`);
        });
      }
    }
    const results: Record<string, unknown>[] = [];
    for (const name of Object.keys(scenarios).filter((name) => env.CPU_QUERIES || SCENARIOS.includes(name))) {
      for (const server of servers.filter((s) => SERVERS.includes(s.name))) {
        const body = bodyFor(server, name);
        await measure(server, tokens, body, Math.max(50, REQUESTS / 2), CONCURRENCY, pgDir); // warm-up: JIT, pools, caches
        const sequential = await measure(server, tokens, body, REQUESTS, 1, pgDir);
        const concurrent = await measure(server, tokens, body, REQUESTS * 2, CONCURRENCY, pgDir);
        const row = {
          scenario: name,
          server: server.name,
          'cpu ms/req (1)': sequential.cpuMsPerRequest,
          'wall ms/req (1)': sequential.wallMsPerRequest,
          [`cpu ms/req (${CONCURRENCY})`]: concurrent.cpuMsPerRequest,
          'of which system': concurrent.systemMsPerRequest,
          [`wall ms/req (${CONCURRENCY})`]: concurrent.wallMsPerRequest,
          'postgres cpu ms/req': concurrent.postgresCpuMsPerRequest,
          'peak RSS MB': concurrent.peakRssMb,
        };
        log(JSON.stringify(row));
        results.push(row);
      }
    }
    if (env.CPU_SHOW_OUTPUT === '1') process.stdout.write(`tenantql's last output:\n${tenantql.output()}\n`);
    console.table(results);
    process.stdout.write(
      `node flags: "${NODE_FLAGS.join(' ')}", ${REQUESTS} requests one at a time, ${REQUESTS * 2} with ${CONCURRENCY} in flight; ` +
        `server CPU from /proc/<pid>/stat; root ${path.relative(PROJECT_ROOT, __dirname)}\n`,
    );
  } finally {
    await ws.cleanup();
  }
}

main().catch((error) => {
  process.stderr.write(
    `cpu-per-request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
