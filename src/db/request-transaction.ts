import {
  Kysely,
  PostgresDialect,
  sql,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
} from 'kysely';
import type pg from 'pg';
import type { Database } from './schema';
import { CommitOutcomeUnknownError, isConnectionError, ServiceUnavailableError, UnauthenticatedError } from '../errors';

/** Who the request acts for: read back in SQL by app.current_org_id() / app.current_user_id(). */
export interface TenantContext {
  organizationId: string | null;
  userId: string | null;
  /** The session (refresh-token family) a signed-in request belongs to. */
  sessionId?: string | null;
  /** The API key a partner request is authenticated with (then there is no user). */
  apiKeyId?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Only validated UUIDs ever reach the simple-protocol BEGIN statement; anything else is refused. */
function uuidLiteral(value: string | null): string {
  if (value === null) return "''";
  if (!UUID.test(value)) throw new Error('tenant context values must be UUIDs');
  return `'${value.toLowerCase()}'`;
}

/** What the audit log records about a request (read in SQL by app.current_request()). */
export interface RequestInfo {
  requestId: string;
  ip?: string | null;
  userAgent?: string | null;
  operationName?: string | null;
}

/**
 * The request info as base64 of its JSON: only base64 characters ever reach the statement.
 * NUL characters are dropped (Postgres text and jsonb cannot hold them).
 */
function requestInfoLiteral(info: RequestInfo): string {
  const clean = (value: string | null | undefined, max: number) => value?.replace(/\0/g, '').slice(0, max) ?? null;
  const json = JSON.stringify({
    requestId: clean(info.requestId, 200),
    ip: clean(info.ip, 100),
    userAgent: clean(info.userAgent, 500),
    operationName: clean(info.operationName, 200),
  });
  return `'${Buffer.from(json, 'utf8').toString('base64')}'`;
}

function setConfigSql(context: TenantContext, info: RequestInfo | null): string {
  return (
    `select set_config('app.current_org_id', ${uuidLiteral(context.organizationId)}, true), ` +
    `set_config('app.current_user_id', ${uuidLiteral(context.userId)}, true), ` +
    `set_config('app.current_session_id', ${uuidLiteral(context.sessionId ?? null)}, true), ` +
    `set_config('app.current_api_key_id', ${uuidLiteral(context.apiKeyId ?? null)}, true)` +
    (info ? `, set_config('app.request', ${requestInfoLiteral(info)}, true)` : '')
  );
}

/** Per-transaction limits (`SET LOCAL` through `set_config(..., true)`); 0 turns one off. */
export interface TransactionTimeouts {
  /** `statement_timeout`: a longer statement is canceled (SQLSTATE 57014). */
  statementTimeoutMs: number;
  /** `idle_in_transaction_session_timeout`: a transaction left idle longer loses its connection. */
  idleInTransactionTimeoutMs: number;
}

export const DEFAULT_TRANSACTION_TIMEOUTS: Readonly<TransactionTimeouts> = {
  statementTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 10_000,
};

/** Only validated integers reach the statement. */
function timeoutsSql(timeouts: TransactionTimeouts): string {
  const ms = (value: number) => {
    if (!Number.isSafeInteger(value) || value < 0 || value > 2_147_483_647)
      throw new Error('timeouts must be integers of milliseconds');
    return `'${value}ms'`;
  };
  return (
    `, set_config('statement_timeout', ${ms(timeouts.statementTimeoutMs)}, true), ` +
    `set_config('idle_in_transaction_session_timeout', ${ms(timeouts.idleInTransactionTimeoutMs)}, true)`
  );
}

/**
 * How long standalone work waits for a row lock (SQLSTATE 55P03 after that). Its rows (a throttle
 * counter, a refresh token) are held by other standalone work for milliseconds; a longer wait
 * means a request transaction holds them, which may be waiting for this very call.
 */
export const STANDALONE_LOCK_TIMEOUT_MS = 1_000;

/**
 * Names for the request path's statements, so each connection parses and plans them once: a text
 * seen a second time gets a name (`tq_<n>`, never given to another text in the process), and pg sends a named
 * statement's Parse only the first time on each connection (later requests send Bind and Execute,
 * and PostgreSQL reuses the parse tree, and the plan when its generic plan is as cheap as a custom
 * one). Statements are a fixed set of shapes with parameters, so a handful of names cover the
 * request path; at most `capacity` texts get one (each costs every connection some 30-60 kB of
 * backend memory), later ones go unnamed as before. A text with `;` is never named (a prepared
 * statement holds one command).
 *
 * @example
 * const names = new StatementNames(2);
 * names.nameFor('select $1'); // undefined: first sighting, sent unnamed
 * names.nameFor('select $1'); // 'tq_0' (say), prepared on each connection the first time it runs there
 */
/** Unique in the process, whichever StatementNames hands it out: connections are shared by all of them. */
let nextStatementName = 0;

export class StatementNames {
  private readonly names = new Map<string, string>();
  /** Texts seen once: a one-off (a text with a literal in it) never takes a name. */
  private readonly seen = new Set<string>();

  constructor(private readonly capacity: number) {}

  nameFor(text: string): string | undefined {
    const name = this.names.get(text);
    if (name !== undefined) return name;
    if (this.names.size >= this.capacity || text.includes(';')) return undefined;
    if (!this.seen.has(text)) {
      if (this.seen.size >= this.capacity) this.seen.clear();
      this.seen.add(text);
      return undefined;
    }
    this.seen.delete(text);
    const named = `tq_${nextStatementName++}`;
    this.names.set(text, named);
    return named;
  }

  /**
   * A statement PostgreSQL can no longer run as prepared ("cached plan must not change result
   * type": a `select *` whose table gained a column since): the next run prepares it afresh
   * under a new name, on every connection.
   */
  forget(text: string): void {
    this.names.delete(text);
  }

  get size(): number {
    return this.names.size;
  }
}

/** The request path's statement names, shared by every request of the process. */
export const REQUEST_STATEMENTS = new StatementNames(100);

/** SQLSTATE 0A000 with this message: a prepared statement's result columns changed under it (DDL). */
const STALE_PREPARED = /^cached plan must not change result type/;

type State = 'idle' | 'open' | 'finished';

/** A promise with its resolve function (the first call wins). */
function settled(): { promise: Promise<boolean>; resolve: (value: boolean) => void } {
  let resolve!: (value: boolean) => void;
  const promise = new Promise<boolean>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * The one transaction of a GraphQL request, opened lazily on first use and shared by every
 * resolver and loader of the request.
 *
 * `BEGIN`, the tenant settings and (for a signed-in request) the check that the session is still
 * valid go to Postgres in one simple-protocol round trip; the settings
 * are transaction-local (`set_config(..., true)`), so a pooled connection never carries one
 * request's tenant into the next. `finish()` commits or rolls back and always gives the
 * connection back without an open transaction (a connection in doubt is destroyed instead).
 *
 * @example
 * const requestDb = new RequestTransaction(pool, { organizationId, userId });
 * requestDb.readOnly = true;                       // a query: BEGIN READ ONLY
 * const db = await requestDb.get();
 * const rows = await db.selectFrom('memberships').selectAll().execute(); // RLS sees only the tenant
 * await requestDb.finish('commit');
 */
export class RequestTransaction {
  /** Statements sent for this request, BEGIN and COMMIT included (for tests and metrics). */
  statementCount = 0;
  /** Set once the operation is known; a query runs in a READ ONLY transaction. */
  readOnly = false;
  /** Who asked, from where, for the audit log; sent with the settings of read-write transactions. */
  requestInfo: RequestInfo | null = null;
  /**
   * The caller's permissions (`app.current_permissions()`), read in the opening round trip of a
   * signed-in or API-key request, so authorization costs no statement of its own; null until
   * then, and again after the context changes.
   */
  permissions: string[] | null = null;
  /**
   * Whether the organization runs only registered operations (`app.trusted_documents_only()`),
   * read in the same opening round trip; null until then and for anonymous requests.
   */
  trustedDocumentsOnly: boolean | null = null;
  /**
   * Set when the request's document is not a registered operation: acting for an organization
   * that allows only registered operations then fails with this error, whether the request
   * started as that organization's or entered it (sign-in, refresh, switch).
   */
  untrustedDocumentError: (() => Error) | null = null;

  private state: State = 'idle';
  private client: pg.PoolClient | undefined;
  private db: Kysely<Database> | undefined;
  private opening: Promise<Kysely<Database>> | undefined;
  private broken = false;
  /** Statements of one request run one after another on its connection (pg does not queue for us). */
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * @param standalonePool where `standalone()` work runs: a pool of its own, so a request that
   *   holds its connection never waits on the same pool for a second one (no pool deadlock).
   * @param timeouts set in the opening round trip, so a slow query cannot hold a connection forever.
   * @param statementNames which statements run prepared (the process's set unless a test gives its own).
   */
  constructor(
    private readonly pool: pg.Pool,
    private context: TenantContext,
    private readonly standalonePool: pg.Pool = pool,
    private readonly timeouts: TransactionTimeouts = DEFAULT_TRANSACTION_TIMEOUTS,
    private readonly statementNames: StatementNames = REQUEST_STATEMENTS,
  ) {}

  /**
   * The transaction opens only once `check` has settled, and not at all if it fails: for checks
   * that must come before any statement (the costly fields' rate limit) while other plugins'
   * hooks may already ask for the transaction.
   */
  openAfter(check: Promise<unknown>): void {
    this.pendingCheck = check;
  }

  private pendingCheck: Promise<unknown> | undefined;

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** The request's Kysely instance, bound to its transaction; the first call opens it. */
  get(): Promise<Kysely<Database>> {
    if (this.state === 'finished') return Promise.reject(new Error('the request transaction has already finished'));
    if (this.db) return Promise.resolve(this.db);
    this.opening ??= this.open();
    return this.opening;
  }

  /** Called whenever the request starts acting for someone else (caches must not survive that). */
  private readonly contextListeners: (() => void)[] = [];

  onContextChange(listener: () => void): void {
    this.contextListeners.push(listener);
  }

  /** Changes who the request acts for (sign-in): applied now if the transaction is open, else at BEGIN. */
  async setContext(context: TenantContext): Promise<void> {
    const statement = setConfigSql(context, this.auditInfo);
    this.context = context;
    this.permissions = null; // open() may still be reading the previous context's: it checks the context first
    this.trustedDocumentsOnly = null;
    for (const listener of this.contextListeners) listener();
    if (this.state === 'open' || this.opening) {
      await this.get();
      if (this.untrustedDocumentError && context.organizationId !== null) {
        // Entering an organization with a document of its own: may it? (same round trip)
        if (!this.client || this.state !== 'open') throw new Error('the request transaction is not open');
        const results = (await this.send(
          this.client,
          `${statement}; select app.trusted_documents_only() as only`,
        )) as pg.QueryResult<{ only: boolean }>[];
        this.trustedDocumentsOnly = results.at(-1)!.rows[0]!.only;
        if (this.trustedDocumentsOnly) throw this.untrustedDocumentError();
      } else {
        await this.run(statement);
      }
    }
  }

  /** Commits (or rolls back) and releases the connection; a no-op when nothing was opened. */
  async finish(outcome: 'commit' | 'rollback'): Promise<void> {
    if (this.state === 'finished') return;
    let ended = false;
    try {
      await this.end(outcome);
      ended = true;
    } finally {
      // Deferred work follows a commit, never a rollback or a commit that failed.
      if (ended && outcome === 'commit') this.committed.resolve(true);
      else this.dropDeferred();
    }
  }

  /**
   * Work that must not show in the request's answer: it runs in a standalone transaction (see
   * `standalone()`) once the request has committed and its response has gone out (`answered()`),
   * and never when the request is rolled back. A request whose work for one input costs more
   * than for another (a reset mail for an account that exists, none for an unknown address)
   * would otherwise tell them apart by how long its answer takes.
   *
   * @example
   * ctx.db.afterAnswer((db) => issueUserToken(db, { email, purpose: 'password_reset', ttlSeconds }));
   */
  afterAnswer(work: (db: Kysely<Database>) => Promise<unknown>): void {
    if (this.state === 'finished') throw new Error('the request transaction has already finished');
    if (this.deferred.push(work) === 1) void this.runDeferred();
  }

  /** The request's response has gone out, or its client has left: deferred work may start. */
  answered(): void {
    this.responseSent.resolve(true);
  }

  /** Told about deferred work that failed: nobody else is waiting for it. */
  onDeferredError: (error: unknown) => void = () => undefined;

  private readonly deferred: ((db: Kysely<Database>) => Promise<unknown>)[] = [];
  private readonly committed = settled();
  private readonly responseSent = settled();

  private dropDeferred(): void {
    this.deferred.length = 0;
    this.committed.resolve(false);
  }

  /** Starts the deferred work once both the commit and the response are done; one task after another. */
  private async runDeferred(): Promise<void> {
    if (!(await this.committed.promise) || !(await this.responseSent.promise)) return;
    for (const work of this.deferred.splice(0)) {
      await this.standalone(work).catch((error: unknown) => this.onDeferredError(error));
    }
  }

  private async end(outcome: 'commit' | 'rollback'): Promise<void> {
    const opening = this.opening;
    this.state = 'finished';
    if (!opening) return;
    try {
      await opening;
    } catch {
      return; // opening failed: open() already released the connection
    }
    const client = this.client!;
    this.client = undefined;
    // A connection already known dead never carried the COMMIT: nothing was saved.
    const deadBefore = this.broken;
    try {
      const result = await this.send(client, outcome === 'commit' ? 'commit' : 'rollback');
      // COMMIT of a transaction that hit an error is answered with ROLLBACK, not an error: for a
      // read-write transaction that is a lost write and must be reported (read-only loses nothing).
      if (outcome === 'commit' && !this.readOnly && (result as pg.QueryResult).command !== 'COMMIT') {
        throw new Error('the transaction was rolled back instead of committed (a statement in it failed)');
      }
    } catch (error) {
      await this.send(client, 'rollback').catch(() => undefined);
      this.release(client, true); // in doubt: destroy the connection rather than pool it
      // PostgreSQL refusing the COMMIT (an ERROR: serialization, deferred constraint) rolled it
      // back. A connection lost while COMMIT was on its way (no answer, or FATAL) may have
      // committed or not, and nobody here can tell which.
      const refused =
        typeof error === 'object' && error !== null && (error as { severity?: unknown }).severity === 'ERROR';
      const rolledBack = error instanceof Error && /^the transaction was rolled back/.test(error.message);
      if (outcome === 'commit' && !this.readOnly && !deadBefore && !refused && !rolledBack)
        throw new CommitOutcomeUnknownError(error);
      throw error;
    }
    this.release(client, this.broken);
  }

  private release(client: pg.PoolClient, destroy: boolean): void {
    client.release(destroy || undefined);
    // Only now: a dying connection may still report errors while it is being released.
    client.removeListener('error', this.onClientError);
  }

  /**
   * Runs `fn` in a separate, short transaction on another connection that acts for nobody, and
   * commits it whatever happens to the request. For security bookkeeping that must outlive a
   * failing request: refresh-token rotation and reuse detection, sign-in throttling.
   */
  async standalone<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: this.standalonePool }) });
    return db.transaction().execute(async (trx) => {
      this.statementCount += 3;
      // Never waits long: the row it needs may be held by a request transaction, even this
      // request's own, which cannot go on until this returns.
      await sql
        .raw(
          `${setConfigSql({ organizationId: null, userId: null }, this.requestInfo)}${timeoutsSql(this.timeouts)}` +
            `, set_config('lock_timeout', '${STANDALONE_LOCK_TIMEOUT_MS}ms', true)`,
        )
        .execute(trx);
      const counted = trx.withPlugin({
        transformQuery: (args) => {
          this.statementCount++;
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      return fn(counted);
    });
  }

  private async open(): Promise<Kysely<Database>> {
    await this.pendingCheck;
    const client = await this.pool.connect().catch((error: unknown) => {
      throw isConnectionError(error) ? new ServiceUnavailableError() : error;
    });
    client.on('error', this.onClientError);
    // A signed-in request also re-checks its session in the same round trip.
    const opened = this.context;
    // A session without an organization (no org, but a session id) is checked too.
    const check =
      this.context.organizationId === null && !this.context.sessionId
        ? null
        : this.context.apiKeyId
          ? 'app.api_key_is_valid()'
          : 'app.session_is_valid()';
    const checkSession = check !== null;
    let sessionValid = true;
    try {
      const results = await this.send(
        client,
        `${this.readOnly ? 'begin read only' : 'begin'}; ${setConfigSql(this.context, this.auditInfo)}${timeoutsSql(this.timeouts)}` +
          (check
            ? `; select ${check} as valid, app.current_permissions() as permissions, app.trusted_documents_only() as trusted_documents_only`
            : ''),
      );
      if (checkSession) {
        const row = (
          results as pg.QueryResult<{ valid: boolean; permissions: string[]; trusted_documents_only: boolean }>[]
        ).at(-1)?.rows[0];
        sessionValid = row?.valid === true;
        // Only if the context did not change while BEGIN was on its way (setContext clears them).
        if (sessionValid && this.context === opened) {
          this.permissions = row!.permissions;
          this.trustedDocumentsOnly = row!.trusted_documents_only;
        }
      }
    } catch (error) {
      this.state = 'finished';
      this.release(client, true);
      throw error;
    }
    const refusal = !sessionValid
      ? new UnauthenticatedError('Your session is no longer valid; sign in again')
      : this.untrustedDocumentError && this.trustedDocumentsOnly
        ? this.untrustedDocumentError()
        : null;
    if (refusal) {
      const rolledBack = await this.send(client, 'rollback').then(
        () => true,
        () => false,
      );
      this.release(client, !rolledBack || this.broken);
      // The request is not spoiled: it may still sign in (login with a stale token), and a later
      // get() opens afresh under the context set then.
      if (this.state !== 'finished') this.opening = undefined;
      throw refusal;
    }
    if (this.state === 'finished') {
      // finish() ran while we were opening: nothing may use this transaction any more
      await this.send(client, 'rollback').catch(() => undefined);
      this.release(client, true);
      throw new Error('the request transaction has already finished');
    }
    this.client = client;
    this.state = 'open';
    this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: this.asPool(client) }) });
    return this.db;
  }

  /** Reads write nothing to audit: their settings stay minimal. */
  private get auditInfo(): RequestInfo | null {
    return this.readOnly ? null : this.requestInfo;
  }

  private readonly onClientError = (): void => {
    this.broken = true;
  };

  private async run(statement: string): Promise<void> {
    if (!this.client || this.state !== 'open') throw new Error('the request transaction is not open');
    await this.send(this.client, statement);
  }

  private send(client: pg.PoolClient, statement: string): Promise<pg.QueryResult | pg.QueryResult[]> {
    return this.enqueue(() => client.query(statement));
  }

  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    this.statementCount++;
    const result = this.tail.then(run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** A one-connection pool for Kysely whose queries refuse to run once the request has finished. */
  private asPool(client: pg.PoolClient): PostgresPool {
    const guarded: PostgresPoolClient = {
      query: ((sqlText: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<unknown>> => {
        if (this.state !== 'open') {
          return Promise.reject(new Error('the request transaction has already finished'));
        }
        const name = this.statementNames.nameFor(sqlText);
        const values = parameters as unknown[];
        return this.enqueue(
          () =>
            (name
              ? client.query({ name, text: sqlText, values }).catch((error: unknown) => {
                  if (error instanceof Error && STALE_PREPARED.test(error.message)) this.statementNames.forget(sqlText);
                  throw error;
                })
              : client.query(sqlText, values)) as unknown as Promise<PostgresQueryResult<unknown>>,
        );
      }) as PostgresPoolClient['query'],
      release: () => undefined,
    };
    return { connect: async () => guarded, end: async () => undefined };
  }
}
