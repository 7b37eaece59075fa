import crypto from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { encodeCursor } from '../src/db/pagination';

/**
 * The raw-SQL ceiling of the benchmark: plain node http + pg, no GraphQL, no Kysely, no
 * DataLoader. It answers the benchmark's operations (by operationName) with the same JSON as
 * tenantql, doing the same data access as the same role (tenantql_app, so the same RLS):
 * the token verified with the same secret, then one transaction per request whose BEGIN,
 * set_config calls and session/permission check go in one round trip, the same statements after
 * it, COMMIT. Whatever tenantql spends beyond this is the cost of its GraphQL layer.
 *
 * Env: DATABASE_URL, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, PORT, DB_POOL_MAX.
 */

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DB_POOL_MAX || 10),
  application_name: 'bench-raw',
});
const secret = new TextEncoder().encode(env.JWT_SECRET ?? '');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
let statements = 0;
let requests = 0;

// jose is ESM-only.
const jose = import('jose');

interface Caller {
  userId: string;
  organizationId: string;
  sessionId: string;
}

async function verify(header: string | undefined): Promise<Caller | null> {
  const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
  if (!token) return null;
  try {
    const { payload } = await (
      await jose
    ).jwtVerify(token, secret, {
      algorithms: ['HS256'],
      issuer: env.JWT_ISSUER || 'tenantql',
      audience: env.JWT_AUDIENCE || 'tenantql-api',
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    const ids = [payload.sub, payload.org, payload.sid];
    if (!ids.every((id) => typeof id === 'string' && UUID.test(id))) return null;
    return { userId: payload.sub!, organizationId: payload.org as string, sessionId: payload.sid as string };
  } catch {
    return null;
  }
}

class Forbidden extends Error {}
class NotFound extends Error {}

/** One transaction as `caller`, opened like tenantql opens it (one simple-protocol round trip). */
async function inTransaction<T>(
  caller: Caller,
  readOnly: boolean,
  info: string | null,
  fn: (q: (text: string, values: unknown[]) => Promise<pg.QueryResult>) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const lit = (id: string) => `'${id.toLowerCase()}'`; // validated UUIDs only
  try {
    statements++;
    const opened = (await client.query(
      `${readOnly ? 'begin read only' : 'begin'}; select set_config('app.current_org_id', ${lit(caller.organizationId)}, true), ` +
        `set_config('app.current_user_id', ${lit(caller.userId)}, true), set_config('app.current_session_id', ${lit(caller.sessionId)}, true), ` +
        `set_config('app.current_api_key_id', '', true)${info ? `, set_config('app.request', '${info}', true)` : ''}; ` +
        'select app.session_is_valid() as valid, app.current_permissions() as permissions',
    )) as unknown as pg.QueryResult[];
    const check = opened.at(-1)!.rows[0] as { valid: boolean; permissions: string[] };
    if (!check.valid || !check.permissions.includes('projects:read')) throw new Forbidden();
    const result = await fn((text, values) => {
      statements++;
      return client.query(text, values);
    });
    statements++;
    await client.query('commit');
    return result;
  } catch (error) {
    statements++;
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const nameOf = (u: { first_name: string; last_name: string; username: string }) =>
  `${u.first_name} ${u.last_name}`.trim() || u.username;
// tenantql's own encoding (the order's part encoded once), so both answer the same bytes.
const cursor = (order: string, value: string, id: string) => {
  const [column, direction] = order.split(':') as [string, 'asc' | 'desc'];
  return encodeCursor({ column, direction, type: 'timestamp' }, value, id);
};

async function usersById(q: (text: string, values: unknown[]) => Promise<pg.QueryResult>, ids: (string | null)[]) {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const { rows } = await q('select id, first_name, last_name, username from users where id = any($1::uuid[])', [
    wanted,
  ]);
  return new Map(rows.map((u) => [u.id as string, { name: nameOf(u) }]));
}

type Handler = (
  caller: Caller,
  variables: Record<string, Record<string, string>>,
  requestId: string,
) => Promise<unknown>;

const handlers: Record<string, Handler> = {
  BenchNested: (caller) =>
    inTransaction(caller, true, null, async (q) => {
      const { rows: projects } = await q(
        'select id, name from projects where organization_id = $1 and deleted_at is null order by name, id limit 51',
        [caller.organizationId],
      );
      const page = projects.slice(0, 50);
      const { rows: tasks } = await q(
        `
      select x.parent_id, t.id, t.title, t.assignee_id
        from unnest($1::uuid[]) with ordinality as x(parent_id, n)
        cross join lateral (select t.id, t.title, t.assignee_id, t.created_at from tasks t
                             where t.organization_id = $2 and t.project_id = x.parent_id and t.deleted_at is null
                             order by t.created_at, t.id limit 21) t
       order by x.n, t.created_at, t.id`,
        [page.map((p) => p.id), caller.organizationId],
      );
      const users = await usersById(
        q,
        tasks.map((t) => t.assignee_id),
      );
      const byProject = new Map<string, unknown[]>(page.map((p) => [p.id, []]));
      for (const t of tasks) {
        const list = byProject.get(t.parent_id)!;
        if (list.length < 20)
          list.push({
            node: { id: t.id, title: t.title, assignee: t.assignee_id ? (users.get(t.assignee_id) ?? null) : null },
          });
      }
      return {
        projects: {
          edges: page.map((p) => ({ node: { id: p.id, name: p.name, tasks: { edges: byProject.get(p.id) } } })),
        },
      };
    }),

  BenchTaskPage: (caller) =>
    inTransaction(caller, true, null, async (q) => {
      const { rows } = await q(
        `
      select id, title, status, priority, due_date, assignee_id, created_at::text as sort_value from tasks
       where organization_id = $1 and deleted_at is null and status = any($2::text[]) and priority = any($3::text[])
       order by created_at desc, id desc limit 51`,
        [caller.organizationId, ['todo', 'in_progress'], ['high', 'urgent']],
      );
      const page = rows.slice(0, 50);
      const users = await usersById(
        q,
        page.map((t) => t.assignee_id),
      );
      const edges = page.map((t) => ({
        cursor: cursor('created_at:desc', t.sort_value, t.id),
        node: {
          id: t.id,
          title: t.title,
          status: t.status.toUpperCase(),
          priority: t.priority.toUpperCase(),
          dueDate: t.due_date ? (t.due_date as Date).toISOString() : null,
          assignee: t.assignee_id ? (users.get(t.assignee_id) ?? null) : null,
        },
      }));
      return { tasks: { edges, pageInfo: { hasNextPage: rows.length > 50, endCursor: edges.at(-1)?.cursor ?? null } } };
    }),

  BenchCreateTask: (caller, { input }, requestId) =>
    inTransaction(caller, false, requestInfo(requestId, 'BenchCreateTask'), async (q) => {
      const project = await q('select * from projects where id = $1 and deleted_at is null', [input!.projectId]);
      if (!project.rowCount) throw new NotFound();
      const { rows } = await q(
        `insert into tasks (organization_id, project_id, title, description, type, status, priority, reporter_id, tags, custom_fields)
      values ($1, $2, $3, '', 'task', 'backlog', 'medium', $4, '{}', '{}') returning *`,
        [caller.organizationId, input!.projectId, input!.title!.trim(), caller.userId],
      );
      return { createTask: { task: taskOut(rows[0]) } };
    }),

  BenchUpdateTask: (caller, { input }, requestId) =>
    inTransaction(caller, false, requestInfo(requestId, 'BenchUpdateTask'), async (q) => {
      const current = await q('select * from tasks where id = $1 and deleted_at is null', [input!.id]);
      if (!current.rowCount) throw new NotFound();
      const { rows } = await q('update tasks set title = $1, priority = $2 where id = $3 returning *', [
        input!.title!.trim(),
        input!.priority!.toLowerCase(),
        input!.id,
      ]);
      return { updateTask: { task: taskOut(rows[0]) } };
    }),

  BenchAddComment: (caller, { input }, requestId) =>
    inTransaction(caller, false, requestInfo(requestId, 'BenchAddComment'), async (q) => {
      const task = await q('select * from tasks where id = $1 and deleted_at is null', [input!.taskId]);
      if (!task.rowCount) throw new NotFound();
      const { rows } = await q(
        'insert into task_comments (organization_id, task_id, author_id, body) values ($1, $2, $3, $4) returning *',
        [caller.organizationId, input!.taskId, caller.userId, input!.body!.trim()],
      );
      return { addTaskComment: { comment: { id: rows[0].id, body: rows[0].body } } };
    }),
};

const taskOut = (row: { id: string; title: string; status: string; priority: string }) => ({
  id: row.id,
  title: row.title,
  status: row.status.toUpperCase(),
  priority: row.priority.toUpperCase(),
});

/** What the audit trigger reads (app.current_request()): base64 of JSON, as tenantql sends it. */
function requestInfo(requestId: string, operationName: string): string {
  return Buffer.from(JSON.stringify({ requestId, ip: '127.0.0.1', userAgent: null, operationName }), 'utf8').toString(
    'base64',
  );
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') return send(res, 200, { statements, requests });
  if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, { errors: [{ message: 'Not found' }] });
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      let body: { operationName?: string; variables?: Record<string, Record<string, string>> };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { errors: [{ message: 'Bad JSON' }] });
      }
      const handler = handlers[body.operationName ?? ''];
      if (!handler) return send(res, 400, { errors: [{ message: 'Unknown operation' }] });
      const caller = await verify(req.headers.authorization);
      if (!caller)
        return send(res, 401, { errors: [{ message: 'Unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] });
      requests++;
      try {
        send(res, 200, { data: await handler(caller, body.variables ?? {}, crypto.randomUUID()) });
      } catch (error) {
        const code =
          error instanceof Forbidden ? 'FORBIDDEN' : error instanceof NotFound ? 'NOT_FOUND' : 'INTERNAL_SERVER_ERROR';
        if (code === 'INTERNAL_SERVER_ERROR')
          process.stderr.write(`raw server: ${error instanceof Error ? error.message : String(error)}\n`);
        send(res, 200, { errors: [{ message: code, extensions: { code } }], data: null });
      }
    })();
  });
});

server.listen(Number(env.PORT || 0), '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
