/**
 * What `npm run bench` makes of its measurements: the servers' order in each run, the medians
 * over runs, the ratios and the printed table. Pure functions (test/bench/report.test.ts).
 */

/** The servers the benchmark can measure, in the order of the first run. */
export const SERVER_NAMES = ['tenantql', 'raw', 'postgraphile'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

/** One measured run of one scenario on one server. */
export interface Measurement {
  scenario: string;
  dataset: string;
  server: ServerName;
  /** 0 for the first of BENCH_RUNS runs. */
  run: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  errors: number;
  statementsPerRequest: number | null;
  statementCounts: string | null;
  peakRssMb: number | null;
}

/**
 * The order the servers are measured in, run by run: rotated by one each run, so over as many
 * runs as servers each one goes first once (a server measured right after another meets the
 * caches, the heap and the machine's temperature that one left).
 *
 * @example
 * serverOrder(['tenantql', 'raw', 'postgraphile'], 1) // ['raw', 'postgraphile', 'tenantql']
 */
export function serverOrder<T>(servers: readonly T[], run: number): T[] {
  const shift = servers.length ? run % servers.length : 0;
  return [...servers.slice(shift), ...servers.slice(0, shift)];
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** One server's figures for a scenario and dataset: medians over the runs, and every run's req/s and p99. */
export interface ServerSummary {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  runsRequestsPerSecond: number[];
  runsP99Ms: number[];
  errors: number;
  statementsPerRequest: number | null;
  statementCounts: string | null;
  /** The highest of the runs. */
  peakRssMb: number | null;
}

export interface Summary {
  scenario: string;
  dataset: string;
  servers: Partial<Record<ServerName, ServerSummary>>;
  /** tenantql's median req/s over raw's; null when either was not measured. */
  ratioToRaw: number | null;
  /** tenantql's median req/s over PostGraphile's; null when either was not measured. */
  ratioToPostgraphile: number | null;
  /** tenantql's median p50 here over its median p50 on the first dataset, same scenario (later datasets only). */
  latencyRatioToSmall: number | null;
}

function serverSummary(runs: Measurement[]): ServerSummary {
  const statements = runs.map((m) => m.statementsPerRequest).filter((s): s is number => s !== null);
  const counts = [...new Set(runs.map((m) => m.statementCounts).filter(Boolean))];
  const rss = runs.map((m) => m.peakRssMb).filter((r): r is number => r !== null);
  return {
    requestsPerSecond: round(median(runs.map((m) => m.requestsPerSecond)), 1),
    p50Ms: round(median(runs.map((m) => m.latencyMs.p50)), 1),
    p99Ms: round(median(runs.map((m) => m.latencyMs.p99)), 1),
    runsRequestsPerSecond: runs.map((m) => m.requestsPerSecond),
    runsP99Ms: runs.map((m) => m.latencyMs.p99),
    errors: runs.reduce((sum, m) => sum + m.errors, 0),
    statementsPerRequest: statements.length ? round(median(statements), 2) : null,
    statementCounts: counts.length ? counts.join('; ') : null,
    peakRssMb: rss.length ? Math.max(...rss) : null,
  };
}

/** Medians and ratios per dataset and scenario, in the order the datasets and scenarios were measured. */
export function summarize(measurements: Measurement[]): Summary[] {
  const out: Summary[] = [];
  const firstDataset = measurements[0]?.dataset;
  const keys = [...new Set(measurements.map((m) => `${m.dataset}\u0000${m.scenario}`))];
  for (const key of keys) {
    const [dataset, scenario] = key.split('\u0000') as [string, string];
    const servers: Summary['servers'] = {};
    for (const name of SERVER_NAMES) {
      const runs = measurements.filter((m) => m.dataset === dataset && m.scenario === scenario && m.server === name);
      if (runs.length) servers[name] = serverSummary(runs);
    }
    const ratio = (other: ServerSummary | undefined) =>
      servers.tenantql && other ? round(servers.tenantql.requestsPerSecond / other.requestsPerSecond, 2) : null;
    const small =
      dataset === firstDataset
        ? undefined
        : measurements.filter((m) => m.dataset === firstDataset && m.scenario === scenario && m.server === 'tenantql');
    out.push({
      scenario,
      dataset,
      servers,
      ratioToRaw: ratio(servers.raw),
      ratioToPostgraphile: ratio(servers.postgraphile),
      latencyRatioToSmall:
        small?.length && servers.tenantql
          ? round(servers.tenantql.p50Ms / median(small.map((m) => m.latencyMs.p50)), 2)
          : null,
    });
  }
  return out;
}

/** The printed table: one row per scenario and dataset, the servers side by side, tenantql first. */
export function table(results: Summary[], servers: readonly ServerName[]): string {
  const label: Record<ServerName, string> = { tenantql: 'tenantql', raw: 'raw', postgraphile: 'PostGraphile' };
  const each = (header: string) => servers.map((s) => `${label[s]} ${header}`);
  const rows = [
    [
      'scenario',
      'dataset',
      ...each('req/s'),
      ...(servers.includes('postgraphile') ? ['x PostGraphile'] : []),
      'x raw',
      ...each('p99 ms'),
      'tenantql p50 ms',
      ...each('SQL/req'),
      ...each('RSS MB'),
      'p50 vs 10k',
    ],
  ];
  const cell = (value: number | string | null | undefined) =>
    value === null || value === undefined ? 'n/a' : String(value);
  for (const r of results) {
    const of = (name: ServerName) => r.servers[name];
    rows.push([
      r.scenario,
      r.dataset,
      ...servers.map((s) => cell(of(s)?.requestsPerSecond)),
      ...(servers.includes('postgraphile') ? [cell(r.ratioToPostgraphile?.toFixed(2))] : []),
      cell(r.ratioToRaw?.toFixed(2)),
      ...servers.map((s) => cell(of(s)?.p99Ms)),
      cell(of('tenantql')?.p50Ms),
      ...servers.map((s) => cell(of(s)?.statementCounts ?? of(s)?.statementsPerRequest)),
      ...servers.map((s) => cell(of(s)?.peakRssMb)),
      r.latencyRatioToSmall === null ? '' : `${r.latencyRatioToSmall.toFixed(2)}x`,
    ]);
  }
  return alignColumns(rows);
}

/**
 * Rows of cells as a plain-text table: columns padded to their widest cell, a rule under the
 * first row (the header).
 *
 * @example
 * alignColumns([['size', 'MB/s'], ['200 MB', '115.7']]); // 'size    MB/s\n------  -----\n200 MB  115.7'
 */
export function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((value, i) => value.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
