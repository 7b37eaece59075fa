import http from 'node:http';
import pg from 'pg';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';
import { buildServer, startBuiltServer, type BuiltServer } from '../support/built-server';
import { testUrls } from '../support/db';
import { freePort } from '../../src/db/embedded';
import { createScratchDatabase } from '../support/scratch-database';
import { eventually } from '../support/eventually';

/** A GET on a new connection (no keep-alive pool): status, or the connection error's code. */
function freshGet(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
      .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

const TASKS = '{ tasks(first: 20) { totalCount edges { node { id title project { name } } } } }';

describe('graceful shutdown of the built server', () => {
  let build: Awaited<ReturnType<typeof buildServer>>;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let superuser: pg.Pool;

  beforeAll(async () => {
    [build, scratch] = await Promise.all([buildServer('shutdown'), createScratchDatabase()]);
    superuser = new pg.Pool({ connectionString: scratch.superuserUrl, max: 2 });
  }, 120_000);
  afterAll(async () => {
    await superuser?.end();
    await scratch?.drop();
    build?.remove();
  });

  /** The server over the scratch database (migrated and seeded by its first start), two app connections. */
  async function start(env: Record<string, string> = {}): Promise<BuiltServer & { token: string; base: string }> {
    const server = await startBuiltServer(build.mainJs, {
      PORT: String(await freePort()),
      DATABASE_URL: roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name),
      DATABASE_OWNER_URL: scratch.ownerUrl,
      JWT_SECRET: 'a-shutdown-test-secret-of-enough-length',
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 5).toString('base64')}`,
      DB_POOL_MAX: '2',
      // The requests wait on a lock the test holds: no statement timeout may end them first.
      STATEMENT_TIMEOUT_MS: '0',
      LOG_LEVEL: 'info',
      ...env,
    });
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `mutation { login(input: {email: "${DEMO_USERS.alice}", password: "${DEMO_PASSWORD}"}) { accessToken } }`,
      }),
    });
    const token = ((await res.json()) as { data: { login: { accessToken: string } } }).data.login.accessToken;
    return Object.assign(server, { token, base: server.url.replace(/\/graphql$/, '') });
  }

  /** Holds an exclusive lock on `tasks` (every tasks query waits for it) until `release()`. */
  async function lockTasks() {
    const client = await superuser.connect();
    await client.query('begin');
    await client.query('lock table tasks in access exclusive mode');
    const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    let released = false;
    return {
      /** Backends waiting for the lock (at most the pool size). */
      waiting: async () =>
        (
          await superuser.query(
            'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
            [pid],
          )
        ).rows[0].n as number,
      async release() {
        if (released) return;
        released = true;
        await client.query('rollback').catch(() => undefined);
        client.release();
      },
    };
  }

  /** `count` task queries at once, each on its own connection; each resolves to status and body, or the error. */
  function fireTaskQueries(server: { url: string; token: string }, count: number) {
    return Array.from({ length: count }, (_, i) =>
      fetch(server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${server.token}`,
          'x-request-id': `in-flight-${i}`,
        },
        body: JSON.stringify({ query: TASKS }),
      }).then(
        async (res) => ({ status: res.status, body: (await res.json()) as { data?: { tasks: { edges: unknown[] } } } }),
        (error: Error) => ({ status: 0, error: error.message, body: {} as { data?: { tasks: { edges: unknown[] } } } }),
      ),
    );
  }

  /** Until the database has two of them waiting on the lock and the pool queues the rest. */
  async function untilAllInFlight(server: { base: string }, lock: { waiting(): Promise<number> }, count: number) {
    await eventually(async () => {
      expect(await lock.waiting()).toBe(2);
      const metrics = await (await fetch(`${server.base}/metrics`)).text();
      expect(metrics).toContain(`tenantql_db_pool_connections{pool="app",state="waiting"} ${count - 2}`);
    });
  }

  it('on SIGTERM refuses new connections, lets every in-flight request finish, closes the pools and exits 0', async () => {
    const server = await start();
    const lock = await lockTasks();
    try {
      const responses = fireTaskQueries(server, 8);
      await untilAllInFlight(server, lock, 8);

      server.child.kill('SIGTERM');
      await eventually(() =>
        expect(server.logs().some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')).toBe(true),
      );
      // The listener closes at once: a new connection is refused.
      await eventually(async () => expect(await freshGet(`${server.base}/healthz`)).toBe('ECONNREFUSED'), 3_000);
      // ...while the process waits for the requests it has.
      expect(server.child.exitCode).toBeNull();

      await lock.release();
      const results = await Promise.all(responses);
      for (const result of results) {
        expect(result.status).toBe(200);
        expect(result.body.data?.tasks.edges).toEqual(expect.any(Array));
      }
      expect(await server.exited).toBe(0);

      const logs = server.logs();
      expect(logs.find((l) => l.msg === 'no longer accepting connections; finishing in-flight requests')).toMatchObject(
        { inFlight: 8 },
      );
      const finished = logs.filter((l) => l.msg === 'request' && String(l.requestId).startsWith('in-flight-'));
      expect(finished).toHaveLength(8);
      for (const line of finished) expect(line).toMatchObject({ status: 200, outcome: 'success', operation: 'query' });
      expect(logs.at(-1)).toMatchObject({ msg: 'shut down' });
      expect(server.stderr()).toBe('');
    } finally {
      await lock.release();
      server.child.kill('SIGKILL');
    }
  }, 60_000);

  it('cuts off requests still running after SHUTDOWN_TIMEOUT_MS, finishes the shutdown and exits 1', async () => {
    const server = await start({ SHUTDOWN_TIMEOUT_MS: '1000' });
    const lock = await lockTasks();
    try {
      const responses = fireTaskQueries(server, 3);
      await untilAllInFlight(server, lock, 3);
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      const results = await Promise.all(responses);
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(900);
      expect(results.map((r) => r.status)).toEqual([0, 0, 0]);
      // The pool closes once the database lets go of the cut-off requests' statements.
      await lock.release();
      expect(await server.exited).toBe(1);
      const logs = server.logs();
      expect(logs.find((l) => String(l.msg).includes('cut off'))).toMatchObject({
        level: 40,
        cutOff: 3,
        timeoutMs: 1000,
      });
      expect(logs.filter((l) => l.msg === 'request' && l.outcome === 'aborted')).toHaveLength(3);
    } finally {
      await lock.release();
      server.child.kill('SIGKILL');
    }
  }, 60_000);

  it('exits 1 at once on a second signal', async () => {
    const server = await start();
    const lock = await lockTasks();
    try {
      const responses = fireTaskQueries(server, 1);
      await eventually(async () => expect(await lock.waiting()).toBe(1));
      server.child.kill('SIGTERM');
      await eventually(() => expect(server.logs().some((l) => l.msg === 'shutting down')).toBe(true));
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      server.child.kill('SIGINT');
      expect(await server.exited).toBe(1);
      expect(server.logs().at(-1)).toMatchObject({
        msg: 'second signal: exiting without finishing the shutdown',
        signal: 'SIGINT',
      });
      expect((await Promise.all(responses))[0]!.status).toBe(0);
    } finally {
      await lock.release();
      server.child.kill('SIGKILL');
    }
  }, 60_000);
});
