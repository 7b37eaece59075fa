import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { roleUrl, ROLES } from '../src/db/bootstrap';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded';
import { hashPassword } from '../src/auth/passwords';
import { PROJECT_ROOT } from '../src/paths';
import { benchSlug, taskCount, type DatasetSize } from './seed';
import {
  benchMachine,
  postgresVersion,
  prepareBenchDatabase,
  rssMb,
  signIn,
  sleep,
  spawnServer,
  workDirectory,
  type Served,
  tenantqlBenchEnv,
} from './support';
import {
  BATCH_MUTATION,
  batchVariables,
  judge,
  loadRequest,
  OUTAGE_CODES,
  type Judgement,
  type LoadKind,
  type LoadTargets,
} from './load-scenarios';

/**
 * `npm run loadtest`: tenantql under a mixed load on loopback, then the faults an operator meets,
 * each asserted. Its own embedded PostgreSQL in .data/loadtest-<pid>, a seeded database, the built
 * server (`node dist/src/main.js`, external DATABASE_URL, NODE_ENV=production) and autocannon.
 *
 * 1. steady: LOADTEST_DURATION s (after LOADTEST_WARMUP s) of reads and writes from several
 *    organizations: no failed response, every acknowledged createTask in the database, no leaked
 *    connection (pool gauges and pg_stat_activity), the live heap not growing (RSS reported).
 * 2. database restart: PostgreSQL fast-stopped mid-load and started again 2 s later: clean
 *    errors meanwhile, /readyz 503, then recovery by itself within LOADTEST_RECOVERY_SECONDS,
 *    same server process.
 * 3. pg_terminate_backend of every app connection, twice, mid-load: clean errors, at most one
 *    failed request per killed connection, all well again right after.
 * 4. SIGTERM mid-writes: requests that each write two tasks and a comment (six rows with the
 *    activity triggers'): every one is all-or-nothing in the database, every acknowledged one is
 *    all there, every refused one is not, and the server exits 0.
 *
 * Prints a table per phase, writes bench/loadtest-results.json, exits 1 if any check failed.
 */

const env = process.env;
const DURATION = Number(env.LOADTEST_DURATION || 20);
const WARMUP = Number(env.LOADTEST_WARMUP || 5);
const CONNECTIONS = Number(env.LOADTEST_CONNECTIONS || 16);
const RECOVERY_LIMIT_MS = Number(env.LOADTEST_RECOVERY_SECONDS || 10) * 1000;
/**
 * Largest growth of the live heap during the steady phase: `nodejs_heap_size_used_bytes` right
 * after the last major collection against right after the first one.
 */
const MAX_HEAP_GROWTH = Number(env.LOADTEST_MAX_HEAP_GROWTH || 0.2);
const DOWN_MS = 2_000;
const POOL_MAX = 10;
const STANDALONE_POOL_MAX = Math.max(2, Math.ceil(POOL_MAX / 4)); // as src/server.ts sizes it
const SHUTDOWN_TIMEOUT_MS = 5_000;
const PASSWORD = 'LoadPass123';
const DATABASE = 'tenantql_loadtest';
const SIZE: DatasetSize = {
  organizations: 4,
  usersPerOrganization: 8,
  projectsPerOrganization: 20,
  tasksPerProject: 25,
};
const RESULTS_FILE = path.join(PROJECT_ROOT, 'bench', 'loadtest-results.json');
/** Narrow a run while investigating: LOADTEST_PHASES=restart,sigterm (the default runs all four). */
const PHASES = (env.LOADTEST_PHASES || 'steady,restart,terminate,sigterm').split(',').filter(Boolean);
const RUN = crypto.randomBytes(3).toString('hex');

const log = (message: string) => process.stderr.write(`[loadtest] ${message}\n`);

/** The superuser's pool; idle connections dying with the database must not crash the load test. */
function superuserPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}

interface Check {
  phase: string;
  name: string;
  pass: boolean;
  detail: string;
}
const checks: Check[] = [];
function check(phase: string, name: string, pass: boolean, detail: string): void {
  checks.push({ phase, name, pass, detail });
  log(`${pass ? 'PASS' : 'FAIL'} ${phase}: ${name} (${detail})`);
}

interface Caller {
  token: string;
  organization: number;
}

interface Sample {
  t: number;
  kind: LoadKind | 'batch';
  judgement: Judgement;
}

/** Outcomes of a run, for the table and the results file. */
interface PhaseFigures {
  phase: string;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  ok: number;
  cleanErrors: number;
  unclean: number;
  socketErrors: number;
  latencyMs: { p50: number; p99: number; max: number };
  errorCodes: Record<string, number>;
  notes: string[];
}

function figures(
  phase: string,
  samples: Sample[],
  seconds: number,
  socketErrors: number,
  latencyMs: PhaseFigures['latencyMs'],
  notes: string[],
): PhaseFigures {
  const errorCodes: Record<string, number> = {};
  for (const s of samples) {
    if (s.judgement.outcome === 'clean error') errorCodes[s.judgement.code] = (errorCodes[s.judgement.code] ?? 0) + 1;
  }
  return {
    phase,
    seconds: Math.round(seconds * 10) / 10,
    requests: samples.length,
    requestsPerSecond: Math.round((samples.length / seconds) * 10) / 10,
    ok: samples.filter((s) => s.judgement.outcome === 'ok').length,
    cleanErrors: samples.filter((s) => s.judgement.outcome === 'clean error').length,
    unclean: samples.filter((s) => s.judgement.outcome === 'unclean').length,
    socketErrors,
    latencyMs,
    errorCodes,
    notes,
  };
}

const firstUnclean = (samples: Sample[]) => {
  const bad = samples.find((s) => s.judgement.outcome === 'unclean');
  return bad && bad.judgement.outcome === 'unclean' ? bad.judgement.why : 'none';
};

/**
 * autocannon with the mixed workload until `stop()` (or `seconds`): every response judged and
 * time-stamped; the markers of acknowledged createTask requests kept.
 */
function startLoad(
  url: string,
  callers: Caller[],
  targets: Map<number, LoadTargets>,
  marker: string,
  options: { seconds?: number; allowed?: ReadonlySet<string> } = {},
) {
  let n = 0;
  const samples: Sample[] = [];
  const socketErrors: { t: number; message: string }[] = [];
  const acknowledged = new Set<string>();
  const started = Date.now();
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: `${url}/graphql`,
        connections: CONNECTIONS,
        duration: options.seconds ?? 600,
        timeout: 15,
        requests: [
          {
            method: 'POST',
            setupRequest: (request, context) => {
              const i = n++;
              const caller = callers[i % callers.length]!;
              const { kind, body } = loadRequest(i, targets.get(caller.organization)!, marker);
              Object.assign(context, { kind, title: `${marker} ${i}` });
              return {
                ...request,
                path: '/graphql',
                body,
                headers: { 'content-type': 'application/json', authorization: `Bearer ${caller.token}` },
              };
            },
            onResponse: (status, body, context) => {
              const { kind, title } = context as { kind: LoadKind; title: string };
              const judgement = judge(status, body, options.allowed);
              samples.push({ t: Date.now(), kind, judgement });
              if (kind === 'createTask' && judgement.outcome === 'ok') acknowledged.add(title);
            },
          },
        ],
      },
      (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('reqError', (error: Error) => socketErrors.push({ t: Date.now(), message: error.message }));
  });
  return { samples, socketErrors, acknowledged, started, done, stop: () => instance.stop() };
}
type Load = ReturnType<typeof startLoad>;

async function readyz(url: string): Promise<{ status: number; reason?: string; t: number }> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json().catch(() => ({}))) as { reason?: string };
  return { status: res.status, reason: body.reason, t: Date.now() };
}

/** The pools as /metrics shows them and the app role's backends as PostgreSQL does, after a short settle. */
async function connectionCheck(phase: string, server: Served, superuser: pg.Pool): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  let problems: string[] = [];
  // The pools settle once the last responses are out; a few tries cover the slowest release.
  for (let attempt = 0; attempt < 10; attempt++) {
    await sleep(500);
    const text = await server.metrics();
    const gauge = (pool: string, state: string) =>
      Number(
        new RegExp(`^tenantql_db_pool_connections\\{pool="${pool}",state="${state}"\\} (\\S+)`, 'm').exec(text)?.[1] ??
          NaN,
      );
    const pools = Object.fromEntries(
      ['app', 'standalone'].map((pool) => [
        pool,
        { total: gauge(pool, 'total'), idle: gauge(pool, 'idle'), waiting: gauge(pool, 'waiting') },
      ]),
    );
    const { rows } = await superuser.query<{ state: string | null; n: number }>(
      `select coalesce(state, 'unknown') as state, count(*)::int as n from pg_stat_activity
        where usename = $1 and datname = $2 group by 1 order by 1`,
      [ROLES.app, DATABASE],
    );
    const backends = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    const backendCount = rows.reduce((sum, r) => sum + r.n, 0);
    const app = pools.app!;
    const standalone = pools.standalone!;
    problems = [];
    if (app.waiting !== 0 || standalone.waiting !== 0) problems.push('requests still waiting for a connection');
    if (app.idle !== app.total || standalone.idle !== standalone.total)
      problems.push('pool connections still checked out');
    if (!(app.total <= POOL_MAX) || !(standalone.total <= STANDALONE_POOL_MAX))
      problems.push('a pool above its maximum');
    if (Object.keys(backends).some((state) => state !== 'idle'))
      problems.push(`backends not idle: ${JSON.stringify(backends)}`);
    if (backendCount !== app.total + standalone.total)
      problems.push(`${backendCount} backends for ${app.total + standalone.total} pooled connections`);
    last = { pools, backends };
    if (!problems.length) break;
  }
  check(
    phase,
    'no leaked connections',
    problems.length === 0,
    `${JSON.stringify(last)}${problems.length ? `; ${problems.join('; ')}` : ''}`,
  );
  return last;
}

/** Every acknowledged createTask is in the database (with its activity row); a few unacknowledged ones (cut off by the end of the load) may be too. */
async function acknowledgedWritesCheck(
  phase: string,
  load: Load,
  marker: string,
  superuser: pg.Pool,
): Promise<Record<string, number>> {
  const { rows } = await superuser.query<{ title: string; created: number }>(
    `select t.title, (select count(*) from task_activity a where a.organization_id = t.organization_id and a.task_id = t.id and a.action = 'created')::int as created
       from tasks t where t.title like $1`,
    [`${marker} %`],
  );
  const stored = new Set(rows.map((r) => r.title));
  const missing = [...load.acknowledged].filter((title) => !stored.has(title));
  const unacknowledged = rows.filter((r) => !load.acknowledged.has(r.title)).length;
  const withoutActivity = rows.filter((r) => r.created !== 1).length;
  check(
    phase,
    'every acknowledged createTask is stored, with its activity row',
    missing.length === 0 && withoutActivity === 0 && unacknowledged <= CONNECTIONS,
    `${load.acknowledged.size} acknowledged, ${rows.length} stored, ${missing.length} missing, ${withoutActivity} without activity row, ` +
      `${unacknowledged} stored but unacknowledged (in flight when the load stopped or failed; at most ${CONNECTIONS})`,
  );
  return { acknowledged: load.acknowledged.size, stored: rows.length, missing: missing.length, unacknowledged };
}

async function steadyPhase(server: Served, callers: Caller[], targets: Map<number, LoadTargets>, superuser: pg.Pool) {
  const phase = 'steady';
  const pid = server.process.pid!;
  log(`warm-up ${WARMUP} s, then ${DURATION} s of mixed load with ${CONNECTIONS} connections`);
  const warm = startLoad(server.url, callers, targets, `LT warm ${RUN}`, { seconds: WARMUP });
  await warm.done;
  const marker = `LT steady ${RUN}`;
  const rss: number[] = [];
  const heap: number[] = [];
  const sampler = setInterval(() => {
    const mb = rssMb(pid)?.current;
    if (mb !== undefined) rss.push(mb);
    void server.metrics().then(
      (text) => {
        const used = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1]);
        if (used) heap.push(Math.round(used / 2 ** 20));
      },
      () => undefined,
    );
  }, 250);
  const load = startLoad(server.url, callers, targets, marker, { seconds: DURATION });
  const result = await load.done;
  clearInterval(sampler);
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
  const all = [...warm.samples, ...load.samples];
  const failed = all.filter((s) => s.judgement.outcome !== 'ok').length;
  check(
    phase,
    'no failed response (warm-up and measured)',
    failed === 0 && warm.socketErrors.length + load.socketErrors.length === 0 && result.timeouts === 0,
    `${all.length} responses, ${failed} failed, ${warm.socketErrors.length + load.socketErrors.length} socket errors, ${result.timeouts} timeouts; first: ${
      all.find((s) => s.judgement.outcome !== 'ok')
        ? JSON.stringify(all.find((s) => s.judgement.outcome !== 'ok')!.judgement)
        : 'none'
    }`,
  );
  const kinds = new Set(load.samples.map((s) => s.kind));
  check(phase, 'the mix ran every kind of request', kinds.size === 7, [...kinds].join(', '));
  const writes = await acknowledgedWritesCheck(phase, load, marker, superuser);
  // RSS follows V8's heap sizing (it grows into its limits and gives memory back late), and the
  // heap used is a sawtooth; what a leak raises is the floor a major collection leaves (seen as a
  // drop of more than 30% between two samples 250 ms apart).
  const floors = heap.flatMap((v, i) => (i > 0 && v < 0.7 * heap[i - 1]! ? [Math.min(v, heap[i + 1] ?? v)] : []));
  const heapFirst = floors[0] ?? NaN;
  const heapLast = floors.at(-1) ?? NaN;
  const growth = (heapLast - heapFirst) / heapFirst;
  const third = Math.floor(rss.length / 3);
  const mean = (list: number[]) => Math.round(list.reduce((sum, v) => sum + v, 0) / Math.max(1, list.length));
  const first = mean(rss.slice(0, third));
  const lastThird = mean(rss.slice(-third));
  check(
    phase,
    'memory stable',
    floors.length >= 2 && growth <= MAX_HEAP_GROWTH,
    `live heap after major collections ${floors.join(', ') || 'none seen'} MB: ${(growth * 100).toFixed(1)}% first to last (at most ${MAX_HEAP_GROWTH * 100}%` +
      `${floors.length < 2 ? '; fewer than two collections seen, lengthen LOADTEST_DURATION' : ''}); heap used peak ${Math.max(...heap)} MB; ` +
      `mean RSS ${first} MB in the first third, ${lastThird} MB in the last, peak ${Math.max(...rss)} MB`,
  );
  const connections = await connectionCheck(phase, server, superuser);
  const byKind = Object.fromEntries([...kinds].map((k) => [k, load.samples.filter((s) => s.kind === k).length]));
  return {
    figures: figures(
      phase,
      load.samples,
      seconds,
      load.socketErrors.length,
      { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      [
        `${writes.acknowledged} tasks created`,
        `live heap ${heapFirst} -> ${heapLast} MB`,
        `RSS ${first} -> ${lastThird} MB`,
      ],
    ),
    byKind,
    writes,
    connections,
    memoryMb: {
      heapAfterMajorCollections: floors,
      heapGrowthPercent: Math.round(growth * 1000) / 10,
      rssMeanFirstThird: first,
      rssMeanLastThird: lastThird,
      heapUsedSamples: heap,
      rssSamples: rss,
    },
  };
}

async function restartPhase(
  server: Served,
  callers: Caller[],
  targets: Map<number, LoadTargets>,
  superuser: pg.Pool,
  cluster: EmbeddedPostgres,
) {
  const phase = 'db restart';
  const pid = server.process.pid;
  const marker = `LT restart ${RUN}`;
  const load = startLoad(server.url, callers, targets, marker, { allowed: OUTAGE_CODES });
  await sleep(3_000);
  log('fast shutdown of PostgreSQL');
  await superuser.end(); // its connections would die too; a new pool afterwards
  const stopAt = Date.now();
  await cluster.stop();
  const downAt = Date.now();
  const probes: { status: number; reason?: string; t: number }[] = [];
  while (Date.now() < downAt + DOWN_MS) {
    probes.push(await readyz(server.url).catch(() => ({ status: 0, t: Date.now() })));
    await sleep(200);
  }
  log('starting PostgreSQL again');
  await cluster.start();
  const upAt = Date.now();
  let readyAt: number | null = null;
  while (Date.now() < upAt + RECOVERY_LIMIT_MS) {
    const probe = await readyz(server.url).catch(() => ({ status: 0, t: Date.now() }));
    if (probe.status === 200) {
      readyAt = probe.t;
      break;
    }
    await sleep(100);
  }
  await sleep(4_000);
  load.stop();
  const result = await load.done;
  const endAt = Date.now();
  const samples = load.samples;

  check(
    phase,
    'every failed response is a clean error',
    samples.every((s) => s.judgement.outcome !== 'unclean'),
    `${samples.filter((s) => s.judgement.outcome === 'unclean').length} unclean; first: ${firstUnclean(samples)}`,
  );
  check(
    phase,
    'the HTTP server kept answering (no socket error or timeout)',
    load.socketErrors.length === 0 && result.timeouts === 0,
    `${load.socketErrors.length} socket errors${load.socketErrors[0] ? ` (${load.socketErrors[0].message})` : ''}, ${result.timeouts} timeouts`,
  );
  // From shortly after the postmaster exited (responses computed just before may still be on their way).
  const duringOutage = samples.filter((s) => s.t >= downAt + 100 && s.t <= upAt);
  check(
    phase,
    'requests during the outage were answered, with errors',
    duringOutage.length > 0 && duringOutage.every((s) => s.judgement.outcome !== 'ok'),
    `${duringOutage.length} answered while PostgreSQL was down, ${duringOutage.filter((s) => s.judgement.outcome === 'ok').length} of them ok`,
  );
  check(
    phase,
    '/readyz said not ready while the database was down',
    probes.length > 0 && probes.every((p) => p.status === 503 && p.reason === 'database unreachable'),
    `${probes.length} probes: ${[...new Set(probes.map((p) => `${p.status} ${p.reason ?? ''}`.trim()))].join(', ')}`,
  );
  const firstOk = samples.find((s) => s.t > upAt && s.judgement.outcome === 'ok')?.t ?? null;
  check(
    phase,
    `recovered by itself within ${RECOVERY_LIMIT_MS / 1000} s`,
    readyAt !== null && firstOk !== null && firstOk - upAt <= RECOVERY_LIMIT_MS,
    `/readyz 200 ${readyAt === null ? 'never' : `${readyAt - upAt} ms`} and first successful request ${firstOk === null ? 'never' : `${firstOk - upAt} ms`} after PostgreSQL was back`,
  );
  const settledFrom = (readyAt ?? endAt) + 1_000;
  const afterRecovery = samples.filter((s) => s.t > settledFrom);
  const failedAfter = afterRecovery.filter((s) => s.judgement.outcome !== 'ok');
  check(
    phase,
    'every request succeeded from 1 s after recovery',
    afterRecovery.length > 0 && failedAfter.length === 0,
    `${afterRecovery.length} requests, ${failedAfter.length} failed${failedAfter[0] ? `: ${JSON.stringify(failedAfter[0].judgement)}` : ''}`,
  );
  check(
    phase,
    'same server process, no restart',
    server.process.exitCode === null && server.process.signalCode === null && server.process.pid === pid,
    `pid ${pid}, ${server.process.exitCode === null ? 'running' : `exited ${server.process.exitCode}`}`,
  );
  const newSuperuser = superuserPool(cluster.superuserUrl(DATABASE));
  const writes = await acknowledgedWritesCheck(phase, load, marker, newSuperuser);
  const connections = await connectionCheck(phase, server, newSuperuser);
  const seconds = (endAt - load.started) / 1000;
  return {
    superuser: newSuperuser,
    figures: figures(
      phase,
      samples,
      seconds,
      load.socketErrors.length,
      { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      [
        `down ${upAt - stopAt} ms`,
        `ready ${readyAt === null ? 'never' : `${readyAt - upAt} ms`} after restart`,
        `first ok ${firstOk === null ? 'never' : `${firstOk - upAt} ms`} after`,
      ],
    ),
    timeline: {
      stopRequestedMs: stopAt - load.started,
      downMs: downAt - load.started,
      upMs: upAt - load.started,
      readyMs: readyAt === null ? null : readyAt - load.started,
      firstOkAfterUpMs: firstOk === null ? null : firstOk - upAt,
      answeredDuringOutage: duringOutage.length,
      readyzProbesWhileDown: probes.map((p) => p.status),
    },
    writes,
    connections,
  };
}

async function terminatePhase(
  server: Served,
  callers: Caller[],
  targets: Map<number, LoadTargets>,
  superuser: pg.Pool,
) {
  const phase = 'pg_terminate_backend';
  const marker = `LT terminate ${RUN}`;
  const load = startLoad(server.url, callers, targets, marker, { allowed: OUTAGE_CODES });
  await sleep(3_000);
  const killed: number[] = [];
  for (let round = 0; round < 2; round++) {
    const { rows } = await superuser.query<{ n: number }>(
      `select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity where usename = $1 and datname = $2`,
      [ROLES.app, DATABASE],
    );
    killed.push(rows[0]!.n);
    log(`terminated ${rows[0]!.n} app-role backends`);
    await sleep(1_000);
  }
  const lastKillAt = Date.now() - 1_000;
  await sleep(4_000);
  load.stop();
  const result = await load.done;
  const endAt = Date.now();
  const samples = load.samples;
  const total = killed.reduce((a, b) => a + b, 0);
  const failed = samples.filter((s) => s.judgement.outcome !== 'ok');
  check(
    phase,
    'connections were terminated',
    killed.every((k) => k > 0),
    `${killed.join(' + ')} backends`,
  );
  check(
    phase,
    'every failed response is a clean error',
    samples.every((s) => s.judgement.outcome !== 'unclean'),
    `${samples.filter((s) => s.judgement.outcome === 'unclean').length} unclean; first: ${firstUnclean(samples)}`,
  );
  check(
    phase,
    'at most one failed request per terminated connection',
    failed.length <= total && load.socketErrors.length === 0 && result.timeouts === 0,
    `${failed.length} failed for ${total} terminated, ${load.socketErrors.length} socket errors, ${result.timeouts} timeouts`,
  );
  const afterRecovery = samples.filter((s) => s.t > lastKillAt + 1_000);
  const failedAfter = afterRecovery.filter((s) => s.judgement.outcome !== 'ok');
  check(
    phase,
    'every request succeeded from 1 s after the last termination',
    afterRecovery.length > 0 && failedAfter.length === 0,
    `${afterRecovery.length} requests, ${failedAfter.length} failed${failedAfter[0] ? `: ${JSON.stringify(failedAfter[0].judgement)}` : ''}`,
  );
  const ready = await readyz(server.url);
  check(phase, '/readyz ready', ready.status === 200, `${ready.status}`);
  const writes = await acknowledgedWritesCheck(phase, load, marker, superuser);
  const connections = await connectionCheck(phase, server, superuser);
  return {
    figures: figures(
      phase,
      samples,
      (endAt - load.started) / 1000,
      load.socketErrors.length,
      { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      [`${total} backends terminated`, `${failed.length} requests failed`],
    ),
    terminated: killed,
    writes,
    connections,
  };
}

/** SIGTERM while every connection is writing; then, per request, all of its rows or none. */
async function sigtermPhase(server: Served, callers: Caller[], targets: Map<number, LoadTargets>, superuser: pg.Pool) {
  const phase = 'SIGTERM mid-writes';
  const prefix = `LT sigterm ${RUN}`;
  type Outcome = 'ok' | 'error' | 'network';
  const sent: { marker: string; outcome?: Outcome; startedAt: number; ms?: number; why?: string }[] = [];
  let sigtermAt: number | null = null;
  let inFlightAtSigterm = 0;
  let inFlight = 0;
  const worker = async (w: number) => {
    const caller = callers[w % callers.length]!;
    const t = targets.get(caller.organization)!;
    for (let i = 0; ; i++) {
      const marker = `${prefix} w${w} #${i}`;
      const entry: (typeof sent)[number] = { marker, startedAt: Date.now() };
      sent.push(entry);
      inFlight++;
      try {
        const res = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${caller.token}` },
          body: JSON.stringify({
            query: BATCH_MUTATION,
            operationName: 'LoadBatch',
            variables: batchVariables(marker, t.projectIds[w % t.projectIds.length]!, t.taskIds[w % t.taskIds.length]!),
          }),
          signal: AbortSignal.timeout(30_000),
        });
        const judgement = judge(res.status, await res.text(), new Set([...OUTAGE_CODES, 'SHUTTING_DOWN']));
        entry.outcome = judgement.outcome === 'ok' ? 'ok' : 'error';
        if (judgement.outcome === 'unclean') entry.why = judgement.why;
      } catch (error) {
        entry.outcome = 'network';
        entry.why =
          error instanceof Error
            ? `${error.message} ${(error.cause as Error | undefined)?.message ?? ''}`
            : String(error);
      } finally {
        inFlight--;
        entry.ms = Date.now() - entry.startedAt;
      }
      // Before SIGTERM nothing may fail; after it, a worker stops at its first failure.
      if (entry.outcome !== 'ok' && (sigtermAt !== null || entry.outcome === 'network')) return;
      if (server.process.exitCode !== null) return;
    }
  };
  const workers = Array.from({ length: CONNECTIONS }, (_, w) => worker(w));
  await sleep(2_000);
  inFlightAtSigterm = inFlight;
  sigtermAt = Date.now();
  log(`SIGTERM with ${inFlightAtSigterm} requests in flight`);
  server.process.kill('SIGTERM');
  const exit = await Promise.race([server.exited, sleep(SHUTDOWN_TIMEOUT_MS + 20_000).then(() => null)]);
  const exitedAfterMs = Date.now() - sigtermAt;
  await Promise.all(workers);

  const markers = sent.map((s) => s.marker);
  const { rows: tasks } = await superuser.query<{ id: string; title: string; created: number }>(
    `select t.id, t.title, (select count(*) from task_activity a where a.organization_id = t.organization_id and a.task_id = t.id and a.action = 'created')::int as created
       from tasks t where t.title like $1`,
    [`${prefix} %`],
  );
  const { rows: comments } = await superuser.query<{ body: string; commented: number }>(
    `select c.body, (select count(*) from task_activity a where a.organization_id = c.organization_id and a.task_id = c.task_id
                      and a.action = 'commented' and a.changes ->> 'commentId' = c.id::text)::int as commented
       from task_comments c where c.body like $1`,
    [`${prefix} %`],
  );
  const rowsOf = new Map<string, number>(markers.map((m) => [m, 0]));
  const unknownRows: string[] = [];
  const add = (marker: string, n: number) => {
    if (rowsOf.has(marker)) rowsOf.set(marker, rowsOf.get(marker)! + n);
    else unknownRows.push(marker);
  };
  for (const t of tasks) add(t.title.replace(/ [ab]$/, ''), 1 + t.created);
  for (const c of comments) add(c.body, 1 + c.commented);
  const ROWS = 6; // 2 tasks + 2 'created' activity rows + 1 comment + 1 'commented' activity row
  const partial = sent.filter((s) => rowsOf.get(s.marker) !== 0 && rowsOf.get(s.marker) !== ROWS);
  const okMissing = sent.filter((s) => s.outcome === 'ok' && rowsOf.get(s.marker) !== ROWS);
  const errorApplied = sent.filter((s) => s.outcome === 'error' && rowsOf.get(s.marker) !== 0);
  const unclean = sent.filter((s) => s.outcome === 'error' && s.why);
  const networkBefore = sent.filter((s) => s.outcome === 'network' && s.startedAt + (s.ms ?? 0) < sigtermAt!);
  const network = sent.filter((s) => s.outcome === 'network');
  const networkApplied = network.filter((s) => rowsOf.get(s.marker) !== 0).length;
  const finishedAfterSigterm = sent.filter(
    (s) => s.outcome === 'ok' && s.startedAt <= sigtermAt! && s.startedAt + (s.ms ?? 0) >= sigtermAt!,
  );
  const okAfterSigterm = finishedAfterSigterm.length;

  check(phase, 'writes were in flight at SIGTERM', inFlightAtSigterm > 0, `${inFlightAtSigterm} requests`);
  check(
    phase,
    'every request all-or-nothing (6 rows or 0)',
    partial.length === 0 && unknownRows.length === 0,
    `${sent.length} requests, ${partial.length} partial${partial[0] ? ` (${partial[0].marker}: ${rowsOf.get(partial[0].marker)} rows)` : ''}, ${unknownRows.length} rows of no request`,
  );
  check(
    phase,
    'every acknowledged request fully applied',
    okMissing.length === 0,
    `${sent.filter((s) => s.outcome === 'ok').length} acknowledged, ${okMissing.length} not fully applied`,
  );
  check(
    phase,
    'every refused request not applied, and refused cleanly',
    errorApplied.length === 0 && unclean.length === 0,
    `${sent.filter((s) => s.outcome === 'error').length} refused, ${errorApplied.length} applied, ${unclean.length} unclean${unclean[0] ? `: ${unclean[0].why}` : ''}`,
  );
  check(
    phase,
    'no write applied whose response was lost',
    networkApplied === 0,
    `${network.length} requests failed on the connection (refused or closed), ${networkApplied} of them applied`,
  );
  check(
    phase,
    'no request failed before SIGTERM',
    networkBefore.length === 0,
    `${networkBefore.length}${networkBefore[0] ? `: ${networkBefore[0].why}` : ''}`,
  );
  check(
    phase,
    'in-flight requests finished, server exited 0 within the shutdown timeout',
    exit !== null && exit.code === 0 && exitedAfterMs <= SHUTDOWN_TIMEOUT_MS + 15_000 && okAfterSigterm > 0,
    `exit ${exit === null ? 'none' : `${exit.code ?? exit.signal}`} after ${exitedAfterMs} ms, ${okAfterSigterm} in-flight requests completed ok`,
  );
  const { rows: left } = await superuser.query<{ n: number }>(
    'select count(*)::int as n from pg_stat_activity where usename = $1',
    [ROLES.app],
  );
  check(phase, 'no app connection left after exit', left[0]!.n === 0, `${left[0]!.n} backends`);

  const durations = sent
    .filter((s) => s.ms !== undefined)
    .map((s) => s.ms!)
    .sort((a, b) => a - b);
  const pct = (p: number) => durations[Math.min(durations.length - 1, Math.floor((p / 100) * durations.length))] ?? 0;
  const samples: Sample[] = sent
    .filter((s) => s.outcome !== 'network')
    .map((s) => ({
      t: s.startedAt,
      kind: 'batch',
      judgement:
        s.outcome === 'ok'
          ? { outcome: 'ok' }
          : s.why
            ? { outcome: 'unclean', why: s.why }
            : { outcome: 'clean error', code: 'refused' },
    }));
  const cutOffDetails = network.map((s) => ({
    sentAfterSigtermMs: s.startedAt - sigtermAt!,
    failedAfterMs: s.ms,
    rows: rowsOf.get(s.marker),
    error: s.why,
  }));
  return {
    figures: figures(
      phase,
      samples,
      (Date.now() - sent[0]!.startedAt) / 1000,
      network.length,
      { p50: pct(50), p99: pct(99), max: durations.at(-1) ?? 0 },
      [
        `${inFlightAtSigterm} in flight at SIGTERM`,
        `exit ${exit?.code ?? exit?.signal ?? 'none'} after ${exitedAfterMs} ms`,
        `${network.length} cut off (${networkApplied} of them applied)`,
      ],
    ),
    requests: sent.length,
    acknowledged: sent.filter((s) => s.outcome === 'ok').length,
    refused: sent.filter((s) => s.outcome === 'error').length,
    cutOff: network.length,
    cutOffApplied: networkApplied,
    cutOffDetails,
    inFlightAtSigterm,
    exitedAfterMs,
    exitCode: exit?.code ?? null,
  };
}

async function loadTargets(superuser: pg.Pool): Promise<Map<number, LoadTargets>> {
  const targets = new Map<number, LoadTargets>();
  for (let i = 1; i <= SIZE.organizations; i++) {
    const ids = async (query: string) =>
      (await superuser.query<{ id: string }>(query, [benchSlug(i)])).rows.map((r) => r.id);
    const org = 'join organizations o on o.id = organization_id where o.slug = $1';
    targets.set(i, {
      projectIds: await ids(`select p.id from projects p ${org} order by p.name`),
      taskIds: await ids(`select t.id from tasks t ${org} order by t.id limit 200`),
      movableTaskIds: await ids(
        `select t.id from tasks t ${org} and t.status in ('todo', 'in_progress') order by t.id limit 100`,
      ),
    });
  }
  return targets;
}

function table(phases: PhaseFigures[]): string {
  const rows = [
    [
      'phase',
      's',
      'requests',
      'req/s',
      'ok',
      'clean errors',
      'unclean',
      'socket errors',
      'p50 ms',
      'p99 ms',
      'max ms',
      'notes',
    ],
  ];
  for (const p of phases) {
    rows.push([
      p.phase,
      String(p.seconds),
      String(p.requests),
      String(p.requestsPerSecond),
      String(p.ok),
      String(p.cleanErrors),
      String(p.unclean),
      String(p.socketErrors),
      String(p.latencyMs.p50),
      String(p.latencyMs.p99),
      String(p.latencyMs.max),
      p.notes.join('; '),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}

async function main(): Promise<boolean> {
  const started = Date.now();
  const dir = workDirectory('loadtest');
  const loadBefore = os.loadavg();
  let server: Served | undefined;
  let cluster: EmbeddedPostgres | undefined;
  let superuser: pg.Pool | undefined;
  const cleanup = async () => {
    await server?.stop().catch(() => undefined);
    await superuser?.end().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    server = undefined;
    superuser = undefined;
    cluster = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    log(`starting PostgreSQL in ${path.relative(PROJECT_ROOT, dir)}`);
    cluster = await startEmbeddedPostgres({
      dir: path.join(dir, 'pg'),
      port: await freePort(),
      superuserPassword: 'loadtest-superuser',
      fast: true,
    });
    const passwords = { ownerPassword: 'loadtest-owner', appPassword: 'loadtest-app' };
    await prepareBenchDatabase({
      superuserUrl: cluster.superuserUrl,
      database: DATABASE,
      passwords,
      size: SIZE,
      passwordHash: await hashPassword(PASSWORD),
    });
    const pgVersion = await postgresVersion(cluster.superuserUrl('postgres'));
    superuser = superuserPool(cluster.superuserUrl(DATABASE));
    const targets = await loadTargets(superuser);

    server = await spawnServer(
      'tenantql',
      path.join(PROJECT_ROOT, 'dist', 'src', 'main.js'),
      {
        ...tenantqlBenchEnv({
          databaseUrl: roleUrl(cluster.superuserUrl('postgres'), ROLES.app, passwords.appPassword, DATABASE),
          jwtSecret: crypto.randomBytes(48).toString('base64'),
          poolMax: String(POOL_MAX),
          logLevel: 'error',
        }),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
      { quiet: true },
    );
    // Members (not owners) of every organization, round-robin over the connections.
    const callers: Caller[] = [];
    for (let c = 0; c < CONNECTIONS; c++) {
      const organization = 1 + (c % SIZE.organizations);
      callers.push({
        token: await signIn(
          server.url,
          organization,
          2 + (Math.floor(c / SIZE.organizations) % (SIZE.usersPerOrganization - 1)),
          PASSWORD,
        ),
        organization,
      });
    }

    const steady = PHASES.includes('steady') ? await steadyPhase(server, callers, targets, superuser) : undefined;
    const restart = PHASES.includes('restart')
      ? await restartPhase(server, callers, targets, superuser, cluster)
      : undefined;
    if (restart) superuser = restart.superuser;
    const terminate = PHASES.includes('terminate')
      ? await terminatePhase(server, callers, targets, superuser)
      : undefined;
    const sigterm = PHASES.includes('sigterm') ? await sigtermPhase(server, callers, targets, superuser) : undefined;
    if (sigterm) server = undefined;

    const phases = [steady?.figures, restart?.figures, terminate?.figures, sigterm?.figures].filter(
      (p) => p !== undefined,
    );
    const failed = checks.filter((c) => !c.pass);
    const document = {
      measuredAt: new Date().toISOString(),
      passed: failed.length === 0,
      machine: benchMachine(loadBefore, pgVersion),
      settings: {
        phases: PHASES,
        connections: CONNECTIONS,
        steadySeconds: DURATION,
        warmupSeconds: WARMUP,
        dbPoolMax: POOL_MAX,
        shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
        recoveryLimitSeconds: RECOVERY_LIMIT_MS / 1000,
        maxHeapGrowth: MAX_HEAP_GROWTH,
        databaseDownMs: DOWN_MS,
        dataset: { ...SIZE, tasks: taskCount(SIZE) },
        postgres: 'embedded, fsync=off, synchronous_commit=off, full_page_writes=off',
      },
      phases,
      details: {
        steady: steady && {
          byKind: steady.byKind,
          writes: steady.writes,
          connections: steady.connections,
          memoryMb: steady.memoryMb,
        },
        restart: restart && { timeline: restart.timeline, writes: restart.writes, connections: restart.connections },
        terminate: terminate && {
          terminated: terminate.terminated,
          writes: terminate.writes,
          connections: terminate.connections,
        },
        sigterm: sigterm && { ...sigterm, figures: undefined },
      },
      checks,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(document, null, 2) + '\n');
    const m = document.machine;
    process.stdout.write(
      `\n${m.cores} x ${m.cpu}, node ${m.node}, PostgreSQL ${m.postgres}, ${CONNECTIONS} connections, ` +
        `load average ${m.loadAverageBefore[0]} -> ${m.loadAverageAfter[0]}\n${table(phases)}\n\n` +
        checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.phase}: ${c.name}`).join('\n') +
        `\n\n${checks.length - failed.length}/${checks.length} checks passed. Wrote ${path.relative(PROJECT_ROOT, RESULTS_FILE)}\n`,
    );
    return failed.length === 0;
  } finally {
    await cleanup();
  }
}

// Exits explicitly, with the checks' verdict as the exit code.
main().then(
  (passed) => process.exit(passed ? 0 : 1),
  (error) => {
    process.stderr.write(
      `loadtest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
