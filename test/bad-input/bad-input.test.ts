import crypto from 'node:crypto';
import { parse, validate, type GraphQLSchema } from 'graphql';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { createKysely, createPool, withTenant } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../db/migrations';
import type { Database } from '../../src/db/schema';
import { createSchema } from '../../src/graphql/schema';
import { closeTestPools, testUrls } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import {
  addMember,
  createOrganization,
  createProject,
  createTask,
  createTenant,
  createUser,
  TEST_PASSWORD,
} from '../support/factories';
import { createScratchDatabase } from '../support/scratch-database';
import {
  badInputCorpus,
  inertCorpus,
  type BadInputCase,
  type CorpusIds,
  type Expected,
  type Identity,
  type RawRequest,
} from './corpus';

/**
 * Bad input gets a clear error and loses nothing: every case of the corpus, sent anonymously and
 * as the owner of an organization, is answered 4xx or with GraphQL errors that carry a code
 * (never a 5xx, INTERNAL_SERVER_ERROR, a stack, SQL or a Postgres error code), names the field
 * when the input is at fault, and leaves the database exactly as it was.
 *
 * The app runs on a database of its own (migrated from zero), so a checksum of every table can
 * be compared after each case without the other test files' writes getting in the way.
 */

/**
 * Tables (and columns) that change legitimately while bad input is refused, left out of the
 * checksum: sign-in bookkeeping commits on its own on purpose, before the input is judged (the
 * attempt counter of a login whose password is wrong or malformed must stick, or guesses would
 * go uncounted). Nothing else is left out.
 */
const BOOKKEEPING_TABLES = new Set(['sign_in_throttle']);
/**
 * Columns left out per table. None today: the corpus sends no API key (each request it
 * authenticates stamps api_keys.last_used_at) and signs in only before the first checksum.
 */
const BOOKKEEPING_COLUMNS: Record<string, string[]> = {};

/** Nothing a client sees may carry a stack, file paths, SQL or a Postgres error code. */
const STACK = [
  /stacktrace/i,
  /\n\s+at /,
  /\bat [\w.<>]+ \([^)]*:\d+:\d+\)/,
  /node_modules/,
  /\/src\//,
  /\/work\//,
  /\.ts:\d+/,
  /\.js:\d+/,
];
const SQL = [
  /\bselect\s.+\bfrom\b/i,
  /insert into/i,
  /\bupdate \w+ set\b/i,
  /delete from/i,
  /violates/i,
  /constraint/i,
  /relation "/i,
  /\bsqlstate\b/i,
  /\bpg_\w+/i,
  /syntax error at or near/i,
  /invalid input syntax/i,
  /\bpostgres/i,
  /\bkysely\b/i,
];
const SQLSTATE = /\b(?:0[0-9A-Z]|2[0-9A-Z]|3[0-9A-Z]|4[0-2]|5[3-8]|F0|HV|P0|XX)[0-9A-Z]{3}\b/;

/** Known failures, by test name (`<identity>: <case>`): run with it.failing until fixed. None today. */
const KNOWN_FAILURES = new Set<string>([]);

/** The rows the cases aim at, with ids fixed up front so the cases can be listed when jest collects tests. */
const IDS: CorpusIds = {
  projectId: crypto.randomUUID(),
  taskId: crypto.randomUUID(),
  sprintId: crypto.randomUUID(),
  milestoneId: crypto.randomUUID(),
  commentId: crypto.randomUUID(),
  memberMembershipId: crypto.randomUUID(),
  teamId: crypto.randomUUID(),
  ownerEmail: `owner_${crypto.randomUUID().slice(0, 8)}@example.test`,
  orgSlug: `bad-input-${crypto.randomUUID().slice(0, 8)}`,
};
const CORPUS = badInputCorpus(IDS);
const IDENTITIES: readonly Identity[] = ['owner', 'anonymous'];

interface Sent {
  status: number;
  text: string;
  body:
    { data?: unknown; errors?: { message: string; extensions?: { code?: unknown; field?: unknown } }[] } | undefined;
}

describe('bad input', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let owner: Kysely<Database>;
  let superuser: pg.Pool;
  let appPool: pg.Pool;
  let standalonePool: pg.Pool;
  let app: TestApp;
  let schema: GraphQLSchema;
  let token: string;
  const ids = IDS;
  const corpus = CORPUS;
  /** The checksum after the last case, so a write is pinned on the case that made it. */
  let last: Map<string, string>;

  /** md5 per table over every row (as JSON, minus the bookkeeping columns), in a stable order. */
  async function checksums(): Promise<Map<string, string>> {
    const { rows: tables } = await superuser.query<{ schema: string; name: string }>(
      `select schemaname as schema, tablename as name from pg_tables
       where schemaname not in ('pg_catalog', 'information_schema') order by 1, 2`,
    );
    const sums = new Map<string, string>();
    for (const { schema: s, name } of tables) {
      if (BOOKKEEPING_TABLES.has(name)) continue;
      const { rows } = await superuser.query<{ sum: string }>(
        `select count(*) || ':' || coalesce(md5(string_agg(md5((to_jsonb(t) - $1::text[])::text), '' order by md5((to_jsonb(t) - $1::text[])::text))), '') as sum
         from ${pg.escapeIdentifier(s)}.${pg.escapeIdentifier(name)} t`,
        [BOOKKEEPING_COLUMNS[name] ?? []],
      );
      sums.set(`${s}.${name}`, rows[0]!.sum);
    }
    return sums;
  }
  const changedTables = (before: Map<string, string>, after: Map<string, string>) =>
    [...new Set([...before.keys(), ...after.keys()])].filter((table) => before.get(table) !== after.get(table));

  async function send(request: RawRequest, as: Identity): Promise<Sent> {
    const headers: Record<string, string> = { ...request.headers };
    if (as === 'owner' && !('authorization' in headers)) headers.authorization = `Bearer ${token}`;
    const res = await fetch(app.url.replace('/graphql', request.path ?? '/graphql'), {
      method: request.method,
      headers,
      body: request.body as RequestInit['body'],
    });
    const text = await res.text();
    let body: Sent['body'];
    try {
      body = JSON.parse(text) as Sent['body'];
    } catch {
      body = undefined;
    }
    return { status: res.status, text, body };
  }

  /** Every string the request sent (a message may quote the client's own value back). */
  function sentStrings(request: RawRequest): string[] {
    const out: string[] = [];
    // Without recursion: some bodies nest 100,000 deep.
    const walk = (root: unknown): void => {
      const stack = [root];
      while (stack.length) {
        const value = stack.pop();
        if (typeof value === 'string') out.push(value);
        else if (Array.isArray(value)) stack.push(...value);
        else if (value && typeof value === 'object') {
          for (const [k, v] of Object.entries(value)) {
            out.push(k);
            stack.push(v);
          }
        }
      }
    };
    if (typeof request.body === 'string') {
      try {
        walk(JSON.parse(request.body));
      } catch {
        out.push(request.body);
      }
    }
    for (const value of new URLSearchParams(request.path?.split('?')[1] ?? '').values()) out.push(value);
    return out.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  }

  /** The message without what the client sent (as it is, or quoted as JSON). */
  function withoutEcho(message: string, sent: string[]): string {
    let rest = message;
    for (const s of sent) {
      for (const form of [JSON.stringify(s), JSON.stringify(s).slice(1, -1), s]) rest = rest.split(form).join('');
    }
    return rest;
  }

  function expectClean(res: Sent, request: RawRequest) {
    for (const pattern of STACK) expect(res.text).not.toMatch(pattern);
    const sent = sentStrings(request);
    for (const error of res.body?.errors ?? []) {
      const message = withoutEcho(error.message, sent);
      for (const pattern of SQL) expect(message).not.toMatch(pattern);
      expect(message).not.toMatch(SQLSTATE);
    }
  }

  function expectRefused(res: Sent, expected: Expected) {
    expect(res.status).toBeLessThan(500);
    expect(res.body).toEqual(expect.objectContaining({ errors: expect.any(Array) }));
    const errors = res.body!.errors!;
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(typeof error.extensions?.code).toBe('string');
      expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
    }
    if (res.status === 200) {
      // Refused in a resolver: nothing of the operation answered.
      const data = res.body!.data as Record<string, unknown> | null | undefined;
      expect(Object.values(data ?? {}).every((v) => v === null)).toBe(true);
    } else {
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
    if (expected.status !== undefined) expect(res.status).toBe(expected.status);
    const first = errors[0]!;
    const codes = typeof expected.code === 'string' ? [expected.code] : expected.code;
    expect(codes).toContain(first.extensions?.code);
    // With several codes allowed (a query limit may refuse first), the field is asked of BAD_USER_INPUT only.
    const judged = codes.length === 1 || first.extensions?.code === 'BAD_USER_INPUT';
    if (expected.field !== undefined && judged) expect(first.extensions?.field).toBe(expected.field);
    if (expected.mentions !== undefined && judged) expect(first.message).toContain(expected.mentions);
  }

  function expectedFor(c: BadInputCase, as: Identity): Expected {
    if (as === 'owner' || c.anonymous === 'same') return c.expect;
    if (c.anonymous) return c.anonymous;
    return c.expect.status !== undefined ? c.expect : { code: 'UNAUTHENTICATED' };
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    owner = createKysely(createPool(scratch.ownerUrl, { max: 2, applicationName: 'jest-bad-input-owner' }));
    superuser = new pg.Pool({
      connectionString: scratch.superuserUrl,
      max: 1,
      application_name: 'jest-bad-input-checksum',
    });
    // An idle connection that dies (a restart, a terminated backend) must not crash the run.
    superuser.on('error', () => undefined);
    const appUrl = roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name);
    appPool = createPool(appUrl, { max: 4, applicationName: 'jest-bad-input-app' });
    standalonePool = createPool(appUrl, { max: 2, applicationName: 'jest-bad-input-standalone' });
    await migrateToLatest(owner, migrations);
    schema = await createSchema();

    const organization = await createOrganization(owner, { slug: ids.orgSlug });
    const org = organization.id;
    const ownerUser = await createUser(owner, { email: ids.ownerEmail });
    await addMember(owner, org, ownerUser.id, { role: 'owner' });
    const member = await createUser(owner);
    await withTenant(owner, { organizationId: org, userId: null }, (trx) =>
      trx
        .insertInto('memberships')
        .values({
          id: ids.memberMembershipId,
          organization_id: org,
          user_id: member.id,
          role: 'member',
          status: 'active',
        })
        .execute(),
    );
    await createProject(owner, org, ownerUser.id, { id: ids.projectId, name: 'Apollo' });
    await withTenant(owner, { organizationId: org, userId: ownerUser.id }, async (trx) => {
      await createTask(trx, org, ids.projectId, { id: ids.taskId, title: 'Ship it' });
      await trx
        .insertInto('sprints')
        .values({
          id: ids.sprintId,
          organization_id: org,
          project_id: ids.projectId,
          name: 'Sprint 1',
          start_date: '2026-01-01',
          end_date: '2026-01-15',
        })
        .execute();
      await trx
        .insertInto('milestones')
        .values({ id: ids.milestoneId, organization_id: org, project_id: ids.projectId, title: 'Beta' })
        .execute();
      await trx
        .insertInto('task_comments')
        .values({
          id: ids.commentId,
          organization_id: org,
          task_id: ids.taskId,
          author_id: ownerUser.id,
          body: 'Looks good',
        })
        .execute();
      await trx.insertInto('teams').values({ id: ids.teamId, organization_id: org, name: 'Core' }).execute();
    });
    // Another organization, so a write across tenants would show too.
    await createTenant(owner, { members: 1 });

    app = await startTestApp({ pool: appPool, standalonePool });
    token = await app.login(ids.ownerEmail, TEST_PASSWORD, ids.orgSlug);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await appPool?.end();
    await standalonePool?.end();
    await owner?.destroy();
    await superuser?.end();
    await scratch?.drop();
    await closeTestPools();
  });

  it('has a corpus of distinct cases whose valid documents match the schema', () => {
    expect(corpus.length).toBeGreaterThan(300);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
    // A typo in a selection would make a case fail for the wrong reason (validation instead of the input).
    for (const c of corpus) {
      const aboutTheDocument = ['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'QUERY_TOO_COMPLEX'].some((code) =>
        c.expect.code.includes(code),
      );
      if (aboutTheDocument || c.expect.status === 413 || typeof c.request.body !== 'string') continue;
      let query: unknown;
      try {
        query = (JSON.parse(c.request.body) as { query?: unknown }).query;
      } catch {
        continue;
      }
      if (typeof query !== 'string' || query.length > 100_000) continue;
      let document;
      try {
        document = parse(query);
      } catch {
        continue;
      }
      expect({ case: c.name, errors: validate(schema, document).map((e) => e.message) }).toEqual({
        case: c.name,
        errors: [],
      });
    }
  });

  it('sees a write: the checksum changes when a valid mutation succeeds', async () => {
    const before = await checksums();
    const res = await send(
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation ($input: AddTaskCommentInput!) { addTaskComment(input: $input) { comment { id } } }',
          variables: { input: { taskId: ids.taskId, body: 'A real comment' } },
        }),
      },
      'owner',
    );
    expect(res.body?.errors).toBeUndefined();
    expect(changedTables(before, await checksums())).toEqual(expect.arrayContaining(['public.task_comments']));
  });

  describe.each(IDENTITIES)('as %s', (as) => {
    beforeAll(async () => {
      last = await checksums();
    });

    // One case at a time (jest runs a file's tests in order), each compared with the checksum after the one before.
    const cases = CORPUS.filter((c) => (c.as ?? IDENTITIES).includes(as));
    for (const c of cases) {
      const run = KNOWN_FAILURES.has(`${as}: ${c.name}`) ? it.failing : it;
      run(`refuses ${c.name}`, async () => {
        const res = await send(c.request, as);
        const now = await checksums();
        const changed = changedTables(last, now);
        last = now;
        try {
          expectRefused(res, expectedFor(c, as));
          expectClean(res, c.request);
        } catch (error) {
          (error as Error).message += `\n\nThe answer: ${res.status} ${res.text.slice(0, 1_000)}`;
          throw error;
        }
        expect({ wrote: changed }).toEqual({ wrote: [] });
      });
    }
  });

  it.each(inertCorpus().map((c) => [c.name, c] as const))('treats metacharacters as data: %s', async (_name, c) => {
    const before = await checksums();
    const res = await send(
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: c.query, variables: c.variables }),
      },
      'owner',
    );
    expect(res.status).toBe(200);
    expect(res.body?.errors).toBeUndefined();
    if (c.count) expect(c.count(res.body!.data as Record<string, unknown>)).toBe(0);
    expect(changedTables(before, await checksums())).toEqual([]);
  });

  it('accepts input that is only unusual: emoji, other scripts, JSON nested 20 deep, its own cursors', async () => {
    const createProject =
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { project { id name metadata } } }';
    const deep = JSON.parse(`${'{"a": '.repeat(19)}{"v": "🙂"}${'}'.repeat(19)}`) as Record<string, unknown>;
    // Raw UTF-8 bytes (4-byte emoji, CJK, combining marks) in the body, and a surrogate pair escaped in JSON.
    const name = `Ünïcödé 日本 🚀 \ud83d\ude00 ${crypto.randomUUID().slice(0, 6)}`;
    const body = Buffer.from(
      JSON.stringify({ query: createProject, variables: { input: { name, metadata: { '🔑': deep } } } }),
      'utf8',
    );
    const res = await send({ method: 'POST', headers: { 'content-type': 'application/json' }, body }, 'owner');
    expect(res.body?.errors).toBeUndefined();
    expect(res.body?.data).toEqual({
      createProject: { project: { id: expect.any(String), name, metadata: { '🔑': deep } } },
    });

    for (const orderBy of ['NAME_ASC', 'CREATED_AT_ASC', 'UPDATED_AT_DESC']) {
      const page = (after?: string) =>
        send(
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              query:
                'query ($after: String, $orderBy: ProjectOrder) { projects(first: 1, after: $after, orderBy: $orderBy) { edges { cursor } } }',
              variables: { after, orderBy },
            }),
          },
          'owner',
        );
      const first = await page();
      const cursor = (first.body?.data as { projects: { edges: { cursor: string }[] } }).projects.edges[0]!.cursor;
      const second = await page(cursor);
      expect({ orderBy, errors: second.body?.errors }).toEqual({ orderBy, errors: undefined });
      expect((second.body?.data as { projects: { edges: unknown[] } }).projects.edges).toHaveLength(1);
    }
  });

  it('treats metacharacters as data: a LIKE wildcard matches only itself', async () => {
    const name = `100%_${crypto.randomUUID().slice(0, 6)}`;
    const created = await send(
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation ($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }',
          variables: { input: { name } },
        }),
      },
      'owner',
    );
    expect(created.body?.errors).toBeUndefined();
    const res = await send(
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'query ($filter: ProjectFilter) { projects(filter: $filter) { totalCount } }',
          variables: { filter: { name: { contains: '0%_' } } },
        }),
      },
      'owner',
    );
    expect(res.body?.data).toEqual({ projects: { totalCount: 1 } });
  });
});
