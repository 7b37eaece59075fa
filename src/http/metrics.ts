import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What one finished request to the GraphQL endpoint contributes to the metrics. */
export interface GraphQLObservation {
  /** The operation's name; null when it has none or the request never got that far. */
  operationName: string | null;
  /** Whether GraphQL parsed and resolved an operation (an unnamed one is then "(anonymous)"). */
  resolved: boolean;
  /** Whether the request acted for an organization (signed in, or an API key). */
  authenticated: boolean;
  outcome: 'success' | 'error' | 'aborted';
  durationSeconds: number;
  /** Distinct `extensions.code` values of the response's errors. */
  errorCodes: readonly string[];
  /** SQL statements sent; null for requests refused before GraphQL ran. */
  statements: number | null;
}

/** Operation names come from clients: past this many distinct values they count as "(other)". */
export const MAX_OPERATION_LABELS = 100;
const MAX_LABEL_LENGTH = 64;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

// Process metrics (CPU, memory, event loop, GC) are the process's, not an app's: one registry
// per process, however many apps a test run creates. Standard names, so stock dashboards work.
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The Prometheus metrics of one app, in a registry of its own (never prom-client's global one):
 * GraphQL requests by operation and outcome, their latency, errors by code, SQL statements per
 * request and the pools' connections, read when scraped.
 *
 * @example
 * const metrics = new Metrics({ app: appPool, standalone: standalonePool });
 * metrics.observe({ operationName: 'Viewer', resolved: true, authenticated: true, outcome: 'success', durationSeconds: 0.012, errorCodes: [], statements: 3 });
 * res.type(metrics.contentType).send(await metrics.render());
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();
  private readonly requests: Counter<'operation' | 'outcome'>;
  private readonly duration: Histogram<'operation'>;
  private readonly errors: Counter<'code'>;
  private readonly statements: Histogram;

  /**
   * @param registeredOperations names of the registered (persisted) operations: always labelled.
   *   Other names are labelled only for authenticated callers, up to MAX_OPERATION_LABELS, so
   *   nobody without credentials can use up the labels.
   */
  constructor(
    pools: Record<string, pg.Pool>,
    private readonly registeredOperations: ReadonlySet<string> = new Set(),
  ) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'tenantql_graphql_requests_total',
      help: 'GraphQL requests by operation name and outcome (success, error, aborted), refused ones included',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'tenantql_graphql_request_duration_seconds',
      help: 'Time from receiving a GraphQL request to finishing its response, by operation name',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.errors = new Counter({
      name: 'tenantql_graphql_errors_total',
      help: 'GraphQL requests whose response carried an error with this extensions.code (counted once per request and code)',
      labelNames: ['code'],
      registers,
    });
    this.statements = new Histogram({
      name: 'tenantql_sql_statements_per_request',
      help: 'SQL statements sent by one GraphQL request, BEGIN and COMMIT included',
      buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100],
      registers,
    });
    new Gauge({
      name: 'tenantql_db_pool_connections',
      help: 'Database pool connections: total open, idle, and requests waiting for one (state=waiting)',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const [name, pool] of Object.entries(pools)) {
          this.set({ pool: name, state: 'total' }, pool.totalCount);
          this.set({ pool: name, state: 'idle' }, pool.idleCount);
          this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
        }
      },
    });
    processMetrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  observe(o: GraphQLObservation): void {
    const operation = this.operationLabel(o);
    this.requests.inc({ operation, outcome: o.outcome });
    this.duration.observe({ operation }, o.durationSeconds);
    for (const code of new Set(o.errorCodes)) this.errors.inc({ code: ERROR_CODE.test(code) ? code : 'OTHER' });
    if (o.statements !== null) this.statements.observe(o.statements);
  }

  /** The text exposition: this app's metrics, then the process's. */
  async render(): Promise<string> {
    return (await this.registry.metrics()) + (await processMetrics().metrics());
  }

  private operationLabel({ operationName: name, resolved, authenticated }: GraphQLObservation): string {
    if (!resolved) return '(unknown)';
    if (!name) return '(anonymous)';
    if (this.registeredOperations.has(name)) return name;
    if (!authenticated) return '(other)';
    const label = name.slice(0, MAX_LABEL_LENGTH);
    if (this.operations.has(label)) return label;
    if (this.operations.size >= MAX_OPERATION_LABELS) return '(other)';
    this.operations.add(label);
    return label;
  }
}
