import type { Selectable } from 'kysely';
import { withTenant } from '../../src/db/database';
import type { ProjectsTable, TasksTable, UserRow } from '../../src/db/schema';
import { closeTestPools, ownerDb } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';

/**
 * The SQL statement budget of nested work queries: a query costs a fixed number of statements
 * set by its shape (one per list or loader level), never by how many projects, tasks or users
 * it returns. Each case runs the same query against a small and a large fresh organization.
 */

const BASE = Date.parse('2026-03-01T00:00:00Z');
const at = (seconds: number) => new Date(BASE + seconds * 1000);
const pad = (n: number) => String(n).padStart(2, '0');

interface WorkOrganization {
  owner: UserRow;
  /** Owner first, then the members: tasks are assigned round-robin over them. */
  people: UserRow[];
  projects: Selectable<ProjectsTable>[];
  /** Top-level tasks of each project, in creation order. */
  tasks: Map<string, Selectable<TasksTable>[]>;
  /** Subtasks of each task that has some, in creation order. */
  subtasks: Map<string, Selectable<TasksTable>[]>;
  comments: Map<string, number>;
  milestones: Map<string, string>;
}

const nameOf = (user: UserRow) => `${user.first_name} ${user.last_name}`;

/**
 * A fresh organization with `members` members besides its owner, `projects` projects (P01,
 * P02, ...) with one milestone each and `tasks` top-level tasks each, inserted in bulk. Task k of
 * every project is created before task k+1 of any, so the organization's first tasks span every
 * project. The first `withChildren` tasks of the organization get 6 subtasks and 4 comments.
 * Every 4th task is done (so milestone progress is not trivial); every task is assigned.
 */
async function createWorkOrganization(
  db: ReturnType<typeof ownerDb>,
  size: { members: number; projects: number; tasks: number; withChildren: number },
): Promise<WorkOrganization> {
  const organization = await createOrganization(db);
  const owner = await createUser(db, { firstName: 'Owner' });
  await addMember(db, organization.id, owner.id, { role: 'owner' });
  const people = [owner];
  for (let i = 0; i < size.members; i++) {
    const user = await createUser(db, { firstName: `Member${i + 1}` });
    await addMember(db, organization.id, user.id);
    people.push(user);
  }
  const organizationId = organization.id;
  return withTenant(db, { organizationId, userId: owner.id }, async (trx) => {
    const projects = await trx
      .insertInto('projects')
      .values(
        Array.from({ length: size.projects }, (_, i) => ({
          organization_id: organizationId,
          name: `P${pad(i + 1)}`,
          slug: `p${pad(i + 1)}`,
          owner_id: owner.id,
        })),
      )
      .returningAll()
      .execute();
    projects.sort((a, b) => a.name.localeCompare(b.name));
    const milestoneRows = await trx
      .insertInto('milestones')
      .values(
        projects.map((p, i) => ({
          organization_id: organizationId,
          project_id: p.id,
          title: `M${pad(i + 1)}`,
          created_at: at(i),
        })),
      )
      .returning(['id', 'project_id'])
      .execute();
    const milestones = new Map(milestoneRows.map((m) => [m.project_id, m.id]));

    const taskValues = [];
    for (let k = 0; k < size.tasks; k++) {
      for (const [i, project] of projects.entries()) {
        const n = k * projects.length + i;
        taskValues.push({
          organization_id: organizationId,
          project_id: project.id,
          title: `${project.name} task ${pad(k + 1)}`,
          assignee_id: people[n % people.length]!.id,
          milestone_id: milestones.get(project.id)!,
          status: k % 4 === 0 ? ('done' as const) : ('todo' as const),
          created_at: at(n),
        });
      }
    }
    const taskRows = (await trx.insertInto('tasks').values(taskValues).returningAll().execute()).sort(
      (a, b) => a.created_at.getTime() - b.created_at.getTime(),
    );
    const tasks = new Map(projects.map((p) => [p.id, taskRows.filter((t) => t.project_id === p.id)]));

    const parents = taskRows.slice(0, size.withChildren);
    const subtaskRows = await trx
      .insertInto('tasks')
      .values(
        parents.flatMap((parent, j) =>
          Array.from({ length: 6 }, (_, s) => ({
            organization_id: organizationId,
            project_id: parent.project_id,
            parent_task_id: parent.id,
            title: `${parent.title} / sub ${s + 1}`,
            assignee_id: people[(j + s) % people.length]!.id,
            created_at: at(100_000 + j * 6 + s),
          })),
        ),
      )
      .returningAll()
      .execute();
    const subtasks = new Map(
      parents.map((p) => [
        p.id,
        subtaskRows
          .filter((t) => t.parent_task_id === p.id)
          .sort((a, b) => a.created_at.getTime() - b.created_at.getTime()),
      ]),
    );
    await trx
      .insertInto('task_comments')
      .values(
        parents.flatMap((parent) =>
          Array.from({ length: 4 }, (_, c) => ({
            organization_id: organizationId,
            task_id: parent.id,
            author_id: owner.id,
            body: `comment ${c + 1}`,
          })),
        ),
      )
      .execute();
    const comments = new Map(parents.map((p) => [p.id, 4]));
    return { owner, people, projects, tasks, subtasks, comments, milestones };
  });
}

const PROJECTS_TASKS_ASSIGNEES = `{
  projects(first: 50) {
    edges { node { id name tasks(first: 20) { edges { node { id title assignee { name } } } } } }
  }
}`;

interface ProjectsTasksAssignees {
  projects: {
    edges: {
      node: {
        id: string;
        name: string;
        tasks: { edges: { node: { id: string; title: string; assignee: { name: string } | null } }[] };
      };
    }[];
  };
}

const TASKS_DEEP = `{
  tasks(first: 50, filter: { parentTaskId: { isNull: true } }) {
    edges { node {
      id
      project { name }
      subtasks(first: 5) { edges { node { id assignee { name } } } }
      comments(first: 3) { totalCount }
    } }
  }
}`;

interface TasksDeep {
  tasks: {
    edges: {
      node: {
        id: string;
        project: { name: string };
        subtasks: { edges: { node: { id: string; assignee: { name: string } | null } }[] };
        comments: { totalCount: number };
      };
    }[];
  };
}

const MILESTONES = `{
  milestones(first: 50) {
    edges { node { id progress { ratio done total } tasks(first: 10) { edges { node { title } } } } }
  }
}`;

interface Milestones {
  milestones: {
    edges: {
      node: {
        id: string;
        progress: { ratio: number; done: number; total: number };
        tasks: { edges: { node: { title: string } }[] };
      };
    }[];
  };
}

const PROJECTS_TASK_AGGREGATES = `{
  projects(first: 50) {
    edges { node { id tasks(filter: { status: [DONE] }) { aggregate { count sum { storyPoints } } } } }
  }
}`;

interface ProjectsTaskAggregates {
  projects: {
    edges: { node: { id: string; tasks: { aggregate: { count: number; sum: { storyPoints: number | null } } } } }[];
  };
}

const TASKS_AGGREGATE_RELATIONS = `{
  tasksAggregate(groupBy: [PROJECT_ID, ASSIGNEE_ID]) {
    groups { key { projectId project { name } assignee { name } } count }
  }
}`;

interface TasksAggregateRelations {
  tasksAggregate: {
    groups: { key: { projectId: string; project: { name: string }; assignee: { name: string } }; count: number }[];
  };
}

describe('statement budget of nested work queries', () => {
  const db = ownerDb();
  let app: TestApp;
  let small: WorkOrganization & { token: string };
  let large: WorkOrganization & { token: string };

  beforeAll(async () => {
    app = await startTestApp();
    const [s, l] = await Promise.all([
      createWorkOrganization(db, { members: 2, projects: 2, tasks: 2, withChildren: 4 }),
      createWorkOrganization(db, { members: 4, projects: 50, tasks: 22, withChildren: 50 }),
    ]);
    small = { ...s, token: await app.login(s.owner.email, TEST_PASSWORD) };
    large = { ...l, token: await app.login(l.owner.email, TEST_PASSWORD) };
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  /** Runs a query and returns its data and the statements its request sent (BEGIN and COMMIT included). */
  async function measure<T>(query: string, token: string): Promise<{ data: T; statements: number }> {
    const res = await app.gql<T>(query, { token });
    expect(res.body.errors).toBeUndefined();
    const summary = app.requests.at(-1)!;
    expect(summary.outcome).toBe('success');
    return { data: res.body.data!, statements: summary.statements };
  }

  it('projects { tasks { assignee } } costs the same fixed statements for 2×2 and 50×22 rows', async () => {
    const a = await measure<ProjectsTasksAssignees>(PROJECTS_TASKS_ASSIGNEES, small.token);
    const b = await measure<ProjectsTasksAssignees>(PROJECTS_TASKS_ASSIGNEES, large.token);

    for (const [org, { data }] of [
      [small, a],
      [large, b],
    ] as const) {
      const peopleById = new Map(org.people.map((u) => [u.id, u]));
      expect(data.projects.edges.map((e) => e.node.name)).toEqual(org.projects.map((p) => p.name));
      for (const { node } of data.projects.edges) {
        // project.tasks lists every level: the subtasks (created after all top-level tasks) too.
        const expected = [
          ...org.tasks.get(node.id)!,
          ...[...org.subtasks.values()].flat().filter((t) => t.project_id === node.id),
        ].slice(0, 20);
        expect(node.tasks.edges.map((e) => e.node.id)).toEqual(expected.map((t) => t.id));
        expect(node.tasks.edges.map((e) => e.node.assignee?.name)).toEqual(
          expected.map((t) => nameOf(peopleById.get(t.assignee_id!)!)),
        );
      }
    }
    expect(b.data.projects.edges).toHaveLength(50);
    expect(b.data.projects.edges.every((e) => e.node.tasks.edges.length === 20)).toBe(true);
    expect(
      new Set(b.data.projects.edges.flatMap((e) => e.node.tasks.edges.map((t) => t.node.assignee?.name))).size,
    ).toBe(5);

    // BEGIN + tenant settings + session check (one round trip), projects, tasks of all projects,
    // their assignees, COMMIT; the caller's permissions come with BEGIN.
    expect(b.statements).toBe(a.statements);
    expect(a.statements).toBeLessThanOrEqual(5);
  });

  it('tasks { project, subtasks { assignee }, comments { totalCount } } costs the same for few and many rows', async () => {
    const a = await measure<TasksDeep>(TASKS_DEEP, small.token);
    const b = await measure<TasksDeep>(TASKS_DEEP, large.token);

    for (const [org, { data }] of [
      [small, a],
      [large, b],
    ] as const) {
      const peopleById = new Map(org.people.map((u) => [u.id, u]));
      const projectName = new Map(org.projects.map((p) => [p.id, p.name]));
      const firstTasks = [...org.tasks.values()]
        .flat()
        .sort((x, y) => x.created_at.getTime() - y.created_at.getTime())
        .slice(0, 50);
      expect(data.tasks.edges.map((e) => e.node.id)).toEqual(firstTasks.map((t) => t.id));
      for (const [i, { node }] of data.tasks.edges.entries()) {
        const subtasks = org.subtasks.get(node.id)!.slice(0, 5);
        expect(node.project.name).toBe(projectName.get(firstTasks[i]!.project_id));
        expect(node.subtasks.edges.map((e) => e.node.id)).toEqual(subtasks.map((t) => t.id));
        expect(node.subtasks.edges.map((e) => e.node.assignee?.name)).toEqual(
          subtasks.map((t) => nameOf(peopleById.get(t.assignee_id!)!)),
        );
        expect(node.comments.totalCount).toBe(org.comments.get(node.id));
      }
    }
    expect(b.data.tasks.edges).toHaveLength(50);
    // The first 50 tasks are the first task of each of the 50 projects.
    expect(new Set(b.data.tasks.edges.map((e) => e.node.project.name)).size).toBe(50);

    // BEGIN round trip, tasks, then in one tick their projects, subtasks and comment pages, then
    // the subtasks' assignees and the comment counts, COMMIT.
    expect(b.statements).toBe(a.statements);
    expect(a.statements).toBeLessThanOrEqual(8);
  });

  it('milestones { progress, tasks } costs the same for few and many rows', async () => {
    const a = await measure<Milestones>(MILESTONES, small.token);
    const b = await measure<Milestones>(MILESTONES, large.token);

    for (const [org, { data }] of [
      [small, a],
      [large, b],
    ] as const) {
      const projectOf = new Map([...org.milestones].map(([projectId, milestoneId]) => [milestoneId, projectId]));
      expect(data.milestones.edges).toHaveLength(org.projects.length);
      for (const { node } of data.milestones.edges) {
        const tasks = org.tasks.get(projectOf.get(node.id)!)!;
        const done = tasks.filter((t) => t.status === 'done').length;
        expect(node.progress).toEqual({ done, total: tasks.length, ratio: done / tasks.length });
        expect(node.tasks.edges.map((e) => e.node.title)).toEqual(tasks.slice(0, 10).map((t) => t.title));
      }
    }
    expect(b.data.milestones.edges.every((e) => e.node.tasks.edges.length === 10)).toBe(true);
    expect(b.data.milestones.edges[0]!.node.progress).toEqual({ done: 6, total: 22, ratio: 6 / 22 });

    // BEGIN round trip, milestones, their progress and their tasks, COMMIT.
    expect(b.statements).toBe(a.statements);
    expect(a.statements).toBeLessThanOrEqual(5);
  });
  it('projects { tasks(filter) { aggregate } } costs the same for few and many rows', async () => {
    const a = await measure<ProjectsTaskAggregates>(PROJECTS_TASK_AGGREGATES, small.token);
    const b = await measure<ProjectsTaskAggregates>(PROJECTS_TASK_AGGREGATES, large.token);

    for (const [org, { data }] of [
      [small, a],
      [large, b],
    ] as const) {
      expect(data.projects.edges).toHaveLength(org.projects.length);
      for (const { node } of data.projects.edges) {
        const done = org.tasks.get(node.id)!.filter((t) => t.status === 'done').length;
        expect(node.tasks.aggregate).toEqual({ count: done, sum: { storyPoints: null } });
      }
    }
    expect(b.data.projects.edges[0]!.node.tasks.aggregate.count).toBe(6);

    // BEGIN round trip, projects, the aggregates of every project's tasks, COMMIT (no task page:
    // no edge is selected).
    expect(b.statements).toBe(a.statements);
    expect(a.statements).toBeLessThanOrEqual(4);
  });

  it('tasksAggregate { key { project assignee } } costs the same for few and many groups', async () => {
    const a = await measure<TasksAggregateRelations>(TASKS_AGGREGATE_RELATIONS, small.token);
    const b = await measure<TasksAggregateRelations>(TASKS_AGGREGATE_RELATIONS, large.token);

    for (const [org, { data }] of [
      [small, a],
      [large, b],
    ] as const) {
      const peopleById = new Map(org.people.map((u) => [u.id, u]));
      const projectName = new Map(org.projects.map((p) => [p.id, p.name]));
      const expected = new Map<string, number>();
      for (const task of [...org.tasks.values(), ...org.subtasks.values()].flat()) {
        const key = `${projectName.get(task.project_id)}|${nameOf(peopleById.get(task.assignee_id!)!)}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      const answered = new Map(
        data.tasksAggregate.groups.map((g) => [`${g.key.project.name}|${g.key.assignee.name}`, g.count]),
      );
      expect(answered).toEqual(expected);
      expect(data.tasksAggregate.groups.map((g) => g.key.projectId)).toEqual(
        data.tasksAggregate.groups.map((g) => g.key.projectId).sort(),
      );
    }
    expect(b.data.tasksAggregate.groups.length).toBeGreaterThan(200);

    // BEGIN round trip, the groups, then their projects and assignees (one batch each), COMMIT.
    expect(b.statements).toBe(a.statements);
    expect(a.statements).toBeLessThanOrEqual(5);
  });
});
