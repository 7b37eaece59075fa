import fs from 'node:fs';
import path from 'node:path';
import type { Insertable, Selectable } from 'kysely';
import type { Database, ProjectsTable, SprintStatus, TaskStatus, UserRow } from '../../src/db/schema';
import { MAX_AGGREGATE_GROUPS } from '../../src/graphql/limits';
import { PROJECT_ROOT } from '../../src/paths';
import { createPool, withTenant } from '../../src/db/database';
import { closeTestPools, ownerDb, testPool, testUrls } from '../support/db';
import { codeOf, startTestApp, type TestApp } from '../support/app';
import { addMember, createOrganization, createProject, createUser, TEST_PASSWORD } from '../support/factories';

/**
 * Aggregates for analysts (docs/api.md, "Aggregates for analysts"): every ```graphql analyst
 * example of the documentation runs here as a member of organization A and must answer what SQL,
 * computed independently as superuser, says. B has tasks of the same shapes and other numbers, and
 * A has a private project the member is not in: neither may ever be counted.
 */

const WEEK = 7 * 24 * 3600 * 1000;
const HOUR = 3600 * 1000;
const POINTS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
const STATUSES: TaskStatus[] = ['backlog', 'todo', 'in_progress', 'in_review', 'done', 'cancelled', 'done'];
const SPRINT_STATUSES: SprintStatus[] = ['completed', 'active', 'planned', 'completed', 'cancelled'];

/** Monday 00:00 UTC of the week `weeksAgo` weeks before this one. */
function mondayUtc(now: Date, weeksAgo: number): Date {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * 24 * HOUR - weeksAgo * WEEK);
}

interface Organization {
  id: string;
  owner: UserRow;
  analyst: UserRow;
  people: UserRow[];
  projects: Selectable<ProjectsTable>[];
  hidden: Selectable<ProjectsTable>;
  ownerToken: string;
  analystToken: string;
}

/**
 * An organization with an owner, an analyst (a plain member) and two more members; two public
 * projects and a private one the analyst is not in; `tasks` tasks spread over the projects,
 * statuses, story points, assignees, due dates and completion dates over the last ten weeks, with
 * `shift` moving the numbers, so two organizations of the same shape answer differently. One done
 * task is deleted. Each project has a few sprints (a generated resource's aggregates), one a week.
 */
async function seedOrganization(
  db: ReturnType<typeof ownerDb>,
  app: TestApp,
  now: Date,
  { tasks, shift }: { tasks: number; shift: number },
): Promise<Organization> {
  const organization = await createOrganization(db);
  const owner = await createUser(db, { firstName: 'Owner' });
  await addMember(db, organization.id, owner.id, { role: 'owner' });
  const analyst = await createUser(db, { firstName: 'Analyst' });
  await addMember(db, organization.id, analyst.id);
  const people = [analyst];
  for (const name of ['Alice', 'Bob']) {
    const user = await createUser(db, { firstName: name });
    await addMember(db, organization.id, user.id);
    people.push(user);
  }
  const projects = [
    await createProject(db, organization.id, owner.id, { name: `Alpha ${shift}` }),
    await createProject(db, organization.id, owner.id, { name: `Beta ${shift}` }),
  ];
  const hidden = await createProject(db, organization.id, owner.id, { name: `Hidden ${shift}`, visibility: 'private' });
  const all = [...projects, hidden];
  await withTenant(db, { organizationId: organization.id, userId: owner.id }, async (trx) => {
    const values: Insertable<Database['tasks']>[] = [];
    for (let i = 0; i < tasks; i++) {
      const n = i + shift;
      const status = STATUSES[n % STATUSES.length]!;
      const done = status === 'done';
      values.push({
        organization_id: organization.id,
        project_id: all[n % all.length]!.id,
        title: `task ${i}`,
        status,
        story_points: n % 5 === 4 ? null : POINTS[(n * 3) % POINTS.length]!,
        assignee_id: n % 4 === 3 ? null : people[n % people.length]!.id,
        // Overdue, due later, or no due date.
        due_date:
          n % 3 === 0
            ? new Date(now.getTime() - (1 + (n % 20)) * 24 * HOUR)
            : n % 3 === 1
              ? null
              : new Date(now.getTime() + 5 * WEEK),
        started_at: done || status === 'in_progress' ? new Date(now.getTime() - (n % 11) * WEEK - 48 * HOUR) : null,
        // Completions over ten weeks, some on Mondays just after midnight UTC (a bucket's first instant).
        completed_at: done
          ? n % 6 === 0
            ? new Date(mondayUtc(now, n % 10).getTime() + 1000)
            : new Date(now.getTime() - (n % 10) * WEEK - (n % 7) * 13 * HOUR)
          : null,
        created_at: new Date(now.getTime() - 12 * WEEK + i * HOUR),
      });
    }
    // A deleted done task: counted by nobody without includeDeleted.
    values.push({
      organization_id: organization.id,
      project_id: projects[0]!.id,
      title: 'deleted',
      status: 'done',
      story_points: 89,
      assignee_id: people[0]!.id,
      due_date: new Date(now.getTime() - 24 * HOUR),
      completed_at: new Date(now.getTime() - HOUR),
      deleted_at: new Date(now.getTime() - HOUR),
    });
    await trx.insertInto('tasks').values(values).execute();
    const sprints: Insertable<Database['sprints']>[] = all.flatMap((project, p) =>
      Array.from({ length: 2 + ((p + shift) % 3) }, (_, j) => ({
        organization_id: organization.id,
        project_id: project.id,
        name: `Sprint ${j}`,
        status: SPRINT_STATUSES[(p + j + shift) % SPRINT_STATUSES.length]!,
        start_date: new Date(Date.UTC(2026, 0, 5 + 7 * j + shift)).toISOString().slice(0, 10),
        end_date: new Date(Date.UTC(2026, 0, 11 + 7 * j + shift)).toISOString().slice(0, 10),
      })),
    );
    await trx.insertInto('sprints').values(sprints).execute();
  });
  return {
    id: organization.id,
    owner,
    analyst,
    people,
    projects,
    hidden,
    ownerToken: await app.login(owner.email, TEST_PASSWORD, organization.slug),
    analystToken: await app.login(analyst.email, TEST_PASSWORD, organization.slug),
  };
}

/** Every ```graphql analyst block of docs/api.md, with its first comment line (the question). */
function analystExamples(): { question: string; query: string }[] {
  const doc = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/api.md'), 'utf8');
  return [...doc.matchAll(/```graphql analyst\n([\s\S]*?)```/g)].map((m) => ({
    question: /^# ([^($\n]+)/.exec(m[1]!)![1]!.trim(),
    query: m[1]!,
  }));
}

type Row = (string | number | null)[];

describe('aggregates for analysts', () => {
  const db = ownerDb();
  const superuser = testPool('superuser', 2);
  const now = new Date();
  let app: TestApp;
  let a: Organization;
  let b: Organization;

  // The app's sessions run in a time zone 13:45 ahead of UTC: buckets must still be UTC's.
  const appPool = createPool(
    `${testUrls.app}${testUrls.app.includes('?') ? '&' : '?'}options=-c%20TimeZone%3DPacific%2FChatham`,
    {
      max: 5,
      applicationName: 'jest-aggregates',
    },
  );

  beforeAll(async () => {
    app = await startTestApp({ pool: appPool });
    const { rows } = await appPool.query<{ zone: string }>("select current_setting('TimeZone') as zone");
    expect(rows[0]!.zone).toBe('Pacific/Chatham');
    a = await seedOrganization(db, app, now, { tasks: 140, shift: 0 });
    b = await seedOrganization(db, app, now, { tasks: 97, shift: 5 });
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await appPool.end();
    await closeTestPools();
  });

  const sqlRows = async (text: string, values: unknown[]): Promise<Row[]> =>
    (await superuser.query({ text, values, rowMode: 'array' })).rows as Row[];

  /** The tasks of `org` the analyst may see: live, outside the private project. */
  const VISIBLE = `t.organization_id = $1 and t.deleted_at is null and t.project_id <> $2`;

  /** What each documented question must answer for `org`, by SQL of its own; rows as the test flattens the groups. */
  const expected: Record<string, (org: Organization, variables: Record<string, string>) => Promise<Row[]>> = {
    'tasks per status per project': (org) =>
      sqlRows(
        `select p.name, upper(t.status), count(*)::int, sum(t.story_points)::float8
           from tasks t join projects p on p.organization_id = t.organization_id and p.id = t.project_id
          where ${VISIBLE}
          group by t.project_id, p.name, t.status order by t.project_id, t.status`,
        [org.id, org.hidden.id],
      ),
    'story points completed per week over the last 8 weeks': (org, { since }) =>
      sqlRows(
        `select to_char((date_trunc('week', t.completed_at at time zone 'UTC')), 'YYYY-MM-DD"T"HH24:MI:SS.000"Z"'),
                count(*)::int, sum(t.story_points)::float8
           from tasks t
          where ${VISIBLE} and t.status = 'done' and t.completed_at >= $3
          group by 1 order by 1`,
        [org.id, org.hidden.id, since],
      ),
    'overdue open tasks per assignee': (org, { now: at }) =>
      sqlRows(
        `select u.first_name || ' ' || u.last_name, count(*)::int
           from tasks t left join users u on u.id = t.assignee_id
          where ${VISIBLE} and t.due_date < $3 and t.status not in ('done', 'cancelled')
          group by t.assignee_id, u.first_name, u.last_name order by t.assignee_id nulls last`,
        [org.id, org.hidden.id, at],
      ),
    'sprints per status per project': (org) =>
      sqlRows(
        `select p.name, upper(s.status), count(*)::int,
                to_char(min(s.start_date), 'YYYY-MM-DD'), to_char(max(s.end_date), 'YYYY-MM-DD')
           from sprints s join projects p on p.organization_id = s.organization_id and p.id = s.project_id
          where s.organization_id = $1 and s.project_id <> $2
          group by s.project_id, p.name, s.status order by s.project_id, s.status`,
        [org.id, org.hidden.id],
      ),
  };

  /** A group as a row: its key's leaves (objects flattened), then its measures, in selection order. */
  const flatten = (value: unknown): Row =>
    value === null || typeof value !== 'object'
      ? [value as string | number | null]
      : Object.values(value as Record<string, unknown>).flatMap(flatten);

  const variablesFor = (query: string): Record<string, string> => {
    const all = { since: mondayUtc(now, 7).toISOString(), now: now.toISOString() };
    return Object.fromEntries(Object.entries(all).filter(([name]) => query.includes(`$${name}`)));
  };

  it('documents the analyst questions, each in a graphql analyst block', () => {
    expect(analystExamples().map((e) => e.question)).toEqual(Object.keys(expected));
  });

  it.each(analystExamples().map((e) => [e.question, e.query] as const))(
    'answers "%s" as SQL does, without the private project, deleted tasks or another organization',
    async (question, query) => {
      const variables = variablesFor(query);
      const res = await app.gql<Record<string, { groups: unknown[] }>>(query, {
        token: a.analystToken,
        variables,
      });
      expect(res.body.errors).toBeUndefined();
      // One root aggregate per example: tasksAggregate, sprintsAggregate, ...
      const answered = Object.values(res.body.data!)[0]!.groups.map(flatten);
      const want = await expected[question]!(a, variables);
      expect(want.length).toBeGreaterThan(1);
      expect(answered).toEqual(want);

      // The numbers would differ if B, the private project or the deleted task were counted.
      const other = await expected[question]!(b, variables);
      expect(other).not.toEqual(want);
      const withHidden = await expected[question]!({ ...a, hidden: { ...a.hidden, id: a.projects[0]!.id } }, variables);
      expect(withHidden).not.toEqual(want);
    },
  );

  it("answers the owner (projects:read_private) with the private project's tasks, and the deleted ones only with includeDeleted", async () => {
    const query = `query ($deleted: Boolean!) { tasksAggregate(includeDeleted: $deleted) { groups { key { status } count sum { storyPoints } } } }`;
    const count = async (token: string, deleted: boolean) => {
      const res = await app.gql<{
        tasksAggregate: { groups: { key: { status: null }; count: number; sum: { storyPoints: number } }[] };
      }>(query, { token, variables: { deleted } });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.tasksAggregate.groups).toHaveLength(1);
      return res.body.data!.tasksAggregate.groups[0]!;
    };
    const [[[visible, points]], [[live]], [[all]]] = await Promise.all([
      sqlRows(`select count(*)::int, sum(story_points)::float8 from tasks t where ${VISIBLE}`, [a.id, a.hidden.id]),
      sqlRows(`select count(*)::int from tasks where organization_id = $1 and deleted_at is null`, [a.id]),
      sqlRows(`select count(*)::int from tasks where organization_id = $1`, [a.id]),
    ]);
    expect(await count(a.analystToken, false)).toEqual({
      key: { status: null },
      count: visible,
      sum: { storyPoints: points },
    });
    expect((await count(a.ownerToken, false)).count).toBe(live);
    expect((await count(a.ownerToken, true)).count).toBe(all);
    expect(all).toBeGreaterThan(live as number);
    expect(live).toBeGreaterThan(visible as number);

    const refused = await app.gql(query, { token: a.analystToken, variables: { deleted: true } });
    expect(codeOf(refused)).toBe('FORBIDDEN');
  });

  it('answers exactly one group without groupBy or with [], also when nothing matches', async () => {
    const res = await app.gql<{ x: { groups: unknown[] }; y: { groups: unknown[] }; z: { groups: unknown[] } }>(
      `{
        x: tasksAggregate { groups { key { projectId status completedAtWeek } count } }
        y: tasksAggregate(groupBy: []) { groups { count avg { storyPoints } } }
        z: tasksAggregate(filter: { title: { eq: "no such task" } }, groupBy: []) {
          groups { count sum { storyPoints } min { dueDate storyPoints } max { completedAt } }
        }
      }`,
      { token: a.analystToken },
    );
    expect(res.body.errors).toBeUndefined();
    const [[count, avg]] = await sqlRows(
      `select count(*)::int, avg(story_points)::float8 from tasks t where ${VISIBLE}`,
      [a.id, a.hidden.id],
    );
    expect(res.body.data).toEqual({
      x: { groups: [{ key: { projectId: null, status: null, completedAtWeek: null }, count }] },
      y: { groups: [{ count, avg: { storyPoints: avg } }] },
      z: {
        groups: [
          {
            count: 0,
            sum: { storyPoints: null },
            min: { dueDate: null, storyPoints: null },
            max: { completedAt: null },
          },
        ],
      },
    });
  });

  it('groups by every key and measure the schema offers as SQL does (min, max, buckets in UTC)', async () => {
    const res = await app.gql<{ tasksAggregate: { groups: unknown[] } }>(
      `{ tasksAggregate(groupBy: [ASSIGNEE_ID, STATUS, COMPLETED_AT_MONTH], filter: { completedAt: { lt: "2999-01-01T00:00:00Z" } }) {
          groups { key { assigneeId status completedAtMonth } count avg { storyPoints }
                   min { storyPoints completedAt startedAt } max { storyPoints dueDate createdAt } } } }`,
      { token: a.analystToken },
    );
    expect(res.body.errors).toBeUndefined();
    const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    const want = await sqlRows(
      `select t.assignee_id::text, upper(t.status), ${iso(`date_trunc('month', t.completed_at at time zone 'UTC') at time zone 'UTC'`)},
              count(*)::int, avg(t.story_points)::float8,
              min(t.story_points), ${iso('min(t.completed_at)')}, ${iso('min(t.started_at)')},
              max(t.story_points), ${iso('max(t.due_date)')}, ${iso('max(t.created_at)')}
         from tasks t where ${VISIBLE} and t.completed_at is not null
        group by 1, 2, 3 order by 1 nulls last, 2, 3`,
      [a.id, a.hidden.id],
    );
    expect(want.length).toBeGreaterThan(3);
    expect(res.body.data!.tasksAggregate.groups.map(flatten)).toEqual(want);
  });

  it('gives every task list an aggregate equal to its totalCount and to SQL, one per project', async () => {
    const res = await app.gql<{
      projects: { edges: { node: { id: string; tasks: { totalCount: number; aggregate: unknown } } }[] };
      tasks: { totalCount: number; aggregate: { count: number }; pageInfo: { hasNextPage: boolean } };
    }>(
      `{
        projects(first: 50) { edges { node { id tasks(first: 1, filter: { status: [DONE, CANCELLED] }) {
          totalCount
          aggregate { count sum { storyPoints } avg { storyPoints } min { completedAt } max { storyPoints } }
        } } } }
        tasks(first: 1, filter: { storyPoints: { gte: 5 } }) { totalCount aggregate { count } pageInfo { hasNextPage } }
      }`,
      { token: a.analystToken },
    );
    expect(res.body.errors).toBeUndefined();
    const data = res.body.data!;
    expect(data.projects.edges.map((e) => e.node.id).sort()).toEqual(a.projects.map((p) => p.id).sort());
    for (const { node } of data.projects.edges) {
      const [[count, sum, avg, minCompleted, max]] = await sqlRows(
        `select count(*)::int, sum(story_points)::float8, avg(story_points)::float8, min(completed_at), max(story_points)
           from tasks where organization_id = $1 and project_id = $2 and deleted_at is null and status in ('done', 'cancelled')`,
        [a.id, node.id],
      );
      expect(count).toBeGreaterThan(0);
      expect(node.tasks.totalCount).toBe(count);
      expect(node.tasks.aggregate).toEqual({
        count,
        sum: { storyPoints: sum },
        avg: { storyPoints: avg },
        min: { completedAt: (minCompleted as unknown as Date).toISOString() },
        max: { storyPoints: max },
      });
    }
    const [[atLeastFive]] = await sqlRows(`select count(*)::int from tasks t where ${VISIBLE} and story_points >= 5`, [
      a.id,
      a.hidden.id,
    ]);
    // pageInfo reads the page (aggregate and totalCount alone do not).
    expect(data.tasks).toEqual({
      totalCount: atLeastFive,
      aggregate: { count: atLeastFive },
      pageInfo: { hasNextPage: true },
    });
  });

  it('filters tasks on startedAt, completedAt and updatedAt', async () => {
    const since = new Date(now.getTime() - 3 * WEEK).toISOString();
    const res = await app.gql<Record<string, { totalCount: number; aggregate: { count: number } }>>(
      `query ($since: DateTime!) {
        started: tasks(first: 0, filter: { startedAt: { gte: $since } }) { totalCount aggregate { count } }
        completed: tasks(first: 0, filter: { completedAt: { lt: $since } }) { totalCount aggregate { count } }
        updated: tasks(first: 0, filter: { updatedAt: { gt: $since } }) { totalCount aggregate { count } }
      }`,
      { token: a.analystToken, variables: { since } },
    );
    expect(res.body.errors).toBeUndefined();
    for (const [alias, condition] of [
      ['started', 'started_at >= $3'],
      ['completed', 'completed_at < $3'],
      ['updated', 'updated_at > $3'],
    ] as const) {
      const [[count]] = await sqlRows(`select count(*)::int from tasks t where ${VISIBLE} and ${condition}`, [
        a.id,
        a.hidden.id,
        since,
      ]);
      expect({ alias, ...res.body.data![alias] }).toEqual({ alias, totalCount: count, aggregate: { count } });
    }
    expect(res.body.data!.started!.totalCount).toBeGreaterThan(0);
    expect(res.body.data!.completed!.totalCount).toBeGreaterThan(0);
  });

  it('checks the filter as the task list does, naming the field', async () => {
    const res = await app.gql(
      `{ tasksAggregate(filter: { title: { contains: "${'x'.repeat(201)}" } }) { groups { count } } }`,
      {
        token: a.analystToken,
      },
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0]!.extensions!.field).toBe('filter.title.contains');
  });

  it('answers two aliases with the same arguments from one statement, and key relations in one batch each', async () => {
    const one = `{ a: tasksAggregate(groupBy: [PROJECT_ID, ASSIGNEE_ID]) { groups { count } } }`;
    const two = `{ a: tasksAggregate(groupBy: [PROJECT_ID, ASSIGNEE_ID]) { groups { count } }
                   b: tasksAggregate(groupBy: [PROJECT_ID, ASSIGNEE_ID]) { groups { count } } }`;
    const relations = `{ tasksAggregate(groupBy: [PROJECT_ID, ASSIGNEE_ID]) {
                         groups { key { project { name } assignee { name } } count } } }`;
    const statements = async (query: string) => {
      const res = await app.gql(query, { token: a.analystToken });
      expect(res.body.errors).toBeUndefined();
      return app.requests.at(-1)!.statements;
    };
    const single = await statements(one);
    expect(await statements(two)).toBe(single);
    // projects by id and users by id: one statement each, whatever the number of groups.
    expect(await statements(relations)).toBe(single + 2);
  });

  it(`refuses more than ${MAX_AGGREGATE_GROUPS} groups with BAD_USER_INPUT on groupBy, and answers ${MAX_AGGREGATE_GROUPS}`, async () => {
    const c = await createOrganization(db);
    const owner = await createUser(db);
    await addMember(db, c.id, owner.id, { role: 'owner' });
    const project = await createProject(db, c.id, owner.id);
    const first = Date.UTC(2020, 0, 1);
    await withTenant(db, { organizationId: c.id, userId: owner.id }, (trx) =>
      trx
        .insertInto('tasks')
        .values(
          Array.from({ length: MAX_AGGREGATE_GROUPS + 1 }, (_, i) => ({
            organization_id: c.id,
            project_id: project.id,
            title: `day ${i}`,
            created_at: new Date(first + i * 24 * HOUR + 5 * HOUR),
          })),
        )
        .execute(),
    );
    const token = await app.login(owner.email, TEST_PASSWORD, c.slug);
    const query = `query ($from: DateTime!) { tasksAggregate(groupBy: [CREATED_AT_DAY], filter: { createdAt: { gte: $from } }) {
      groups { key { createdAtDay } count } } }`;

    const tooMany = await app.gql(query, { token, variables: { from: new Date(first).toISOString() } });
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    expect(tooMany.body.errors![0]!.extensions!.field).toBe('groupBy');
    expect(tooMany.body.errors![0]!.message).toMatch(/More than 1000 groups/);

    const res = await app.gql<{ tasksAggregate: { groups: { key: { createdAtDay: string }; count: number }[] } }>(
      query,
      { token, variables: { from: new Date(first + 24 * HOUR).toISOString() } },
    );
    expect(res.body.errors).toBeUndefined();
    const groups = res.body.data!.tasksAggregate.groups;
    expect(groups).toHaveLength(MAX_AGGREGATE_GROUPS);
    // Buckets in time order, each starting at midnight UTC.
    expect(groups[0]).toEqual({ key: { createdAtDay: new Date(first + 24 * HOUR).toISOString() }, count: 1 });
    expect(groups.at(-1)!.key.createdAtDay).toBe(new Date(first + MAX_AGGREGATE_GROUPS * 24 * HOUR).toISOString());
  });
});
