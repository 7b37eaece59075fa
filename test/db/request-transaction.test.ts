import crypto from 'node:crypto';
import type pg from 'pg';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema';
import { RequestTransaction, StatementNames } from '../../src/db/request-transaction';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { addMember, createOrganization, createSession, createUser } from '../support/factories';
import { eventually } from '../support/eventually';

describe('RequestTransaction', () => {
  let pool: pg.Pool;
  let superuser: pg.Pool;
  const owner = ownerDb();
  let orgId: string;
  /** Signed in to orgId: the session the requests act for. */
  let userId: string;
  let sessionId: string;
  /** Someone without a membership yet, whom the tests add. */
  let newcomerId: string;
  let baseline: number;

  beforeAll(async () => {
    pool = testPool('app', 2, 'jest-request-transaction');
    superuser = testPool('superuser', 2);
    orgId = (await createOrganization(owner)).id;
    userId = (await createUser(owner)).id;
    await addMember(owner, orgId, userId);
    sessionId = await createSession(owner, orgId, userId);
    newcomerId = (await createUser(owner)).id;
    baseline = await membershipsOf(orgId);
  });
  afterAll(closeTestPools);

  const membershipsOf = async (organizationId: string) =>
    (await superuser.query('select count(*)::int as n from memberships where organization_id = $1', [organizationId]))
      .rows[0].n as number;
  const openTransactions = async () =>
    (
      await superuser.query(
        "select count(*)::int as n from pg_stat_activity where application_name = 'jest-request-transaction' and state like 'idle in transaction%'",
      )
    ).rows[0].n as number;

  it('opens nothing until first used', async () => {
    const trx = new RequestTransaction(pool, { organizationId: orgId, userId, sessionId });
    await trx.finish('commit');
    expect(trx.statementCount).toBe(0);
    expect(pool.totalCount).toBe(pool.idleCount);
  });

  it('sends BEGIN and the tenant settings in one round trip, and they are visible to SQL', async () => {
    const trx = new RequestTransaction(pool, { organizationId: orgId, userId, sessionId });
    const db = await trx.get();
    expect(trx.statementCount).toBe(1);
    const { rows } = await sql<{
      org: string;
      usr: string;
      sid: string;
    }>`select app.current_org_id() as org, app.current_user_id() as usr, app.current_session_id() as sid`.execute(db);
    expect(rows[0]).toEqual({ org: orgId, usr: userId, sid: sessionId });
    await trx.finish('commit');
    expect(trx.statementCount).toBe(3);
  });

  it('shares one connection and one transaction between concurrent users of the request', async () => {
    const trx = new RequestTransaction(pool, { organizationId: orgId, userId, sessionId });
    const [a, b] = await Promise.all([trx.get(), trx.get()]);
    expect(a).toBe(b);
    const pids = await Promise.all(
      [1, 2, 3].map(() =>
        sql<{
          pid: number;
          xid: string;
        }>`select pg_backend_pid() as pid, txid_current_if_assigned()::text as xid`.execute(a),
      ),
    );
    expect(new Set(pids.map((p) => p.rows[0]!.pid)).size).toBe(1);
    expect(trx.statementCount).toBe(4);
    await trx.finish('commit');
  });

  it('runs queries READ ONLY', async () => {
    const trx = new RequestTransaction(pool, { organizationId: orgId, userId, sessionId });
    trx.readOnly = true;
    const db = await trx.get();
    await expect(
      db
        .insertInto('memberships')
        .values({ organization_id: orgId, user_id: newcomerId, role: 'member', status: 'active' })
        .execute(),
    ).rejects.toMatchObject({ code: '25006' });
    await trx.finish('commit');
    expect(await membershipsOf(orgId)).toBe(baseline);
  });

  it('commits writes on commit and discards them on rollback', async () => {
    const rolledBack = new RequestTransaction(pool, { organizationId: orgId, userId, sessionId });
    await (
      await rolledBack.get()
    )
      .insertInto('memberships')
      .values({ organization_id: orgId, user_id: newcomerId, role: 'member', status: 'active' })
      .execute();
    await rolledBack.finish('rollback');
    expect(await membershipsOf(orgId)).toBe(baseline);

    const committed = new RequestTransaction(pool, { organizationId: orgId, userId, sessionId });
    await (
      await committed.get()
    )
      .insertInto('memberships')
      .values({ organization_id: orgId, user_id: newcomerId, role: 'member', status: 'active' })
      .execute();
    await committed.finish('commit');
    expect(await membershipsOf(orgId)).toBe(baseline + 1);
  });

  it('refuses queries after the request has finished, so a straggler cannot run on a pooled connection', async () => {
    const trx = new RequestTransaction(pool, { organizationId: orgId, userId, sessionId });
    const db = await trx.get();
    await trx.finish('commit');
    await expect(db.selectFrom('memberships').selectAll().execute()).rejects.toThrow(/already finished/);
    await expect(trx.get()).rejects.toThrow(/already finished/);
  });

  it('reports a failed commit and destroys the connection instead of pooling it', async () => {
    const trx = new RequestTransaction(pool, { organizationId: orgId, userId, sessionId });
    const db = await trx.get();
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    await superuser.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    await expect(trx.finish('commit')).rejects.toThrow();
    // The pool still works, on a fresh connection.
    const next = new RequestTransaction(pool, { organizationId: orgId, userId, sessionId });
    await sql`select 1`.execute(await next.get());
    await next.finish('commit');
  });

  it('switches who it acts for mid-transaction (sign-in) without leaking into the next request', async () => {
    const other = (await createOrganization(owner)).id;
    const trx = new RequestTransaction(pool, { organizationId: null, userId: null });
    const db = await trx.get();
    await trx.setContext({ organizationId: other, userId });
    expect((await sql<{ org: string }>`select app.current_org_id() as org`.execute(db)).rows[0]!.org).toBe(other);
    await trx.finish('commit');

    const next = new RequestTransaction(pool, { organizationId: null, userId: null });
    expect(
      (await sql<{ org: string | null }>`select app.current_org_id() as org`.execute(await next.get())).rows[0]!.org,
    ).toBeNull();
    await next.finish('commit');
  });

  it('runs work deferred until after the answer only once the request has committed and answered, never after a rollback', async () => {
    const ran: string[] = [];
    const deferredWork = (label: string) => async (db: Kysely<Database>) => {
      await sql`select 1`.execute(db);
      ran.push(label);
    };
    const committed = new RequestTransaction(pool, { organizationId: null, userId: null });
    committed.afterAnswer(deferredWork('first'));
    committed.afterAnswer(deferredWork('second'));
    await committed.finish('commit');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ran).toEqual([]); // committed, but the response has not gone out
    committed.answered();
    await eventually(() => expect(ran).toEqual(['first', 'second']));

    const rolledBack = new RequestTransaction(pool, { organizationId: null, userId: null });
    rolledBack.afterAnswer(deferredWork('rolled back'));
    rolledBack.answered();
    await rolledBack.finish('rollback');
    const failed = new RequestTransaction(pool, { organizationId: null, userId: null });
    failed.afterAnswer(deferredWork('failed'));
    failed.onDeferredError = (error) => ran.push(`error: ${(error as Error).message}`);
    failed.afterAnswer(async (db) => {
      await sql`select 1/0`.execute(db);
    });
    failed.answered();
    await failed.finish('commit');
    await eventually(() => expect(ran).toEqual(['first', 'second', 'failed', 'error: division by zero']));
    expect(() => failed.afterAnswer(deferredWork('too late'))).toThrow(/already finished/);
  });

  it('refuses tenant ids that are not UUIDs before sending anything', async () => {
    const trx = new RequestTransaction(pool, { organizationId: "x'); drop table users; --", userId: null });
    await expect(trx.get()).rejects.toThrow(/UUID/);
    expect(trx.statementCount).toBe(0);
  });

  it('refuses a session whose membership, organization or account no longer admits it, in the same round trip', async () => {
    const org = await createOrganization(owner);
    const member = await createUser(owner);
    const stranger = crypto.randomUUID();
    await addMember(owner, org.id, member.id, { status: 'suspended' });
    const suspendedSession = await createSession(owner, org.id, member.id);
    for (const context of [
      { organizationId: org.id, userId: member.id, sessionId: suspendedSession },
      { organizationId: orgId, userId, sessionId: crypto.randomUUID() }, // a session that does not exist
      { organizationId: orgId, userId, sessionId: null },
      { organizationId: org.id, userId: stranger, sessionId: suspendedSession },
      { organizationId: org.id, userId: null },
    ]) {
      const trx = new RequestTransaction(pool, context);
      await expect(trx.get()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(trx.statementCount).toBe(2); // BEGIN + settings + check, then ROLLBACK
      // Asked again, it checks again: a sign-in later in the same request may still open it.
      await expect(trx.get()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(trx.statementCount).toBe(4);
      await trx.finish('commit');
      await expect(trx.get()).rejects.toThrow(/already finished/);
    }
  });

  describe('prepared statements', () => {
    /** One connection: every request of these tests runs on the same backend. */
    let single: pg.Pool;
    const PROBE = 'select * from jest_prepared_probe.probe order by id';

    beforeAll(async () => {
      single = testPool('app', 1, 'jest-request-transaction-prepared');
      await superuser.query(`drop schema if exists jest_prepared_probe cascade; create schema jest_prepared_probe;
        create table jest_prepared_probe.probe (id int); insert into jest_prepared_probe.probe values (1);
        grant usage on schema jest_prepared_probe to tenantql_app; grant select on jest_prepared_probe.probe to tenantql_app;`);
    });
    afterAll(() => superuser.query('drop schema if exists jest_prepared_probe cascade'));

    /** Runs `text` in a request of its own on the single connection; its rows. */
    const inRequest = async (names: StatementNames, text: string, parameters: unknown[] = []) => {
      const trx = new RequestTransaction(
        single,
        { organizationId: orgId, userId, sessionId },
        single,
        undefined,
        names,
      );
      try {
        const db = await trx.get();
        const { rows } = await db.executeQuery<Record<string, unknown>>({
          sql: text,
          parameters,
          query: { kind: 'RawNode', sqlFragments: [text], parameters: [] } as never,
          queryId: { queryId: 'probe' },
        });
        await trx.finish('commit');
        return rows;
      } catch (error) {
        await trx.finish('rollback');
        throw error;
      }
    };
    const preparedOnConnection = (names: StatementNames) =>
      inRequest(
        names,
        // Named only from its second run, which comes after these reads: never listed itself.
        'select name, statement, generic_plans + custom_plans as runs from pg_prepared_statements where statement not like $1',
        ['%pg_prepared_statements%'],
      );

    it('prepares a statement the second time it runs and reuses it in later requests on the connection', async () => {
      const names = new StatementNames(10);
      for (const n of [1, 2, 3]) expect(await inRequest(names, 'select $1::int as n', [n])).toEqual([{ n }]);
      // Run 1 unnamed, run 2 parsed as tq_0, run 3 executed without parsing again.
      expect(await preparedOnConnection(names)).toEqual([
        { name: names.nameFor('select $1::int as n'), statement: 'select $1::int as n', runs: '2' },
      ]);
    });

    it('names neither one-offs beyond its capacity nor texts with more than one statement', () => {
      const names = new StatementNames(2);
      for (const text of ['select 1; select 2', 'select 1; select 2']) expect(names.nameFor(text)).toBeUndefined();
      for (const text of ['select $1', 'select $1', 'select $2', 'select $2']) names.nameFor(text);
      const [first, second] = [names.nameFor('select $1'), names.nameFor('select $2')];
      expect(first).toMatch(/^tq_\d+$/);
      expect(second).toMatch(/^tq_\d+$/);
      expect(second).not.toBe(first);
      expect([names.nameFor('select $3'), names.nameFor('select $3')]).toEqual([undefined, undefined]);
      expect(names.size).toBe(2);
    });

    it('prepares a statement afresh once DDL changed its result columns', async () => {
      const names = new StatementNames(10);
      for (let run = 0; run < 2; run++) expect(await inRequest(names, PROBE)).toEqual([{ id: 1 }]);
      const before = names.nameFor(PROBE);
      await superuser.query('alter table jest_prepared_probe.probe add column note text');
      // PostgreSQL refuses the prepared statement once; the next request prepares it under a new name.
      await expect(inRequest(names, PROBE)).rejects.toThrow(/cached plan must not change result type/);
      expect(await inRequest(names, PROBE)).toEqual([{ id: 1, note: null }]);
      expect(names.nameFor(PROBE)).toMatch(/^tq_\d+$/);
      expect(names.nameFor(PROBE)).not.toBe(before);
    });
  });

  it('leaves no connection idle in a transaction', async () => {
    expect(await openTransactions()).toBe(0);
  });
});
