import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { createKysely, createPool, withTenant } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../db/migrations';
import type { Database } from '../../src/db/schema';
import { DEMO_USERS, seedDemoData } from '../../db/seed/demo';
import { WORK_DEMO_PROJECTS } from '../../db/seed/work';
import { createScratchDatabase } from '../support/scratch-database';
import { closeTestPools, ownerDb, testPool, testUrls } from '../support/db';

type Person = keyof typeof DEMO_USERS;
type Ids = { orgs: Record<'acme' | 'globex', string>; users: Record<Person, string> };

/** The ids of the demo organizations and people, read by a superuser (which RLS does not bind). */
async function demoIds(superuser: pg.Pool): Promise<Ids> {
  const users = (await superuser.query<{ id: string; email: string }>('select id, email from users')).rows;
  const orgs = (await superuser.query<{ id: string; slug: string }>('select id, slug from organizations')).rows;
  const user = (key: Person) => users.find((u) => u.email === DEMO_USERS[key])!.id;
  const org = (slug: string) => orgs.find((o) => o.slug === slug)!.id;
  return {
    orgs: { acme: org('acme'), globex: org('globex') },
    users: { alice: user('alice'), bob: user('bob'), carol: user('carol'), dave: user('dave') },
  };
}

describe('demo data (seedDemoData)', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Kysely<Database>;
  let superuser: pg.Pool;
  let app: pg.Pool;
  let ids: Ids;
  let seededMs: number;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    db = createKysely(createPool(scratch.ownerUrl, { max: 2, applicationName: 'jest-seed' }));
    superuser = new pg.Pool({ connectionString: scratch.superuserUrl, max: 1 });
    app = new pg.Pool({ connectionString: roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name), max: 2 });
    await migrateToLatest(db, migrations);
    const started = performance.now();
    expect(await seedDemoData(db)).toBe(true);
    seededMs = performance.now() - started;
    ids = await demoIds(superuser);
  }, 120_000);

  afterAll(async () => {
    await db?.destroy();
    await app?.end();
    await superuser?.end();
    await scratch?.drop();
    await closeTestPools();
  });

  /** Runs a query as the app role, signed in as `user` in `org` (as a request would), then rolls back. */
  async function asApp<T extends pg.QueryResultRow>(
    org: string,
    user: string,
    text: string,
    values: unknown[] = [],
  ): Promise<T[]> {
    const client = await app.connect();
    try {
      await client.query('begin');
      await client.query(
        "select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true)",
        [org, user],
      );
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.query('rollback');
      client.release();
    }
  }

  /** Runs `fn` as the owner role acting for `org` (RLS keeps it to that tenant; private projects included). */
  const inTenant = <T>(org: string, fn: (trx: Kysely<Database>) => Promise<T>) =>
    withTenant(db, { organizationId: org, userId: null }, fn);

  it('loads in bulk, quickly', () => {
    // Everything (users with their password hash, 6 projects, 400 tasks, ~300 comments) takes about 0.4 s.
    expect(seededMs).toBeLessThan(10_000);
  });

  it('gives acme four projects (one private) and a few hundred tasks, most of them assigned', async () => {
    await inTenant(ids.orgs.acme, async (trx) => {
      const projects = await trx
        .selectFrom('projects')
        .select(['name', 'visibility', 'settings', 'owner_id', 'created_by'])
        .orderBy('name')
        .execute();
      expect(projects.map((p) => [p.name, p.visibility])).toEqual([
        ['Mobile App', 'public'],
        ['Platform API', 'public'],
        ['Security review', 'private'],
        ['Website Redesign', 'public'],
      ]);
      for (const p of projects) {
        expect(p.settings.features.length).toBeGreaterThan(0);
        expect([p.owner_id, p.created_by]).toEqual([ids.users.alice, ids.users.alice]);
      }
      const {
        rows: [counts],
      } = await sql<{ tasks: number; assigned: number; comments: number }>`
        select (select count(*) from tasks)::int as tasks,
               (select count(*) from tasks where assignee_id is not null)::int as assigned,
               (select count(*) from task_comments)::int as comments`.execute(trx);
      expect(counts!.tasks).toBe(300);
      expect(counts!.assigned).toBeGreaterThanOrEqual(200);
      expect(counts!.comments).toBeGreaterThan(50);
    });
  });

  it('gives globex two projects with tasks, written by bob', async () => {
    await inTenant(ids.orgs.globex, async (trx) => {
      const projects = await trx.selectFrom('projects').select(['name', 'owner_id']).orderBy('name').execute();
      expect(projects).toEqual([
        { name: 'Customer Portal', owner_id: ids.users.bob },
        { name: 'Data Warehouse Migration', owner_id: ids.users.bob },
      ]);
      const tasks = await trx.selectFrom('tasks').select(['created_by', 'assignee_id', 'reporter_id']).execute();
      expect(tasks).toHaveLength(100);
      expect(new Set(tasks.map((t) => t.created_by))).toEqual(new Set([ids.users.bob]));
      expect(new Set(tasks.map((t) => t.assignee_id))).toEqual(new Set([ids.users.bob, ids.users.carol, null]));
      // carol is a viewer in globex: she is assigned work, but reports no task and writes no comment.
      expect(new Set(tasks.map((t) => t.reporter_id))).toEqual(new Set([ids.users.bob]));
      const authors = await trx.selectFrom('task_comments').select('author_id').distinct().execute();
      expect(authors).toEqual([{ author_id: ids.users.bob }]);
    });
  });

  it('assigns only people who may sign in, and private work only to the private project’s members', async () => {
    await inTenant(ids.orgs.acme, async (trx) => {
      const assignees = await trx
        .selectFrom('tasks')
        .select('assignee_id')
        .distinct()
        .where('assignee_id', 'is not', null)
        .execute();
      expect(new Set(assignees.map((a) => a.assignee_id))).toEqual(new Set([ids.users.alice, ids.users.carol]));
      const privateWork = await trx
        .selectFrom('tasks as t')
        .innerJoin('projects as p', 'p.id', 't.project_id')
        .where('p.visibility', '=', 'private')
        .select(['t.assignee_id', 't.reporter_id'])
        .execute();
      expect(privateWork).toHaveLength(40);
      for (const t of privateWork) {
        expect([ids.users.alice, null]).toContain(t.assignee_id);
        expect(t.reporter_id).toBe(ids.users.alice);
      }
      const members = await trx
        .selectFrom('project_members as m')
        .innerJoin('projects as p', 'p.id', 'm.project_id')
        .where('p.visibility', '=', 'private')
        .select(['m.user_id', 'm.role'])
        .execute();
      expect(members).toEqual([{ user_id: ids.users.alice, role: 'lead' }]);
    });
  });

  it('hides the private project from carol (a member of acme) but not from alice', async () => {
    const names = async (org: string, user: string) =>
      (await asApp<{ name: string }>(org, user, 'select name from projects order by name')).map((p) => p.name);
    expect(await names(ids.orgs.acme, ids.users.carol)).toEqual(['Mobile App', 'Platform API', 'Website Redesign']);
    expect(await names(ids.orgs.acme, ids.users.alice)).toEqual([
      'Mobile App',
      'Platform API',
      'Security review',
      'Website Redesign',
    ]);
    const [carolTasks] = await asApp<{ n: number }>(
      ids.orgs.acme,
      ids.users.carol,
      'select count(*)::int as n from tasks',
    );
    expect(carolTasks!.n).toBe(300 - 40);
    const [aliceTasks] = await asApp<{ n: number }>(
      ids.orgs.acme,
      ids.users.alice,
      'select count(*)::int as n from tasks',
    );
    expect(aliceTasks!.n).toBe(300);
    // In globex carol (a viewer) sees both projects.
    expect(await names(ids.orgs.globex, ids.users.carol)).toEqual(['Customer Portal', 'Data Warehouse Migration']);
  });

  it('gives every project a completed, an active (holding today) and a planned sprint that never overlap, and two milestones', async () => {
    const today = new Date().toISOString().slice(0, 10);
    for (const slug of ['acme', 'globex'] as const) {
      await inTenant(ids.orgs[slug], async (trx) => {
        const sprints = await trx
          .selectFrom('sprints')
          .select(['project_id', 'status', 'start_date', 'end_date'])
          .orderBy('project_id')
          .orderBy('start_date')
          .execute();
        const projectIds = [...new Set(sprints.map((s) => s.project_id))];
        expect(projectIds).toHaveLength(WORK_DEMO_PROJECTS[slug]!.length);
        for (const projectId of projectIds) {
          const list = sprints.filter((s) => s.project_id === projectId);
          expect(list.map((s) => s.status)).toEqual(['completed', 'active', 'planned']);
          expect(list[1]!.start_date <= today && today <= list[1]!.end_date).toBe(true);
        }
        // Not even a shared day, counting both ends.
        const {
          rows: [overlaps],
        } = await sql<{ n: number }>`
          select count(*)::int as n from sprints a join sprints b on a.project_id = b.project_id and a.id < b.id
           where daterange(a.start_date, a.end_date, '[]') && daterange(b.start_date, b.end_date, '[]')`.execute(trx);
        expect(overlaps!.n).toBe(0);
        const milestones = await trx.selectFrom('milestones').select(['project_id', 'due_date']).execute();
        expect(milestones).toHaveLength(2 * projectIds.length);
        expect(milestones.every((m) => m.due_date !== null && m.due_date >= today)).toBe(true);
      });
    }
  });

  it('spreads tasks over statuses, types, priorities, points, tags, sprints and subtask levels', async () => {
    await inTenant(ids.orgs.acme, async (trx) => {
      const tasks = await trx.selectFrom('tasks').selectAll().execute();
      const distinct = <K extends keyof (typeof tasks)[number]>(key: K) => new Set(tasks.map((t) => t[key]));
      expect(distinct('status')).toEqual(new Set(['backlog', 'todo', 'in_progress', 'in_review', 'done', 'cancelled']));
      expect(distinct('type')).toEqual(new Set(['task', 'bug', 'feature', 'epic']));
      expect(distinct('priority')).toEqual(new Set(['low', 'medium', 'high', 'urgent']));
      expect(distinct('depth')).toEqual(new Set([1, 2, 3]));
      expect(tasks.filter((t) => t.depth === 3).length).toBeGreaterThanOrEqual(3);
      expect(distinct('story_points').size).toBeGreaterThan(5);
      expect(tasks.filter((t) => t.tags.length > 0).length).toBeGreaterThan(150);
      expect(tasks.filter((t) => t.sprint_id !== null).length).toBeGreaterThan(150);
      expect(tasks.filter((t) => t.milestone_id !== null).length).toBeGreaterThan(100);
      expect(tasks.filter((t) => t.due_date !== null).length).toBeGreaterThan(100);
      const now = Date.now() + 1000;
      for (const t of tasks) {
        // Started work has started_at, done work completed_at after it; nothing happens in the future.
        expect(t.started_at !== null).toBe(['in_progress', 'in_review', 'done'].includes(t.status));
        expect(t.completed_at !== null).toBe(t.status === 'done');
        if (t.completed_at) expect(t.completed_at.getTime()).toBeGreaterThanOrEqual(t.started_at!.getTime());
        if (t.started_at) expect(t.started_at.getTime()).toBeGreaterThanOrEqual(t.created_at.getTime());
        expect(t.created_at.getTime()).toBeLessThanOrEqual(now);
      }
      // The audit log and the task activity name alice, the owner, as the actor of the work data.
      const {
        rows: [audit],
      } = await sql<{ actors: string[]; tasks: number }>`
        select array_agg(distinct actor_user_id) as actors, (count(*) filter (where resource_type = 'task'))::int as tasks
          from audit_log
         where resource_type in ('project', 'project_member', 'sprint', 'milestone', 'task', 'task_comment')`.execute(
        trx,
      );
      expect(audit).toEqual({ actors: [ids.users.alice], tasks: 300 });
      const {
        rows: [activity],
      } = await sql<{
        actors: string[];
      }>`select array_agg(distinct actor_user_id) as actors from task_activity`.execute(trx);
      expect(activity!.actors).toEqual([ids.users.alice]);
    });
  });

  it('is the same every time: the shared test database, seeded by the same code, has the same tasks', async () => {
    const fingerprint = (trx: Kysely<Database>) =>
      trx
        .selectFrom('tasks as t')
        .innerJoin('projects as p', 'p.id', 't.project_id')
        .select(['p.slug', 't.title', 't.type', 't.priority', 't.story_points', 't.tags', 't.depth'])
        .orderBy('p.slug')
        .orderBy('t.title')
        .orderBy('t.depth')
        .orderBy('t.priority')
        .execute();
    const shared = await demoIds(testPool('superuser', 1));
    const theirs = await withTenant(ownerDb(), { organizationId: shared.orgs.acme, userId: null }, fingerprint);
    expect(await inTenant(ids.orgs.acme, fingerprint)).toEqual(theirs);
  });

  it('loads nothing when organizations exist (a second start)', async () => {
    expect(await seedDemoData(db)).toBe(false);
    const { rows } = await superuser.query<{ orgs: number; projects: number; tasks: number }>(`
      select (select count(*) from organizations)::int as orgs, (select count(*) from projects)::int as projects,
             (select count(*) from tasks)::int as tasks`);
    expect(rows[0]).toEqual({ orgs: 2, projects: 6, tasks: 400 });
  });
});
