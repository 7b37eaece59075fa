import { ApolloServer } from '@apollo/server';
import { GraphQLBoolean, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { sql } from 'kysely';
import pino from 'pino';
import type pg from 'pg';
import type { Context } from '../../src/graphql/context';
import { errorLoggingPlugin, formatError } from '../../src/graphql/errors';
import { ConflictError } from '../../src/errors';
import { Loaders } from '../../src/graphql/loaders';
import { createTransactionPlugin, type RequestSummary } from '../../src/graphql/transaction-plugin';
import { RequestTransaction } from '../../src/db/request-transaction';
import { TokenService } from '../../src/auth/tokens';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { addMember, createOrganization, createSession, createUser } from '../support/factories';
import { TEST_KEYRING, TEST_SESSION_SETTINGS, TEST_TOKEN_SETTINGS } from '../support/app';

/**
 * A small schema whose resolvers write through the request transaction, so the plugin's
 * commit / rollback / failed-commit behaviour can be seen from the database afterwards.
 */
describe('transaction plugin', () => {
  let appPool: pg.Pool;
  let superuser: pg.Pool;
  let apollo: ApolloServer<Context>;
  const summaries: RequestSummary[] = [];
  const owner = ownerDb();
  let orgId: string;
  let sessionUserId: string;
  let sessionId: string;

  const count = async () =>
    (await superuser.query('select count(*)::int as n from memberships where organization_id = $1', [orgId])).rows[0]
      .n as number;

  beforeAll(async () => {
    appPool = testPool('app', 2, 'jest-transaction-plugin');
    superuser = testPool('superuser', 2);
    orgId = (await createOrganization(owner)).id;
    sessionUserId = (await createUser(owner)).id;
    await addMember(owner, orgId, sessionUserId);
    sessionId = await createSession(owner, orgId, sessionUserId);
    // A deferred trigger runs inside COMMIT: it sleeps (while the test kills the connection) or refuses.
    await superuser.query(`drop schema if exists jest_commit_probe cascade; create schema jest_commit_probe;
      create table jest_commit_probe.probe (action text);
      create function jest_commit_probe.at_commit() returns trigger language plpgsql as $$
        begin if new.action = 'kill' then perform pg_sleep(3); else raise exception 'refused at commit'; end if; return null; end $$;
      create constraint trigger at_commit after insert on jest_commit_probe.probe deferrable initially deferred
        for each row execute function jest_commit_probe.at_commit();
      grant usage on schema jest_commit_probe to tenantql_app; grant insert on jest_commit_probe.probe to tenantql_app;`);

    const writeMembership = async (
      ctx: Context,
      args: { fail?: boolean; killConnection?: boolean; atCommit?: 'kill' | 'refuse' },
    ) => {
      const db = await ctx.db.get();
      const user = await createUser(owner);
      await db
        .insertInto('memberships')
        .values({ organization_id: orgId, user_id: user.id, role: 'member', status: 'active' })
        .execute();
      if (args.fail) throw new ConflictError('Refused after writing');
      if (args.atCommit) {
        // A deferred trigger runs inside COMMIT: it sleeps (the connection is killed meanwhile) or refuses.
        await sql`insert into jest_commit_probe.probe values (${args.atCommit})`.execute(db);
        if (args.atCommit === 'kill') {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
          setTimeout(() => void superuser.query('select pg_terminate_backend($1)', [rows[0]!.pid]), 1_000);
        }
      }
      if (args.killConnection) {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
        await superuser.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        // Until the client has seen its connection end: a COMMIT sent after that cannot have saved anything.
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return true;
    };
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          members: {
            type: GraphQLInt,
            resolve: async (_root, _args, ctx: Context) =>
              (await sql<{ n: number }>`select count(*)::int as n from memberships`.execute(await ctx.db.get()))
                .rows[0]!.n,
          },
          broken: {
            type: GraphQLString,
            resolve: () => {
              throw new Error('relation "secret_table" does not exist');
            },
          },
          tryWrite: {
            type: GraphQLString,
            resolve: async (_root, _args, ctx: Context) => writeMembership(ctx, {}).then(() => 'wrote'),
          },
        },
      }),
      mutation: new GraphQLObjectType({
        name: 'Mutation',
        fields: {
          addMember: {
            type: new GraphQLNonNull(GraphQLBoolean),
            args: {
              fail: { type: GraphQLBoolean },
              killConnection: { type: GraphQLBoolean },
              atCommit: { type: GraphQLString },
            },
            resolve: (_root, args, ctx: Context) => writeMembership(ctx, args),
          },
        },
      }),
    });
    apollo = new ApolloServer<Context>({
      schema,
      formatError,
      plugins: [createTransactionPlugin((s) => summaries.push(s)), errorLoggingPlugin],
    });
    await apollo.start();
  });
  afterAll(async () => {
    await superuser.query('drop schema if exists jest_commit_probe cascade');
    await apollo.stop();
    await closeTestPools();
  });

  const logLines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });

  async function run(query: string, requestId = 'test') {
    const db = new RequestTransaction(appPool, { organizationId: orgId, userId: sessionUserId, sessionId });
    const contextValue: Context = {
      requestId,
      viewer: null,
      apiKey: null,
      db,
      loaders: new Loaders(db),
      log: logger.child({ requestId }),
      services: {
        tokens: new TokenService(TEST_TOKEN_SETTINGS),
        sessions: TEST_SESSION_SETTINGS,
        keyring: TEST_KEYRING,
      },
      ip: undefined,
      userAgent: undefined,
    };
    const response = await apollo.executeOperation({ query }, { contextValue });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return { status: response.http.status, result: response.body.singleResult };
  }

  it('commits a successful mutation before answering', async () => {
    const before = await count();
    const { result } = await run('mutation { addMember }');
    expect(result.errors).toBeUndefined();
    expect(await count()).toBe(before + 1);
    expect(summaries.at(-1)).toMatchObject({ operation: 'mutation', outcome: 'success' });
  });

  it('rolls back a mutation that fails after writing: nothing is left behind', async () => {
    const before = await count();
    const { result } = await run('mutation { addMember(fail: true) }');
    expect(result.errors?.[0]?.message).toBe('Refused after writing');
    expect(await count()).toBe(before);
  });

  it('runs queries read-only, so a resolver cannot write during a query', async () => {
    const before = await count();
    const { result } = await run('{ tryWrite }');
    expect(result.errors).toHaveLength(1);
    expect(await count()).toBe(before);
    const logged = logLines
      .map((line) => JSON.parse(line))
      .find((entry) => /read-only transaction/.test(entry.err?.message ?? ''));
    expect(logged).toBeDefined();
  });

  it('masks unexpected errors for the client and logs them with the request id', async () => {
    const { result } = await run('{ broken }', 'req-masked-1');
    expect(result.errors).toEqual([
      expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
    ]);
    expect(JSON.stringify(result)).not.toContain('secret_table');
    const entry = logLines.map((line) => JSON.parse(line)).find((e) => e.requestId === 'req-masked-1');
    expect(entry).toMatchObject({
      level: 50,
      msg: 'internal error',
      err: { message: 'relation "secret_table" does not exist' },
    });
  });

  it('refuses to report a commit when a swallowed error had aborted the transaction', async () => {
    const db = new RequestTransaction(appPool, { organizationId: orgId, userId: sessionUserId, sessionId });
    const trx = await db.get();
    const before = await count();
    const user = await createUser(owner);
    await trx
      .insertInto('memberships')
      .values({ organization_id: orgId, user_id: user.id, role: 'member', status: 'active' })
      .execute();
    await expect(sql`select 1 / 0`.execute(trx)).rejects.toThrow(/division by zero/);
    await expect(db.finish('commit')).rejects.toThrow(/rolled back/);
    expect(await count()).toBe(before);
  });

  it('turns a failed commit into an error response instead of a false success', async () => {
    const before = await count();
    const { status, result } = await run('mutation { addMember(killConnection: true) }');
    expect(status).toBe(500);
    expect(result.data).toBeNull();
    expect(result.errors).toEqual([expect.objectContaining({ extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    expect(await count()).toBe(before);
    expect(summaries.at(-1)).toMatchObject({ outcome: 'error' });
  });

  it('answers 503 COMMIT_OUTCOME_UNKNOWN when the connection is lost while COMMIT runs: it may have saved or not', async () => {
    const { status, result } = await run('mutation { addMember(atCommit: "kill") }');
    expect(status).toBe(503);
    expect(result.data).toBeNull();
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(/may or may not have been saved/),
        extensions: { code: 'COMMIT_OUTCOME_UNKNOWN' },
      },
    ]);
    expect(summaries.at(-1)).toMatchObject({ outcome: 'error', errorCodes: ['COMMIT_OUTCOME_UNKNOWN'] });
  });

  it('keeps the definite answer when PostgreSQL refuses the COMMIT: it rolled back, nothing was saved', async () => {
    const before = await count();
    const { status, result } = await run('mutation { addMember(atCommit: "refuse") }');
    expect(status).toBe(500);
    expect(result.errors).toEqual([
      {
        message: 'The request could not be completed; nothing was saved',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(await count()).toBe(before);
  });

  it('returns every connection to the pool without an open transaction', async () => {
    await Promise.all([
      run('{ members }'),
      run('mutation { addMember(fail: true) }'),
      run('mutation { addMember }'),
      run('{ tryWrite }'),
    ]);
    const { rows } = await superuser.query(
      "select count(*)::int as n from pg_stat_activity where application_name = 'jest-transaction-plugin' and state like 'idle in transaction%'",
    );
    expect(rows[0].n).toBe(0);
    expect(appPool.waitingCount).toBe(0);
  });
});
