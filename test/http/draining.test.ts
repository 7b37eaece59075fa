import crypto from 'node:crypto';
import net from 'node:net';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp } from '../support/app';
import { eventually } from '../support/eventually';
import { createProject, createTenant, TEST_PASSWORD } from '../support/factories';

const CREATE_TASK = 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { task { id title } } }';

/** One raw HTTP/1.1 connection: requests written on it back to back, everything it received. */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    send(body: string, token: string) {
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
    received: () => received,
    closed,
    destroy: () => socket.destroy(),
  };
}

describe('a shutting-down server and kept-alive connections', () => {
  const db = ownerDb();
  const superuser = testPool('superuser', 2);
  afterAll(closeTestPools);

  it('lets the in-flight mutation finish and refuses, without running it, one sent after it on the same connection', async () => {
    const app = await startTestApp({ app: { shutdownTimeoutMs: 10_000 } });
    const { organization, owner } = await createTenant(db);
    const project = await createProject(db, organization.id, owner.id);
    const token = await app.login(owner.email, TEST_PASSWORD);
    const marker = `draining ${crypto.randomUUID()}`;
    const body = (suffix: string) =>
      JSON.stringify({
        query: CREATE_TASK,
        variables: { input: { projectId: project.id, title: `${marker} ${suffix}` } },
      });

    // The first request waits on a lock inside its transaction, so it is in flight when the shutdown starts.
    const lock = await superuser.connect();
    const connection = rawConnection(Number(new URL(app.url).port));
    try {
      await lock.query('begin');
      await lock.query('lock table tasks in access exclusive mode');
      connection.send(body('first'), token);
      await eventually(async () => {
        const { rows } = await superuser.query(
          "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and usename = 'tenantql_app'",
        );
        expect(rows[0].n).toBe(1);
      });
      const stopping = app.close();
      // The client reuses its connection: the next request arrives while the server drains.
      connection.send(body('second'), token);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await lock.query('rollback');
      lock.release();
      expect(await stopping).toEqual({ cutOff: 0 });
      await connection.closed;
    } finally {
      connection.destroy();
    }

    const [first, second, ...rest] = connection.received().split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toContain(`"title":"${marker} first"`);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(second).toContain(
      '{"errors":[{"message":"The server is shutting down; retry the request","extensions":{"code":"SHUTTING_DOWN"}}]}',
    );
    expect(rest).toEqual([]);
    const { rows } = await superuser.query<{ title: string }>(
      'select title from tasks where title like $1 order by title',
      [`${marker} %`],
    );
    expect(rows.map((r) => r.title)).toEqual([`${marker} first`]);
  });
});
