import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { withTenant } from '../../src/db/database';
import type { Database, MembershipRole, UserRow } from '../../src/db/schema';
import {
  addMember,
  createOrganization,
  createProject,
  createTask,
  createUser,
  seedTenantRows,
} from '../support/factories';

/** One organization of the fuzz world and the people who act in it. */
export interface FuzzOrg {
  id: string;
  slug: string;
  owner: UserRow;
  member: UserRow;
  viewer: UserRow;
}

export interface FuzzWorld {
  orgs: FuzzOrg[];
  /** A member of orgs[0] and a viewer in orgs[1] (like the demo's carol): not a leak in either. */
  shared: UserRow;
}

const token = () => crypto.randomUUID().slice(0, 8);

/**
 * `count` organizations, each with rows in every tenant table (seedTenantRows) plus an owner, a
 * member and a viewer, a public and a private project with tagged tasks, a subtask, a deleted
 * task and a deleted project. Every name carries a random token, so it belongs to one organization.
 */
export async function seedFuzzWorld(db: Kysely<Database>, count = 3): Promise<FuzzWorld> {
  const orgs: FuzzOrg[] = [];
  for (let i = 0; i < count; i++) {
    const org = await createOrganization(db, { name: `Fuzz org ${i} ${token()}` });
    await seedTenantRows(db, org.id);
    const people = {} as Record<'owner' | 'member' | 'viewer', UserRow>;
    for (const role of ['owner', 'member', 'viewer'] as const satisfies readonly MembershipRole[]) {
      people[role] = await createUser(db, { firstName: `Fz${i}${role}${token()}` });
      await addMember(db, org.id, people[role].id, { role });
    }
    const tag = (n: number) => `fz${i}-tag${n}-${token()}`;
    const tags = [tag(1), tag(2), tag(3)];
    for (const visibility of ['public', 'private'] as const) {
      const project = await createProject(db, org.id, people.owner.id, {
        name: `Fz${i} ${visibility} project ${token()}`,
        visibility,
        description: `Fz${i} about ${token()}`,
      });
      await withTenant(db, { organizationId: org.id, userId: people.owner.id }, async (trx) => {
        await trx
          .insertInto('project_members')
          .values({ organization_id: org.id, project_id: project.id, user_id: people.member.id })
          .execute();
        const sprint = await trx
          .insertInto('sprints')
          .values({
            organization_id: org.id,
            project_id: project.id,
            name: `Fz${i} sprint ${token()}`,
            goal: `Fz${i} goal ${token()}`,
            start_date: '2026-02-01',
            end_date: '2026-02-15',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const milestone = await trx
          .insertInto('milestones')
          .values({ organization_id: org.id, project_id: project.id, title: `Fz${i} milestone ${token()}` })
          .returning('id')
          .executeTakeFirstOrThrow();
        const parent = await createTask(trx, org.id, project.id, {
          title: `Fz${i} task ${token()}`,
          tags: tags.slice(0, 2),
          assignee_id: people.member.id,
          reporter_id: people.owner.id,
          sprint_id: sprint.id,
          milestone_id: milestone.id,
          story_points: 3,
          priority: 'high',
          due_date: new Date('2026-03-01T00:00:00Z'),
        });
        await createTask(trx, org.id, project.id, {
          title: `Fz${i} subtask ${token()}`,
          tags: tags.slice(1),
          parent_task_id: parent.id,
          assignee_id: people.viewer.id,
        });
        await createTask(trx, org.id, project.id, {
          title: `Fz${i} deleted task ${token()}`,
          tags: [tags[2]!],
          deleted_at: new Date(),
        });
        await trx
          .insertInto('task_comments')
          .values({
            organization_id: org.id,
            task_id: parent.id,
            author_id: people.member.id,
            body: `Fz${i} comment ${token()}`,
          })
          .execute();
      });
    }
    await createProject(db, org.id, people.owner.id, {
      name: `Fz${i} deleted project ${token()}`,
      deleted_at: new Date(),
    });
    orgs.push({ id: org.id, slug: org.slug, ...people });
  }
  const shared = await createUser(db, { firstName: `Fzshared${token()}` });
  await addMember(db, orgs[0]!.id, shared.id, { role: 'member' });
  if (orgs[1]) await addMember(db, orgs[1].id, shared.id, { role: 'viewer' });
  return { orgs, shared };
}

/** Tables with organization_id, from the catalog (so a new tenant table is covered at once). */
export async function tenantTables(superuser: pg.Pool): Promise<string[]> {
  const { rows } = await superuser.query<{ table_name: string }>(`
    select c.table_name from information_schema.columns c
      join information_schema.tables t using (table_schema, table_name)
     where c.table_schema = 'public' and c.column_name = 'organization_id' and t.table_type = 'BASE TABLE'
     order by 1`);
  return rows.map((r) => r.table_name);
}

/**
 * Who each id and each distinctive text value belongs to: organization ids for the rows of every
 * tenant table, the organization row itself, and the users who hold a membership there. A value
 * found in several organizations (a shared user, "Sprint 1") belongs to all of them.
 */
export class Marks {
  /** value -> organizations it belongs to. */
  readonly owners = new Map<string, Set<string>>();
  /** organization -> table -> ids of its rows (for building arguments). */
  readonly ids = new Map<string, Map<string, string[]>>();
  /** organization -> distinctive text values (for string filters). */
  readonly texts = new Map<string, string[]>();
  /** organization -> task tags. */
  readonly tags = new Map<string, string[]>();

  private add(value: string, org: string): void {
    let set = this.owners.get(value);
    if (!set) this.owners.set(value, (set = new Set()));
    set.add(org);
  }

  addId(org: string, table: string, id: string): void {
    this.add(id, org);
    const tables = this.ids.get(org) ?? this.ids.set(org, new Map()).get(org)!;
    (tables.get(table) ?? tables.set(table, []).get(table)!).push(id);
  }

  addValue(org: string, value: unknown): void {
    if (typeof value !== 'string') return;
    if (UUID.test(value)) {
      this.add(value.toLowerCase(), org);
    } else if (isDistinctive(value)) {
      this.add(value, org);
      (this.texts.get(org) ?? this.texts.set(org, []).get(org)!).push(value);
    }
  }

  idsOf(org: string, table: string): string[] {
    return this.ids.get(org)?.get(table) ?? [];
  }

  /** The organizations of a value that are not `org` (empty when it is org's or nobody's). */
  foreignOwners(value: string, org: string): string[] {
    const set = this.owners.get(value);
    return set && !set.has(org) ? [...set] : [];
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Text worth looking for in a response: long enough and with a digit (generated names, slugs,
 * emails, hashes), so words every organization has ("Looks good", enum values) never count.
 */
function isDistinctive(value: string): boolean {
  return value.length >= 6 && /\d/.test(value);
}

/** Reads, as superuser, every id and distinctive text value of these organizations. */
export async function collectMarks(superuser: pg.Pool, orgIds: string[], tables: string[]): Promise<Marks> {
  const marks = new Marks();
  for (const table of tables) {
    const { rows: cols } = await superuser.query<{ column_name: string; data_type: string }>(
      `
      select column_name, data_type from information_schema.columns
       where table_schema = 'public' and table_name = $1 and data_type in ('uuid', 'text', 'character varying', 'USER-DEFINED', 'ARRAY')`,
      [table],
    );
    const { rows } = await superuser.query<Record<string, unknown>>(
      `select * from ${table} where organization_id = any($1::uuid[])`,
      [orgIds],
    );
    for (const row of rows) {
      const org = row.organization_id as string;
      marks.addId(org, table, row.id as string);
      for (const { column_name: column } of cols) {
        const value = row[column];
        for (const item of Array.isArray(value) ? value : [value]) marks.addValue(org, item);
        if (table === 'tasks' && column === 'tags')
          for (const tag of value as string[]) (marks.tags.get(org) ?? marks.tags.set(org, []).get(org)!).push(tag);
      }
    }
  }
  const { rows: organizations } = await superuser.query(
    'select id, name, slug, email from organizations where id = any($1::uuid[])',
    [orgIds],
  );
  for (const row of organizations) {
    marks.addId(row.id, 'organizations', row.id);
    for (const value of [row.name, row.slug, row.email]) marks.addValue(row.id, value);
  }
  // A user belongs to every organization where they have a membership (of any status): the
  // users policy shows them there. Their own id is also theirs, but they act inside one org.
  const { rows: users } = await superuser.query(
    `
    select m.organization_id as org, u.id, u.email::text as email, u.username, u.first_name, u.last_name, u.avatar_url
      from users u join memberships m on m.user_id = u.id where m.organization_id = any($1::uuid[])`,
    [orgIds],
  );
  for (const row of users) {
    marks.addId(row.org, 'users', row.id);
    for (const value of [row.email, row.username, row.first_name, row.last_name, row.avatar_url])
      marks.addValue(row.org, value);
  }
  // Catalog values every organization may see (permission keys) never count as anyone's.
  const { rows: catalog } = await superuser.query<{ key: string; description: string }>(
    'select key, description from permissions',
  );
  for (const row of catalog) {
    marks.owners.delete(row.key);
    marks.owners.delete(row.description);
  }
  return marks;
}

/** One value of another organization found in a response. */
export interface Leak {
  path: string;
  value: string;
  owners: string[];
}

const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const CURSOR_KEYS = new Set(['cursor', 'startCursor', 'endCursor']);

/**
 * Every id (anywhere inside a string, including decoded cursors) and every distinctive text
 * value of a response that belongs to other organizations and not to `org`, and every id in
 * `hidden` (rows of private projects, for callers who may not see them).
 */
export function findLeaks(
  body: unknown,
  org: string,
  marks: Marks,
  hidden: ReadonlySet<string> = new Set(),
  own: ReadonlySet<string> = new Set(),
): Leak[] {
  const leaks: Leak[] = [];
  const check = (value: string, path: string) => {
    // viewer.organizations lists the caller's own memberships in other organizations, nothing else.
    if (own.has(value) && /\.organizations\[\d+\]\.\w+$/.test(path)) return;
    const owners = hidden.has(value)
      ? ['(private to a project the caller may not see)']
      : marks.foreignOwners(value, org);
    if (owners.length) leaks.push({ path, value, owners });
  };
  const visit = (node: unknown, path: string, key: string) => {
    if (typeof node === 'string') {
      check(node, path);
      const texts = [node];
      if (CURSOR_KEYS.has(key)) texts.push(Buffer.from(node, 'base64url').toString('utf8'));
      for (const text of texts)
        for (const id of text.match(UUIDS) ?? []) if (id !== node) check(id.toLowerCase(), path);
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}[${i}]`, key));
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) visit(v, path ? `${path}.${k}` : k, k);
    }
  };
  visit(body, '', '');
  return leaks;
}

/**
 * The ids of private projects of these organizations and of everything in them (members, tasks,
 * sprints, milestones, comments), per organization.
 */
export async function privateProjectIds(superuser: pg.Pool, orgIds: string[]): Promise<Map<string, Set<string>>> {
  const { rows } = await superuser.query<{ org: string; id: string }>(
    `
    with private as (select organization_id, id from projects where visibility = 'private' and organization_id = any($1::uuid[]))
    select organization_id as org, id from private
    union all select x.organization_id, x.id from tasks x join private p on (p.organization_id, p.id) = (x.organization_id, x.project_id)
    union all select x.organization_id, x.id from sprints x join private p on (p.organization_id, p.id) = (x.organization_id, x.project_id)
    union all select x.organization_id, x.id from milestones x join private p on (p.organization_id, p.id) = (x.organization_id, x.project_id)
    union all select x.organization_id, x.id from project_members x join private p on (p.organization_id, p.id) = (x.organization_id, x.project_id)
    union all select c.organization_id, c.id from task_comments c join tasks t on (t.organization_id, t.id) = (c.organization_id, c.task_id)
      join private p on (p.organization_id, p.id) = (t.organization_id, t.project_id)`,
    [orgIds],
  );
  const byOrg = new Map<string, Set<string>>();
  for (const row of rows) (byOrg.get(row.org) ?? byOrg.set(row.org, new Set()).get(row.org)!).add(row.id);
  return byOrg;
}

/**
 * A fingerprint of everything one organization owns, per table, read as superuser: a change
 * anywhere in its rows changes it. Users count when they belong to `org` and not to `except`
 * (a shared user's last sign-in belongs to both).
 */
export async function checksum(
  superuser: Pick<pg.Pool, 'query'>,
  org: string,
  tables: string[],
  except: string,
): Promise<Record<string, string>> {
  const parts = [
    ...tables.map(
      (table) =>
        `select '${table}' as t, md5(coalesce(string_agg(x::text, '|' order by x.id), '')) as sum from ${table} x where organization_id = $1`,
    ),
    `select 'organizations', md5(coalesce(string_agg(x::text, '|' order by x.id), '')) from organizations x where id = $1`,
    `select 'users', md5(coalesce(string_agg(x::text, '|' order by x.id), '')) from users x
      where exists (select 1 from memberships m where m.user_id = x.id and m.organization_id = $1)
        and not exists (select 1 from memberships m where m.user_id = x.id and m.organization_id = $2)`,
  ];
  const { rows } = await superuser.query<{ t: string; sum: string }>(parts.join('\nunion all\n'), [org, except]);
  return Object.fromEntries(rows.map((r) => [r.t, r.sum]));
}
