import crypto from 'node:crypto';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type Res, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import type { MembershipRole } from '../../src/db/schema';

interface TaskNode {
  id: string;
  title: string;
  description: string;
  type: string;
  status: string;
  priority: string;
  storyPoints: number | null;
  dueDate: string | null;
  startedAt: string | null;
  completedAt: string | null;
  tags: string[];
  customFields: Record<string, unknown>;
  depth: number;
  deletedAt: string | null;
  assignee: { id: string; name: string } | null;
  reporter: { id: string } | null;
  sprint: { id: string } | null;
  milestone: { id: string } | null;
  parent: { id: string } | null;
  project: { id: string; name: string };
}
type TasksPage = {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: { id: string; title: string; priority: string; dueDate: string | null } }[];
};

const TASK = `id title description type status priority storyPoints dueDate startedAt completedAt tags customFields depth deletedAt
  assignee { id name } reporter { id } sprint { id } milestone { id } parent { id } project { id name }`;
const LIST_ARGS =
  '$first: Int, $after: String, $filter: TaskFilter, $orderBy: TaskOrder, $includeDeleted: Boolean! = false';
const LIST = 'first: $first, after: $after, filter: $filter, orderBy: $orderBy, includeDeleted: $includeDeleted';
const PAGE =
  'totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id title priority dueDate } }';

describe('tasks', () => {
  let app: TestApp;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  type Person = { token: string; userId: string; name: string };
  async function person(orgId: string, role: MembershipRole): Promise<Person> {
    const user = await createUser(db, { firstName: `${role[0]!.toUpperCase()}${role.slice(1)}` });
    await addMember(db, orgId, user.id, { role });
    return {
      token: await app.login(user.email, TEST_PASSWORD),
      userId: user.id,
      name: `${user.first_name} ${user.last_name}`,
    };
  }
  /** A fresh organization with one signed-in person per built-in role. */
  async function tenant() {
    const org = await createOrganization(db);
    const people = {} as Record<MembershipRole, Person>;
    for (const role of ['owner', 'admin', 'officer', 'member', 'viewer'] as const)
      people[role] = await person(org.id, role);
    return { org, ...people };
  }

  const call = (token: string, name: string, type: string, input: Record<string, unknown>, select: string) =>
    app.gql(`mutation ($i: ${type}!) { ${name}(input: $i) { ${select} } }`, {
      token,
      variables: { i: input },
    }) as Promise<Res>;
  const extensionsOf = (res: Res) => res.body.errors?.[0]?.extensions;
  const ok = <T>(res: Res, name: string, key: string): T => {
    expect(res.body.errors).toBeUndefined();
    return (res.body.data![name] as Record<string, T>)[key]!;
  };
  const project = async (token: string, name: string, extra: Record<string, unknown> = {}) =>
    ok<{ id: string }>(
      await call(token, 'createProject', 'CreateProjectInput', { name, ...extra }, 'project { id }'),
      'createProject',
      'project',
    ).id;
  const sprint = async (token: string, projectId: string, name = 'Sprint 1') =>
    ok<{ id: string }>(
      await call(
        token,
        'createSprint',
        'CreateSprintInput',
        { projectId, name, startDate: '2026-01-05', endDate: '2026-01-19' },
        'sprint { id }',
      ),
      'createSprint',
      'sprint',
    ).id;
  const milestone = async (token: string, projectId: string, title = 'Beta') =>
    ok<{ id: string }>(
      await call(token, 'createMilestone', 'CreateMilestoneInput', { projectId, title }, 'milestone { id }'),
      'createMilestone',
      'milestone',
    ).id;

  const create = (token: string, input: Record<string, unknown>) =>
    call(token, 'createTask', 'CreateTaskInput', input, `task { ${TASK} }`);
  const createOk = async (token: string, input: Record<string, unknown>) =>
    ok<TaskNode>(await create(token, input), 'createTask', 'task');
  const mutate = (token: string, name: string, input: Record<string, unknown>) =>
    call(token, name, `${name[0]!.toUpperCase()}${name.slice(1)}Input`, input, `task { ${TASK} }`);
  const mutateOk = async (token: string, name: string, input: Record<string, unknown>) =>
    ok<TaskNode>(await mutate(token, name, input), name, 'task');
  const transition = (token: string, id: string, status: string) => mutate(token, 'transitionTask', { id, status });
  const taskById = async (token: string, id: string, includeDeleted = false) => {
    const res = await app.gql<{ task: TaskNode | null }>(
      `query ($id: UUID!, $d: Boolean!) { task(id: $id, includeDeleted: $d) { ${TASK} } }`,
      { token, variables: { id, d: includeDeleted } },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.task;
  };
  const tasks = async (token: string, variables: Record<string, unknown> = {}) => {
    const res = await app.gql<{ tasks: TasksPage }>(`query (${LIST_ARGS}) { tasks(${LIST}) { ${PAGE} } }`, {
      token,
      variables,
    });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.tasks;
  };
  const projectTasks = async (token: string, projectId: string, variables: Record<string, unknown> = {}) => {
    const res = await app.gql<{ project: { tasks: TasksPage } }>(
      `query ($id: UUID!, ${LIST_ARGS}) { project(id: $id) { tasks(${LIST}) { ${PAGE} } } }`,
      { token, variables: { id: projectId, ...variables } },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.project.tasks;
  };
  const titles = (page: TasksPage) => page.edges.map((e) => e.node.title);
  /** The tasks of these projects as stored (the superuser sees past RLS). */
  const stored = async (projectIds: string[]) =>
    (
      await superuser.query(
        `select id, project_id, parent_task_id, depth, status, assignee_id, sprint_id, milestone_id, title, story_points, tags,
            deleted_at is not null as deleted
       from tasks where project_id = any($1::uuid[]) order by created_at, id`,
        [projectIds],
      )
    ).rows;

  describe('createTask', () => {
    it('fills in the defaults: BACKLOG, MEDIUM, TASK, the caller as reporter; trims the title and normalizes tags', async () => {
      const t = await tenant();
      const p = await project(t.owner.token, 'Defaults');
      const task = await createOk(t.member.token, {
        projectId: p,
        title: '  Write the tests  ',
        tags: [' api ', 'db', 'api', '  '],
      });
      expect(task).toEqual({
        id: expect.any(String),
        title: 'Write the tests',
        description: '',
        type: 'TASK',
        status: 'BACKLOG',
        priority: 'MEDIUM',
        storyPoints: null,
        dueDate: null,
        startedAt: null,
        completedAt: null,
        tags: ['api', 'db'],
        customFields: {},
        depth: 1,
        deletedAt: null,
        assignee: null,
        reporter: { id: t.member.userId },
        sprint: null,
        milestone: null,
        parent: null,
        project: { id: p, name: 'Defaults' },
      });
      expect(await taskById(t.viewer.token, task.id)).toEqual(task);
    });

    it('takes every field: assignee, reporter, sprint, milestone, points, due date, custom fields', async () => {
      const t = await tenant();
      const p = await project(t.owner.token, 'Full');
      const [s, m] = [await sprint(t.owner.token, p), await milestone(t.owner.token, p)];
      const task = await createOk(t.officer.token, {
        projectId: p,
        title: 'Everything',
        description: ' Details ',
        type: 'BUG',
        status: 'TODO',
        priority: 'URGENT',
        assigneeId: t.member.userId,
        reporterId: t.viewer.userId,
        sprintId: s,
        milestoneId: m,
        storyPoints: 8,
        dueDate: '2026-03-01T12:00:00.000Z',
        customFields: { severity: 'sev2', links: ['a'] },
      });
      expect(task).toMatchObject({
        description: 'Details',
        type: 'BUG',
        status: 'TODO',
        priority: 'URGENT',
        startedAt: null,
        assignee: { id: t.member.userId, name: t.member.name },
        reporter: { id: t.viewer.userId },
        sprint: { id: s },
        milestone: { id: m },
        storyPoints: 8,
        dueDate: '2026-03-01T12:00:00.000Z',
        customFields: { severity: 'sev2', links: ['a'] },
      });
    });

    it('refuses invalid input, naming the field, and writes nothing', async () => {
      const t = await tenant();
      const p = await project(t.owner.token, 'Strict');
      const elsewhere = await project(t.owner.token, 'Elsewhere');
      const [otherSprint, otherMilestone] = [
        await sprint(t.owner.token, elsewhere),
        await milestone(t.owner.token, elsewhere),
      ];
      const otherParent = (await createOk(t.owner.token, { projectId: elsewhere, title: 'Parent elsewhere' })).id;
      const outsider = await createUser(db);
      const other = await tenant();
      const foreignProject = await project(other.owner.token, 'Foreign');
      const foreignSprint = await sprint(other.owner.token, foreignProject);
      const gone = await person(t.org.id, 'member');
      await superuser.query("update memberships set ended_at = now(), status = 'inactive' where user_id = $1", [
        gone.userId,
      ]);

      const cases: [Record<string, unknown>, string][] = [
        [{ status: 'IN_PROGRESS' }, 'status'],
        [{ status: 'DONE' }, 'status'],
        [{ storyPoints: 4 }, 'storyPoints'],
        [{ storyPoints: 0 }, 'storyPoints'],
        [{ storyPoints: 144 }, 'storyPoints'],
        [{ title: '' }, 'title'],
        [{ title: 'x'.repeat(501) }, 'title'],
        [{ title: '   ' }, 'title'],
        [{ assigneeId: outsider.id }, 'assigneeId'],
        [{ assigneeId: other.member.userId }, 'assigneeId'],
        [{ assigneeId: gone.userId }, 'assigneeId'],
        [{ reporterId: outsider.id }, 'reporterId'],
        [{ sprintId: otherSprint }, 'sprintId'],
        [{ sprintId: foreignSprint }, 'sprintId'],
        [{ milestoneId: otherMilestone }, 'milestoneId'],
        [{ parentTaskId: otherParent }, 'parentTaskId'],
        [{ parentTaskId: crypto.randomUUID() }, 'parentTaskId'],
        [{ tags: ['x'.repeat(51)] }, 'tags'],
        [{ customFields: { big: crypto.randomBytes(40_000).toString('hex') } }, 'customFields'],
        [{ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'tags'],
      ];
      for (const [input, field] of cases) {
        const res = await create(t.member.token, { projectId: p, title: 'Valid title', ...input });
        expect([input, extensionsOf(res)]).toEqual([input, expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
      }
      expect(codeOf(await create(t.viewer.token, { projectId: p, title: 'Viewer' }))).toBe('FORBIDDEN');
      expect(codeOf(await create(t.member.token, { projectId: foreignProject, title: 'Foreign' }))).toBe('NOT_FOUND');
      expect(await stored([p])).toEqual([]);
      expect((await stored([elsewhere])).map((r) => r.title)).toEqual(['Parent elsewhere']);
    });
  });

  it('updates fields: null clears a nullable one, left out stays; bad values change nothing', async () => {
    const t = await tenant();
    const p = await project(t.owner.token, 'Updates');
    const elsewhere = await project(t.owner.token, 'Elsewhere');
    const s = await sprint(t.owner.token, p);
    const task = await createOk(t.member.token, {
      projectId: p,
      title: 'Before',
      storyPoints: 5,
      sprintId: s,
      tags: ['a'],
    });
    const updated = await mutateOk(t.member.token, 'updateTask', {
      id: task.id,
      title: ' After ',
      storyPoints: null,
      tags: ['b ', 'b', 'c'],
      priority: 'HIGH',
    });
    expect(updated).toEqual({
      ...task,
      title: 'After',
      storyPoints: null,
      tags: ['b', 'c'],
      priority: 'HIGH',
      sprint: { id: s },
    });
    expect(
      extensionsOf(await mutate(t.member.token, 'updateTask', { id: task.id, storyPoints: 4, title: 'Changed' })),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'storyPoints' });
    expect(
      extensionsOf(
        await mutate(t.member.token, 'updateTask', {
          id: task.id,
          sprintId: await sprint(t.owner.token, elsewhere),
          title: 'Changed',
        }),
      ),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sprintId' });
    expect(extensionsOf(await mutate(t.member.token, 'updateTask', { id: task.id, title: '  ' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'title',
    });
    expect(codeOf(await mutate(t.viewer.token, 'updateTask', { id: task.id, title: 'Viewer' }))).toBe('FORBIDDEN');
    expect(await taskById(t.member.token, task.id)).toEqual(updated);
  });

  it('walks the status machine: startedAt on the first start, completedAt while done; refuses skipped steps', async () => {
    const t = await tenant();
    const p = await project(t.owner.token, 'Machine');
    const { id } = await createOk(t.member.token, { projectId: p, title: 'Lifecycle' });
    const go = async (status: string) => {
      const task = await mutateOk(t.member.token, 'transitionTask', { id, status });
      expect(task.status).toBe(status);
      return task;
    };
    const refused = async (status: string, from: string) => {
      expect(extensionsOf(await transition(t.member.token, id, status))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'status',
      });
      expect((await taskById(t.member.token, id))!.status).toBe(from);
    };

    await refused('DONE', 'BACKLOG');
    await refused('IN_PROGRESS', 'BACKLOG');
    await refused('IN_REVIEW', 'BACKLOG');
    expect(await go('BACKLOG')).toMatchObject({ startedAt: null });
    expect(await go('TODO')).toMatchObject({ startedAt: null, completedAt: null });
    const started = (await go('IN_PROGRESS')).startedAt;
    expect(started).toEqual(expect.any(String));
    expect(await go('IN_REVIEW')).toMatchObject({ startedAt: started, completedAt: null });
    const done = await go('DONE');
    expect(done).toMatchObject({ startedAt: started, completedAt: expect.any(String) });
    await refused('CANCELLED', 'DONE');
    await refused('TODO', 'DONE');
    await refused('BACKLOG', 'DONE');
    expect(await go('IN_PROGRESS')).toMatchObject({ startedAt: started, completedAt: null });
    expect(await go('TODO')).toMatchObject({ startedAt: started });
    expect(await go('CANCELLED')).toMatchObject({ completedAt: null });
    await refused('TODO', 'CANCELLED');
    await refused('DONE', 'CANCELLED');
    await go('BACKLOG');
    await go('CANCELLED');
    expect(codeOf(await transition(t.viewer.token, id, 'BACKLOG'))).toBe('FORBIDDEN');
    expect(codeOf(await transition(t.member.token, crypto.randomUUID(), 'TODO'))).toBe('NOT_FOUND');
    expect((await stored([p]))[0]).toMatchObject({ status: 'cancelled' });
  });

  it('assigns a task to a member, unassigns it with null, and refuses anyone else', async () => {
    const t = await tenant();
    const other = await tenant();
    const outsider = await createUser(db);
    const p = await project(t.owner.token, 'Assign');
    const { id } = await createOk(t.member.token, { projectId: p, title: 'Someone do it' });
    const assign = (assigneeId: string | null) => mutate(t.member.token, 'assignTask', { id, assigneeId });

    expect((await mutateOk(t.member.token, 'assignTask', { id, assigneeId: t.officer.userId })).assignee).toEqual({
      id: t.officer.userId,
      name: t.officer.name,
    });
    for (const assigneeId of [outsider.id, other.member.userId]) {
      expect(extensionsOf(await assign(assigneeId))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'assigneeId' });
    }
    expect((await stored([p]))[0]).toMatchObject({ assignee_id: t.officer.userId });
    expect(titles(await tasks(t.member.token, { filter: { assigneeId: { eq: t.officer.userId } } }))).toEqual([
      'Someone do it',
    ]);
    expect((await mutateOk(t.member.token, 'assignTask', { id, assigneeId: null })).assignee).toBeNull();
    expect(titles(await tasks(t.member.token, { filter: { assigneeId: { isNull: true } } }))).toEqual([
      'Someone do it',
    ]);
    expect(codeOf(await assign(t.member.userId))).toBeUndefined();
    expect(codeOf(await mutate(t.viewer.token, 'assignTask', { id, assigneeId: t.viewer.userId }))).toBe('FORBIDDEN');
    expect((await stored([p]))[0]).toMatchObject({ assignee_id: t.member.userId });
    // Found by the isolation fuzzer: leaving assigneeId out was an internal error; it unassigns like null.
    expect((await mutateOk(t.member.token, 'assignTask', { id })).assignee).toBeNull();
    expect((await stored([p]))[0]).toMatchObject({ assignee_id: null });
  });

  it('nests subtasks at most 3 levels, with parent and subtasks on each', async () => {
    const t = await tenant();
    const p = await project(t.owner.token, 'Nesting');
    const top = await createOk(t.member.token, { projectId: p, title: 'Level 1' });
    const mid = await createOk(t.member.token, { projectId: p, title: 'Level 2', parentTaskId: top.id });
    const leaf = await createOk(t.member.token, { projectId: p, title: 'Level 3', parentTaskId: mid.id });
    const sibling = await createOk(t.member.token, { projectId: p, title: 'Level 2b', parentTaskId: top.id });
    expect([top.depth, mid.depth, leaf.depth, sibling.depth]).toEqual([1, 2, 3, 2]);
    expect([mid.parent, leaf.parent]).toEqual([{ id: top.id }, { id: mid.id }]);
    expect(
      extensionsOf(await create(t.member.token, { projectId: p, title: 'Level 4', parentTaskId: leaf.id })),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'parentTaskId' });

    const res = await app.gql<{
      task: {
        subtasks: {
          totalCount: number;
          edges: {
            node: {
              title: string;
              parent: { title: string };
              subtasks: { edges: { node: { title: string; parent: { parent: { title: string } } } }[] };
            };
          }[];
        };
      };
    }>(
      `query ($id: UUID!) { task(id: $id) { subtasks { totalCount edges { node { title parent { title }
         subtasks { edges { node { title parent { parent { title } } } } } } } } } }`,
      { token: t.viewer.token, variables: { id: top.id } },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.task.subtasks).toEqual({
      totalCount: 2,
      edges: [
        {
          node: {
            title: 'Level 2',
            parent: { title: 'Level 1' },
            subtasks: { edges: [{ node: { title: 'Level 3', parent: { parent: { title: 'Level 1' } } } }] },
          },
        },
        { node: { title: 'Level 2b', parent: { title: 'Level 1' }, subtasks: { edges: [] } } },
      ],
    });
    expect(titles(await projectTasks(t.viewer.token, p, { filter: { parentTaskId: { isNull: true } } }))).toEqual([
      'Level 1',
    ]);
    expect(titles(await projectTasks(t.viewer.token, p, { filter: { parentTaskId: { eq: top.id } } }))).toEqual([
      'Level 2',
      'Level 2b',
    ]);
    expect((await stored([p])).map((r) => r.title)).toEqual(['Level 1', 'Level 2', 'Level 3', 'Level 2b']);
  });

  describe('moveTask', () => {
    it('moves a task with its subtasks to another project, out of their sprint and milestone', async () => {
      const t = await tenant();
      const [a, b] = [await project(t.owner.token, 'Source'), await project(t.owner.token, 'Target')];
      const [s, m] = [await sprint(t.owner.token, a), await milestone(t.owner.token, a)];
      const above = await createOk(t.member.token, { projectId: a, title: 'Above' });
      const top = await createOk(t.member.token, {
        projectId: a,
        title: 'Top',
        parentTaskId: above.id,
        sprintId: s,
        milestoneId: m,
      });
      const child = await createOk(t.member.token, { projectId: a, title: 'Child', parentTaskId: top.id, sprintId: s });
      const deletedChild = await createOk(t.member.token, {
        projectId: a,
        title: 'Deleted child',
        parentTaskId: top.id,
        milestoneId: m,
      });
      await mutateOk(t.officer.token, 'deleteTask', { id: deletedChild.id });
      const stays = await createOk(t.member.token, { projectId: a, title: 'Stays', sprintId: s });

      const moved = await mutateOk(t.member.token, 'moveTask', { id: top.id, projectId: b });
      expect(moved).toMatchObject({
        project: { id: b, name: 'Target' },
        parent: null,
        depth: 1,
        sprint: null,
        milestone: null,
      });
      expect(await taskById(t.member.token, child.id)).toMatchObject({
        project: { id: b },
        parent: { id: top.id },
        depth: 2,
        sprint: null,
      });
      expect(
        (await stored([a, b])).map((r) => [
          r.title,
          r.project_id === b ? 'b' : 'a',
          r.depth,
          r.sprint_id,
          r.milestone_id,
        ]),
      ).toEqual([
        ['Above', 'a', 1, null, null],
        ['Top', 'b', 1, null, null],
        ['Child', 'b', 2, null, null],
        ['Deleted child', 'b', 2, null, null],
        ['Stays', 'a', 1, s, null],
      ]);
      expect(titles(await projectTasks(t.member.token, a))).toEqual(['Above', 'Stays']);
      expect(titles(await projectTasks(t.member.token, b))).toEqual(['Top', 'Child']);
      expect(stays.sprint).toEqual({ id: s });

      // under a task of the target project, in the same move
      const back = await mutateOk(t.member.token, 'moveTask', { id: top.id, projectId: a, parentTaskId: stays.id });
      expect(back).toMatchObject({ project: { id: a }, parent: { id: stays.id }, depth: 2 });
      expect(await taskById(t.member.token, child.id)).toMatchObject({ project: { id: a }, depth: 3 });
      // and to the top level within the project
      expect(await mutateOk(t.member.token, 'moveTask', { id: top.id, parentTaskId: null })).toMatchObject({
        parent: null,
        depth: 1,
      });
      expect(await taskById(t.member.token, child.id)).toMatchObject({ depth: 2 });
    });

    it('refuses cycles, parents in another project and nesting deeper than 3, changing nothing', async () => {
      const t = await tenant();
      const [a, b] = [await project(t.owner.token, 'Here'), await project(t.owner.token, 'There')];
      const top = await createOk(t.member.token, { projectId: a, title: 'Top' });
      const child = await createOk(t.member.token, { projectId: a, title: 'Child', parentTaskId: top.id });
      const grandchild = await createOk(t.member.token, { projectId: a, title: 'Grandchild', parentTaskId: child.id });
      const other = await createOk(t.member.token, { projectId: a, title: 'Other' });
      const otherChild = await createOk(t.member.token, { projectId: a, title: 'Other child', parentTaskId: other.id });
      const there = await createOk(t.member.token, { projectId: b, title: 'There' });
      const foreign = await tenant();
      const foreignProject = await project(foreign.owner.token, 'Foreign');
      const before = await stored([a, b]);

      for (const [input, field] of [
        [{ id: top.id, parentTaskId: grandchild.id }, 'parentTaskId'],
        [{ id: top.id, parentTaskId: child.id }, 'parentTaskId'],
        [{ id: top.id, parentTaskId: top.id }, 'parentTaskId'],
        [{ id: top.id, parentTaskId: there.id }, 'parentTaskId'],
        [{ id: child.id, projectId: b, parentTaskId: other.id }, 'parentTaskId'],
        [{ id: child.id, parentTaskId: otherChild.id }, 'parentTaskId'],
        [{ id: top.id, parentTaskId: other.id }, 'parentTaskId'],
        [{ id: top.id, parentTaskId: crypto.randomUUID() }, 'parentTaskId'],
      ] as const) {
        expect([input, extensionsOf(await mutate(t.member.token, 'moveTask', input))]).toEqual([
          input,
          expect.objectContaining({ code: 'BAD_USER_INPUT', field }),
        ]);
      }
      expect(codeOf(await mutate(t.member.token, 'moveTask', { id: top.id, projectId: foreignProject }))).toBe(
        'NOT_FOUND',
      );
      expect(codeOf(await mutate(t.member.token, 'moveTask', { id: top.id, projectId: crypto.randomUUID() }))).toBe(
        'NOT_FOUND',
      );
      expect(codeOf(await mutate(t.viewer.token, 'moveTask', { id: top.id, projectId: b }))).toBe('FORBIDDEN');
      expect(await stored([a, b])).toEqual(before);
      // a leaf may go under a depth-2 task
      expect(
        await mutateOk(t.member.token, 'moveTask', { id: grandchild.id, parentTaskId: otherChild.id }),
      ).toMatchObject({ depth: 3, parent: { id: otherChild.id } });
    });
  });

  it('deletes a task with its subtasks and restores those deleted with it, not those deleted before', async () => {
    const t = await tenant();
    const p = await project(t.owner.token, 'Deleting');
    const top = await createOk(t.member.token, { projectId: p, title: 'Top' });
    const child = await createOk(t.member.token, { projectId: p, title: 'Child', parentTaskId: top.id });
    const grandchild = await createOk(t.member.token, { projectId: p, title: 'Grandchild', parentTaskId: child.id });
    const early = await createOk(t.member.token, { projectId: p, title: 'Deleted earlier', parentTaskId: top.id });
    await createOk(t.member.token, { projectId: p, title: 'Unrelated' });

    expect(codeOf(await mutate(t.member.token, 'deleteTask', { id: early.id }))).toBe('FORBIDDEN');
    expect(await mutateOk(t.officer.token, 'deleteTask', { id: early.id })).toMatchObject({
      id: early.id,
      deletedAt: expect.any(String),
    });
    expect(await mutateOk(t.officer.token, 'deleteTask', { id: top.id })).toMatchObject({
      id: top.id,
      deletedAt: expect.any(String),
    });
    expect(titles(await tasks(t.member.token))).toEqual(['Unrelated']);
    expect(titles(await projectTasks(t.member.token, p))).toEqual(['Unrelated']);
    expect(await taskById(t.member.token, child.id)).toBeNull();
    expect(await taskById(t.officer.token, child.id, true)).toMatchObject({
      title: 'Child',
      deletedAt: expect.any(String),
    });
    expect(titles(await tasks(t.officer.token, { includeDeleted: true }))).toEqual([
      'Top',
      'Child',
      'Grandchild',
      'Deleted earlier',
      'Unrelated',
    ]);
    expect(codeOf(await app.gql('{ tasks(includeDeleted: true) { totalCount } }', { token: t.member.token }))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await mutate(t.officer.token, 'deleteTask', { id: top.id }))).toBe('NOT_FOUND');
    expect(codeOf(await mutate(t.officer.token, 'updateTask', { id: child.id, title: 'Zombie' }))).toBe('NOT_FOUND');

    // a subtask waits for its parent
    expect(extensionsOf(await mutate(t.officer.token, 'restoreTask', { id: grandchild.id }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'id',
    });
    expect(codeOf(await mutate(t.member.token, 'restoreTask', { id: top.id }))).toBe('FORBIDDEN');
    expect(await mutateOk(t.officer.token, 'restoreTask', { id: top.id })).toMatchObject({
      id: top.id,
      deletedAt: null,
    });
    expect(titles(await tasks(t.member.token))).toEqual(['Top', 'Child', 'Grandchild', 'Unrelated']);
    expect(codeOf(await mutate(t.officer.token, 'restoreTask', { id: top.id }))).toBe('NOT_FOUND');
    expect(await mutateOk(t.officer.token, 'restoreTask', { id: early.id })).toMatchObject({ deletedAt: null });
    expect((await stored([p])).map((r) => r.deleted)).toEqual([false, false, false, false, false]);
  });

  describe('listing', () => {
    let t: Awaited<ReturnType<typeof tenant>>;
    let p: string;
    let q: string;
    let s: string;
    let m: string;

    beforeAll(async () => {
      t = await tenant();
      [p, q] = [await project(t.owner.token, 'Main'), await project(t.owner.token, 'Side')];
      [s, m] = [await sprint(t.owner.token, p), await milestone(t.owner.token, p)];
      const make = async (input: Record<string, unknown>, path: string[] = []) => {
        const { id } = await createOk(t.member.token, { projectId: p, ...input });
        for (const status of path) await mutateOk(t.member.token, 'transitionTask', { id, status });
      };
      await make({
        title: 'Fix login bug',
        status: 'TODO',
        priority: 'HIGH',
        assigneeId: t.member.userId,
        sprintId: s,
        tags: ['backend', 'auth'],
        dueDate: '2026-03-01T00:00:00Z',
        storyPoints: 3,
      });
      await make({
        title: 'Design 100% coverage',
        priority: 'LOW',
        milestoneId: m,
        tags: ['frontend'],
        dueDate: '2026-05-01T00:00:00Z',
        storyPoints: 8,
      });
      await make(
        {
          title: 'Rename snake_case names',
          status: 'TODO',
          priority: 'URGENT',
          assigneeId: t.officer.userId,
          tags: ['backend'],
          storyPoints: 13,
        },
        ['IN_PROGRESS'],
      );
      await make(
        { title: 'Write docs', status: 'TODO', assigneeId: t.member.userId, dueDate: '2026-04-01T00:00:00Z' },
        ['IN_PROGRESS', 'IN_REVIEW', 'DONE'],
      );
      await make({
        title: 'Plan quarter',
        projectId: q,
        status: 'TODO',
        tags: ['auth', 'frontend'],
        dueDate: '2026-02-01T00:00:00Z',
        storyPoints: 1,
      });
    });

    it.each([
      [{ status: ['TODO', 'IN_PROGRESS'] }, ['Fix login bug', 'Rename snake_case names', 'Plan quarter']],
      [{ status: ['DONE'] }, ['Write docs']],
      [{ status: [] }, []],
      [{ assigneeId: { eq: 'member' } }, ['Fix login bug', 'Write docs']],
      [{ assigneeId: { isNull: true } }, ['Design 100% coverage', 'Plan quarter']],
      [{ assigneeId: { isNull: false } }, ['Fix login bug', 'Rename snake_case names', 'Write docs']],
      [{ sprintId: { eq: 'sprint' } }, ['Fix login bug']],
      [
        { sprintId: { isNull: true }, projectId: { eq: 'main' } },
        ['Design 100% coverage', 'Rename snake_case names', 'Write docs'],
      ],
      [{ milestoneId: { eq: 'milestone' } }, ['Design 100% coverage']],
      [{ milestoneId: { isNull: false } }, ['Design 100% coverage']],
      [{ tags: { containsAll: ['backend', 'auth'] } }, ['Fix login bug']],
      [{ tags: { containsAll: ['backend'] } }, ['Fix login bug', 'Rename snake_case names']],
      [{ tags: { containsAny: ['auth', 'frontend'] } }, ['Fix login bug', 'Design 100% coverage', 'Plan quarter']],
      [{ dueDate: { lt: '2026-04-01T00:00:00Z' } }, ['Fix login bug', 'Plan quarter']],
      [{ dueDate: { gte: '2026-04-01T00:00:00Z' } }, ['Design 100% coverage', 'Write docs']],
      [
        { dueDate: { gte: '2026-02-01T00:00:00Z', lt: '2026-05-01T00:00:00Z' } },
        ['Fix login bug', 'Write docs', 'Plan quarter'],
      ],
      [{ title: { contains: 'E_C' } }, ['Rename snake_case names']],
      [{ title: { contains: '_' } }, ['Rename snake_case names']],
      [{ title: { contains: '%' } }, ['Design 100% coverage']],
      [{ title: { contains: 'o%' } }, []],
      [{ title: { contains: 'DOCS' } }, ['Write docs']],
      [{ storyPoints: { gte: 3, lte: 8 } }, ['Fix login bug', 'Design 100% coverage']],
      [{ storyPoints: { gt: 3 } }, ['Design 100% coverage', 'Rename snake_case names']],
      [{ storyPoints: { in: [1, 13] } }, ['Rename snake_case names', 'Plan quarter']],
      [{ priority: ['URGENT', 'LOW'], assigneeId: { isNull: false } }, ['Rename snake_case names']],
      [{ projectId: { eq: 'side' } }, ['Plan quarter']],
    ])('filters tasks and project.tasks by %j', async (template, expected) => {
      const ids: Record<string, string> = { member: t.member.userId, sprint: s, milestone: m, main: p, side: q };
      const filter = JSON.parse(JSON.stringify(template), (_key, value) =>
        typeof value === 'string' && ids[value] ? ids[value] : value,
      );
      const all = await tasks(t.viewer.token, { filter });
      expect(titles(all)).toEqual(expected);
      expect(all.totalCount).toBe(expected.length);
      const main = await projectTasks(t.viewer.token, p, { filter });
      expect(titles(main)).toEqual(expected.filter((title) => title !== 'Plan quarter'));
      expect(main.totalCount).toBe(main.edges.length);
    });

    it('orders by priority, by due date (none last) and by title', async () => {
      const byPriority = await tasks(t.viewer.token, { orderBy: 'PRIORITY_DESC' });
      expect(byPriority.edges.map((e) => e.node.priority)).toEqual(['URGENT', 'HIGH', 'MEDIUM', 'MEDIUM', 'LOW']);
      expect(titles(byPriority).slice(0, 2)).toEqual(['Rename snake_case names', 'Fix login bug']);
      expect(titles(await tasks(t.viewer.token, { orderBy: 'DUE_DATE_ASC' }))).toEqual([
        'Plan quarter',
        'Fix login bug',
        'Write docs',
        'Design 100% coverage',
        'Rename snake_case names',
      ]);
      expect(
        titles(await projectTasks(t.viewer.token, p, { orderBy: 'DUE_DATE_ASC', filter: { storyPoints: { gte: 3 } } })),
      ).toEqual(['Fix login bug', 'Design 100% coverage', 'Rename snake_case names']);
      expect(titles(await tasks(t.viewer.token, { orderBy: 'TITLE_ASC' }))).toEqual([
        'Design 100% coverage',
        'Fix login bug',
        'Plan quarter',
        'Rename snake_case names',
        'Write docs',
      ]);
      expect(titles(await tasks(t.viewer.token, { orderBy: 'CREATED_AT_DESC' }))).toEqual([
        'Plan quarter',
        'Write docs',
        'Rename snake_case names',
        'Design 100% coverage',
        'Fix login bug',
      ]);
    });

    it.each(['PRIORITY_DESC', 'DUE_DATE_ASC', 'TITLE_ASC', 'CREATED_AT_ASC'])(
      'pages through %s one task at a time, each once',
      async (orderBy) => {
        const whole = (await tasks(t.viewer.token, { orderBy, first: 100 })).edges.map((e) => e.node.id);
        const seen: string[] = [];
        let after: string | null = null;
        for (;;) {
          const page: TasksPage = await tasks(t.viewer.token, { orderBy, first: 1, after });
          expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
          seen.push(...page.edges.map((e) => e.node.id));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        expect(seen).toEqual(whole);
        expect(seen).toHaveLength(5);
      },
    );
  });

  it('records created, status_changed, assigned, updated and moved activity, with the actor', async () => {
    const t = await tenant();
    const [a, b] = [await project(t.owner.token, 'From'), await project(t.owner.token, 'To')];
    const { id } = await createOk(t.member.token, { projectId: a, title: 'Tracked' });
    await mutateOk(t.member.token, 'transitionTask', { id, status: 'TODO' });
    await mutateOk(t.officer.token, 'assignTask', { id, assigneeId: t.member.userId });
    await mutateOk(t.member.token, 'updateTask', { id, title: 'Tracked too' });
    await mutateOk(t.member.token, 'moveTask', { id, projectId: b });
    const res = await app.gql<{
      task: {
        project: { name: string };
        assignee: { name: string };
        activity: {
          totalCount: number;
          edges: {
            node: {
              action: string;
              actor: { id: string } | null;
              changes: { before?: Record<string, unknown>; after: Record<string, unknown> };
            };
          }[];
        };
      };
    }>(
      'query ($id: UUID!) { task(id: $id) { project { name } assignee { name } activity { totalCount edges { node { action actor { id } changes } } } } }',
      { token: t.viewer.token, variables: { id } },
    );
    expect(res.body.errors).toBeUndefined();
    const task = res.body.data!.task;
    expect(task.project).toEqual({ name: 'To' });
    expect(task.assignee).toEqual({ name: t.member.name });
    expect(task.activity.totalCount).toBe(5);
    expect(task.activity.edges.map((e) => [e.node.action, e.node.actor?.id])).toEqual([
      ['created', t.member.userId],
      ['status_changed', t.member.userId],
      ['assigned', t.officer.userId],
      ['updated', t.member.userId],
      ['moved', t.member.userId],
    ]);
    const [, status, assigned, updated, moved] = task.activity.edges.map((e) => e.node.changes);
    expect(status).toEqual({ before: { status: 'backlog' }, after: { status: 'todo' } });
    expect(assigned).toEqual({ before: { assignee_id: null }, after: { assignee_id: t.member.userId } });
    expect(updated).toEqual({ before: { title: 'Tracked' }, after: { title: 'Tracked too' } });
    expect(moved!.after).toEqual({ project_id: b });
    const newest = await app.gql<{ task: { activity: { edges: { node: { action: string } }[] } } }>(
      'query ($id: UUID!) { task(id: $id) { activity(orderBy: CREATED_AT_DESC, first: 2) { edges { node { action } } } } }',
      { token: t.viewer.token, variables: { id } },
    );
    expect(newest.body.data!.task.activity.edges.map((e) => e.node.action)).toEqual(['moved', 'updated']);
  });

  // describeResource(tasks) covers by-id and the generated writes; these are the subclass's mutations.
  it("treats another organization's task like one that does not exist in the status machine, assigning and moving", async () => {
    const a = await tenant();
    const b = await tenant();
    const theirProject = await project(b.owner.token, 'Theirs');
    const theirs = await createOk(b.owner.token, { projectId: theirProject, title: 'Their task' });
    const mine = await project(a.owner.token, 'Mine');
    for (const id of [theirs.id, crypto.randomUUID()]) {
      expect(await taskById(a.owner.token, id)).toBeNull();
      expect(await taskById(a.owner.token, id, true)).toBeNull();
      for (const res of [
        await mutate(a.owner.token, 'transitionTask', { id, status: 'TODO' }),
        await mutate(a.owner.token, 'assignTask', { id, assigneeId: a.owner.userId }),
        await mutate(a.owner.token, 'moveTask', { id, projectId: mine }),
      ])
        expect([id, codeOf(res)]).toEqual([id, 'NOT_FOUND']);
    }
    expect((await tasks(a.owner.token)).totalCount).toBe(0);
    expect(await stored([theirProject])).toEqual([
      expect.objectContaining({ title: 'Their task', status: 'backlog', assignee_id: null, deleted: false }),
    ]);
  });
});
