import crypto from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import { withTenant } from '../../src/db/database';
import type { TasksTable, UserRow } from '../../src/db/schema';
import { closeTestPools, ownerDb } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { addMember, createOrganization, createProject, createUser, TEST_PASSWORD } from '../support/factories';

/**
 * The connection building blocks (src/graphql/connection.ts, src/db/pagination.ts,
 * src/graphql/filters.ts) seen through the work API: per-argument loader keys, page arguments and
 * cursors, backward pages, the lazy totalCount, keyset stability, and the shared filters.
 * Every case works in a fresh organization of its own.
 */

const BASE = Date.parse('2026-04-01T00:00:00Z');
const at = (seconds: number) => new Date(BASE + seconds * 1000);

type TaskValues = Omit<Insertable<TasksTable>, 'organization_id' | 'project_id'>;
type TaskRow = Selectable<TasksTable>;

interface Edge {
  cursor: string;
  node: { id: string; title: string };
}
interface TaskPage {
  edges: Edge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount?: number;
}

describe('connection building blocks through the work API', () => {
  const db = ownerDb();
  let app: TestApp;
  afterAll(async () => {
    await app?.close();
    await closeTestPools();
  });
  beforeAll(async () => {
    app = await startTestApp();
  });

  /** A fresh organization (owner and two members) with one project; returns its token. */
  async function workspace() {
    const organization = await createOrganization(db);
    const owner = await createUser(db);
    await addMember(db, organization.id, owner.id, { role: 'owner' });
    const m1 = await createUser(db);
    const m2 = await createUser(db);
    await addMember(db, organization.id, m1.id);
    await addMember(db, organization.id, m2.id);
    const project = await createProject(db, organization.id, owner.id);
    const token = await app.login(owner.email, TEST_PASSWORD);
    const addTasks = (values: TaskValues[]): Promise<TaskRow[]> =>
      withTenant(db, { organizationId: organization.id, userId: owner.id }, async (trx) =>
        (
          await trx
            .insertInto('tasks')
            .values(values.map((v) => ({ organization_id: organization.id, project_id: project.id, ...v })))
            .returningAll()
            .execute()
        ).sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id)),
      );
    return { organization, owner, m1, m2, project, token, addTasks };
  }

  async function gql<T = Record<string, unknown>>(
    token: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GqlResponse<T>> {
    return app.gql<T>(query, { token, variables });
  }

  /** The data of a query that must succeed, and the statements its request sent. */
  async function ok<T>(
    token: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<T & { statements: number }> {
    const res = await gql<T>(token, query, variables);
    expect(res.body.errors).toBeUndefined();
    return { ...res.body.data!, statements: app.requests.at(-1)!.statements };
  }

  const PROJECT_TASKS = `query ($id: UUID!, $first: Int, $after: String, $last: Int, $before: String, $filter: TaskFilter, $orderBy: TaskOrder) {
    project(id: $id) {
      tasks(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id title } }
      }
    }
  }`;
  const projectTasks = async (token: string, id: string, args: Record<string, unknown>) =>
    (await ok<{ project: { tasks: TaskPage } }>(token, PROJECT_TASKS, { id, ...args })).project.tasks;
  const titles = (page: TaskPage) => page.edges.map((e) => e.node.title);

  describe('loader keys carry the arguments', () => {
    it('gives each alias of the same parent its own page, order, filter and count in one request', async () => {
      const w = await workspace();
      const tasks = await w.addTasks([
        { title: 'one', status: 'done', created_at: at(1) },
        { title: 'two', status: 'todo', created_at: at(2) },
        { title: 'three', status: 'done', created_at: at(3) },
        { title: 'four', status: 'todo', created_at: at(4) },
        { title: 'five', status: 'done', created_at: at(5) },
      ]);
      const data = await ok<Record<'a' | 'b' | 'c' | 'd', { id: string; tasks: TaskPage }>>(
        w.token,
        `query ($id: UUID!) {
        a: project(id: $id) { id tasks(first: 2) { totalCount edges { node { id title } } } }
        b: project(id: $id) { id tasks(first: 5, filter: { status: [DONE] }) { totalCount edges { node { id title } } } }
        c: project(id: $id) { id tasks(first: 2, orderBy: TITLE_ASC) { totalCount edges { node { id title } } } }
        d: project(id: $id) { id tasks(last: 2, filter: { status: [TODO] }) { totalCount edges { node { id title } } } }
      }`,
        { id: w.project.id },
      );
      expect(titles(data.a.tasks)).toEqual(['one', 'two']);
      expect(data.a.tasks.totalCount).toBe(5);
      expect(titles(data.b.tasks)).toEqual(['one', 'three', 'five']);
      expect(data.b.tasks.totalCount).toBe(3);
      expect(titles(data.c.tasks)).toEqual(['five', 'four']);
      expect(data.c.tasks.totalCount).toBe(5);
      expect(titles(data.d.tasks)).toEqual(['two', 'four']);
      expect(data.d.tasks.totalCount).toBe(2);
      expect(tasks).toHaveLength(5);
    });
  });

  describe('page arguments and cursors', () => {
    let w: Awaited<ReturnType<typeof workspace>>;
    beforeAll(async () => {
      w = await workspace();
      await w.addTasks(Array.from({ length: 3 }, (_, i) => ({ title: `t${i}`, created_at: at(i) })));
    });

    const TASKS = `query ($first: Int, $last: Int, $after: String, $before: String, $orderBy: TaskOrder) {
      tasks(first: $first, last: $last, after: $after, before: $before, orderBy: $orderBy) { edges { cursor node { title } } }
    }`;
    const fails = async (variables: Record<string, unknown>) => {
      const res = await gql(w.token, TASKS, variables);
      return { code: codeOf(res), field: res.body.errors?.[0]?.extensions?.field, data: res.body.data };
    };
    const lastStatements = () => app.requests.at(-1)!.statements;

    it('refuses page sizes above 100 and below 0, naming the argument', async () => {
      expect(await fails({ first: 101 })).toEqual({ code: 'BAD_USER_INPUT', field: 'first', data: { tasks: null } });
      expect(await fails({ last: 101 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
      expect(await fails({ first: -1 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      const hundred = await ok<{ tasks: { edges: unknown[] } }>(w.token, TASKS, { first: 100 });
      expect(hundred.tasks.edges).toHaveLength(3);
    });

    it('refuses first with last, and after with before', async () => {
      expect(await fails({ first: 1, last: 1 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
      const page = await ok<{ tasks: { edges: Edge[] } }>(w.token, TASKS, { first: 1 });
      const cursor = page.tasks.edges[0]!.cursor;
      expect(await fails({ after: cursor, before: cursor })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
      expect(await fails({ first: 1, before: cursor })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
      expect(await fails({ last: 1, after: cursor })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    });

    it('refuses a cursor of another order, naming after or before', async () => {
      const byPriority = await ok<{ tasks: { edges: Edge[] } }>(w.token, TASKS, { first: 1, orderBy: 'PRIORITY_DESC' });
      const cursor = byPriority.tasks.edges[0]!.cursor;
      expect(await fails({ first: 1, after: cursor })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      expect(await fails({ first: 1, after: cursor, orderBy: 'CREATED_AT_DESC' })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'after',
      });
      expect(await fails({ last: 1, before: cursor, orderBy: 'TITLE_ASC' })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'before',
      });
      // The same order takes it.
      const next = await ok<{ tasks: { edges: Edge[] } }>(w.token, TASKS, {
        first: 5,
        after: cursor,
        orderBy: 'PRIORITY_DESC',
      });
      expect(next.tasks.edges).toHaveLength(2);
    });

    it('refuses garbage and forged cursors without running them', async () => {
      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const id = crypto.randomUUID();
      await fails({ first: 101 });
      const refusedBeforeSql = lastStatements();
      for (const after of [
        'garbage',
        '',
        '!!!',
        forged('x'),
        forged(['created_at:asc', '2026-01-01 00:00:00+00']),
        forged(['created_at:asc', "2026-01-01' or true --", id]),
        forged(['created_at:asc', 'yesterday', id]),
        forged(['created_at:asc', '2026-01-01 00:00:00+00', 'not-a-uuid']),
        forged(['created_at:asc', 20260101, id]),
        forged(['id:asc', '2026-01-01 00:00:00+00', id]),
      ]) {
        expect({ after, ...(await fails({ first: 1, after })) }).toMatchObject({
          after,
          code: 'BAD_USER_INPUT',
          field: 'after',
        });
        expect(lastStatements()).toBe(refusedBeforeSql);
      }
      // A well-formed cursor of the right order works even if no row has it: t1 has that time and a higher id.
      const lowest = '00000000-0000-4000-8000-000000000000';
      const made = await ok<{ tasks: { edges: Edge[] } }>(w.token, TASKS, {
        first: 5,
        after: forged(['created_at:asc', '2026-04-01 00:00:01+00', lowest]),
      });
      expect(made.tasks.edges.map((e) => e.node.title)).toEqual(['t1', 't2']);
      const later = await ok<{ tasks: { edges: Edge[] } }>(w.token, TASKS, {
        first: 5,
        after: forged(['created_at:asc', '2026-04-01 02:00:01+02', lowest]),
      });
      expect(later.tasks.edges.map((e) => e.node.title)).toEqual(['t1', 't2']);
    });
  });

  describe('backward pages', () => {
    it('last/before over PRIORITY_DESC returns the forward items in reverse, ties broken by id', async () => {
      const w = await workspace();
      const priorities = [
        'low',
        'urgent',
        'medium',
        'high',
        'medium',
        'low',
        'urgent',
        'medium',
        'high',
        'medium',
        'low',
        'medium',
        'high',
      ] as const;
      await w.addTasks(priorities.map((priority, i) => ({ title: `${priority} ${i}`, priority, created_at: at(i) })));

      const forward: Edge[] = [];
      let after: string | null = null;
      for (let i = 0; ; i++) {
        const page: TaskPage = await projectTasks(w.token, w.project.id, { first: 5, after, orderBy: 'PRIORITY_DESC' });
        expect(page.pageInfo.hasPreviousPage).toBe(i > 0);
        forward.push(...page.edges);
        after = page.pageInfo.endCursor;
        if (!page.pageInfo.hasNextPage) break;
      }
      const backward: Edge[] = [];
      let before: string | null = null;
      for (let i = 0; ; i++) {
        const page: TaskPage = await projectTasks(w.token, w.project.id, { last: 5, before, orderBy: 'PRIORITY_DESC' });
        expect(page.pageInfo.hasNextPage).toBe(i > 0);
        backward.unshift(...page.edges);
        before = page.pageInfo.startCursor;
        if (!page.pageInfo.hasPreviousPage) break;
      }

      expect(forward).toHaveLength(priorities.length);
      expect(backward.map((e) => e.node.id)).toEqual(forward.map((e) => e.node.id));
      expect(backward.map((e) => e.cursor)).toEqual(forward.map((e) => e.cursor));
      const rank = { urgent: 4, high: 3, medium: 2, low: 1 } as const;
      const ranks = forward.map((e) => rank[e.node.title.split(' ')[0] as keyof typeof rank]);
      expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
      // Within one priority, ids descend (the id tiebreak follows the direction of the order).
      for (let i = 1; i < forward.length; i++) {
        if (ranks[i] === ranks[i - 1]) expect(forward[i]!.node.id < forward[i - 1]!.node.id).toBe(true);
      }
    });
  });

  describe('cursor values', () => {
    it('pages DUE_DATE_ASC across tasks without a due date (infinity) and TITLE_ASC across quotes and case', async () => {
      const w = await workspace();
      const rows = await w.addTasks([
        { title: "O'Brien's", due_date: null, created_at: at(0) },
        { title: 'a "quoted" title', due_date: new Date('2026-05-02T10:00:00.123456Z'), created_at: at(1) },
        { title: 'Zeta', due_date: null, created_at: at(2) },
        { title: 'beta', due_date: new Date('2026-05-01T00:00:00Z'), created_at: at(3) },
        { title: 'alpha', due_date: null, created_at: at(4) },
        { title: 'gamma', due_date: new Date('2026-05-02T10:00:00.123456Z'), created_at: at(5) },
      ]);
      const all = async (orderBy: string, size: number) => {
        const seen: Edge[] = [];
        let after: string | null = null;
        for (;;) {
          const page: TaskPage = await projectTasks(w.token, w.project.id, { first: size, after, orderBy });
          seen.push(...page.edges);
          after = page.pageInfo.endCursor;
          if (!page.pageInfo.hasNextPage) break;
        }
        return seen.map((e) => e.node.id);
      };
      const byId = (a: TaskRow, b: TaskRow) => (a.id < b.id ? -1 : 1);
      const dueSort = (t: TaskRow) => t.due_date?.getTime() ?? Infinity;
      const expected = [...rows].sort((a, b) => dueSort(a) - dueSort(b) || byId(a, b)).map((t) => t.id);
      expect(await all('DUE_DATE_ASC', 2)).toEqual(expected);
      expect(await all('DUE_DATE_ASC', 1)).toEqual(expected);
      const first = await projectTasks(w.token, w.project.id, { first: 100, orderBy: 'TITLE_ASC' });
      expect(await all('TITLE_ASC', 1)).toEqual(first.edges.map((e) => e.node.id));
      expect(first.edges).toHaveLength(6);
    });
  });

  describe('totalCount', () => {
    it('costs exactly one statement, and only when selected', async () => {
      const w = await workspace();
      await w.addTasks(Array.from({ length: 4 }, (_, i) => ({ title: `t${i}`, created_at: at(i) })));
      const query = (count: string) => `query ($id: UUID!) {
        project(id: $id) { tasks(first: 2) { ${count} edges { node { title } } } }
        tasks(first: 1) { ${count} edges { node { title } } }
      }`;
      const withCount = await ok<{ project: { tasks: TaskPage }; tasks: TaskPage }>(w.token, query('totalCount'), {
        id: w.project.id,
      });
      const without = await ok<{ project: { tasks: TaskPage }; tasks: TaskPage }>(w.token, query(''), {
        id: w.project.id,
      });
      expect([withCount.project.tasks.totalCount, withCount.tasks.totalCount]).toEqual([4, 4]);
      expect(without.project.tasks.totalCount).toBeUndefined();
      // Two counted lists are two count statements (one per list and arguments, for all its parents).
      expect(withCount.statements - without.statements).toBe(2);

      const one = await ok<{ project: { tasks: TaskPage } }>(
        w.token,
        `query ($id: UUID!) { project(id: $id) { tasks(first: 2) { totalCount edges { node { title } } } } }`,
        { id: w.project.id },
      );
      const none = await ok<{ project: { tasks: TaskPage } }>(
        w.token,
        `query ($id: UUID!) { project(id: $id) { tasks(first: 2) { edges { node { title } } } } }`,
        { id: w.project.id },
      );
      expect(one.statements - none.statements).toBe(1);
    });

    it('counts every page of the filter, and first: 0 still counts', async () => {
      const w = await workspace();
      await w.addTasks(
        Array.from({ length: 5 }, (_, i) => ({ title: `t${i}`, status: i % 2 ? 'done' : 'todo', created_at: at(i) })),
      );
      const page = await projectTasks(w.token, w.project.id, { first: 0, filter: { status: ['TODO'] } });
      expect(page.edges).toEqual([]);
      expect(page.totalCount).toBe(3);
      const second = await projectTasks(w.token, w.project.id, {
        first: 1,
        after: (await projectTasks(w.token, w.project.id, { first: 1 })).pageInfo.endCursor,
      });
      expect(second.totalCount).toBe(5);
    });
  });

  describe('keyset pagination under inserts', () => {
    it('continues from the cursor with no duplicates and no skips when rows are inserted (and the cursor row deleted) between pages', async () => {
      const w = await workspace();
      const original = await w.addTasks(
        Array.from({ length: 10 }, (_, i) => ({ title: `t${i}`, created_at: at(i * 10) })),
      );
      const seen: Edge[] = [];
      const first = await projectTasks(w.token, w.project.id, { first: 4 });
      seen.push(...first.edges);
      expect(titles(first)).toEqual(['t0', 't1', 't2', 't3']);
      const boundary = original[3]!;

      // Between pages: rows before the cursor, tied with it on both sides of its id, and after it.
      const idWith = (prefix: string) => prefix + crypto.randomUUID().slice(prefix.length);
      const inserted = await w.addTasks([
        { title: 'before cursor', created_at: at(15) },
        { title: 'tie, lower id', created_at: boundary.created_at, id: idWith('00000000') },
        { title: 'tie, higher id', created_at: boundary.created_at, id: idWith('ffffffff') },
        { title: 'between t5 and t6', created_at: at(55) },
        { title: 'newest', created_at: at(1000) },
      ]);
      expect(inserted).toHaveLength(5);
      // The row the cursor points at goes away too: the cursor carries its values, not a reference.
      await withTenant(db, { organizationId: w.organization.id, userId: w.owner.id }, (trx) =>
        trx.updateTable('tasks').set({ deleted_at: new Date() }).where('id', '=', boundary.id).execute(),
      );

      let after = first.pageInfo.endCursor;
      for (;;) {
        const page = await projectTasks(w.token, w.project.id, { first: 4, after });
        seen.push(...page.edges);
        after = page.pageInfo.endCursor;
        if (!page.pageInfo.hasNextPage) break;
      }
      const ids = seen.map((e) => e.node.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(seen.map((e) => e.node.title)).toEqual([
        't0',
        't1',
        't2',
        't3',
        'tie, higher id',
        't4',
        't5',
        'between t5 and t6',
        't6',
        't7',
        't8',
        't9',
        'newest',
      ]);
    });
  });

  describe('filters', () => {
    let w: Awaited<ReturnType<typeof workspace>>;
    let people: Record<'owner' | 'm1' | 'm2', UserRow>;
    beforeAll(async () => {
      w = await workspace();
      people = { owner: w.owner, m1: w.m1, m2: w.m2 };
      const rows: [title: string, assignee: keyof typeof people | null, points: number | null, tags: string[]][] = [
        ['100% done', 'm1', 1, ['a']],
        ['100 percent done', 'm2', 2, ['a', 'b']],
        ['snake_case item', null, 3, ['b']],
        ['snakeXcase item', 'owner', 5, ['a', 'b', 'c']],
        ['back\\slash', 'm1', 8, []],
        ['plain', null, 13, ['c']],
        ['PLAIN upper', 'm2', null, ['b', 'c']],
        ['last', 'm1', 21, ['a', 'c']],
      ];
      await w.addTasks(
        rows.map(([title, assignee, story_points, tags], i) => ({
          title,
          assignee_id: assignee ? people[assignee].id : null,
          story_points,
          tags,
          created_at: at(i),
        })),
      );
    });

    /** Titles of the project's tasks matching the filter (creation order), checked against totalCount. */
    async function matching(filter: Record<string, unknown>): Promise<string[]> {
      const page = await projectTasks(w.token, w.project.id, { first: 100, filter });
      expect(page.totalCount).toBe(page.edges.length);
      return titles(page);
    }

    it('IdFilter: isNull, in, eq', async () => {
      expect(await matching({ assigneeId: { isNull: true } })).toEqual(['snake_case item', 'plain']);
      expect(await matching({ assigneeId: { isNull: false } })).toEqual([
        '100% done',
        '100 percent done',
        'snakeXcase item',
        'back\\slash',
        'PLAIN upper',
        'last',
      ]);
      expect(await matching({ assigneeId: { in: [people.m1.id, people.owner.id] } })).toEqual([
        '100% done',
        'snakeXcase item',
        'back\\slash',
        'last',
      ]);
      expect(await matching({ assigneeId: { eq: people.m2.id } })).toEqual(['100 percent done', 'PLAIN upper']);
      expect(await matching({ assigneeId: { in: [] } })).toEqual([]);
      expect(await matching({ assigneeId: { in: [people.m1.id], isNull: true } })).toEqual([]);
      expect(await matching({ parentTaskId: { isNull: true }, assigneeId: { in: [people.m2.id] } })).toEqual([
        '100 percent done',
        'PLAIN upper',
      ]);
    });

    it('IntFilter: a range, eq and in; a missing value never matches', async () => {
      expect(await matching({ storyPoints: { gte: 3, lt: 21 } })).toEqual([
        'snake_case item',
        'snakeXcase item',
        'back\\slash',
        'plain',
      ]);
      expect(await matching({ storyPoints: { gt: 3, lte: 21 } })).toEqual([
        'snakeXcase item',
        'back\\slash',
        'plain',
        'last',
      ]);
      expect(await matching({ storyPoints: { eq: 8 } })).toEqual(['back\\slash']);
      expect(await matching({ storyPoints: { in: [1, 21, 34] } })).toEqual(['100% done', 'last']);
      expect(await matching({ storyPoints: { lt: 100 } })).not.toContain('PLAIN upper');
      expect(await matching({ storyPoints: { gt: 5, lt: 5 } })).toEqual([]);
    });

    it('TagsFilter: containsAll needs every tag, containsAny one of them', async () => {
      expect(await matching({ tags: { containsAll: ['a', 'b'] } })).toEqual(['100 percent done', 'snakeXcase item']);
      expect(await matching({ tags: { containsAny: ['a', 'b'] } })).toEqual([
        '100% done',
        '100 percent done',
        'snake_case item',
        'snakeXcase item',
        'PLAIN upper',
        'last',
      ]);
      expect(await matching({ tags: { containsAll: ['c'], containsAny: ['a', 'b'] } })).toEqual([
        'snakeXcase item',
        'PLAIN upper',
        'last',
      ]);
      expect(await matching({ tags: { containsAny: ['zzz'] } })).toEqual([]);
      expect(await matching({ tags: { containsAll: [] } })).toHaveLength(8);
    });

    it('StringFilter: contains matches % _ and \\ literally and ignores case; eq and in are exact', async () => {
      expect(await matching({ title: { contains: '%' } })).toEqual(['100% done']);
      expect(await matching({ title: { contains: '100%' } })).toEqual(['100% done']);
      expect(await matching({ title: { contains: '_' } })).toEqual(['snake_case item']);
      expect(await matching({ title: { contains: 'e_c' } })).toEqual(['snake_case item']);
      expect(await matching({ title: { contains: '\\' } })).toEqual(['back\\slash']);
      expect(await matching({ title: { contains: 'plain' } })).toEqual(['plain', 'PLAIN upper']);
      expect(await matching({ title: { eq: 'plain' } })).toEqual(['plain']);
      expect(await matching({ title: { in: ['plain', 'last', 'absent'] } })).toEqual(['plain', 'last']);
      expect(await matching({ title: { in: [] } })).toEqual([]);
    });

    it('applies the same filter to org-wide tasks and checks filter input', async () => {
      const res = await ok<{ tasks: TaskPage }>(
        w.token,
        `query ($filter: TaskFilter) { tasks(first: 100, filter: $filter) { totalCount edges { node { title } } } }`,
        { filter: { title: { contains: '%' }, tags: { containsAny: ['a'] } } },
      );
      expect(titles(res.tasks)).toEqual(['100% done']);
      expect(res.tasks.totalCount).toBe(1);
      const tooMany = await gql(w.token, `query ($filter: TaskFilter) { tasks(filter: $filter) { totalCount } }`, {
        filter: { assigneeId: { in: Array.from({ length: 101 }, () => crypto.randomUUID()) } },
      });
      expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    });
  });

  describe('page statements reused per shape', () => {
    // pagesByParent compiles one statement per shape and swaps in each call's parent ids and
    // cursor: the same query in two tenants, and with one cursor after another, must each get
    // its own rows. Every page below is asked twice, so the second answer comes from a reused statement.
    const ORG_TASKS = `query ($after: String, $before: String, $last: Int, $first: Int) {
      tasks(first: $first, after: $after, last: $last, before: $before, filter: { status: [TODO, DONE] }, orderBy: CREATED_AT_DESC) {
        pageInfo { endCursor startCursor }
        edges { node { title } }
      }
    }`;
    type OrgTasks = { tasks: TaskPage };

    it('gives each tenant, parent and cursor its own page from one statement', async () => {
      const a = await workspace();
      const b = await workspace();
      await a.addTasks(Array.from({ length: 5 }, (_, i) => ({ title: `a${i}`, status: 'todo', created_at: at(i) })));
      await b.addTasks(Array.from({ length: 5 }, (_, i) => ({ title: `b${i}`, status: 'done', created_at: at(i) })));
      const pages = async (w: typeof a) => {
        const seen: string[][] = [];
        let after: string | null = null;
        for (let i = 0; i < 3; i++) {
          const first: TaskPage = (await ok<OrgTasks>(w.token, ORG_TASKS, { first: 2, after })).tasks;
          const again = (await ok<OrgTasks>(w.token, ORG_TASKS, { first: 2, after })).tasks;
          expect(titles(again)).toEqual(titles(first));
          seen.push(titles(first));
          after = first.pageInfo.endCursor;
        }
        return seen;
      };
      for (let round = 0; round < 2; round++) {
        expect(await pages(a)).toEqual([['a4', 'a3'], ['a2', 'a1'], ['a0']]);
        expect(await pages(b)).toEqual([['b4', 'b3'], ['b2', 'b1'], ['b0']]);
      }
      // Backward from each tenant's own cursor.
      const lastOfA = (await ok<OrgTasks>(a.token, ORG_TASKS, { first: 5 })).tasks.pageInfo.endCursor;
      const lastOfB = (await ok<OrgTasks>(b.token, ORG_TASKS, { first: 5 })).tasks.pageInfo.endCursor;
      expect(titles((await ok<OrgTasks>(a.token, ORG_TASKS, { last: 2, before: lastOfA })).tasks)).toEqual([
        'a2',
        'a1',
      ]);
      expect(titles((await ok<OrgTasks>(b.token, ORG_TASKS, { last: 2, before: lastOfB })).tasks)).toEqual([
        'b2',
        'b1',
      ]);
    });

    it('never reuses a statement across filter values', async () => {
      const w = await workspace();
      await w.addTasks([
        { title: 'open', status: 'todo', created_at: at(1) },
        { title: 'closed', status: 'done', created_at: at(2) },
      ]);
      const BY_STATUS = `query ($status: [TaskStatus!]) { tasks(first: 5, filter: { status: $status }) { edges { node { title } } } }`;
      for (let round = 0; round < 2; round++) {
        expect(titles((await ok<OrgTasks>(w.token, BY_STATUS, { status: ['TODO'] })).tasks)).toEqual(['open']);
        expect(titles((await ok<OrgTasks>(w.token, BY_STATUS, { status: ['DONE'] })).tasks)).toEqual(['closed']);
      }
    });
  });
});
