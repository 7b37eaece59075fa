import type pg from 'pg';

/** The size of a benchmark dataset. Every organization gets the same shape. */
export interface DatasetSize {
  organizations: number;
  usersPerOrganization: number;
  projectsPerOrganization: number;
  tasksPerProject: number;
}

export const taskCount = (size: DatasetSize) =>
  size.organizations * size.projectsPerOrganization * size.tasksPerProject;

/** Who the benchmark signs in as: user 1 of organization i is its owner. */
export const benchEmail = (organization: number, user: number) => `u${user}@bench-${organization}.test`;
export const benchSlug = (organization: number) => `bench-${organization}`;

/**
 * Fills an empty, migrated database with `size`, generated in SQL (generate_series), as the
 * cluster's superuser in one transaction. The per-row triggers (audit log, task activity, member
 * and status checks) are off for the load (`session_replication_role = replica`): the rows are
 * generated consistent, and a million audit entries would only measure the load itself. The
 * tasks' secondary indexes are dropped for the load and rebuilt from their own definitions.
 *
 * Tasks: statuses and priorities cycle, assignees go round the organization's members (every
 * 10th task unassigned), creation times spread over a year, every 3rd task has a due date.
 */
export async function seedBenchData(client: pg.Client, size: DatasetSize, passwordHash: string): Promise<void> {
  await client.query('begin');
  try {
    await client.query("set local session_replication_role = replica; set local maintenance_work_mem = '256MB'");
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(`
      select i.relname as name, pg_get_indexdef(x.indexrelid) as definition
        from pg_index x join pg_class i on i.oid = x.indexrelid
       where x.indrelid = 'public.tasks'::regclass
         and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)`);
    for (const index of indexes) await client.query(`drop index public.${client.escapeIdentifier(index.name)}`);

    const { organizations, usersPerOrganization, projectsPerOrganization, tasksPerProject } = size;
    for (const n of [organizations, usersPerOrganization, projectsPerOrganization, tasksPerProject]) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`dataset sizes must be positive integers, got ${n}`);
    }
    await client.query(`
      create temp table bench_orgs on commit drop as
        select i, gen_random_uuid() as id from generate_series(1, ${organizations}) i;
      create temp table bench_users on commit drop as
        select o.i as org, j, gen_random_uuid() as id from bench_orgs o cross join generate_series(1, ${usersPerOrganization}) j;
      create temp table bench_projects on commit drop as
        select o.i as org, o.id as organization_id, k, gen_random_uuid() as id
          from bench_orgs o cross join generate_series(1, ${projectsPerOrganization}) k;
      insert into organizations (id, name, slug, email, plan_tier, seats_total)
      select id, 'Bench organization ' || i, 'bench-' || i, 'hello@bench-' || i || '.test', 'enterprise', 1000 from bench_orgs;
    `);
    await client.query(
      `
      insert into users (id, email, username, password_hash, first_name, last_name)
      select id, 'u' || j || '@bench-' || org || '.test', 'u_' || org || '_' || j, $1, 'User' || j, 'Org' || org from bench_users`,
      [passwordHash],
    );
    await client.query(`
      insert into memberships (organization_id, user_id, role, status, joined_at)
      select o.id, u.id, case when u.j = 1 then 'owner' else 'member' end, 'active', now() - interval '400 days' + u.j * interval '1 hour'
        from bench_users u join bench_orgs o on o.i = u.org;
      insert into projects (organization_id, id, name, slug, description, owner_id, created_at)
      select p.organization_id, p.id, 'Project ' || lpad(p.k::text, 4, '0'), 'project-' || p.k, 'A benchmark project', u.id,
             now() - interval '400 days' + p.k * interval '1 minute'
        from bench_projects p join bench_users u on u.org = p.org and u.j = 1;
    `);
    // Assignees by index into the organization's members (the owner first); the owner reports.
    // started_at / completed_at as the status trigger would set them.
    await client.query(`
      insert into tasks (organization_id, project_id, title, description, type, status, priority, assignee_id, reporter_id,
                         story_points, due_date, started_at, completed_at, created_at, updated_at)
      select p.organization_id, p.id, 'Task ' || p.k || '.' || n, '',
             (array['task', 'bug', 'feature', 'task'])[1 + n % 4],
             s.status,
             (array['low', 'medium', 'high', 'urgent'])[1 + (n * 7 + p.k) % 4],
             case when n % 10 = 0 then null else us.ids[1 + (n + p.k) % cardinality(us.ids)] end,
             us.ids[1],
             (array[1, 2, 3, 5, 8, 13])[1 + n % 6],
             case when n % 3 = 0 then now() + (n % 90) * interval '1 day' end,
             case when s.status in ('in_progress', 'in_review', 'done') then s.ts + interval '1 day' end,
             case when s.status = 'done' then s.ts + interval '2 days' end,
             s.ts, s.ts
        from bench_projects p
        join (select org, array_agg(id order by j) as ids from bench_users group by org) us on us.org = p.org
        cross join generate_series(1, ${tasksPerProject}) n
        cross join lateral (select (array['backlog', 'todo', 'in_progress', 'in_review', 'done', 'cancelled'])[1 + (n + p.k) % 6] as status,
                                   now() - interval '365 days' + (random() * 364) * interval '1 day' as ts) s`);
    for (const index of indexes) await client.query(index.definition);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
  for (const table of ['organizations', 'users', 'memberships', 'projects', 'tasks'])
    await client.query(`vacuum analyze ${table}`);
}
