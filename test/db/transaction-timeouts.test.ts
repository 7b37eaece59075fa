import type pg from 'pg';
import { sql } from 'kysely';
import { GraphQLError } from 'graphql';
import { DEFAULT_TRANSACTION_TIMEOUTS, RequestTransaction } from '../../src/db/request-transaction';
import { formatError } from '../../src/graphql/errors';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { addMember, createOrganization, createSession, createUser } from '../support/factories';

describe('request transaction timeouts', () => {
  let pool: pg.Pool;
  const owner = ownerDb();
  let tenant: { organizationId: string; userId: string; sessionId: string };

  beforeAll(async () => {
    // One connection: every transaction below runs on the same backend, so leaks would show.
    pool = testPool('app', 1, 'jest-transaction-timeouts');
    const organizationId = (await createOrganization(owner)).id;
    const userId = (await createUser(owner)).id;
    await addMember(owner, organizationId, userId);
    tenant = { organizationId, userId, sessionId: await createSession(owner, organizationId, userId) };
  });
  afterAll(closeTestPools);

  const timeoutsIn = async (trx: RequestTransaction) => {
    const { rows } = await sql<{
      statement: string;
      idle: string;
    }>`select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle`.execute(
      await trx.get(),
    );
    return rows[0];
  };

  it('sets both timeouts in the opening round trip, for this transaction only', async () => {
    const trx = new RequestTransaction(pool, tenant);
    expect(await timeoutsIn(trx)).toEqual({ statement: '5s', idle: '10s' });
    expect(DEFAULT_TRANSACTION_TIMEOUTS).toEqual({ statementTimeoutMs: 5_000, idleInTransactionTimeoutMs: 10_000 });
    expect(trx.statementCount).toBe(2); // BEGIN + settings, then the select: no statement of their own
    await trx.finish('commit');

    const configured = new RequestTransaction(pool, tenant, pool, {
      statementTimeoutMs: 1234,
      idleInTransactionTimeoutMs: 0,
    });
    configured.readOnly = true;
    expect(await timeoutsIn(configured)).toEqual({ statement: '1234ms', idle: '0' });
    await configured.finish('commit');

    // The pooled connection is back to the server's defaults.
    const { rows } = await pool.query<{ statement: string; idle: string }>(
      "select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle",
    );
    expect(rows[0]).toEqual({ statement: '0', idle: '0' });
  });

  it('cancels a statement that runs longer than statement_timeout (57014, answered as TIMEOUT)', async () => {
    const trx = new RequestTransaction(pool, tenant, pool, {
      statementTimeoutMs: 100,
      idleInTransactionTimeoutMs: 10_000,
    });
    trx.readOnly = true;
    const db = await trx.get();
    const started = performance.now();
    const error = await sql`select pg_sleep(2)`.execute(db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(error).toMatchObject({ code: '57014' });
    await trx.finish('commit'); // read-only: nothing lost, the connection goes back
    expect((await pool.query('select 1 as one')).rows[0].one).toBe(1);

    const shown = formatError(
      { message: (error as Error).message, path: ['projects'] },
      new GraphQLError((error as Error).message, { path: ['projects'], originalError: error as Error }),
    );
    expect(shown).toEqual({
      message: 'The request took too long and was canceled; ask for less at once',
      path: ['projects'],
      locations: undefined,
      extensions: { code: 'TIMEOUT' },
    });
    expect(JSON.stringify(shown)).not.toMatch(/pg_sleep|statement timeout/);
  });

  it('loses the connection of a transaction left idle past idle_in_transaction_session_timeout, and the pool recovers', async () => {
    const trx = new RequestTransaction(pool, tenant, pool, {
      statementTimeoutMs: 5_000,
      idleInTransactionTimeoutMs: 100,
    });
    const db = await trx.get();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(sql`select 1`.execute(db)).rejects.toThrow();
    await expect(trx.finish('commit')).rejects.toThrow(); // a write transaction that could not commit says so
    const next = new RequestTransaction(pool, tenant);
    expect(await timeoutsIn(next)).toEqual({ statement: '5s', idle: '10s' });
    await next.finish('commit');
  });

  it('refuses timeouts that are not whole milliseconds, before anything is sent', async () => {
    const trx = new RequestTransaction(pool, tenant, pool, { statementTimeoutMs: 1.5, idleInTransactionTimeoutMs: 10 });
    await expect(trx.get()).rejects.toThrow(/integers of milliseconds/);
    expect(trx.statementCount).toBe(0);
    expect((await pool.query('select 1 as one')).rows[0].one).toBe(1);
  });
});
