import type pg from 'pg';
import { getMetadataStorage } from 'type-graphql';
import type { Kysely } from 'kysely';
import type { Database, MembershipRole } from '../../src/db/schema';
import { registry, type BuiltResource } from '../../src/resources';
import type { FieldModel, RelationModel } from '../../src/resources/model';
import { closeTestPools, ownerDb, testPool } from './db';
import { codeOf, startTestApp, type TestApp } from './app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from './factories';

/**
 * The conformance suite of a resource (plan §6): what every resource must do, derived from its
 * definition, so a resource's own test file tests only its rules. Each case is an `it` named
 * after what it proves; cases that do not apply (no filter, no soft delete) are not declared.
 *
 * @example
 * describeResource(teams);
 * describeResource(teamMembers, { parents: async (tenant, n, suite) => ({ team: ..., user: ... }) });
 */
export interface Person {
  userId: string;
  token: string;
}
export interface Tenant {
  id: string;
  admin: Person;
  viewer: Person;
}
export interface Suite {
  db: Kysely<Database>;
  superuser: pg.Pool;
  app: TestApp;
  /** A new live member of the tenant (a user id). */
  member(tenant: Tenant, role?: MembershipRole): Promise<Person>;
  /** Creates a row of `resource` (with its own fixture's parents) through its create mutation; its id. */
  create(resource: BuiltResource, tenant: Tenant, n: number, fixture?: ResourceFixture): Promise<string>;
}
export interface ResourceFixture {
  /** Parent ids of the nth new row of `tenant`, by relation name (rows sharing a parent make lists longer). */
  parents?: (tenant: Tenant, n: number, suite: Suite) => Promise<Record<string, string>>;
  /** Per updatable field: an input fragment that changes it validly, when the kind's value would break a rule. */
  updates?: Record<string, (n: number) => Record<string, unknown>>;
  /** The create input's fields that are no column (`CreateSpec.inputs`: an upload of the tenant's for `uploadId`). */
  inputs?: (tenant: Tenant, n: number, suite: Suite) => Promise<Record<string, unknown>>;
  /** How the nth row of `tenant` is made when the resource has no generated create (addDocumentVersion); its id. */
  create?: (tenant: Tenant, n: number, suite: Suite) => Promise<string>;
}

type Row = Record<string, unknown>;
type Node = Record<string, unknown>;

const enumKey = (f: FieldModel, value: unknown) =>
  f.type.kind === 'enum' ? Object.entries(f.type.graphql).find(([, v]) => v === value)?.[0] : value;
const enumValue = (f: FieldModel, key: unknown) =>
  f.type.kind === 'enum' ? (f.type.graphql as Record<string, unknown>)[key as string] : key;

/** A field in a selection: a json column typed as an object selects that object's fields. */
function selectionOf(f: FieldModel): string {
  if (f.type.kind !== 'json' || !f.type.objectType) return f.field;
  const target = f.type.objectType();
  const inner = getMetadataStorage().fields.filter((x) => x.target === target);
  return `${f.field} { ${inner.map((x) => x.name).join(' ')} }`;
}

/** What GraphQL answers for a column value read by SQL. */
function output(f: FieldModel, value: unknown): unknown {
  if (value == null) return null;
  if (f.type.kind === 'timestamp') return new Date(value as string).toISOString();
  // A Float may be a bigint column (a document's size), which pg reads as text.
  if (f.type.kind === 'float') return Number(value);
  return enumKey(f, value);
}

/** A value of the field's kind that differs from `current` and keeps the column's rules. */
function changed(f: FieldModel, current: unknown, n: number): unknown {
  switch (f.type.kind) {
    case 'text':
      return `Changed ${n} ${String(current ?? '').slice(0, 4)}`.slice(0, f.length?.max).trim();
    case 'int':
      return ((current as number | null) ?? 0) + 1;
    case 'float':
      return ((current as number | null) ?? 0) + 0.5;
    case 'boolean':
      return !current;
    case 'enum':
      return enumKey(
        f,
        f.type.values.find((v) => v !== current),
      );
    case 'date':
      return '2031-05-17';
    case 'timestamp':
      return '2031-05-17T10:00:00.000Z';
    case 'tags':
      return ['changed'];
    default:
      throw new Error(`describeResource: give updates.${f.field} for a ${f.type.kind} field`);
  }
}

export function describeResource(resource: BuiltResource, fixture: ResourceFixture = {}): void {
  const { model } = resource;
  const { names, spec } = model;
  const m = spec.mutations ?? {};
  const auditType = model.typeName.replace(/(?<!^)[A-Z]/g, (c) => `_${c}`).toLowerCase();
  const fields = model.objectFields;
  const relationFields = model.relations.filter((r) => r.field);
  const selection = [...fields.map((f) => selectionOf(f)), ...relationFields.map((r) => `${r.field} { id }`)].join(' ');
  const sort = model.defaultOrder ? model.orders![model.defaultOrder]! : null;

  describe(`resource ${model.typeName}`, () => {
    let app: TestApp;
    // Opened in beforeAll: closeTestPools in an earlier suite's afterAll must not close them.
    let db: Kysely<Database>;
    let superuser: pg.Pool;
    let a: Tenant;
    let b: Tenant;
    let counter = 0;
    const created: { tenant: Tenant; id: string }[] = [];

    const gql = async (token: string, query: string, variables?: Row) => {
      const res = await app.gql(query, { token, variables });
      return res;
    };
    const data = async (token: string, query: string, variables?: Row): Promise<Row> => {
      const res = await gql(token, query, variables);
      expect(res.body.errors).toBeUndefined();
      return res.body.data!;
    };
    const rowOf = async (id: string): Promise<Row | undefined> =>
      (await superuser.query(`select * from ${model.table} where id = $1`, [id])).rows[0] as Row | undefined;
    const snapshot = async (tenant: Tenant) =>
      (await superuser.query(`select * from ${model.table} where organization_id = $1 order by id`, [tenant.id])).rows;
    const audits = async (id: string) =>
      (
        await superuser.query<{ action: string; changes: { after?: Row } }>(
          'select action, changes from audit_log where resource_id = $1 order by created_at, id',
          [id],
        )
      ).rows;
    const expectedNode = (row: Row): Node => {
      const node: Node = {};
      for (const f of fields) node[f.field] = output(f, row[f.column]);
      for (const r of relationFields) node[r.field as string] = row[r.column] == null ? null : { id: row[r.column] };
      return node;
    };

    const suite: Suite = {
      get db() {
        return db;
      },
      get superuser() {
        return superuser;
      },
      get app() {
        return app;
      },
      async member(tenant, role = 'member') {
        const user = await createUser(db);
        await addMember(db, tenant.id, user.id, { role });
        return { userId: user.id, token: await app.login(user.email, TEST_PASSWORD) };
      },
      async create(target, tenant, n, targetFixture = {}) {
        if (!target.spec.mutations?.create) {
          if (!targetFixture.create)
            throw new Error(`describeResource: ${target.typeName} has no create; give fixture.create`);
          return targetFixture.create(tenant, n, suite);
        }
        const input = await createInput(target, targetFixture, tenant, n, suite);
        const tm = target.model;
        const res = await data(
          tenant.admin.token,
          `mutation ($i: ${tm.names.createInput}!) { ${tm.names.create}(input: $i) { ${tm.names.payloadField} { id } } }`,
          { i: input },
        );
        return ((res[tm.names.create] as Row)[tm.names.payloadField] as Node).id as string;
      },
    };
    const tenant = async (): Promise<Tenant> => {
      const org = await createOrganization(db);
      const t = { id: org.id } as Tenant;
      t.admin = await suite.member(t, 'admin');
      t.viewer = await suite.member(t, 'viewer');
      return t;
    };
    const createRow = async (t: Tenant) => {
      const id = await suite.create(resource, t, ++counter, fixture);
      created.push({ tenant: t, id });
      return id;
    };

    /** A query reaching the row `id` of type `typeName` and running `inner` on it, and how to pick it out. */
    async function reach(typeName: string, id: string, inner: string): Promise<{ query: string; pick(d: Row): Node }> {
      if (typeName === 'Organization')
        return { query: `organization { ${inner} }`, pick: (d) => d.organization as Node };
      if (typeName === 'User')
        return {
          query: `organization { members(first: 40) { edges { node { user { id ${inner} } } } } }`,
          pick: (d) =>
            edgesOf((d.organization as Row).members)
              .map((n) => n.user as Node)
              .find((u) => u.id === id)!,
        };
      const target = registry.resources().find((r) => r.typeName === typeName);
      if (!target) {
        // A hand-written type reached by its by-id query (`project(id:)`).
        const byId = typeName.charAt(0).toLowerCase() + typeName.slice(1);
        return { query: `${byId}(id: "${id}") { ${inner} }`, pick: (d) => d[byId] as Node };
      }
      if (target.spec.lists?.byId)
        return {
          query: `${target.model.names.byId}(id: "${id}") { ${inner} }`,
          pick: (d) => d[target.model.names.byId] as Node,
        };
      const up = target.model.relations.find((r) => r.inverse)!;
      const parentId = (await superuser.query(`select ${up.column} as p from ${target.table} where id = $1`, [id]))
        .rows[0].p;
      const outer = await reach(
        up.target().typeName,
        parentId,
        `${up.inverse!.field}(first: 40) { edges { node { id ${inner} } } }`,
      );
      return { query: outer.query, pick: (d) => edgesOf(outer.pick(d)[up.inverse!.field]).find((n) => n.id === id)! };
    }
    const edgesOf = (connection: unknown) => (connection as { edges: { node: Node }[] }).edges.map((e) => e.node);

    /** The lists a row shows in: the root list and each inverse list through its parent. */
    type List = { name: string; relation?: RelationModel; args: 'list' | 'page' };
    const lists: List[] = [
      ...(spec.lists?.root ? [{ name: `Query.${names.rootList}`, args: 'list' as const }] : []),
      ...model.relations
        .filter((r) => r.inverse)
        .map((r) => ({
          name: `${r.target().typeName}.${r.inverse!.field}`,
          relation: r,
          args: r.inverse!.args ?? 'list',
        })),
    ];
    /** Runs `list(args) { body }` for the parent of row `rowId`; answers the connection. */
    async function runList(list: List, parentId: string, args: string, body: string, token = a.admin.token) {
      const field = list.relation ? list.relation.inverse!.field : names.rootList;
      const call = `${field}${args ? `(${args})` : ''} { ${body} }`;
      if (!list.relation) return (await data(token, `{ ${call} }`))[field] as Row;
      const path = await reach(list.relation.target().typeName, parentId, call);
      return path.pick(await data(token, `{ ${path.query} }`))[field] as Row;
    }
    const parentOf = (list: List, row: Row) =>
      list.relation ? (row[list.relation.column] as string) : (row.organization_id as string);
    /** The created rows of tenant a in `list`: a row without that (nullable) parent is in none of its kind. */
    const rowsIn = async (list: List) => {
      const rows = await Promise.all(created.filter((c) => c.tenant === a).map((c) => rowOf(c.id)));
      return rows.filter((row): row is Row => !!row && parentOf(list, row) != null);
    };
    const sqlOrder = async (list: List, parentId: string, order = sort!) =>
      (
        await superuser.query(
          `select id from ${model.table} where ${list.relation?.column ?? 'organization_id'} = $1 and organization_id = $2
             ${model.soft ? 'and deleted_at is null' : ''}
           order by ${order.column} ${order.direction}, id ${order.direction}`,
          [parentId, a.id],
        )
      ).rows.map((r: Row) => r.id);

    beforeAll(async () => {
      db = ownerDb();
      superuser = testPool('superuser', 2);
      app = await startTestApp();
      a = await tenant();
      b = await tenant();
      for (let i = 0; i < 3; i++) await createRow(a);
    });
    afterAll(async () => {
      await app.close();
      await closeTestPools();
    });

    if (m.create)
      it(`${names.create} answers the node and writes one audit entry ${auditType}.create`, async () => {
        const n = ++counter;
        const res = await data(
          a.admin.token,
          `mutation ($i: ${names.createInput}!) { ${names.create}(input: $i) { ${names.payloadField} { ${selection} } } }`,
          { i: await createInput(resource, fixture, a, n, suite) },
        );
        const node = (res[names.create] as Row)[names.payloadField] as Node;
        const row = (await rowOf(node.id as string))!;
        expect(row.organization_id).toBe(a.id);
        expect(node).toEqual(expectedNode(row));
        expect((await audits(node.id as string)).map((e) => e.action)).toEqual([`${auditType}.create`]);
      });

    if (spec.lists?.byId)
      it(`${names.byId}(id) answers it; another tenant's id answers null`, async () => {
        const mine = created[0]!.id;
        const theirs = await createRow(b);
        const by = async (id: string) =>
          (await data(a.admin.token, `{ ${names.byId}(id: "${id}") { ${selection} } }`))[names.byId];
        expect(await by(mine)).toEqual(expectedNode((await rowOf(mine))!));
        expect(await by(theirs)).toBeNull();
      });

    for (const list of lists) {
      it(`${list.name} lists every row of its parent, as SQL has them, in the default order`, async () => {
        for (const row of await rowsIn(list)) {
          const parentId = parentOf(list, row);
          const connection = await runList(list, parentId, 'first: 40', `totalCount edges { node { ${selection} } }`);
          const ids = await sqlOrder(list, parentId);
          expect(edgesOf(connection).map((n) => n.id)).toEqual(ids);
          expect(connection.totalCount).toBe(ids.length);
          const rows = await Promise.all(ids.map((i) => rowOf(i as string)));
          expect(edgesOf(connection)).toEqual(rows.map((r) => expectedNode(r!)));
        }
      });
    }

    // The list with the most rows under one parent pages through them, by every order it takes.
    const orders = Object.entries(model.orders ?? {});
    it(`pages forward and backward through a list in each order, ties broken by id`, async () => {
      let best: { list: List; parentId: string; count: number } | null = null;
      for (const list of lists)
        for (const row of await rowsIn(list)) {
          const parentId = parentOf(list, row);
          const count = (await sqlOrder(list, parentId)).length;
          if (!best || count > best.count) best = { list, parentId, count };
        }
      if (!best) return;
      const takesOrder = best.list.args === 'list' && !!resource.Order;
      for (const [key, order] of takesOrder ? orders : orders.slice(0, 1)) {
        const expected = await sqlOrder(best.list, best.parentId, order);
        const orderArg = takesOrder ? `orderBy: ${key.toUpperCase()}` : '';
        const walk = async (backward: boolean) => {
          const seen: unknown[] = [];
          let cursor: string | null = null;
          for (let page = 0; page < 50; page++) {
            const args = [
              backward ? 'last: 2' : 'first: 2',
              cursor ? `${backward ? 'before' : 'after'}: "${cursor}"` : '',
              orderArg,
            ]
              .filter(Boolean)
              .join(', ');
            const c = await runList(
              best.list,
              best.parentId,
              args,
              'totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage }',
            );
            const edges = (c.edges as { cursor: string; node: Node }[]).map((e) => e);
            expect(c.totalCount).toBe(expected.length);
            if (backward) seen.unshift(...edges.map((e) => e.node.id));
            else seen.push(...edges.map((e) => e.node.id));
            const more = backward ? (c.pageInfo as Row).hasPreviousPage : (c.pageInfo as Row).hasNextPage;
            if (!more) break;
            cursor = edges[backward ? 0 : edges.length - 1]!.cursor;
          }
          return seen;
        };
        expect(await walk(false)).toEqual(expected);
        expect(await walk(true)).toEqual(expected);
      }
    });

    for (const filter of model.hasFilter ? model.filterFields : []) {
      const list = lists.find((l) => l.args === 'list');
      if (!list) break;
      it(`${list.name}(filter: { ${filter.name} }) keeps exactly the rows SQL keeps`, async () => {
        const row = (await rowOf(created[0]!.id))!;
        const f = model.nodeFields.find((x) => x.column === filter.column)!;
        // Each value of an enum, or the first row's value and one no row has: what SQL keeps, the filter keeps.
        const values =
          f.type.kind === 'enum'
            ? [...f.type.values]
            : [row[filter.column], f.type.kind === 'uuid' ? '00000000-0000-4000-8000-000000000000' : null];
        const argOf = (value: unknown) =>
          filter.kind === 'enumList'
            ? [enumKey(f, value)]
            : filter.kind === 'enum'
              ? enumKey(f, value)
              : filter.kind === 'tags'
                ? { containsAll: value ?? ['no such tag'] }
                : filter.kind === 'dateTime'
                  ? // The millisecond the row's value falls in (the database keeps microseconds).
                    value == null
                    ? { gte: '1900-01-01T00:00:00Z', lt: '1900-01-01T00:00:00Z' }
                    : { gte: value, lt: new Date(new Date(value as string).getTime() + 1) }
                  : { eq: value ?? (f.type.kind === 'int' ? -123456 : 'no such text') };
        const parentId = parentOf(list, row);
        const field = list.relation ? list.relation.inverse!.field : names.rootList;
        const query = async (filterValue: unknown) => {
          const call = `${field}(first: 40, filter: $f) { edges { node { id } } }`;
          const path = list.relation ? await reach(list.relation.target().typeName, parentId, call) : null;
          const d = await data(a.admin.token, `query ($f: ${names.filter}) { ${path ? path.query : call} }`, {
            f: { [filter.name]: filterValue },
          });
          return edgesOf((path ? path.pick(d) : d)[field]).map((n) => n.id);
        };
        const all = await Promise.all((await sqlOrder(list, parentId)).map((id) => rowOf(id as string)));
        const keeps = (r: Row, value: unknown) =>
          filter.kind === 'tags'
            ? ((value as unknown[] | null) ?? ['no such tag']).every((t) => (r[filter.column] as unknown[]).includes(t))
            : filter.kind === 'dateTime'
              ? value !== null && new Date(r[filter.column] as string).getTime() === new Date(value as string).getTime()
              : value !== null && String(r[filter.column]) === String(value);
        for (const value of values) {
          const expected = all.filter((r) => keeps(r!, value)).map((r) => r!.id);
          expect([value, await query(argOf(value))]).toEqual([value, expected]);
        }
        // Some value dropped a row, or the filter was never put to the test.
        expect(values.some((value) => all.some((r) => !keeps(r!, value)))).toBe(true);
        if (filter.kind === 'enumList') expect(await query([])).toEqual([]);
      });
    }

    // Case 12: aggregates count what the list shows, as SQL does, and never another tenant's rows.
    const measured = model.nodeFields.filter((f) => f.aggregate?.measures?.length);
    const measureSelection = (['sum', 'avg', 'min', 'max'] as const)
      .map((op) => {
        const of = measured.filter((f) => f.aggregate!.measures!.includes(op)).map((f) => f.field);
        return of.length ? `${op} { ${of.join(' ')} }` : '';
      })
      .join(' ');
    /** count and the declared measures of the rows `where` keeps, by SQL, as GraphQL answers them. */
    const sqlAggregate = async (where: string, params: unknown[]) => {
      const expressions = measured.flatMap((f) =>
        f.aggregate!.measures!.map(
          (op) =>
            `${op === 'sum' || op === 'avg' ? `${op}(${f.column})::float8` : `${op}(${f.column})`} as "${op}.${f.field}"`,
        ),
      );
      const row = (
        await superuser.query(
          `select ${['count(*)::int as count', ...expressions].join(', ')} from ${model.table} where ${where}`,
          params,
        )
      ).rows[0] as Row;
      const out: Row = { count: row.count };
      for (const [key, value] of Object.entries(row)) {
        if (key === 'count') continue;
        const [op, field] = key.split('.') as [string, string];
        const f = measured.find((x) => x.field === field)!;
        ((out[op] ??= {}) as Row)[field] = op === 'sum' || op === 'avg' ? value : output(f, value);
      }
      return out;
    };
    const live = model.soft ? 'and deleted_at is null' : '';
    for (const list of lists)
      it(`${list.name} { aggregate } equals totalCount and SQL; another tenant's rows are never counted`, async () => {
        await createRow(b);
        for (const row of await rowsIn(list)) {
          const parentId = parentOf(list, row);
          const connection = await runList(
            list,
            parentId,
            'first: 1',
            `totalCount aggregate { count ${measureSelection} }`,
          );
          const expected = await sqlAggregate(
            `${list.relation?.column ?? 'organization_id'} = $1 and organization_id = $2 ${live}`,
            [parentId, a.id],
          );
          expect(connection.aggregate).toEqual(expected);
          expect(connection.totalCount).toBe(expected.count);
        }
      });

    const GroupBy = resource.aggregates.GroupBy;
    if (spec.lists?.root)
      it(`${names.rootList}Aggregate counts what ${names.rootList} lists, grouped by each key as SQL groups`, async () => {
        await createRow(b);
        const field = `${names.rootList}Aggregate`;
        const groups = async (groupBy: string | null, token = a.admin.token) =>
          (
            (
              await data(
                token,
                `{ ${field}${groupBy ? `(groupBy: [${groupBy}])` : ''} { groups { count ${measureSelection} ${groupBy ? `key { ${GroupBy[groupBy]} }` : ''} } } }`,
              )
            )[field] as { groups: Row[] }
          ).groups;
        const [all] = await groups(null);
        const listed = (await data(a.admin.token, `{ ${names.rootList} { totalCount } }`))[names.rootList] as Row;
        expect(all).toEqual(await sqlAggregate(`organization_id = $1 ${live}`, [a.id]));
        expect(all!.count).toBe(listed.totalCount);
        for (const key of Object.keys(GroupBy)) {
          const found = await groups(key);
          const f = model.nodeFields.find((x) => x.field === GroupBy[key]);
          expect([key, found.reduce((sum, g) => sum + (g.count as number), 0)]).toEqual([key, all!.count]);
          if (!f) continue; // a date bucket: its counts add up, its key is the aggregates suite's to check
          const bySql = (
            await superuser.query(
              `select ${f.column} as k, count(*)::int as n from ${model.table} where organization_id = $1 ${live} group by 1 order by 1`,
              [a.id],
            )
          ).rows.map((r: Row) => [output(f, r.k), r.n]);
          expect([key, found.map((g) => [(g.key as Row)[f.field], g.count])]).toEqual([key, bySql]);
        }
      });

    if (m.update)
      for (const f of model.updateFields.filter((u) => !u.reference)) {
        const takesNull = !f.update!.required;
        it(`${names.update} changes ${f.field}, audited as ${auditType}.update${takesNull ? `; null means ${JSON.stringify(f.clearTo)}` : ''}`, async () => {
          const id = await createRow(a);
          const before = (await rowOf(id))!;
          const input = fixture.updates?.[f.field]?.(counter) ?? { [f.field]: changed(f, before[f.column], counter) };
          await data(
            a.admin.token,
            `mutation ($i: ${names.updateInput}!) { ${names.update}(input: $i) { ${names.payloadField} { id } } }`,
            {
              i: { id, ...input },
            },
          );
          const after = (await rowOf(id))!;
          expect(output(f, after[f.column])).toEqual(output(f, enumValue(f, input[f.field])));
          const update = (await audits(id)).find((e) => e.action === `${auditType}.update`);
          expect(Object.keys(update?.changes.after ?? {})).toContain(f.column);
          // A required update field (UpdateTaskCommentInput.body: String!) takes no null.
          if (!takesNull) return;
          await data(
            a.admin.token,
            `mutation ($i: ${names.updateInput}!) { ${names.update}(input: $i) { ${names.payloadField} { id } } }`,
            {
              i: { id, [f.field]: null },
            },
          );
          expect((await rowOf(id))![f.column]).toEqual(f.clearTo === 'unchanged' ? after[f.column] : f.clearTo);
        });
      }

    // The validation stacks the hand inputs had: the same messages, naming the field, and no write.
    const tooLong = [
      ...(m.create ? model.createFields.map((f) => ({ f, mode: 'create' as const })) : []),
      ...(m.update ? model.updateFields.map((f) => ({ f, mode: 'update' as const })) : []),
    ].filter(({ f }) => f.type.kind === 'text' && f.length);
    if (tooLong.length)
      it(`refuses too long text (${tooLong.map(({ f, mode }) => `${mode} ${f.field}`).join(', ')}) as BAD_USER_INPUT naming the field`, async () => {
        const row = (await rowOf(created[0]!.id))!;
        const before = await snapshot(a);
        for (const { f, mode } of tooLong) {
          const { min = 0, max } = f.length!;
          const long = 'x'.repeat(max + 1);
          const input =
            mode === 'create'
              ? {
                  ...(await createInput(resource, fixture, a, ++counter, suite)),
                  [f.field]: long,
                }
              : { id: row.id, [f.field]: long };
          const [name, type] =
            mode === 'create' ? [names.create, names.createInput] : [names.update, names.updateInput];
          const res = await gql(
            a.admin.token,
            `mutation ($i: ${type}!) { ${name}(input: $i) { ${names.payloadField} { id } } }`,
            { i: input },
          );
          const usesLength = mode === 'create' ? f.create!.required : f.length!.min !== undefined;
          const message = usesLength
            ? `must be ${min} to ${max} characters`
            : `${f.field} must be shorter than or equal to ${max} characters`;
          expect([mode, res.body.errors?.[0]?.extensions]).toMatchObject([
            mode,
            { code: 'BAD_USER_INPUT', field: f.field },
          ]);
          expect(res.body.errors?.[0]?.message).toContain(message);
        }
        expect(await snapshot(a)).toEqual(before);
      });

    const del = m.delete || undefined;
    const deleteInput = (row: Row) =>
      del?.by
        ? Object.fromEntries(
            del.by.map((field) => [field, row[model.nodeFields.find((x) => x.field === field)!.column]]),
          )
        : { id: row.id };
    if (del?.mode === 'hard')
      it(`${names.delete} removes the row, answers its id and is audited as ${auditType}.delete`, async () => {
        const id = await createRow(a);
        const res = await data(
          a.admin.token,
          `mutation ($i: ${names.deleteInput}!) { ${names.delete}(input: $i) { ${names.deletedIdField} } }`,
          {
            i: deleteInput((await rowOf(id))!),
          },
        );
        expect((res[names.delete] as Row)[names.deletedIdField]).toBe(id);
        expect(await rowOf(id)).toBeUndefined();
        expect((await audits(id)).map((e) => e.action)).toEqual([`${auditType}.create`, `${auditType}.delete`]);
      });
    if (del?.mode === 'soft')
      it(`${names.delete} hides the row from ${spec.lists?.byId ? `${names.byId}(id) and ` : ''}every list; includeDeleted shows it with ${model.permissions.seeDeleted} and is FORBIDDEN to a viewer${m.restore ? `; ${names.restore} brings it back` : ''}; audited`, async () => {
        const id = await createRow(a);
        const row = (await rowOf(id))!;
        const mutate = async (name: string, type: string) =>
          (
            (
              await data(
                a.admin.token,
                `mutation ($i: ${type}!) { ${name}(input: $i) { ${names.payloadField} { ${selection} } } }`,
                { i: { id } },
              )
            )[name] as Row
          )[names.payloadField] as Node;
        /** Where the row shows: by id and in each list, with or without includeDeleted. */
        const seen = async (includeDeleted: boolean) => {
          const where: string[] = [];
          const arg = includeDeleted ? 'includeDeleted: true' : '';
          if (spec.lists?.byId) {
            const d = await data(a.admin.token, `{ ${names.byId}(id: "${id}"${arg ? `, ${arg}` : ''}) { id } }`);
            if (d[names.byId]) where.push(names.byId);
          }
          for (const list of lists) {
            if (includeDeleted && list.args !== 'list') continue;
            const c = await runList(
              list,
              parentOf(list, row),
              ['first: 100', arg].filter(Boolean).join(', '),
              'edges { node { id } }',
            );
            if (edgesOf(c).some((n) => n.id === id)) where.push(list.name);
          }
          return where;
        };
        const everywhere = await seen(false);
        expect(everywhere.length).toBeGreaterThan(0);
        const withDeleted = await seen(true);

        const deleted = await mutate(names.delete, names.deleteInput);
        expect((await rowOf(id))!.deleted_at).not.toBeNull();
        expect(deleted).toEqual(expectedNode((await rowOf(id))!));
        expect(await seen(false)).toEqual([]);
        expect(await seen(true)).toEqual(withDeleted);

        // includeDeleted is FORBIDDEN without seeDeleted (a viewer reads, and holds no delete permission).
        const refused: string[] = [];
        if (spec.lists?.byId) refused.push(`{ ${names.byId}(id: "${id}", includeDeleted: true) { id } }`);
        for (const list of lists.filter((l) => l.args === 'list')) {
          const call = `${list.relation ? list.relation.inverse!.field : names.rootList}(includeDeleted: true) { totalCount }`;
          refused.push(
            `{ ${list.relation ? (await reach(list.relation.target().typeName, parentOf(list, row), call)).query : call} }`,
          );
        }
        for (const query of refused)
          expect([query, codeOf(await gql(a.viewer.token, query))]).toEqual([query, 'FORBIDDEN']);

        const actions = [`${auditType}.create`, `${auditType}.delete`];
        if (m.restore) {
          const restored = await mutate(names.restore, names.restoreInput);
          expect((await rowOf(id))!.deleted_at).toBeNull();
          expect(restored).toEqual(expectedNode((await rowOf(id))!));
          expect(await seen(false)).toEqual(everywhere);
          actions.push(`${auditType}.restore`);
        }
        expect((await audits(id)).map((e) => e.action)).toEqual(actions);
      });

    /** Every generated mutation with a valid input aimed at `row` (of `t`). */
    const mutations = async (t: Tenant, row: Row) => {
      const out: { name: string; type: string; input: Row; select: string }[] = [];
      const payload = `${names.payloadField} { id }`;
      if (m.create)
        out.push({
          name: names.create,
          type: names.createInput,
          select: payload,
          input: await createInput(resource, fixture, t, ++counter, suite),
        });
      const f = model.updateFields.find((u) => !u.reference);
      if (m.update)
        out.push({
          name: names.update,
          type: names.updateInput,
          select: payload,
          input: {
            id: row.id,
            ...(f ? (fixture.updates?.[f.field]?.(counter) ?? { [f.field]: changed(f, row[f.column], counter) }) : {}),
          },
        });
      if (del)
        out.push({
          name: names.delete,
          type: names.deleteInput,
          select: del.mode === 'hard' ? names.deletedIdField : payload,
          input: deleteInput(row),
        });
      if (m.restore)
        out.push({ name: names.restore, type: names.restoreInput, select: payload, input: { id: row.id } });
      return out;
    };

    if (m.update || del)
      it(`another tenant's row is NOT_FOUND for every write by id, and nothing changes`, async () => {
        const theirs = (await rowOf(await createRow(b)))!;
        const before = await snapshot(b);
        for (const mutation of (await mutations(b, theirs)).filter((x) => x.name !== names.create)) {
          const res = await gql(
            a.admin.token,
            `mutation ($i: ${mutation.type}!) { ${mutation.name}(input: $i) { ${mutation.select} } }`,
            { i: mutation.input },
          );
          expect([mutation.name, codeOf(res)]).toEqual([mutation.name, 'NOT_FOUND']);
        }
        expect(await snapshot(b)).toEqual(before);
      });

    it(`a viewer gets FORBIDDEN from every mutation of ${model.typeName}, and nothing changes`, async () => {
      const row = (await rowOf(created[0]!.id))!;
      const list = await mutations(a, row);
      const before = await snapshot(a);
      for (const mutation of list) {
        const res = await gql(
          a.viewer.token,
          `mutation ($i: ${mutation.type}!) { ${mutation.name}(input: $i) { ${mutation.select} } }`,
          { i: mutation.input },
        );
        expect([mutation.name, codeOf(res)]).toEqual([mutation.name, 'FORBIDDEN']);
      }
      expect(await snapshot(a)).toEqual(before);
    });

    // One statement per level whatever the number of rows: the list with every relation and every
    // inverse list of this type one level down.
    const inverses = () =>
      registryResources().flatMap((child) =>
        child.model.relations
          .filter((r) => r.inverse && r.target().typeName === model.typeName)
          .map((r) => r.inverse!.field),
      );
    // The same with aggregates: the list's own and each inverse list's, one statement per level.
    const shapes = {
      // A short page each: a type with many inverse lists (Project's six) stays under the cost
      // limit, which charges a connection its page size even when only its aggregate is selected.
      'a nested list': (f: string) => `${f}(first: 3) { totalCount edges { node { id } } }`,
      "a nested list's aggregate": (f: string) => `${f}(first: 1) { aggregate { count } }`,
    };
    if (lists.length)
      for (const [shape, inner] of Object.entries(shapes))
        it(`${shape} costs the same statements for a few rows and for many`, async () => {
          const t = await tenant();
          const first = await suite.create(resource, t, ++counter, fixture);
          const row = (await rowOf(first))!;
          const listed = lists.filter((l) => parentOf(l, row) != null);
          const list =
            listed.find((l) => !l.relation || l.relation.target().typeName === 'Organization') ??
            listed.find((l) => l.relation?.mustExist) ??
            listed[0]!;
          const parentId = parentOf(list, row);
          const own = inner === shapes['a nested list'] ? 'totalCount' : 'aggregate { count }';
          const body = `${own} edges { node { ${selection} ${inverses().map(inner).join(' ')} } }`;
          const measure = async () => {
            const c = await runList(list, parentId, 'first: 40', body, t.admin.token);
            return { rows: edgesOf(c).length, statements: app.requests.at(-1)!.statements };
          };
          await suite.create(resource, t, ++counter, fixture);
          const few = await measure();
          for (let i = 0; i < 8; i++) await suite.create(resource, t, ++counter, fixture);
          const many = await measure();
          expect(many.rows).toBeGreaterThan(few.rows);
          expect(many.statements).toBe(few.statements);
        });
  });
}

/** The create input of the nth row of `tenant`: the example, the fixture's parents and its input-only fields. */
async function createInput(
  resource: BuiltResource,
  fixture: ResourceFixture,
  tenant: Tenant,
  n: number,
  suite: Suite,
): Promise<Row> {
  const parents = (await fixture.parents?.(tenant, n, suite)) ?? {};
  return { ...exampleInput(resource, n, parents), ...((await fixture.inputs?.(tenant, n, suite)) ?? {}) };
}

/** `spec.example(n)` (by column or field name) as create input, plus the parents' ids. */
function exampleInput(resource: BuiltResource, n: number, parents: Record<string, string>): Row {
  const example = resource.spec.example(n);
  const input: Row = {};
  for (const f of resource.model.createFields) {
    const value = example[f.column] ?? example[f.field];
    if (value !== undefined) input[f.field] = enumKey(f, value);
  }
  for (const r of resource.model.relations) if (parents[r.name] !== undefined) input[r.idProperty] = parents[r.name];
  return input;
}

const registryResources = () => registry.resources();
