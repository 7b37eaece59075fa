import net from 'node:net';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import type pg from 'pg';
import { createKysely, createPool } from '../../src/db/database';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { migrateToLatest } from '../../src/db/migrate';
import { MAX_OPERATION_LABELS } from '../../src/http/metrics';
import { createLogger } from '../../src/logger';
import { migrations } from '../../db/migrations';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';
import { closeTestPools, ownerDb, testPool, testUrls } from '../support/db';
import { createProject, createTenant, TEST_PASSWORD } from '../support/factories';
import { freePort } from '../../src/db/embedded';
import { createScratchDatabase } from '../support/scratch-database';
import { eventually } from '../support/eventually';
import { SignInDocument } from '../../schema/generated/operations/graphql';
import { startTestApp, type TestApp } from '../support/app';

/** A pino destination that keeps every line, parsed. */
function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines, text: () => text };
}

const base = (app: TestApp) => app.url.replace(/\/graphql$/, '');

async function get(app: TestApp, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(base(app) + path, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Value of one sample line of the exposition (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operations endpoints', () => {
  afterAll(() => closeTestPools());

  describe('health and readiness', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp();
    });
    afterAll(() => app.close());

    it('answers /healthz with 200, uncached, with the request id', async () => {
      const res = await fetch(`${base(app)}/healthz`, { headers: { 'x-request-id': 'probe-1' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
      expect(res.headers.get('x-request-id')).toBe('probe-1');
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('answers /readyz with 200 when the database answers and every migration is applied', async () => {
      const res = await get(app, '/readyz');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ status: 'ready' });
    });

    it('answers /readyz with 503 "database unreachable" when nothing listens on the database port', async () => {
      const port = await freePort();
      const pool = createPool(`postgres://tenantql_app:do-not-show-me@127.0.0.1:${port}/tenantql`, {
        max: 2,
        applicationName: 'jest-dead',
      });
      const { logger, lines } = captureLogs();
      const dead = await startTestApp({ pool, app: { logger } });
      try {
        const res = await get(dead, '/readyz');
        expect(res.status).toBe(503);
        expect(JSON.parse(res.text)).toEqual({ status: 'not ready', reason: 'database unreachable' });
        expect(res.text).not.toMatch(new RegExp(`do-not-show-me|${port}|127\\.0\\.0\\.1|ECONN`));
        // The liveness probe does not depend on the database.
        expect((await get(dead, '/healthz')).status).toBe(200);
        // The change is logged once, not on every probe.
        await get(dead, '/readyz');
        expect(lines.filter((l) => l.msg === 'not ready')).toEqual([
          expect.objectContaining({ level: 40, reason: 'database unreachable' }),
        ]);
      } finally {
        await dead.close();
        await pool.end();
      }
    });

    it('answers /readyz with 503 within its timeout when the database accepts but never answers', async () => {
      const sockets: net.Socket[] = [];
      const silent = net.createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as net.AddressInfo).port;
      const pool = createPool(`postgres://tenantql_app:x@127.0.0.1:${port}/tenantql`, {
        max: 2,
        applicationName: 'jest-silent',
      });
      const hung = await startTestApp({ pool, app: { readinessTimeoutMs: 300 } });
      try {
        const started = Date.now();
        const res = await get(hung, '/readyz');
        expect(res.status).toBe(503);
        expect(JSON.parse(res.text).reason).toBe('database unreachable');
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        await hung.close();
        for (const socket of sockets) socket.destroy();
        await pool.end().catch(() => undefined);
        silent.close();
      }
    });

    it('answers /readyz with 503 "migrations pending" until every migration the code knows is applied', async () => {
      const scratch = await createScratchDatabase();
      const owner = createKysely(createPool(scratch.ownerUrl, { max: 1, applicationName: 'jest-readyz-owner' }));
      const pool = createPool(roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name), {
        max: 2,
        applicationName: 'jest-readyz',
      });
      const { logger, lines } = captureLogs();
      const fresh = await startTestApp({ pool, app: { logger } });
      const readyz = async () => {
        const res = await get(fresh, '/readyz');
        return { status: res.status, body: JSON.parse(res.text) };
      };
      const newest = Object.keys(migrations).at(-1)!;
      try {
        // An empty database: no migration table at all.
        expect(await readyz()).toEqual({ status: 503, body: { status: 'not ready', reason: 'migrations pending' } });

        await migrateToLatest(owner, migrations);
        expect(await readyz()).toEqual({ status: 200, body: { status: 'ready' } });

        // Code newer than the database: the newest migration is not applied.
        await sql`delete from kysely_migration where name = ${newest}`.execute(owner);
        expect(await readyz()).toEqual({ status: 503, body: { status: 'not ready', reason: 'migrations pending' } });
        // The log names what is missing; the response does not.
        expect(lines.filter((l) => l.msg === 'not ready').at(-1)).toMatchObject({ pending: [newest] });

        // A database newer than the code (a later release migrated it) is fine.
        await sql`insert into kysely_migration (name, timestamp) values (${newest}, now()), ('2099_01_01_0001_future', now())`.execute(
          owner,
        );
        expect(await readyz()).toEqual({ status: 200, body: { status: 'ready' } });

        // Without the grant of the readiness migration, the app role cannot tell: not ready.
        await sql`revoke select on kysely_migration from tenantql_app`.execute(owner);
        expect(await readyz()).toEqual({ status: 503, body: { status: 'not ready', reason: 'migrations pending' } });
        expect(lines.filter((l) => l.msg === 'ready').length).toBe(2);
      } finally {
        await fresh.close();
        await pool.end();
        await owner.destroy();
        await scratch.drop();
      }
    }, 60_000);
  });

  describe('metrics', () => {
    let app: TestApp;
    let token: string;
    beforeAll(async () => {
      app = await startTestApp();
      token = await app.login(DEMO_USERS.alice, DEMO_PASSWORD);
    });
    afterAll(() => app.close());

    it('counts requests by operation and outcome, errors by code, statements and latency, and shows the pools and the process', async () => {
      expect((await app.gql('query ViewerName { viewer { user { name } } }', { token })).status).toBe(200);
      expect((await app.gql('query ViewerName { viewer { user { name } } }', { token })).status).toBe(200);
      expect((await app.gql('{ viewer { organization { name } } }', { token })).status).toBe(200);
      // An error inside GraphQL, one refused before GraphQL (bad token) and unreadable JSON.
      const forbidden = await app.gql('query Members { organization { members { totalCount } } }');
      expect(forbidden.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
      const stale = JSON.stringify({ query: 'query Stale { viewer { user { name } } }', operationName: 'Stale' });
      expect((await app.post(stale, { authorization: 'Bearer not-a-token' })).status).toBe(401);
      expect((await app.post('{"query": ')).status).toBe(400);

      const text = await eventually(async () => {
        const res = await get(app, '/metrics');
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        expect(sample(res.text, 'tenantql_graphql_requests_total{operation="(unknown)",outcome="error"}')).toBe(2);
        return res.text;
      });
      // app.login's mutation has no name: it counts as anonymous.
      expect(sample(text, 'tenantql_graphql_requests_total{operation="ViewerName",outcome="success"}')).toBe(2);
      expect(sample(text, 'tenantql_graphql_requests_total{operation="(anonymous)",outcome="success"}')).toBe(2);
      // Names from callers without credentials are not labels (unless registered operations).
      expect(sample(text, 'tenantql_graphql_requests_total{operation="(other)",outcome="error"}')).toBe(1);
      expect(text).not.toMatch(/operation="(Members|Stale)"/);
      // Refused before GraphQL (bad token, unreadable JSON): "(unknown)", whatever the body names.
      expect(sample(text, 'tenantql_graphql_errors_total{code="UNAUTHENTICATED"}')).toBe(2);
      expect(sample(text, 'tenantql_graphql_errors_total{code="BAD_REQUEST"}')).toBe(1);
      expect(sample(text, 'tenantql_graphql_request_duration_seconds_count{operation="ViewerName"}')).toBe(2);
      expect(sample(text, 'tenantql_graphql_request_duration_seconds_bucket{le="+Inf",operation="ViewerName"}')).toBe(
        2,
      );

      // Statements: one observation per request GraphQL ran (not the two refused ones).
      expect(app.requests).toHaveLength(5);
      expect(sample(text, 'tenantql_sql_statements_per_request_count')).toBe(5);
      expect(sample(text, 'tenantql_sql_statements_per_request_sum')).toBe(
        app.requests.reduce((n, r) => n + r.statements, 0),
      );
      expect(app.requests.map((r) => r.statements).every((n) => n >= 0)).toBe(true);

      // Pool gauges are read when scraped.
      expect(sample(text, 'tenantql_db_pool_connections{pool="app",state="total"}')).toBe(app.pool.totalCount);
      expect(sample(text, 'tenantql_db_pool_connections{pool="app",state="idle"}')).toBe(app.pool.idleCount);
      expect(sample(text, 'tenantql_db_pool_connections{pool="app",state="waiting"}')).toBe(0);
      expect(sample(text, 'tenantql_db_pool_connections{pool="standalone",state="total"}')).toEqual(expect.any(Number));
      expect(app.pool.totalCount).toBeGreaterThan(0);

      // Process metrics, under their standard names.
      expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    });

    it('keeps operation labels bounded: at most 100 names, truncated, the rest as "(other)"', async () => {
      const long = `Q${'x'.repeat(199)}`;
      // Signed in: anonymous callers may be rate limited by address.
      expect((await app.gql(`query ${long} { __typename }`, { token })).status).toBe(200);
      for (let i = 0; i < MAX_OPERATION_LABELS + 5; i++) {
        expect((await app.gql(`query Op${i} { __typename }`, { token })).status).toBe(200);
      }
      const text = await eventually(async () => {
        const res = await get(app, '/metrics');
        expect(
          sample(res.text, 'tenantql_graphql_requests_total{operation="(other)",outcome="success"}'),
        ).toBeGreaterThan(0);
        return res.text;
      });
      const labels = new Set(
        [...text.matchAll(/^tenantql_graphql_requests_total\{operation="([^"]*)"/gm)].map((m) => m[1]!),
      );
      const named = [...labels].filter((l) => !l.startsWith('('));
      expect(named.length).toBe(MAX_OPERATION_LABELS);
      expect(labels.has(long.slice(0, 64))).toBe(true);
      expect(labels.has(long)).toBe(false);
      expect(labels.has(`Op${MAX_OPERATION_LABELS + 4}`)).toBe(false);
    });

    it('labels names from callers without credentials only when they are registered operations', async () => {
      const other = await startTestApp();
      try {
        await other.gql('query Junk1 { __typename }');
        await other.post(JSON.stringify({ query: '{ __typename }', operationName: 'Junk2' }), {
          authorization: 'Bearer bogus',
        });
        const signIn = await other.post(
          JSON.stringify({
            documentId: (SignInDocument as unknown as { __meta__: { hash: string } }).__meta__.hash,
            variables: { email: DEMO_USERS.alice, password: DEMO_PASSWORD },
          }),
        );
        expect(signIn.status).toBe(200);
        const text = await eventually(async () => {
          const res = await get(other, '/metrics');
          expect(sample(res.text, 'tenantql_graphql_requests_total{operation="SignIn",outcome="success"}')).toBe(1);
          return res.text;
        });
        expect(text).not.toMatch(/Junk/);
        expect(sample(text, 'tenantql_graphql_requests_total{operation="(other)",outcome="success"}')).toBe(1);
        expect(sample(text, 'tenantql_graphql_requests_total{operation="(unknown)",outcome="error"}')).toBe(1);
      } finally {
        await other.close();
      }
    });

    it("keeps each app's metrics to itself (no global registry)", async () => {
      const other = await startTestApp();
      try {
        const text = (await get(other, '/metrics')).text;
        expect(text).not.toContain('operation="ViewerName"');
        expect(text).toMatch(/^# TYPE tenantql_graphql_requests_total counter$/m);
      } finally {
        await other.close();
      }
    });

    it('asks for the metrics token when one is configured, and accepts only the right one', async () => {
      const guarded = await startTestApp({ app: { metricsToken: 'scrape-secret-1234' } });
      try {
        const none = await get(guarded, '/metrics');
        expect(none.status).toBe(401);
        expect(JSON.parse(none.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
        expect(none.text).not.toContain('tenantql_');
        expect((await get(guarded, '/metrics', { authorization: 'Bearer scrape-secret-12345' })).status).toBe(401);
        expect((await get(guarded, '/metrics', { authorization: 'Basic scrape-secret-1234' })).status).toBe(401);
        const right = await get(guarded, '/metrics', { authorization: 'Bearer scrape-secret-1234' });
        expect(right.status).toBe(200);
        expect(right.text).toContain('tenantql_graphql_requests_total');
      } finally {
        await guarded.close();
      }
    });
  });

  describe('request logs', () => {
    const capture = captureLogs();
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ app: { logger: capture.logger } });
    });
    afterAll(() => app.close());

    const lineOf = (requestId: string) =>
      eventually(() => {
        const line = capture.lines.find((l) => l.requestId === requestId && l.msg === 'request');
        if (!line) throw new Error(`no request log line for ${requestId}`);
        return line;
      });

    it('writes one JSON line per GraphQL request with its id, operation, organization, outcome and counts, and no credentials', async () => {
      const login = await app.gql<{
        login: { accessToken: string; refreshToken: string; organization: { id: string } };
      }>(
        'mutation SignIn($input: LoginInput!) { login(input: $input) { accessToken refreshToken organization { id } } }',
        {
          variables: { input: { email: DEMO_USERS.alice, password: DEMO_PASSWORD } },
          headers: { 'x-request-id': 'log-login-1' },
        },
      );
      const { accessToken, refreshToken, organization } = login.body.data!.login;
      expect(await lineOf('log-login-1')).toMatchObject({
        level: 30,
        method: 'POST',
        path: '/graphql',
        status: 200,
        outcome: 'success',
        // The organization it signed in to, which the rest of the request acted for.
        operationName: 'SignIn',
        operation: 'mutation',
        organizationId: login.body.data!.login.organization.id,
        errorCodes: [],
      });

      await app.gql('query Mine { viewer { user { email } } }', {
        token: accessToken,
        headers: { 'x-request-id': 'log-query-1' },
      });
      const line = await lineOf('log-query-1');
      expect(line).toEqual({
        level: 30,
        time: expect.any(Number),
        pid: expect.any(Number),
        hostname: expect.any(String),
        msg: 'request',
        requestId: 'log-query-1',
        method: 'POST',
        path: '/graphql',
        status: 200,
        durationMs: expect.any(Number),
        outcome: 'success',
        operationName: 'Mine',
        operation: 'query',
        organizationId: organization.id,
        statements: app.requests.at(-1)!.statements,
        errorCodes: [],
      });

      // A refused request: its code, and nothing of the token it sent.
      await app.gql('{ viewer { user { email } } }', {
        token: 'stale.token.value',
        headers: { 'x-request-id': 'log-refused-1' },
      });
      expect(await lineOf('log-refused-1')).toMatchObject({
        status: 401,
        outcome: 'error',
        errorCodes: ['UNAUTHENTICATED'],
        statements: null,
      });

      // A GET carries its variables in the query string: the path is logged without it.
      const search = new URLSearchParams({
        query: 'query ($name: String!) { __type(name: $name) { name } }',
        variables: JSON.stringify({ name: 'secret-in-the-url' }),
      });
      await fetch(`${app.url}?${search}`, {
        headers: { 'apollo-require-preflight': 'true', 'x-request-id': 'log-get-1' },
      });
      expect(await lineOf('log-get-1')).toMatchObject({
        method: 'GET',
        path: '/graphql',
        status: 200,
        operation: 'query',
      });

      const text = capture.text();
      for (const secret of [
        DEMO_PASSWORD,
        accessToken,
        refreshToken,
        'stale.token.value',
        'secret-in-the-url',
        'authorization',
      ]) {
        expect(text).not.toContain(secret);
      }
    });

    it('logs GraphQL errors by code, other paths without GraphQL fields, and probes only at debug level', async () => {
      await app.gql('query Broken { viewer { nope } }', { headers: { 'x-request-id': 'log-invalid-1' } });
      expect(await lineOf('log-invalid-1')).toMatchObject({
        status: 400,
        outcome: 'error',
        errorCodes: ['GRAPHQL_VALIDATION_FAILED'],
      });

      await fetch(`${base(app)}/nowhere?token=abc`, { headers: { 'x-request-id': 'log-404-1' } });
      const notFound = await lineOf('log-404-1');
      expect(notFound).toMatchObject({ method: 'GET', path: '/nowhere', status: 404, outcome: 'error' });
      expect(notFound).not.toHaveProperty('operationName');

      await fetch(`${base(app)}/healthz`, { headers: { 'x-request-id': 'log-probe-1' } });
      await lineOf('log-404-1');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(capture.lines.find((l) => l.requestId === 'log-probe-1')).toBeUndefined();
    });
  });

  describe('stopping', () => {
    it('lets in-flight requests finish, answers /readyz 503 meanwhile, and refuses new connections', async () => {
      const owner = ownerDb();
      const superuser = testPool('superuser', 2, 'jest-operations-lock');
      const { organization, owner: user } = await createTenant(owner);
      const project = await createProject(owner, organization.id, user.id);
      const app = await startTestApp();
      const token = await app.login(user.email, TEST_PASSWORD, organization.slug);
      const port = new URL(app.url).port;

      // Hold the project's row so the mutation waits in the database.
      const locker: pg.PoolClient = await superuser.connect();
      await locker.query('begin');
      await locker.query('select 1 from projects where id = $1 for update', [project.id]);
      const lockerPid = (await locker.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      const blocked = async () =>
        (
          await superuser.query(
            'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
            [lockerPid],
          )
        ).rows[0].n as number;

      // One keep-alive connection: the mutation, then (once stopping) a readiness probe on it.
      const socket = net.connect(Number(port), '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      const body = JSON.stringify({
        query: `mutation { updateProject(input: {id: "${project.id}", name: "Renamed while stopping"}) { project { name } } }`,
      });
      socket.write(
        `POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${token}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      try {
        await eventually(async () => expect(await blocked()).toBe(1), 10_000);

        const stopping = app.close();
        await new Promise((resolve) => setTimeout(resolve, 50));
        socket.write('GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n');
        // A new connection is refused.
        await expect(fetch(`${base(app)}/healthz`)).rejects.toThrow();

        await new Promise((resolve) => setTimeout(resolve, 200));
        await locker.query('rollback');
        await stopping;
        await closed;
        const responses = received.split(/(?=HTTP\/1\.1 )/);
        expect(responses).toHaveLength(2);
        expect(responses[0]).toMatch(/^HTTP\/1\.1 200 /);
        expect(responses[0]).toContain('"name":"Renamed while stopping"');
        expect(responses[1]).toMatch(/^HTTP\/1\.1 503 /);
        expect(responses[1]).toContain('{"status":"not ready","reason":"shutting down"}');
      } finally {
        locker.release();
        socket.destroy();
      }
    }, 30_000);

    it('cuts off requests still running at the shutdown timeout and says how many', async () => {
      const owner = ownerDb();
      const superuser = testPool('superuser', 2, 'jest-operations-lock');
      const { organization, owner: user } = await createTenant(owner);
      const project = await createProject(owner, organization.id, user.id);
      const app = await startTestApp({ app: { shutdownTimeoutMs: 300 } });
      const token = await app.login(user.email, TEST_PASSWORD, organization.slug);
      const locker = await superuser.connect();
      await locker.query('begin');
      await locker.query('select 1 from projects where id = $1 for update', [project.id]);
      const lockerPid = (await locker.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      try {
        const pending = app
          .gql(`mutation { updateProject(input: {id: "${project.id}", name: "Never"}) { project { name } } }`, {
            token,
          })
          .then(
            () => 'answered',
            () => 'cut off',
          );
        await eventually(
          async () =>
            expect(
              (
                await superuser.query(
                  'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
                  [lockerPid],
                )
              ).rows[0].n,
            ).toBe(1),
          10_000,
        );
        const started = Date.now();
        expect(await app.close()).toEqual({ cutOff: 1 });
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(await pending).toBe('cut off');
      } finally {
        await locker.query('rollback');
        locker.release();
      }
    }, 30_000);
  });
});
