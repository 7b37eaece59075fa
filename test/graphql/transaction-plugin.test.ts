import { ApolloServer } from '@apollo/server';
import { GraphQLBoolean, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { sql } from 'kysely';
import pino from 'pino';
import type pg from 'pg';
import type { Context } from '../../src/graphql/context';
import { ConflictError } from '../../src/graphql/errors';
import { Loaders } from '../../src/graphql/loaders';
import { createTransactionPlugin, type RequestSummary } from '../../src/graphql/transaction-plugin';
import { RequestTransaction } from '../../src/db/request-transaction';
import { TokenService } from '../../src/auth/tokens';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { addMember, createOrganization, createUser } from '../support/factories';
import { TEST_TOKEN_SETTINGS } from '../support/app';

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

  const count = async () => (await superuser.query('select count(*)::int as n from memberships where organization_id = $1', [orgId])).rows[0].n as number;

  beforeAll(async () => {
    appPool = testPool('app', 2);
    superuser = testPool('superuser', 2);
    orgId = (await createOrganization(owner)).id;
    sessionUserId = (await createUser(owner)).id;
    await addMember(owner, orgId, sessionUserId);

    const writeMembership = async (ctx: Context, args: { fail?: boolean; killConnection?: boolean }) => {
      const db = await ctx.db.get();
      const user = await createUser(owner);
      await db.insertInto('memberships').values({ organization_id: orgId, user_id: user.id, role: 'member', status: 'active' }).execute();
      if (args.fail) throw new ConflictError('Refused after writing');
      if (args.killConnection) {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
        await superuser.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      }
      return true;
    };
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          members: { type: GraphQLInt, resolve: async (_root, _args, ctx: Context) => (await sql<{ n: number }>`select count(*)::int as n from memberships`.execute(await ctx.db.get())).rows[0]!.n },
          tryWrite: { type: GraphQLString, resolve: async (_root, _args, ctx: Context) => writeMembership(ctx, {}).then(() => 'wrote') },
        },
      }),
      mutation: new GraphQLObjectType({
        name: 'Mutation',
        fields: {
          addMember: {
            type: new GraphQLNonNull(GraphQLBoolean),
            args: { fail: { type: GraphQLBoolean }, killConnection: { type: GraphQLBoolean } },
            resolve: (_root, args, ctx: Context) => writeMembership(ctx, args),
          },
        },
      }),
    });
    apollo = new ApolloServer<Context>({ schema, plugins: [createTransactionPlugin((s) => summaries.push(s))] });
    await apollo.start();
  });
  afterAll(async () => {
    await apollo.stop();
    await closeTestPools();
  });

  async function run(query: string) {
    const db = new RequestTransaction(appPool, { organizationId: orgId, userId: sessionUserId });
    const contextValue: Context = {
      requestId: 'test', viewer: null, db, loaders: new Loaders(db), log: pino({ level: 'silent' }),
      services: { tokens: new TokenService(TEST_TOKEN_SETTINGS) }, ip: undefined, userAgent: undefined,
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

  it('returns every connection to the pool without an open transaction', async () => {
    await Promise.all([run('{ members }'), run('mutation { addMember(fail: true) }'), run('mutation { addMember }'), run('{ tryWrite }')]);
    const { rows } = await superuser.query("select count(*)::int as n from pg_stat_activity where usename = 'tenantql_app' and state like 'idle in transaction%'");
    expect(rows[0].n).toBe(0);
    expect(appPool.waitingCount).toBe(0);
  });
});
