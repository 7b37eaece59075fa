import type pg from 'pg';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { addMember, createOrganization, createProject, createTask, createUser } from '../support/factories';
import { withTenant } from '../../src/db/database';

/**
 * The work rules of migration 0011 and policies/work.sql, kept by the database: checked here as
 * the app role (tenantql_app), acting for an organization and a user as a request does.
 */

type Row = Record<string, unknown>;

/** Runs `fn` in a transaction as the app role acting for `organizationId` and `userId`; rolls back unless `commit`. */
async function actingAs<T>(
  pool: pg.Pool,
  organizationId: string,
  userId: string | null,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { commit?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  let done = false;
  try {
    await client.query('begin');
    await client.query(
      "select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true)",
      [organizationId, userId ?? ''],
    );
    const result = await fn(client);
    await client.query(options.commit ? 'commit' : 'rollback');
    done = true;
    return result;
  } finally {
    if (!done) await client.query('rollback');
    client.release();
  }
}

/** The SQLSTATE a statement fails with (null when it succeeds); the transaction goes on either way. */
async function sqlState(client: pg.PoolClient, text: string, values: unknown[] = []): Promise<string | null> {
  await client.query('savepoint attempt');
  try {
    await client.query(text, values);
    await client.query('release savepoint attempt');
    return null;
  } catch (error) {
    await client.query('rollback to savepoint attempt');
    return (error as { code?: string }).code ?? 'no code';
  }
}

/** `insert into <table> (...) values (...) returning *`; table and column names are code constants. */
function insertSql(table: string, values: Row): [string, unknown[]] {
  const columns = Object.keys(values);
  return [
    `insert into ${table} (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) returning *`,
    Object.values(values),
  ];
}

async function insert(client: pg.PoolClient, table: string, values: Row): Promise<Row> {
  const [text, params] = insertSql(table, values);
  return (await client.query(text, params)).rows[0];
}

/** The SQLSTATE of an insert (null when it succeeds). */
async function insertState(client: pg.PoolClient, table: string, values: Row): Promise<string | null> {
  return sqlState(client, ...insertSql(table, values));
}

let counter = 0;
const uniqueName = (prefix: string) => `${prefix} ${process.pid}-${Date.now().toString(36)}-${++counter}`;
const slugOf = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

describe('work tables', () => {
  const db = ownerDb();
  let app: pg.Pool;
  let orgId: string;
  let otherOrgId: string;
  /** Users of the organization by built-in role, one without membership, one whose membership ended, one of another organization. */
  const users = {} as Record<
    'owner' | 'admin' | 'member' | 'viewer' | 'lead' | 'outsider' | 'former' | 'foreigner',
    string
  >;

  beforeAll(async () => {
    app = testPool('app');
    orgId = (await createOrganization(db)).id;
    otherOrgId = (await createOrganization(db)).id;
    for (const key of Object.keys({
      owner: 1,
      admin: 1,
      member: 1,
      viewer: 1,
      lead: 1,
      outsider: 1,
      former: 1,
      foreigner: 1,
    }) as (keyof typeof users)[]) {
      users[key] = (await createUser(db)).id;
    }
    await addMember(db, orgId, users.owner, { role: 'owner' });
    await addMember(db, orgId, users.admin, { role: 'admin' });
    await addMember(db, orgId, users.member, { role: 'member' });
    await addMember(db, orgId, users.viewer, { role: 'viewer' });
    await addMember(db, orgId, users.lead, { role: 'member' });
    await addMember(db, orgId, users.former, {
      joinedAt: new Date(Date.now() - 2 * 86_400_000),
      endedAt: new Date(Date.now() - 86_400_000),
    });
    await addMember(db, otherOrgId, users.foreigner, { role: 'owner' });
  });
  afterAll(closeTestPools);

  /** As a member: inserts a project (owned by the member unless given) and returns it. */
  const newProject = (client: pg.PoolClient, values: Row = {}) => {
    const name = uniqueName('Project');
    return insert(client, 'projects', {
      organization_id: orgId,
      name,
      slug: slugOf(name),
      owner_id: users.member,
      ...values,
    });
  };
  const newTask = (client: pg.PoolClient, projectId: unknown, values: Row = {}) =>
    insert(client, 'tasks', { organization_id: orgId, project_id: projectId, title: uniqueName('Task'), ...values });
  const newSprint = (client: pg.PoolClient, projectId: unknown, start: string, end: string, values: Row = {}) =>
    insert(client, 'sprints', {
      organization_id: orgId,
      project_id: projectId,
      name: uniqueName('Sprint'),
      start_date: start,
      end_date: end,
      ...values,
    });
  const taskRow = async (client: pg.PoolClient, id: unknown) =>
    (await client.query('select * from tasks where id = $1', [id])).rows[0];

  describe('projects', () => {
    it('keeps names (ignoring case) and slugs unique among live projects; a deleted project frees both', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const name = uniqueName('Apollo');
        const apollo = await newProject(client, { name, slug: slugOf(name) });
        expect(
          await insertState(client, 'projects', {
            organization_id: orgId,
            name: name.toUpperCase(),
            slug: `${slugOf(name)}-2`,
            owner_id: users.member,
          }),
        ).toBe('23505');
        expect(
          await insertState(client, 'projects', {
            organization_id: orgId,
            name: `${name} 2`,
            slug: slugOf(name),
            owner_id: users.member,
          }),
        ).toBe('23505');

        await client.query('update projects set deleted_at = now() where id = $1', [apollo.id]);
        const successor = await newProject(client, { name, slug: slugOf(name) });
        expect(successor).toMatchObject({ name, slug: slugOf(name), deleted_at: null });
        // Restoring the old one would make two live projects with one name.
        expect(await sqlState(client, 'update projects set deleted_at = null where id = $1', [apollo.id])).toBe(
          '23505',
        );
      });
      // Another organization may use the same name and slug.
      await actingAs(app, otherOrgId, users.foreigner, async (client) => {
        await insert(client, 'projects', {
          organization_id: otherOrgId,
          name: 'Shared name',
          slug: 'shared-name',
          owner_id: users.foreigner,
        });
      });
      await actingAs(app, orgId, users.member, async (client) => {
        await newProject(client, { name: 'Shared name', slug: 'shared-name' });
      });
    });

    it('refuses malformed slugs and unknown visibilities', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        for (const slug of ['Upper', 'with space', '-leading', 'trailing-', '']) {
          expect({
            slug,
            code: await insertState(client, 'projects', {
              organization_id: orgId,
              name: uniqueName('P'),
              slug,
              owner_id: users.member,
            }),
          }).toEqual({ slug, code: '23514' });
        }
        expect(
          await insertState(client, 'projects', {
            organization_id: orgId,
            name: uniqueName('P'),
            slug: slugOf(uniqueName('p')),
            owner_id: users.member,
            visibility: 'secret',
          }),
        ).toBe('23514');
      });
    });

    it('requires the owner and the project members to be live members of the organization', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        for (const [who, owner] of [
          ['outsider', users.outsider],
          ['former', users.former],
          ['foreigner', users.foreigner],
        ]) {
          const name = uniqueName('Owned');
          expect({
            who,
            code: await insertState(client, 'projects', {
              organization_id: orgId,
              name,
              slug: slugOf(name),
              owner_id: owner,
            }),
          }).toEqual({ who, code: '23503' });
        }
        const project = await newProject(client, { owner_id: users.lead });
        expect(
          await sqlState(client, 'update projects set owner_id = $1 where id = $2', [users.outsider, project.id]),
        ).toBe('23503');
        expect(
          await sqlState(client, 'update projects set owner_id = $1 where id = $2', [users.admin, project.id]),
        ).toBeNull();

        const member = (userId: string) => ({ organization_id: orgId, project_id: project.id, user_id: userId });
        for (const [who, userId] of [
          ['outsider', users.outsider],
          ['former', users.former],
          ['foreigner', users.foreigner],
        ]) {
          expect({ who, code: await insertState(client, 'project_members', member(userId)) }).toEqual({
            who,
            code: '23503',
          });
        }
        await insert(client, 'project_members', member(users.viewer));
        expect(await insertState(client, 'project_members', member(users.viewer))).toBe('23505');
        expect(await insertState(client, 'project_members', { ...member(users.lead), role: 'boss' })).toBe('23514');
        const { rows } = await client.query('select user_id from project_members where project_id = $1', [project.id]);
        expect(rows).toEqual([{ user_id: users.viewer }]);
      });
    });
  });

  describe('sprints', () => {
    it('ends every sprint after it starts', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const sprint = (start: string, end: string) =>
          insertState(client, 'sprints', {
            organization_id: orgId,
            project_id: project.id,
            name: uniqueName('Sprint'),
            start_date: start,
            end_date: end,
          });
        expect(await sprint('2026-03-10', '2026-03-10')).toBe('23514');
        expect(await sprint('2026-03-10', '2026-03-01')).toBe('23514');
        expect(await sprint('2026-03-10', '2026-03-11')).toBeNull();
        const { rows } = await client.query('select id from sprints where project_id = $1', [project.id]);
        expect(await sqlState(client, "update sprints set end_date = '2026-03-09' where id = $1", [rows[0].id])).toBe(
          '23514',
        );
      });
    });

    it('never lets two live sprints of one project overlap; back-to-back, cancelled and other projects are fine', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const other = await newProject(client);
        const sprint = (start: string, end: string, values: Row = {}) =>
          insertState(client, 'sprints', {
            organization_id: orgId,
            project_id: project.id,
            name: uniqueName('Sprint'),
            start_date: start,
            end_date: end,
            ...values,
          });
        const first = await newSprint(client, project.id, '2026-01-01', '2026-01-15');
        expect(await sprint('2026-01-10', '2026-01-20')).toBe('23P01');
        expect(await sprint('2025-12-20', '2026-01-02')).toBe('23P01');
        expect(await sprint('2026-01-05', '2026-01-06')).toBe('23P01');
        // Ranges are [start, end): a sprint may start the day the previous one ends.
        const next = await newSprint(client, project.id, '2026-01-15', '2026-01-29');
        // A cancelled sprint holds no dates, and it cannot come back over a live one.
        const cancelled = await newSprint(client, project.id, '2026-01-03', '2026-01-12', { status: 'cancelled' });
        expect(await sqlState(client, "update sprints set status = 'planned' where id = $1", [cancelled.id])).toBe(
          '23P01',
        );
        expect(await sqlState(client, "update sprints set status = 'cancelled' where id = $1", [first.id])).toBeNull();
        expect(
          await sqlState(client, "update sprints set status = 'planned' where id = $1", [cancelled.id]),
        ).toBeNull();
        // Moving a sprint's dates over another is refused too.
        expect(await sqlState(client, "update sprints set start_date = '2026-01-10' where id = $1", [next.id])).toBe(
          '23P01',
        );
        // Another project keeps its own calendar.
        await newSprint(client, other.id, '2026-01-01', '2026-01-15');
      });
    });

    it('keeps sprint names unique (ignoring case) within a project', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const other = await newProject(client);
        await newSprint(client, project.id, '2026-02-01', '2026-02-15', { name: 'Sprint One' });
        expect(
          await insertState(client, 'sprints', {
            organization_id: orgId,
            project_id: project.id,
            name: 'SPRINT ONE',
            start_date: '2026-03-01',
            end_date: '2026-03-15',
          }),
        ).toBe('23505');
        await newSprint(client, other.id, '2026-02-01', '2026-02-15', { name: 'Sprint One' });
      });
    });
  });

  describe('tasks', () => {
    it("keeps a task's sprint, milestone and parent in its own project (composite foreign keys)", async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const other = await newProject(client);
        const sprint = await newSprint(client, project.id, '2026-04-01', '2026-04-15');
        const foreignSprint = await newSprint(client, other.id, '2026-04-01', '2026-04-15');
        const milestone = await insert(client, 'milestones', {
          organization_id: orgId,
          project_id: project.id,
          title: 'Beta',
        });
        const foreignMilestone = await insert(client, 'milestones', {
          organization_id: orgId,
          project_id: other.id,
          title: 'Beta',
        });
        const parent = await newTask(client, project.id);
        const foreignParent = await newTask(client, other.id);
        const task = (values: Row) =>
          insertState(client, 'tasks', {
            organization_id: orgId,
            project_id: project.id,
            title: uniqueName('Task'),
            ...values,
          });

        expect(await task({ sprint_id: foreignSprint.id })).toBe('23503');
        expect(await task({ milestone_id: foreignMilestone.id })).toBe('23503');
        expect(await task({ parent_task_id: foreignParent.id })).toBe('23503');
        expect(await task({ project_id: '00000000-0000-4000-8000-000000000000' })).toBe('23503');
        expect(await task({ sprint_id: sprint.id, milestone_id: milestone.id, parent_task_id: parent.id })).toBeNull();

        const planned = await newTask(client, project.id, { sprint_id: sprint.id });
        expect(
          await sqlState(client, 'update tasks set sprint_id = $1 where id = $2', [foreignSprint.id, planned.id]),
        ).toBe('23503');
        // Moving a task to another project takes it out of its sprint first.
        expect(await sqlState(client, 'update tasks set project_id = $1 where id = $2', [other.id, planned.id])).toBe(
          '23503',
        );
        expect(
          await sqlState(client, 'update tasks set project_id = $1, sprint_id = $2 where id = $3', [
            other.id,
            foreignSprint.id,
            planned.id,
          ]),
        ).toBeNull();
        expect(await taskRow(client, planned.id)).toMatchObject({ project_id: other.id, sprint_id: foreignSprint.id });
      });
    });

    it('accepts only Fibonacci story points from 1 to 89', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        for (const points of [1, 2, 3, 5, 8, 13, 21, 34, 55, 89]) {
          expect({
            points,
            code: await insertState(client, 'tasks', {
              organization_id: orgId,
              project_id: project.id,
              title: 't',
              story_points: points,
            }),
          }).toEqual({ points, code: null });
        }
        for (const points of [0, -1, 4, 6, 90, 144]) {
          expect({
            points,
            code: await insertState(client, 'tasks', {
              organization_id: orgId,
              project_id: project.id,
              title: 't',
              story_points: points,
            }),
          }).toEqual({ points, code: '23514' });
        }
        const task = await newTask(client, project.id, { story_points: 3 });
        expect(await sqlState(client, 'update tasks set story_points = 4 where id = $1', [task.id])).toBe('23514');
      });
    });

    it('requires assignees and reporters to be live members of the organization', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        for (const column of ['assignee_id', 'reporter_id']) {
          for (const [who, userId] of [
            ['outsider', users.outsider],
            ['former', users.former],
            ['foreigner', users.foreigner],
          ]) {
            expect({
              column,
              who,
              code: await insertState(client, 'tasks', {
                organization_id: orgId,
                project_id: project.id,
                title: 't',
                [column]: userId,
              }),
            }).toEqual({ column, who, code: '23503' });
          }
        }
        const task = await newTask(client, project.id, { assignee_id: users.viewer, reporter_id: users.member });
        expect(
          await sqlState(client, 'update tasks set assignee_id = $1 where id = $2', [users.outsider, task.id]),
        ).toBe('23503');
        expect(await sqlState(client, 'update tasks set reporter_id = $1 where id = $2', [users.former, task.id])).toBe(
          '23503',
        );
        expect(
          await sqlState(client, 'update tasks set assignee_id = $1, reporter_id = null where id = $2', [
            users.lead,
            task.id,
          ]),
        ).toBeNull();
        expect(await taskRow(client, task.id)).toMatchObject({ assignee_id: users.lead, reporter_id: null });
      });
    });
  });

  describe('task status machine', () => {
    const STATUSES = ['backlog', 'todo', 'in_progress', 'in_review', 'done', 'cancelled'];
    const ALLOWED = [
      'backlog>todo',
      'todo>in_progress',
      'in_progress>in_review',
      'in_review>done',
      'todo>backlog',
      'in_progress>todo',
      'in_review>in_progress',
      'backlog>cancelled',
      'todo>cancelled',
      'in_progress>cancelled',
      'in_review>cancelled',
      'done>in_progress',
      'cancelled>backlog',
    ];

    it('allows exactly the transitions of the machine (backlog straight to done is refused)', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const outcomes: Record<string, boolean> = {};
        for (const from of STATUSES) {
          for (const to of STATUSES.filter((s) => s !== from)) {
            // A task starts in any status; only changes follow the machine.
            const task = await newTask(client, project.id, { status: from });
            const code = await sqlState(client, 'update tasks set status = $1 where id = $2', [to, task.id]);
            expect({ transition: `${from}>${to}`, code: code === null || code === '23514' ? 'ok' : code }).toEqual({
              transition: `${from}>${to}`,
              code: 'ok',
            });
            outcomes[`${from}>${to}`] = code === null;
            expect((await taskRow(client, task.id)).status).toBe(code === null ? to : from);
          }
        }
        expect(
          Object.keys(outcomes)
            .filter((t) => outcomes[t])
            .sort(),
        ).toEqual([...ALLOWED].sort());
        expect(outcomes['backlog>done']).toBe(false);
      });
    });

    it('sets started_at when work first starts, completed_at while done, and clears completed_at on reopening', async () => {
      const project = await actingAs(app, orgId, users.member, (client) => newProject(client), { commit: true });
      const task = await actingAs(app, orgId, users.member, (client) => newTask(client, project.id), { commit: true });
      expect(task).toMatchObject({ status: 'backlog', started_at: null, completed_at: null });
      // One transaction per step, so now() differs between them.
      const step = (status: string) =>
        actingAs(
          app,
          orgId,
          users.member,
          async (client) => {
            await client.query('update tasks set status = $1 where id = $2', [status, task.id]);
            return {
              row: await taskRow(client, task.id),
              now: (await client.query('select now() as now')).rows[0].now as Date,
            };
          },
          { commit: true },
        );

      expect((await step('todo')).row).toMatchObject({ started_at: null, completed_at: null });
      const started = await step('in_progress');
      expect(started.row.started_at).toEqual(started.now);
      expect(started.row.completed_at).toBeNull();
      expect((await step('in_review')).row).toMatchObject({ started_at: started.now, completed_at: null });
      const done = await step('done');
      expect(done.row).toMatchObject({ started_at: started.now, completed_at: done.now });
      // Reopened: no longer completed, still started when it first started.
      expect((await step('in_progress')).row).toMatchObject({ started_at: started.now, completed_at: null });
      const doneAgain = await step('in_review').then(() => step('done'));
      expect(doneAgain.row).toMatchObject({ started_at: started.now, completed_at: doneAgain.now });
      expect(doneAgain.now.getTime()).toBeGreaterThan(done.now.getTime());

      await actingAs(app, orgId, users.member, async (client) => {
        // The app cannot write the timestamps itself.
        expect(await sqlState(client, 'update tasks set completed_at = now() where id = $1', [task.id])).toBe('42501');
        expect(await sqlState(client, 'update tasks set started_at = null where id = $1', [task.id])).toBe('42501');
        // A task created as done is completed and started at once.
        const created = await newTask(client, project.id, { status: 'done' });
        const now = (await client.query('select now() as now')).rows[0].now;
        expect(created).toMatchObject({ started_at: now, completed_at: now });
      });
    });
  });

  describe('subtasks', () => {
    it('nests subtasks at most 3 levels deep and maintains depth', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const top = await newTask(client, project.id, { depth: 3 }); // depth is the database's, whatever the insert says
        const sub = await newTask(client, project.id, { parent_task_id: top.id });
        const subSub = await newTask(client, project.id, { parent_task_id: sub.id });
        expect([top.depth, sub.depth, subSub.depth]).toEqual([1, 2, 3]);
        expect(
          await insertState(client, 'tasks', {
            organization_id: orgId,
            project_id: project.id,
            title: 'too deep',
            parent_task_id: subSub.id,
          }),
        ).toBe('23514');
        const leaf = await newTask(client, project.id);
        expect(await sqlState(client, 'update tasks set parent_task_id = $1 where id = $2', [subSub.id, leaf.id])).toBe(
          '23514',
        );
        expect((await taskRow(client, leaf.id)).depth).toBe(1);
      });
    });

    it('refuses cycles: a task under itself or under one of its own subtasks', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const a = await newTask(client, project.id);
        const b = await newTask(client, project.id, { parent_task_id: a.id });
        const c = await newTask(client, project.id, { parent_task_id: b.id });
        expect(await sqlState(client, 'update tasks set parent_task_id = id where id = $1', [a.id])).toBe('23514');
        expect(await sqlState(client, 'update tasks set parent_task_id = $1 where id = $2', [c.id, a.id])).toBe(
          '23514',
        );
        expect(await sqlState(client, 'update tasks set parent_task_id = $1 where id = $2', [b.id, a.id])).toBe(
          '23514',
        );
        expect((await taskRow(client, a.id)).parent_task_id).toBeNull();
      });
    });

    it('moves a subtree with its depths, and refuses a move that would nest it deeper than 3', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const a = await newTask(client, project.id);
        const b = await newTask(client, project.id, { parent_task_id: a.id });
        const c = await newTask(client, project.id, { parent_task_id: b.id });
        const d = await newTask(client, project.id);
        const e = await newTask(client, project.id);
        const f = await newTask(client, project.id, { parent_task_id: e.id });
        const depths = async () =>
          Object.fromEntries(
            (
              await client.query('select id, depth from tasks where id = any($1::uuid[])', [
                [a.id, b.id, c.id, d.id, e.id, f.id],
              ])
            ).rows.map((r) => [r.id, r.depth]),
          );

        // b (with c) to the top level: 1 and 2.
        await client.query('update tasks set parent_task_id = null where id = $1', [b.id]);
        expect(await depths()).toEqual({
          [a.id as string]: 1,
          [b.id as string]: 1,
          [c.id as string]: 2,
          [d.id as string]: 1,
          [e.id as string]: 1,
          [f.id as string]: 2,
        });
        // b (with c) under d: 2 and 3.
        await client.query('update tasks set parent_task_id = $1 where id = $2', [d.id, b.id]);
        expect(await depths()).toMatchObject({ [b.id as string]: 2, [c.id as string]: 3 });
        // b (two levels) under f (depth 2) would put c at depth 4.
        expect(await sqlState(client, 'update tasks set parent_task_id = $1 where id = $2', [f.id, b.id])).toBe(
          '23514',
        );
        // d (three levels) under e would put c at depth 4.
        expect(await sqlState(client, 'update tasks set parent_task_id = $1 where id = $2', [e.id, d.id])).toBe(
          '23514',
        );
        // c alone under f fits (depth 3).
        await client.query('update tasks set parent_task_id = $1 where id = $2', [f.id, c.id]);
        expect(await depths()).toMatchObject({ [b.id as string]: 2, [c.id as string]: 3 });
      });
    });

    it('keeps depth consistent with the parent when the app writes it directly', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const top = await newTask(client, project.id);
        const sub = await newTask(client, project.id, { parent_task_id: top.id });
        const leaf = await newTask(client, project.id);
        for (const [task, depth] of [
          [top, 2],
          [sub, 3],
          [sub, 1],
          [leaf, 2],
          [leaf, 3],
        ] as const) {
          const code = await sqlState(client, 'update tasks set depth = $1 where id = $2', [depth, task.id]);
          // Refused or undone, but never stored.
          expect([null, '42501', '23514']).toContain(code);
        }
        expect([
          (await taskRow(client, top.id)).depth,
          (await taskRow(client, sub.id)).depth,
          (await taskRow(client, leaf.id)).depth,
        ]).toEqual([1, 2, 1]);
      });
    });
  });

  describe('private projects', () => {
    let privateProject: { id: string };
    let publicProject: { id: string };
    let privateTask: { id: string };
    let privateComment: string;

    beforeAll(async () => {
      privateProject = await createProject(db, orgId, users.owner, { visibility: 'private' });
      publicProject = await createProject(db, orgId, users.owner);
      await withTenant(db, { organizationId: orgId, userId: users.owner }, async (trx) => {
        await trx
          .insertInto('project_members')
          .values({ organization_id: orgId, project_id: privateProject.id, user_id: users.lead, role: 'lead' })
          .execute();
        const sprint = await trx
          .insertInto('sprints')
          .values({
            organization_id: orgId,
            project_id: privateProject.id,
            name: 'Secret sprint',
            start_date: '2026-05-01',
            end_date: '2026-05-15',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('milestones')
          .values({ organization_id: orgId, project_id: privateProject.id, title: 'Secret milestone' })
          .execute();
        privateTask = await createTask(trx, orgId, privateProject.id, {
          sprint_id: sprint.id,
          assignee_id: users.lead,
        });
        privateComment = (
          await trx
            .insertInto('task_comments')
            .values({ organization_id: orgId, task_id: privateTask.id, author_id: users.lead, body: 'secret' })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
        await createTask(trx, orgId, publicProject.id);
      });
    });

    /** How many rows of the private project each table shows to the acting user. */
    const visibleCounts = async (client: pg.PoolClient) => {
      const count = async (text: string, id: string) => (await client.query(text, [id])).rows[0].n as number;
      return {
        projects: await count('select count(*)::int as n from projects where id = $1', privateProject.id),
        tasks: await count('select count(*)::int as n from tasks where project_id = $1', privateProject.id),
        sprints: await count('select count(*)::int as n from sprints where project_id = $1', privateProject.id),
        milestones: await count('select count(*)::int as n from milestones where project_id = $1', privateProject.id),
        projectMembers: await count(
          'select count(*)::int as n from project_members where project_id = $1',
          privateProject.id,
        ),
        comments: await count('select count(*)::int as n from task_comments where task_id = $1', privateTask.id),
        activity: await count('select count(*)::int as n from task_activity where task_id = $1', privateTask.id),
      };
    };
    const everything = {
      projects: 1,
      tasks: 1,
      sprints: 1,
      milestones: 1,
      projectMembers: 1,
      comments: 1,
      activity: expect.any(Number),
    };
    const nothing = { projects: 0, tasks: 0, sprints: 0, milestones: 0, projectMembers: 0, comments: 0, activity: 0 };

    for (const role of ['member', 'viewer'] as const) {
      it(`hides a private project and everything in it from a ${role} who is not in it, and refuses changes to it`, async () => {
        await actingAs(app, orgId, users[role], async (client) => {
          expect(await visibleCounts(client)).toEqual(nothing);
          // Public projects stay visible.
          expect(
            (await client.query('select count(*)::int as n from tasks where project_id = $1', [publicProject.id]))
              .rows[0].n,
          ).toBe(1);

          const touched = async (text: string, values: unknown[]) => (await client.query(text, values)).rowCount;
          expect(await touched("update projects set name = 'taken over' where id = $1", [privateProject.id])).toBe(0);
          expect(await touched("update tasks set title = 'taken over' where id = $1", [privateTask.id])).toBe(0);
          expect(
            await touched("update sprints set name = 'taken over' where project_id = $1", [privateProject.id]),
          ).toBe(0);
          expect(
            await touched("update milestones set title = 'taken over' where project_id = $1", [privateProject.id]),
          ).toBe(0);
          expect(await touched("update task_comments set body = 'taken over' where id = $1", [privateComment])).toBe(0);
          expect(await touched('delete from project_members where project_id = $1', [privateProject.id])).toBe(0);
          expect(await touched('delete from sprints where project_id = $1', [privateProject.id])).toBe(0);
          // Nor can they add to it, or let themselves in.
          expect(
            await insertState(client, 'tasks', {
              organization_id: orgId,
              project_id: privateProject.id,
              title: 'sneaky',
            }),
          ).toBe('42501');
          expect(
            await insertState(client, 'task_comments', {
              organization_id: orgId,
              task_id: privateTask.id,
              author_id: users[role],
              body: 'sneaky',
            }),
          ).toBe('42501');
          expect(
            await insertState(client, 'project_members', {
              organization_id: orgId,
              project_id: privateProject.id,
              user_id: users[role],
            }),
          ).toBe('42501');
          expect(
            await insertState(client, 'sprints', {
              organization_id: orgId,
              project_id: privateProject.id,
              name: 'sneaky',
              start_date: '2027-01-01',
              end_date: '2027-01-02',
            }),
          ).toBe('42501');
        });
        // Nothing changed.
        const unchanged = await withTenant(db, { organizationId: orgId, userId: null }, (trx) =>
          trx.selectFrom('tasks').select(['title']).where('id', '=', privateTask.id).executeTakeFirstOrThrow(),
        );
        expect(unchanged.title).not.toBe('taken over');
      });
    }

    it('shows a private project and everything in it to its members, who may change it', async () => {
      await actingAs(app, orgId, users.lead, async (client) => {
        expect(await visibleCounts(client)).toEqual(everything);
        expect(
          (await client.query("update tasks set title = 'renamed by the lead' where id = $1", [privateTask.id]))
            .rowCount,
        ).toBe(1);
        await insert(client, 'task_comments', {
          organization_id: orgId,
          task_id: privateTask.id,
          author_id: users.lead,
          body: 'from the lead',
        });
        expect(
          (await client.query("update projects set description = 'lead was here' where id = $1", [privateProject.id]))
            .rowCount,
        ).toBe(1);
      });
    });

    for (const role of ['owner', 'admin'] as const) {
      it(`shows every private project to an ${role} (projects:read_private), member of it or not`, async () => {
        await actingAs(app, orgId, users[role], async (client) => {
          expect(
            (await client.query("select 'projects:read_private' = any(app.current_permissions()) as holds")).rows[0]
              .holds,
          ).toBe(true);
          expect(await visibleCounts(client)).toEqual(everything);
          expect(
            (await client.query("update tasks set title = 'renamed' where id = $1", [privateTask.id])).rowCount,
          ).toBe(1);
        });
      });
    }

    it('hides it again from a member who is taken off it, and shows it to one who is added', async () => {
      await actingAs(app, orgId, users.admin, async (client) => {
        await client.query('delete from project_members where project_id = $1 and user_id = $2', [
          privateProject.id,
          users.lead,
        ]);
        await insert(client, 'project_members', {
          organization_id: orgId,
          project_id: privateProject.id,
          user_id: users.member,
        });
        // The acting user switches within the transaction, as the next request would.
        await client.query("select set_config('app.current_user_id', $1, true)", [users.lead]);
        expect(await visibleCounts(client)).toEqual(nothing);
        await client.query("select set_config('app.current_user_id', $1, true)", [users.member]);
        expect(await visibleCounts(client)).toEqual(everything);
      });
    });
  });

  describe('task activity', () => {
    it('records creation, status changes, assignment, moves, edits, deletion and comments, with the actor', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const parent = await newTask(client, project.id);
        const task = await newTask(client, project.id);
        await client.query("update tasks set status = 'todo' where id = $1", [task.id]);
        await client.query('update tasks set assignee_id = $1 where id = $2', [users.lead, task.id]);
        await client.query('update tasks set assignee_id = null where id = $1', [task.id]);
        await client.query('update tasks set parent_task_id = $1 where id = $2', [parent.id, task.id]);
        await client.query("update tasks set title = 'Renamed', priority = 'high' where id = $1", [task.id]);
        await client.query('update tasks set title = title where id = $1', [task.id]); // no change, no entry
        const comment = await insert(client, 'task_comments', {
          organization_id: orgId,
          task_id: task.id,
          author_id: users.member,
          body: 'First!',
        });
        await client.query("update task_comments set body = 'Second.', edited_at = now() where id = $1", [comment.id]);
        await client.query('update task_comments set deleted_at = now() where id = $1', [comment.id]);
        await client.query('update tasks set deleted_at = now() where id = $1', [task.id]);
        await client.query('update tasks set deleted_at = null where id = $1', [task.id]);

        const { rows } = await client.query(
          'select action, changes, actor_user_id from task_activity where task_id = $1 order by created_at, id',
          [task.id],
        );
        expect(rows.map((r) => r.action)).toEqual([
          'created',
          'status_changed',
          'assigned',
          'assigned',
          'moved',
          'updated',
          'commented',
          'comment_edited',
          'comment_deleted',
          'deleted',
          'restored',
        ]);
        expect(new Set(rows.map((r) => r.actor_user_id))).toEqual(new Set([users.member]));
        const [created, status, assigned, unassigned, moved, updated, commented] = rows.map((r) => r.changes);
        expect(created.after).toMatchObject({ title: task.title, status: 'backlog', project_id: project.id });
        expect(status).toEqual({ before: { status: 'backlog' }, after: { status: 'todo' } });
        expect(assigned).toEqual({ before: { assignee_id: null }, after: { assignee_id: users.lead } });
        expect(unassigned).toEqual({ before: { assignee_id: users.lead }, after: { assignee_id: null } });
        expect(moved).toEqual({ before: { parent_task_id: null }, after: { parent_task_id: parent.id } });
        expect(updated).toEqual({
          before: { title: task.title, priority: 'medium' },
          after: { title: 'Renamed', priority: 'high' },
        });
        expect(commented).toEqual({ commentId: comment.id });
      });
    });

    it('records a move to another project', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const other = await newProject(client);
        const task = await newTask(client, project.id);
        await client.query('update tasks set project_id = $1 where id = $2', [other.id, task.id]);
        const { rows } = await client.query(
          'select action, changes from task_activity where task_id = $1 order by created_at, id',
          [task.id],
        );
        expect(rows).toEqual([
          { action: 'created', changes: expect.anything() },
          { action: 'moved', changes: { before: { project_id: project.id }, after: { project_id: other.id } } },
        ]);
      });
    });

    it('is written only by the database: the app role can neither insert, change nor delete activity', async () => {
      await actingAs(app, orgId, users.member, async (client) => {
        const project = await newProject(client);
        const task = await newTask(client, project.id);
        expect(
          await insertState(client, 'task_activity', { organization_id: orgId, task_id: task.id, action: 'created' }),
        ).toBe('42501');
        expect(await sqlState(client, "update task_activity set action = 'forged' where task_id = $1", [task.id])).toBe(
          '42501',
        );
        expect(await sqlState(client, 'delete from task_activity where task_id = $1', [task.id])).toBe('42501');
        expect(await sqlState(client, 'truncate task_activity')).toBe('42501');
        const { rows } = await client.query('select action from task_activity where task_id = $1', [task.id]);
        expect(rows).toEqual([{ action: 'created' }]);
      });
    });
  });
});
