import 'reflect-metadata';
import { buildSchema, Ctx, FieldResolver, Int, registerEnumType, Resolver, Root } from 'type-graphql';
import { isObjectType, printType, type GraphQLEnumType, type GraphQLSchema } from 'graphql';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type SelectQueryBuilder,
} from 'kysely';
import { col, defineResource, parent, registry } from '../../src/resources';
import type { AnyQuery } from '../../src/db/pagination';

/**
 * The generator without a database: two throwaway resources (a gadget and its widgets), the SDL
 * and declaration order they produce, the names they refuse, and the filter's SQL. The tables are
 * existing ones only so the types check; nothing here runs a statement.
 */
const GadgetKind = { SMALL: 'small', LARGE: 'large' } as const;
registerEnumType(GadgetKind, { name: 'GadgetKind' });

const gadgets = defineResource({
  name: 'Gadget',
  table: 'sprints',
  description: 'A throwaway resource.',
  columns: {
    title: col.text({ length: { min: 1, max: 100 }, create: 'required', update: true, filter: 'string' }),
    notes: col.text({ dbDefault: true, length: { max: 500 }, create: 'optional', update: true }),
    kind: col.enum(['small', 'large'], GadgetKind, {
      dbDefault: true,
      update: true,
      filter: 'enumList',
      aggregate: { groupBy: true },
    }),
    size: col.int({
      nullable: true,
      create: 'optional',
      update: { description: 'Null clears it.' },
      filter: 'int',
      aggregate: { measures: ['sum', 'max'] },
    }),
    secret: col.text({ expose: false }),
  },
  timestamps: { createdAt: { aggregate: { groupBy: ['week'] } }, deletedAt: { description: 'When it was deleted.' } },
  permissions: {
    read: 'projects:read',
    create: 'projects:create',
    update: 'projects:update',
    delete: 'projects:delete',
  },
  lists: {
    orders: {
      title_asc: { column: 'title', direction: 'asc', type: 'text' },
      created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
    },
    root: { description: 'Every gadget.' },
    byId: {},
    filter: { order: ['kind', 'title', 'size'] },
    alias: 'g',
  },
  mutations: {
    create: {},
    update: { inputDescription: 'Changes a gadget.', order: ['id', 'size', 'title', 'notes', 'kind'] },
    delete: { mode: 'soft' },
    restore: {},
  },
  example: (n) => ({ title: `Gadget ${n}` }),
});

const widgets = defineResource({
  name: 'Widget',
  table: 'milestones',
  columns: { label: col.text({ length: { min: 1, max: 50 }, create: 'required' }) },
  relations: {
    gadget: parent(() => gadgets, {
      column: 'project_id',
      idProperty: 'gadgetId',
      field: 'gadget',
      input: { create: 'required' },
      filter: true,
      requireLive: true,
      aggregateGroupBy: true,
      inverse: { field: 'widgets', args: 'list' },
    }),
  },
  permissions: { read: 'projects:read', create: 'projects:update', delete: 'projects:update' },
  // Two orders: a single one is no choice, and would expose no orderBy.
  lists: {
    orders: {
      label_asc: { column: 'label', direction: 'asc', type: 'text' },
      label_desc: { column: 'label', direction: 'desc', type: 'text' },
    },
  },
  mutations: { create: {}, delete: { mode: 'hard' } },
  example: (n) => ({ label: `Widget ${n}` }),
});

@Resolver(() => gadgets.Node)
class GadgetResolver extends gadgets.BaseResolver {
  @FieldResolver(() => Int)
  titleLength(@Root() gadget: Record<string, unknown>, @Ctx() _ctx: unknown): number {
    return (gadget.title as string).length;
  }
}
gadgets.useResolver(GadgetResolver);

const fieldOrder = (schema: GraphQLSchema, name: string) => {
  const type = schema.getType(name)!;
  return Object.keys((type as { getFields(): object }).getFields());
};

describe('defineResource', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildSchema({ resolvers: registry.resolvers(), validate: false, authChecker: () => true });
  });

  it('generates the object type, connection and payloads', () => {
    expect(printType(schema.getType('Gadget')!)).toBe(`"""A throwaway resource."""
type Gadget {
  id: UUID!
  title: String!
  notes: String!
  kind: GadgetKind!
  size: Int
  createdAt: DateTime!

  """When it was deleted."""
  deletedAt: DateTime
  titleLength: Int!
  widgets(
    """Page size going forward (default 20, at most 100)."""
    first: Int

    """Cursor to continue after."""
    after: String

    """Page size going backward (at most 100)."""
    last: Int

    """Cursor to continue before."""
    before: String
    filter: WidgetFilter

    """Default LABEL_ASC."""
    orderBy: WidgetOrder
  ): WidgetConnection!
}`);
    expect(printType(schema.getType('Widget')!)).toContain('gadget: Gadget!');
    expect(fieldOrder(schema, 'GadgetConnection')).toEqual(['edges', 'pageInfo', 'totalCount', 'aggregate']);
    expect(fieldOrder(schema, 'GadgetEdge')).toEqual(['cursor', 'node']);
    expect(printType(schema.getType('GadgetPayload')!)).toBe('type GadgetPayload {\n  gadget: Gadget!\n}');
    expect(printType(schema.getType('DeleteWidgetPayload')!)).toBe(
      'type DeleteWidgetPayload {\n  deletedWidgetId: UUID!\n}',
    );
  });

  it('generates the inputs with their nullability, descriptions and order', () => {
    expect(printType(schema.getType('CreateGadgetInput')!)).toBe(
      'input CreateGadgetInput {\n  title: String!\n  notes: String\n  size: Int\n}',
    );
    expect(printType(schema.getType('UpdateGadgetInput')!)).toBe(`"""Changes a gadget."""
input UpdateGadgetInput {
  id: UUID!

  """Null clears it."""
  size: Int
  title: String
  notes: String
  kind: GadgetKind
}`);
    expect(fieldOrder(schema, 'CreateWidgetInput')).toEqual(['gadgetId', 'label']);
    expect(fieldOrder(schema, 'DeleteGadgetInput')).toEqual(['id']);
    expect(fieldOrder(schema, 'RestoreGadgetInput')).toEqual(['id']);
    expect(schema.getType('UpdateWidgetInput')).toBeUndefined();
  });

  it('generates the filter, the order enum and the root fields', () => {
    expect(printType(schema.getType('GadgetFilter')!)).toBe(`"""Conditions on gadgets; every one given must hold."""
input GadgetFilter {
  kind: [GadgetKind!]
  title: StringFilter
  size: IntFilter
  createdAt: DateTimeFilter
}`);
    expect(fieldOrder(schema, 'WidgetFilter')).toEqual(['gadgetId']);
    expect((schema.getType('GadgetOrder') as GraphQLEnumType).getValues().map((v) => v.name)).toEqual([
      'TITLE_ASC',
      'CREATED_AT_DESC',
    ]);
    const query = schema.getQueryType()!.getFields();
    expect(query.gadgets!.type.toString()).toBe('GadgetConnection');
    expect(query.gadgets!.args.map((a) => a.name)).toEqual([
      'first',
      'after',
      'last',
      'before',
      'filter',
      'orderBy',
      'includeDeleted',
    ]);
    // Arguments in the order a hand `@Arg` pair gives (TypeScript applies parameter decorators last to first).
    expect(query.gadget!.args.map((a) => `${a.name}: ${a.type}`)).toEqual(['includeDeleted: Boolean!', 'id: UUID!']);
    expect(query.widgets).toBeUndefined();
    expect(Object.keys(schema.getMutationType()!.getFields())).toEqual([
      'createGadget',
      'updateGadget',
      'deleteGadget',
      'restoreGadget',
      'createWidget',
      'deleteWidget',
    ]);
    expect(schema.getMutationType()!.getFields().deleteGadget!.type.toString()).toBe('GadgetPayload!');
  });

  it('maps rows to nodes, hidden columns and FKs included', () => {
    const node = gadgets.fromRow({
      id: 'g1',
      title: 'A',
      notes: '',
      kind: 'small',
      size: null,
      secret: 's',
      created_at: 1,
    });
    expect(node).toBeInstanceOf(gadgets.Node);
    expect(node).toMatchObject({ id: 'g1', title: 'A', kind: 'small', size: null, secret: 's', createdAt: 1 });
    expect(widgets.fromRow({ id: 'w1', label: 'L', project_id: 'g1' })).toMatchObject({ gadgetId: 'g1' });
    expect(gadgets.nodeColumns.fields).toMatchObject({ title: ['title'], widgets: [] });
    expect(widgets.nodeColumns.fields).toMatchObject({ gadget: ['project_id'] });
  });

  it('applies the filter it declares, with the list alias', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const db = new Kysely<any>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (k) => new PostgresIntrospector(k),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
    const base = db.selectFrom('sprints as g').select('g.id') as unknown as AnyQuery;
    const compiled = (
      gadgets.applyFilter(base, {
        kind: ['large'],
        title: { contains: '50%' },
        size: { gte: 2 },
      }) as SelectQueryBuilder<never, never, never>
    ).compile();
    expect(compiled.sql).toBe(
      'select "g"."id" from "sprints" as "g" where "g"."kind" in ($1) and "g"."title" ilike $2 and "g"."size" >= $3',
    );
    expect(compiled.parameters).toEqual(['large', '%50\\%%', 2]);
    expect(gadgets.applyFilter(base, null)).toBe(base);
    // The root list's scope (and an organization-wide aggregate's): rows under a live gadget only.
    expect(gadgets.rootScope()).toBeNull();
    const widgetsBase = db.selectFrom('milestones as m').select('m.id') as unknown as AnyQuery;
    expect((widgets.rootScope()!(widgetsBase) as SelectQueryBuilder<never, never, never>).compile().sql).toBe(
      'select "m"."id" from "milestones" as "m" where exists (select 1 as "one" from "sprints" as "lp"' +
        ' where "lp"."organization_id" = "m"."organization_id" and "lp"."id" = "m"."project_id" and "lp"."deleted_at" is null)',
    );
  });

  it('derives the hand lists from the registry', () => {
    expect(registry.seedOrder().map((r) => r.typeName)).toEqual(['Gadget', 'Widget']);
    expect(registry.softDeletedTables().has('sprints')).toBe(true);
    expect(registry.mutations().map((m) => `${m.field}:${m.permission}:${m.inputType}`)).toEqual([
      'createGadget:projects:create:CreateGadgetInput',
      'updateGadget:projects:update:UpdateGadgetInput',
      'deleteGadget:projects:delete:DeleteGadgetInput',
      'restoreGadget:projects:delete:RestoreGadgetInput',
      'createWidget:projects:update:CreateWidgetInput',
      'deleteWidget:projects:update:DeleteWidgetInput',
    ]);
    expect(isObjectType(schema.getType('WidgetConnection'))).toBe(true);
  });

  it('generates the aggregates the columns declare: count always, the root query only with a root list', () => {
    expect(printType(schema.getType('GadgetAggregate')!)).toBe(`"""Count and measures of gadgets."""
type GadgetAggregate {
  """Number of rows."""
  count: Int!
  sum: GadgetSums!
  max: GadgetMaximums!
}`);
    expect(fieldOrder(schema, 'GadgetSums')).toEqual(['size']);
    expect((schema.getType('GadgetGroupBy') as GraphQLEnumType).getValues().map((v) => v.name)).toEqual([
      'KIND',
      'CREATED_AT_WEEK',
    ]);
    expect(fieldOrder(schema, 'GadgetAggregateKey')).toEqual(['kind', 'createdAtWeek']);
    const query = schema.getQueryType()!.getFields();
    expect(query.gadgetsAggregate!.args.map((a) => `${a.name}: ${a.type}`)).toEqual([
      'filter: GadgetFilter',
      'groupBy: [GadgetGroupBy!]',
      'includeDeleted: Boolean!',
    ]);
    // Widgets have no root list, so no root aggregate (nor its types); their connection counts.
    expect(query.widgetsAggregate).toBeUndefined();
    expect(schema.getType('WidgetAggregates')).toBeUndefined();
    expect(fieldOrder(schema, 'WidgetAggregate')).toEqual(['count']);
    expect(fieldOrder(schema, 'WidgetConnection')).toContain('aggregate');
  });

  it('refuses what would break the schema or the fast path', () => {
    const spec = {
      name: 'Thing',
      table: 'tasks' as const,
      permissions: { read: 'projects:read' as const },
      example: () => ({}),
    };
    expect(() => defineResource({ ...spec, columns: { due_date: col.date() } })).toThrow(
      "field 'due_date': generated names are letters and digits only",
    );
    expect(() =>
      defineResource({ ...spec, name: 'Thing2', columns: { day: col.date({ aggregate: { measures: ['sum'] } }) } }),
    ).toThrow('Thing2.day: aggregate sum and avg need an int or float column');
    expect(() =>
      defineResource({ ...spec, name: 'Thing3', columns: { title: col.text({ aggregate: { groupBy: true } }) } }),
    ).toThrow('Thing3.title: aggregate groupBy needs an enum, boolean, uuid, date or timestamp column');
    expect(() => gadgets.useResolver(GadgetResolver)).toThrow('useResolver is called once');
    expect(() => widgets.useResolver(GadgetResolver)).toThrow('a direct subclass');
    // After the freeze (the first registry.resolvers()), a late definition is a startup error.
    expect(() => defineResource({ ...spec, columns: { title: col.text() } })).toThrow('after the schema was built');
    class LateWidgetResolver extends widgets.BaseResolver {}
    expect(() => widgets.useResolver(LateWidgetResolver)).toThrow('after the schema was built');
  });
});
