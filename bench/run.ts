import crypto from 'node:crypto';
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { roleUrl, ROLES } from '../src/db/bootstrap';
import { hashPassword } from '../src/auth/passwords';
import { defaultPoolMax } from '../src/config';
import { PROJECT_ROOT } from '../src/paths';
import { benchSlug, taskCount, type DatasetSize } from './seed';
import {
  benchMachine,
  benchWorkspace,
  graphql,
  peakRssReset,
  postgresVersion,
  prepareBenchDatabase,
  rssMb,
  signIn as signInAs,
  spawnServer as spawn,
  type Served as AnyServed,
  tenantqlBenchEnv,
} from './support';
import { comparableAnswer, mutationFor, MUTATION_DOCUMENTS, READ_SCENARIOS, type MutationTargets } from './scenarios';
import { POSTGRAPHILE_SCRIPT, postgraphileEnv, preparePostgraphile } from './peer-servers';
import { serverOrder, SERVER_NAMES, summarize, table, type Measurement, type ServerName } from './report';

/**
 * `npm run bench`: its own embedded PostgreSQL, two seeded databases (10,000 and 1,000,000
 * tasks), tenantql, the raw-SQL ceiling (bench/raw-server.ts) and PostGraphile v5 as a peer
 * (bench/peers/, installed on first use) as separate processes under the same node flags,
 * autocannon against each, side by side. Writes bench/results.json and prints a table.
 * BENCH_QUICK=1 for a short run on a smaller large dataset, BENCH_RUNS=3 for the medians of three
 * runs in rotating server order; see docs/performance.md.
 */

const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const DURATION = Number(env.BENCH_DURATION || (QUICK ? 3 : 12));
const WARMUP = Number(env.BENCH_WARMUP || (QUICK ? 1 : 4));
const CONNECTIONS = Number(env.BENCH_CONNECTIONS || 16);
/** Database connections of each server: tenantql's default on this machine, the same for the raw ceiling. */
const POOL_MAX = String(Number(env.BENCH_POOL_MAX || defaultPoolMax()));
const NODE_FLAGS = (env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const CPU_PROF = env.BENCH_CPU_PROF === '1';
/** Runs of every scenario on every server; the summary gives their medians. */
const RUNS = Math.max(1, Number(env.BENCH_RUNS || 1));
const PASSWORD = 'BenchPass123';
/** Narrow a run while investigating: BENCH_SCENARIOS=nested,taskPage; BENCH_DATASETS=small or large. */
const ONLY_SCENARIOS = env.BENCH_SCENARIOS?.split(',').filter(Boolean);
const ONLY_DATASETS = env.BENCH_DATASETS?.split(',').filter(Boolean);
const RESULTS_FILE = path.join(PROJECT_ROOT, 'bench', 'results.json');

const SMALL: DatasetSize = {
  organizations: 5,
  usersPerOrganization: 20,
  projectsPerOrganization: 50,
  tasksPerProject: 40,
};
const LARGE: DatasetSize = QUICK
  ? { organizations: 10, usersPerOrganization: 20, projectsPerOrganization: 100, tasksPerProject: 100 }
  : { organizations: 100, usersPerOrganization: 20, projectsPerOrganization: 100, tasksPerProject: 100 };

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** A server process: tenantql, the raw ceiling or a peer. */
interface Served extends AnyServed {
  name: ServerName;
}

async function spawnServer(name: ServerName, script: string, serverEnv: Record<string, string>): Promise<Served> {
  const flags = [...NODE_FLAGS];
  if (CPU_PROF)
    flags.push(
      '--cpu-prof',
      `--cpu-prof-dir=${path.join(PROJECT_ROOT, '.data', 'bench-profiles')}`,
      `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
    );
  return { ...(await spawn(name, script, serverEnv, { flags })), name };
}

const signIn = (url: string, organization: number, user: number) => signInAs(url, organization, user, PASSWORD);

/** Server-side counters read around a measured run: statements per request and peak RSS. */
interface Counters {
  statements: number;
  requests: number;
  histogram: Map<string, number>;
}

async function readCounters(target: Served): Promise<Counters> {
  if (target.name !== 'tenantql') {
    const stats = (await (await fetch(`${target.url}/stats`)).json()) as { statements: number; requests: number };
    return { ...stats, histogram: new Map() };
  }
  const text = await target.metrics();
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  const histogram = new Map<string, number>();
  for (const m of text.matchAll(/^tenantql_sql_statements_per_request_bucket\{le="([^"]+)"\} (\d+)/gm))
    histogram.set(m[1]!, Number(m[2]));
  if (!/^tenantql_sql_statements_per_request_count /m.test(text)) {
    throw new Error(`GET /metrics has no tenantql_sql_statements_per_request histogram:\n${text.slice(0, 300)}`);
  }
  return {
    statements: value(/^tenantql_sql_statements_per_request_sum (\S+)/m),
    requests: value(/^tenantql_sql_statements_per_request_count (\S+)/m),
    histogram,
  };
}

/** The exact statement counts seen, when the histogram's integer buckets pin them down ("5", or "4-5"). */
function statementSpread(before: Counters, after: Counters): string | null {
  if (!after.histogram.size) return null;
  const bounds = [...after.histogram.keys()];
  let previous = 0;
  let previousBound = -1;
  const seen: string[] = [];
  for (const bound of bounds) {
    const cumulative = after.histogram.get(bound)! - (before.histogram.get(bound) ?? 0);
    if (cumulative > previous) {
      const upper = bound === '+Inf' ? Infinity : Number(bound);
      seen.push(upper === previousBound + 1 ? String(upper) : `${previousBound + 1}-${upper}`);
    }
    previous = cumulative;
    previousBound = bound === '+Inf' ? Infinity : Number(bound);
  }
  return seen.join(', ');
}

type RequestFactory = (n: number) => { body: string; token: string };

async function load(target: Served, make: RequestFactory, seconds: number) {
  let n = 0;
  let graphqlErrors = 0;
  let firstError: string | undefined;
  const result = await autocannon({
    url: `${target.url}/graphql`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const { body, token } = make(n++);
          return {
            ...request,
            path: '/graphql',
            body,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          };
        },
        onResponse: (status, body) => {
          if (status !== 200 || body.includes('"errors":[')) {
            graphqlErrors++;
            firstError ??= `${status} ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  return { result, graphqlErrors: graphqlErrors + result.errors + result.timeouts, firstError };
}

async function measure(
  scenario: string,
  dataset: string,
  target: Served,
  make: RequestFactory,
  run: number,
): Promise<Measurement> {
  await load(target, make, WARMUP);
  const pid = target.process.pid!;
  peakRssReset(pid);
  const before = await readCounters(target);
  const { result, graphqlErrors, firstError } = await load(target, make, DURATION);
  const after = await readCounters(target);
  const rss = rssMb(pid);
  if (graphqlErrors) log(`${scenario} on ${target.name}: ${graphqlErrors} failed responses, first: ${firstError}`);
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
  const m: Measurement = {
    scenario,
    dataset,
    server: target.name,
    run,
    requestsPerSecond: Math.round((result.requests.total / seconds) * 10) / 10,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
    errors: graphqlErrors,
    // null when the server counted none (its /metrics did not observe the requests)
    statementsPerRequest:
      after.requests > before.requests
        ? Math.round(((after.statements - before.statements) / (after.requests - before.requests)) * 100) / 100
        : null,
    statementCounts: statementSpread(before, after),
    peakRssMb: rss?.peak ?? null,
  };
  log(
    `${RUNS > 1 ? `run ${run + 1}/${RUNS} ` : ''}${dataset} ${scenario} ${target.name}: ${m.requestsPerSecond} req/s, p50 ${m.latencyMs.p50} ms, p99 ${m.latencyMs.p99} ms, ` +
      `${m.statementsPerRequest} statements/request${m.statementCounts ? ` (${m.statementCounts})` : ''}, peak RSS ${m.peakRssMb} MB`,
  );
  return m;
}

/**
 * Before any load: the servers must agree on data, edge order included. The raw server answers
 * tenantql's documents with tenantql's JSON (deep-equal, cursors too); the peer answers its own
 * documents, compared on `comparableAnswer` (same ids in the same order, same titles, statuses,
 * priorities, due dates and assignee names). Object keys are never sorted.
 */
async function checkSameAnswers(tenantql: Served, others: Served[], tokens: string[]): Promise<void> {
  for (const [scenario, documents] of Object.entries(READ_SCENARIOS)) {
    for (const token of tokens.slice(0, 3)) {
      const ask = (server: Served) => {
        const { query, operationName } = server.name === 'postgraphile' ? documents.postgraphile : documents.tenantql;
        return graphql(server.url, token, query, operationName);
      };
      const [expected, ...answers] = await Promise.all([tenantql, ...others].map(ask));
      others.forEach((other, i) => {
        const [a, b] =
          other.name === 'raw' ? [expected, answers[i]] : [comparableAnswer(expected), comparableAnswer(answers[i])];
        if (!isDeepStrictEqual(a, b)) {
          throw new Error(
            `${scenario}: tenantql and ${other.name} disagree:\n${JSON.stringify(a).slice(0, 400)}\n${JSON.stringify(b).slice(0, 400)}`,
          );
        }
      });
      if (scenario === 'nested') {
        const edges = (expected as { projects: { edges: { node: { tasks: { edges: unknown[] } } }[] } }).projects.edges;
        if (edges.length !== 50 || edges.some((e) => e.node.tasks.edges.length !== 20))
          throw new Error('BenchNested: not 50 projects x 20 tasks');
      } else if ((expected as { tasks: { edges: unknown[] } }).tasks.edges.length !== 50) {
        throw new Error('BenchTaskPage: not a full page of 50 tasks');
      }
    }
  }
}

async function mutationTargets(superuserUrl: string, organizations: number): Promise<Map<number, MutationTargets>> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const targets = new Map<number, MutationTargets>();
    for (let i = 1; i <= organizations; i++) {
      const { rows: projects } = await client.query<{ id: string }>(
        'select p.id from projects p join organizations o on o.id = p.organization_id where o.slug = $1 order by p.name limit 50',
        [benchSlug(i)],
      );
      const { rows: tasks } = await client.query<{ id: string }>(
        `select t.id from tasks t join organizations o on o.id = t.organization_id where o.slug = $1 and t.deleted_at is null
          order by t.id limit 500`,
        [benchSlug(i)],
      );
      targets.set(i, { projectIds: projects.map((p) => p.id), taskIds: tasks.map((t) => t.id) });
    }
    return targets;
  } finally {
    await client.end();
  }
}

interface Dataset {
  name: string;
  size: DatasetSize;
  database: string;
  scenarios: ('nested' | 'taskPage' | 'mutations')[];
}

async function main(): Promise<void> {
  const started = Date.now();
  const ws = benchWorkspace('bench');
  const { servers } = ws;
  const loadBefore = os.loadavg();
  try {
    const withPostgraphile = preparePostgraphile(log);
    log(`starting PostgreSQL in ${path.relative(PROJECT_ROOT, ws.dir)}`);
    const cluster = await ws.startCluster();
    const superuserUrl = cluster.superuserUrl('postgres');
    const passwords = { ownerPassword: 'bench-owner', appPassword: 'bench-app' };
    const passwordHash = await hashPassword(PASSWORD);
    const datasets: Dataset[] = (
      [
        {
          name: `${taskCount(SMALL).toLocaleString('en')} tasks`,
          key: 'small',
          size: SMALL,
          database: 'tenantql_bench_small',
          scenarios: ['nested', 'taskPage'],
        },
        {
          name: `${taskCount(LARGE).toLocaleString('en')} tasks`,
          key: 'large',
          size: LARGE,
          database: 'tenantql_bench_large',
          scenarios: ['nested', 'taskPage', 'mutations'],
        },
      ] satisfies (Dataset & { key: string })[]
    )
      .filter((d) => !ONLY_DATASETS || ONLY_DATASETS.includes(d.key))
      .map(({ key: _key, ...d }) => ({
        ...d,
        scenarios: d.scenarios.filter((s) => !ONLY_SCENARIOS || ONLY_SCENARIOS.includes(s)),
      }));
    const jwtSecret = crypto.randomBytes(48).toString('base64');
    const seedSeconds: Record<string, number> = {};
    for (const d of datasets) {
      const t0 = Date.now();
      await prepareBenchDatabase({
        superuserUrl: cluster.superuserUrl,
        database: d.database,
        passwords,
        size: d.size,
        passwordHash,
      });
      seedSeconds[d.name] = Math.round((Date.now() - t0) / 100) / 10;
      log(`${d.name}: migrated and seeded in ${seedSeconds[d.name]} s`);
    }
    const pgVersion = await postgresVersion(superuserUrl);

    const measurements: Measurement[] = [];
    for (const d of datasets) {
      const appUrl = roleUrl(superuserUrl, ROLES.app, passwords.appPassword, d.database);
      const tenantql = await spawnServer(
        'tenantql',
        path.join(PROJECT_ROOT, 'dist', 'src', 'main.js'),
        tenantqlBenchEnv({ databaseUrl: appUrl, jwtSecret, poolMax: POOL_MAX }),
      );
      servers.push(tenantql);
      const raw = await spawnServer('raw', path.join(PROJECT_ROOT, 'dist', 'bench', 'raw-server.js'), {
        JWT_SECRET: jwtSecret,
        DATABASE_URL: appUrl,
        DB_POOL_MAX: POOL_MAX,
      });
      servers.push(raw);
      const running: Served[] = [tenantql, raw];
      if (withPostgraphile) {
        const peer = await spawnServer(
          'postgraphile',
          POSTGRAPHILE_SCRIPT,
          postgraphileEnv({ databaseUrl: appUrl, jwtSecret, poolMax: POOL_MAX }),
        );
        servers.push(peer);
        running.push(peer);
      }

      // Members (not owners) of as many organizations as there are connections, round-robin.
      const tokens: { token: string; organization: number }[] = [];
      for (let c = 0; c < CONNECTIONS; c++) {
        const organization = 1 + (c % d.size.organizations);
        const user = 2 + Math.floor(c / d.size.organizations);
        tokens.push({ token: await signIn(tenantql.url, organization, user), organization });
      }
      await checkSameAnswers(
        tenantql,
        running.filter((s) => s !== tenantql),
        tokens.map((t) => t.token),
      );
      if (env.BENCH_HOLD === '1') {
        // For profiling by hand: the servers stay up until Ctrl-C.
        process.stdout.write(
          JSON.stringify({
            ...Object.fromEntries(running.map((s) => [s.name, s.url])),
            pid: tenantql.process.pid,
            token: tokens[0]!.token,
          }) + '\n',
        );
        await new Promise(() => undefined);
      }
      const targets = d.scenarios.includes('mutations')
        ? await mutationTargets(cluster.superuserUrl(d.database), d.size.organizations)
        : new Map();

      const read =
        (scenario: keyof typeof READ_SCENARIOS) =>
        (server: Served): RequestFactory => {
          const documents = READ_SCENARIOS[scenario];
          const body = JSON.stringify(server.name === 'postgraphile' ? documents.postgraphile : documents.tenantql);
          return (n) => ({ body, token: tokens[n % tokens.length]!.token });
        };
      const mutation: RequestFactory = (n) => {
        const caller = tokens[n % tokens.length]!;
        const { kind, input } = mutationFor(n, targets.get(caller.organization)!);
        const document = MUTATION_DOCUMENTS[kind];
        const operationName = /mutation (\w+)/.exec(document)![1]!;
        return {
          body: JSON.stringify({ query: document, operationName, variables: { input } }),
          token: caller.token,
        };
      };
      // The peer answers the reads only: the mutations are tenantql's own API.
      const factories: Record<Dataset['scenarios'][number], (server: Served) => RequestFactory | null> = {
        nested: read('nested'),
        taskPage: read('taskPage'),
        mutations: (server) => (server.name === 'postgraphile' ? null : mutation),
      };
      for (let run = 0; run < RUNS; run++) {
        for (const scenario of d.scenarios) {
          for (const target of serverOrder(running, run)) {
            const make = factories[scenario](target);
            if (make) measurements.push(await measure(scenario, d.name, target, make, run));
          }
        }
      }
      for (const s of servers.splice(0)) await s.stop();
    }

    const results = summarize(measurements);
    const measured = SERVER_NAMES.filter((name) => measurements.some((m) => m.server === name));
    const document = {
      measuredAt: new Date().toISOString(),
      quick: QUICK,
      machine: benchMachine(loadBefore, pgVersion),
      settings: {
        runs: RUNS,
        servers: measured,
        connections: CONNECTIONS,
        durationSeconds: DURATION,
        warmupSeconds: WARMUP,
        nodeFlags: NODE_FLAGS.join(' '),
        dbPoolMax: Number(POOL_MAX),
        postgres: 'embedded, fsync=off, synchronous_commit=off, full_page_writes=off',
      },
      datasets: Object.fromEntries(
        datasets.map((d) => [d.name, { ...d.size, tasks: taskCount(d.size), seedSeconds: seedSeconds[d.name] }]),
      ),
      results,
      measurements,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(document, null, 2) + '\n');
    const { machine } = document;
    process.stdout.write(
      `\n${machine.cores} x ${machine.cpu}, node ${machine.node}, PostgreSQL ${machine.postgres}, ${CONNECTIONS} connections, ` +
        `pool of ${POOL_MAX}, ${DURATION} s each${RUNS > 1 ? `, medians of ${RUNS} runs` : ''}\n` +
        `${table(results, measured)}\n\nWrote ${path.relative(PROJECT_ROOT, RESULTS_FILE)}\n`,
    );
  } finally {
    await ws.cleanup();
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
