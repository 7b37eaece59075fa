import crypto from 'node:crypto';
import {
  buildSchema,
  getNamedType,
  graphql,
  isLeafType,
  isObjectType,
  type GraphQLField,
  type GraphQLResolveInfo,
} from 'graphql';
import { withTenant } from '../../src/db/database';
import { pageRequest, pagesByParent, type Page } from '../../src/db/pagination';
import { columnsForSelection, selectsCursors, type NodeColumns } from '../../src/graphql/connection';
import { createSchema } from '../../src/graphql/schema';
import { projects } from '../../src/modules/work/projects';
import { tasks, TASK_ORDERS } from '../../src/modules/work/tasks';
import { closeTestPools, ownerDb } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import {
  addMember,
  createOrganization,
  createProject,
  createTask,
  createUser,
  TEST_PASSWORD,
} from '../support/factories';

/**
 * Task and project lists read only the columns their selection needs (NodeColumns) and sort
 * values only when a cursor is selected. What must not change: every field answers through a
 * list exactly what it answers by id, whatever else is selected.
 */

describe('columnsForSelection and selectsCursors', () => {
  const NODE_COLUMNS: NodeColumns = {
    always: ['id'],
    fields: { id: [], title: ['title'], assignee: ['assignee_id'], children: [] },
  };

  /** What the helpers said inside `tasks` for `query`. */
  async function seen(query: string): Promise<{ columns: readonly string[] | null; cursors: boolean }> {
    const schema = buildSchema(`
      type User { name: String }
      type Task { id: ID, title: String, notes: String, assignee: User, children: [Task] }
      type Edge { cursor: String, node: Task }
      type PageInfo { startCursor: String, endCursor: String, hasNextPage: Boolean }
      type TaskConnection { edges: [Edge], pageInfo: PageInfo }
      type Query { tasks: TaskConnection }
    `);
    let answer: { columns: readonly string[] | null; cursors: boolean } | undefined;
    const result = await graphql({
      schema,
      source: query,
      rootValue: {
        tasks: (_args: unknown, _ctx: unknown, info: GraphQLResolveInfo) => {
          answer = { columns: columnsForSelection(info, NODE_COLUMNS), cursors: selectsCursors(info) };
          return { edges: [] };
        },
      },
    });
    if (result.errors) throw result.errors[0];
    return answer!;
  }

  it('reads the id and the columns of the selected fields, through fragments, and ignores __typename', async () => {
    expect(await seen('{ tasks { edges { node { __typename title } } } }')).toEqual({
      columns: ['id', 'title'],
      cursors: false,
    });
    expect(
      await seen(
        '{ tasks { ...Page } } fragment Page on TaskConnection { edges { node { ... on Task { assignee { name } } ...Row } } } fragment Row on Task { children { id } }',
      ),
    ).toEqual({ columns: ['assignee_id', 'id'], cursors: false });
    expect(await seen('{ tasks { pageInfo { hasNextPage } } }')).toEqual({ columns: ['id'], cursors: false });
  });

  it('reads every column when a selected field is not described', async () => {
    expect((await seen('{ tasks { edges { node { id notes } } } }')).columns).toBeNull();
    expect((await seen('{ tasks { edges { node { id ...N } } } } fragment N on Task { notes }')).columns).toBeNull();
  });

  it('asks for sort values when an edge cursor or a start or end cursor is selected, however it is reached', async () => {
    expect((await seen('{ tasks { edges { cursor } } }')).cursors).toBe(true);
    expect((await seen('{ tasks { pageInfo { endCursor } } }')).cursors).toBe(true);
    expect(
      (await seen('{ tasks { ...P } } fragment P on TaskConnection { pageInfo { ... on PageInfo { startCursor } } }'))
        .cursors,
    ).toBe(true);
    expect((await seen('{ tasks { edges { c: node { id } } } }')).cursors).toBe(false);
  });
});

describe('task and project lists that read only what is selected', () => {
  const db = ownerDb();
  let app: TestApp;
  let token: string;
  let projectId: string;
  let taskId: string;
  let fields: { task: GraphQLField<unknown, unknown>[]; project: GraphQLField<unknown, unknown>[] };

  afterAll(async () => {
    await app?.close();
    await closeTestPools();
  });

  beforeAll(async () => {
    const schema = await createSchema();
    const fieldsOf = (name: string) => {
      const type = schema.getType(name);
      if (!isObjectType(type)) throw new Error(`${name} is not an object type`);
      return Object.values(type.getFields());
    };
    fields = { task: fieldsOf('Task'), project: fieldsOf('Project') };
    app = await startTestApp();
    const organization = await createOrganization(db);
    const owner = await createUser(db);
    const member = await createUser(db);
    await addMember(db, organization.id, owner.id, { role: 'owner' });
    await addMember(db, organization.id, member.id);
    token = await app.login(owner.email, TEST_PASSWORD);
    const ok = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
      const res = await app.gql<T>(query, { token, variables });
      expect(res.body.errors).toBeUndefined();
      return res.body.data!;
    };
    // A project and a task with every column set to something its neighbours do not share.
    const project = await ok<{ createProject: { project: { id: string } } }>(
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }',
      {
        input: {
          name: 'Columns',
          description: 'about columns',
          metadata: { a: 1 },
          settings: { features: ['board'] },
          ownerId: member.id,
        },
      },
    );
    projectId = project.createProject.project.id;
    const sprint = await ok<{ createSprint: { sprint: { id: string } } }>(
      'mutation ($input: CreateSprintInput!) { createSprint(input: $input) { sprint { id } } }',
      { input: { projectId, name: 'S1', startDate: '2026-05-01', endDate: '2026-05-14' } },
    );
    const milestone = await ok<{ createMilestone: { milestone: { id: string } } }>(
      'mutation ($input: CreateMilestoneInput!) { createMilestone(input: $input) { milestone { id } } }',
      { input: { projectId, title: 'M1' } },
    );
    const create = (input: Record<string, unknown>) =>
      ok<{ createTask: { task: { id: string } } }>(
        'mutation ($input: CreateTaskInput!) { createTask(input: $input) { task { id } } }',
        { input: { projectId, ...input } },
      );
    const parent = (await create({ title: 'Parent' })).createTask.task.id;
    taskId = (
      await create({
        title: 'Full',
        description: 'every column',
        type: 'BUG',
        status: 'TODO',
        priority: 'HIGH',
        assigneeId: member.id,
        sprintId: sprint.createSprint.sprint.id,
        milestoneId: milestone.createMilestone.milestone.id,
        parentTaskId: parent,
        storyPoints: 5,
        dueDate: '2026-06-01T10:00:00.000Z',
        tags: ['x', 'y'],
        customFields: { k: 'v' },
      })
    ).createTask.task.id;
    await create({ title: 'Child', parentTaskId: taskId });
    await ok('mutation ($input: TransitionTaskInput!) { transitionTask(input: $input) { task { id } } }', {
      input: { id: taskId, status: 'IN_PROGRESS' },
    });
    await ok('mutation ($input: AddTaskCommentInput!) { addTaskComment(input: $input) { comment { id } } }', {
      input: { taskId, body: 'hi' },
    });
  });

  /** A selection of `field` that shows what it resolved to. */
  function selectionOf(field: GraphQLField<unknown, unknown>): string {
    const type = getNamedType(field.type);
    if (isLeafType(type)) return field.name;
    if (type.name.endsWith('Connection')) return `${field.name} { totalCount edges { cursor node { id } } }`;
    if (type.name === 'ProjectSettings') return `${field.name} { features }`;
    return `${field.name} { id }`;
  }

  const data = async <T>(query: string, variables: Record<string, unknown> = {}) => {
    const res = await app.gql<T>(query, { token, variables });
    expect(res.body.errors).toBeUndefined();
    return { data: res.body.data!, statements: app.requests.at(-1)!.statements };
  };

  it('describes every field of Task and Project (a field left out makes the list read every column)', () => {
    expect(Object.keys(tasks.nodeColumns.fields).sort()).toEqual(fields.task.map((f) => f.name).sort());
    expect(Object.keys(projects.nodeColumns.fields).sort()).toEqual(fields.project.map((f) => f.name).sort());
  });

  it('answers each task field, selected alone in a list, as task(id) does', async () => {
    for (const field of fields.task) {
      const selection = selectionOf(field);
      const { data: list } = await data<{ project: { tasks: { edges: { node: Record<string, unknown> }[] } } }>(
        `query ($id: UUID!) { project(id: $id) { tasks(first: 50) { edges { node { id ${selection} } } } } }`,
        { id: projectId },
      );
      const { data: one } = await data<{ task: Record<string, unknown> }>(
        `query ($id: UUID!) { task(id: $id) { id ${selection} } }`,
        { id: taskId },
      );
      const node = list.project.tasks.edges.map((e) => e.node).find((n) => n.id === taskId);
      expect({ field: field.name, value: node?.[field.name] }).toEqual({
        field: field.name,
        value: one.task[field.name],
      });
      expect(one.task[field.name]).toBeDefined();
    }
  });

  it('answers each project field, selected alone in the projects list, as project(id) does', async () => {
    for (const field of fields.project) {
      const selection = selectionOf(field);
      const { data: list } = await data<{ projects: { edges: { node: Record<string, unknown> }[] } }>(
        `{ projects(first: 100) { edges { node { id ${selection} } } } }`,
      );
      const { data: one } = await data<{ project: Record<string, unknown> }>(
        `query ($id: UUID!) { project(id: $id) { id ${selection} } }`,
        { id: projectId },
      );
      const node = list.projects.edges.map((e) => e.node).find((n) => n.id === projectId);
      expect({ field: field.name, value: node?.[field.name] }).toEqual({
        field: field.name,
        value: one.project[field.name],
      });
    }
  });

  it('serves two aliases with different selections from one statement, and the wider one keeps working cursors', async () => {
    const single = await data(`query ($id: UUID!) { project(id: $id) { tasks(first: 2) { edges { node { id } } } } }`, {
      id: projectId,
    });
    const both = await data<{
      project: {
        a: { edges: { node: { id: string } }[] };
        b: { pageInfo: { endCursor: string }; edges: { cursor: string; node: { id: string; description: string } }[] };
      };
    }>(
      `query ($id: UUID!) { project(id: $id) {
        a: tasks(first: 2) { edges { node { id } } }
        b: tasks(first: 2) { pageInfo { endCursor } edges { cursor node { id description } } }
      } }`,
      { id: projectId },
    );
    expect(both.statements).toBe(single.statements);
    const { a, b } = both.data.project;
    expect(b.edges.map((e) => e.node.id)).toEqual(a.edges.map((e) => e.node.id));
    expect(b.edges.map((e) => e.node.description)).toEqual(['', 'every column']);
    expect(b.pageInfo.endCursor).toBe(b.edges[1]!.cursor);
    const next = await data<{ project: { tasks: { edges: { node: { title: string } }[] } } }>(
      `query ($id: UUID!, $after: String) { project(id: $id) { tasks(first: 5, after: $after) { edges { node { title } } } } }`,
      { id: projectId, after: b.pageInfo.endCursor },
    );
    expect(next.data.project.tasks.edges.map((e) => e.node.title)).toEqual(['Child']);
  });

  it('pagesByParent sends back only the listed columns, and sort values only when cursors are wanted', async () => {
    const organization = await createOrganization(db);
    const owner = await createUser(db);
    await addMember(db, organization.id, owner.id, { role: 'owner' });
    const project = await createProject(db, organization.id, owner.id);
    await withTenant(db, { organizationId: organization.id, userId: owner.id }, async (trx) => {
      await createTask(trx, organization.id, project.id, {
        title: 'one',
        created_at: new Date('2026-01-01T00:00:00Z'),
      });
      await createTask(trx, organization.id, project.id, {
        title: 'two',
        created_at: new Date('2026-01-02T00:00:00Z'),
      });
      const sort = TASK_ORDERS.created_at_asc;
      const read = (cursors: boolean, parentIds = [project.id]) =>
        pagesByParent<{ id: string; title: string }>(trx, {
          parentIds,
          table: 'tasks',
          alias: 't',
          parentColumn: 'project_id',
          sort,
          page: pageRequest({ first: 1 }, sort),
          columns: ['id', 'title'],
          cursors,
        });
      // Many parents come back with the parent of each row; one parent (a plain WHERE) needs none.
      const keysOf = (page: Page<object>) => page.rows.map((r) => Object.keys(r).sort());
      const manyParents = [project.id, crypto.randomUUID()];
      expect(keysOf((await read(false, manyParents)).get(project.id)!)).toEqual([['__parent_id', 'id', 'title']]);
      expect(keysOf((await read(true, manyParents)).get(project.id)!)).toEqual([
        ['__parent_id', '__sort_value', 'id', 'title'],
      ]);
      const without = (await read(false)).get(project.id)!;
      expect(keysOf(without)).toEqual([['id', 'title']]);
      expect(without.hasNextPage).toBe(true);
      expect(() => without.cursorAt(0)).toThrow('a cursor was asked of a page read without cursors');
      const withCursors = (await read(true)).get(project.id)!;
      expect(keysOf(withCursors)).toEqual([['__sort_value', 'id', 'title']]);
      const after = withCursors.cursorAt(0);
      const second = await pagesByParent<{ title: string }>(trx, {
        parentIds: [project.id],
        table: 'tasks',
        alias: 't',
        parentColumn: 'project_id',
        sort,
        page: pageRequest({ first: 1, after }, sort),
        columns: ['id', 'title'],
      });
      expect(second.get(project.id)!.rows.map((r) => r.title)).toEqual(['two']);
    });
  });
});
