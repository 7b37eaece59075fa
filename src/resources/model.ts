import type { GraphQLResolveInfo } from 'graphql';
import type { ClassType } from 'type-graphql';
import type { AnyQuery, KeysetSort } from '../db/pagination';
import type { Context } from '../graphql/context';
import type { ConnectionShape, NodeColumns } from '../graphql/connection';
import type { LoaderDefinition } from '../graphql/loaders';
import type { Permission } from '../auth/permissions';
import { camel, checkName, inflect, snake, type Names } from './inflect';
import type {
  ColumnKind,
  ColumnSpec,
  ExternalRef,
  FilterKind,
  InverseSpec,
  ParentSpec,
  AggregateOption,
  ResourceSpec,
  TableName,
  TimestampSpec,
} from './spec';
import type { defineAggregates } from './aggregates';
import type { ParentConnection } from './lists';
import type { ResourceService } from './service';

/** One column of the table as every concern sees it. */
export interface FieldModel {
  /** GraphQL field and node property. */
  field: string;
  column: string;
  type: ColumnKind;
  nullable: boolean;
  description?: string;
  expose: boolean;
  create?: { required: boolean; description?: string; defaultValue?: unknown };
  update?: { required: boolean; description?: string };
  length?: { min?: number; max: number };
  trim: boolean;
  /** What null means on write: null, '', an empty list or object, or 'unchanged' (left out). */
  clearTo: null | '' | 'unchanged' | readonly never[] | Record<string, never>;
  /** A parent's FK input (a UUID that names a row). */
  reference?: boolean;
  aggregate?: AggregateOption;
  /** Out of the filter even where every timestamp is in it. */
  noFilter?: boolean;
  /** A create input field that is no column (`CreateSpec.inputs`): the rule hooks' alone. */
  inputOnly?: boolean;
  validate?: () => PropertyDecorator[];
}

export interface FilterFieldModel {
  name: string;
  column: string;
  kind: FilterKind;
  description?: string;
  /** The enum of an enum filter. */
  enum?: object;
}

/** What a relation's target offers: a generated resource or a hand-written type. */
export interface TargetModel {
  typeName: string;
  type: () => ClassType<object>;
  table: TableName;
  byId: LoaderDefinition<string, object | null>;
  label: string;
}

export interface RelationModel {
  name: string;
  column: string;
  idProperty: string;
  field: string | false;
  nullable: boolean;
  description?: string;
  requireLive: boolean;
  mustExist: boolean;
  prefetch: boolean;
  inverse?: InverseSpec;
  aggregateGroupBy: boolean;
  target: () => TargetModel;
}

export interface ResourceModel {
  spec: ResourceSpec;
  typeName: string;
  table: TableName;
  names: Names;
  alias: string;
  label: string;
  soft: boolean;
  /** id, the exposed columns, then the timestamps (or spec.order). */
  objectFields: FieldModel[];
  /** Every column a node carries (hidden FKs included), for fromRow. */
  nodeFields: FieldModel[];
  createFields: FieldModel[];
  updateFields: FieldModel[];
  filterFields: FilterFieldModel[];
  relations: RelationModel[];
  orders: Record<string, KeysetSort> | null;
  defaultOrder: string | null;
  /** Some list takes orderBy (the root list or an inverse with args 'list'). */
  exposesOrderBy: boolean;
  hasFilter: boolean;
  permissions: {
    read: Permission;
    create?: Permission;
    update?: Permission;
    delete?: Permission;
    seeDeleted: Permission;
  };
}

/** What `defineResource` returns: the generated classes, loaders, service and base resolver. */
export interface BuiltResource<S extends ResourceSpec = ResourceSpec> {
  readonly spec: S;
  readonly model: ResourceModel;
  readonly typeName: string;
  readonly table: TableName;
  readonly soft: boolean;
  readonly Node: new () => Record<string, unknown>;
  readonly Connection: new () => ConnectionShape<Record<string, unknown>>;
  readonly Payload: ClassType<object>;
  readonly DeletePayload?: ClassType<object>;
  readonly ListArgs: ClassType<object>;
  readonly Filter?: ClassType<object>;
  /** The filter's SQL, from the same field list as the class (for lists, and aggregates later). */
  readonly applyFilter: (query: AnyQuery, value: Record<string, unknown> | null) => AnyQuery;
  /**
   * What the root list adds to its filter (live parents, `lists.rootScope`), so that an
   * organization-wide aggregate counts exactly the rows the root list shows. Null when nothing.
   */
  rootScope(): ((query: AnyQuery) => AnyQuery) | null;
  readonly Order?: object;
  readonly inputs: {
    Create?: ClassType<object>;
    Update?: ClassType<object>;
    Delete?: ClassType<object>;
    Restore?: ClassType<object>;
  };
  readonly fromRow: (row: Record<string, unknown>) => Record<string, unknown>;
  readonly nodeColumns: NodeColumns;
  readonly loaders: { byId: LoaderDefinition<string, Record<string, unknown> | null> };
  /** One parent-connection definition per (parent column, root or not), built once. */
  readonly lists: { root(): ParentConnection; by(parentColumn: string, loaderName: string): ParentConnection };
  readonly service: ResourceService;
  /** `${plural}Aggregate` (given a root list) and `${T}Connection.aggregate` (src/resources/aggregate-concern.ts). */
  readonly aggregates: ReturnType<typeof defineAggregates>;
  /** The generated base; subclass it for what is special, then call useResolver once. */
  readonly BaseResolver: abstract new () => object;
  useResolver(leaf: abstract new () => object): void;
  /** The resolver class the schema gets: the subclass given to useResolver, or the base. */
  leafResolver(): abstract new () => object;
  prefetch<C extends ConnectionShape<Record<string, unknown>>>(
    ctx: Context,
    info: GraphQLResolveInfo,
    connection: C,
  ): Promise<C>;
  /** Whether every requireLive parent of a node is there (by-id answers null otherwise). */
  parentsLive(ctx: Context, node: Record<string, unknown>): Promise<boolean>;
}

const fieldOf = (name: string, c: ColumnSpec): FieldModel => {
  const text = c.type.kind === 'text';
  const create =
    c.create === undefined || c.create === false
      ? undefined
      : typeof c.create === 'string'
        ? { required: c.create === 'required' }
        : c.create;
  const update =
    c.update === undefined || c.update === false
      ? undefined
      : c.update === true
        ? { required: false }
        : { required: false, ...c.update };
  return {
    field: checkName(name, 'field'),
    column: c.column ?? snake(name),
    type: c.type,
    nullable: !!c.nullable,
    description: c.description,
    expose: c.expose ?? true,
    create,
    update,
    length: c.length,
    trim: c.trim ?? text,
    validate: c.validate,
    clearTo: c.clearTo !== undefined ? c.clearTo : c.nullable ? null : text && c.dbDefault ? '' : 'unchanged',
    aggregate: c.aggregate,
    noFilter: c.filter === false,
  };
};

const timestamp = (field: string, column: string, o: boolean | TimestampSpec | undefined) =>
  o
    ? [
        {
          ...fieldOf(field, { type: { kind: 'timestamp' }, column, ...(o === true ? {} : o) }),
          description: o === true ? undefined : o.description,
        },
      ]
    : [];

/** Orders `items` by `order` (names), keeping the rest after them in their own order. */
function ordered<T>(items: T[], nameOf: (item: T) => string, order: readonly string[] | undefined, what: string): T[] {
  if (!order) return items;
  for (const name of order)
    if (!items.some((i) => nameOf(i) === name)) throw new Error(`${what}: order names '${name}', which is not a field`);
  const rank = (i: T) => {
    const at = order.indexOf(nameOf(i));
    return at < 0 ? order.length : at;
  };
  return [...items].sort((a, b) => rank(a) - rank(b));
}

/** A relation target as the concerns use it, whether generated or hand-written. */
export function targetModel(target: ParentSpec['target']): () => TargetModel {
  if (typeof target !== 'function') {
    const ref = target as ExternalRef;
    const model: TargetModel = { ...ref, type: ref.type as () => ClassType<object> };
    return () => model;
  }
  return () => {
    const r = target() as BuiltResource;
    return {
      typeName: r.typeName,
      type: () => r.Node as ClassType<object>,
      table: r.table,
      byId: r.loaders.byId,
      label: r.model.label,
    };
  };
}

/** Normalises a spec: names, defaults, and the field list of each concern. */
export function buildModel(spec: ResourceSpec): ResourceModel {
  const names = inflect(spec);
  const what = spec.name;
  const columns = Object.entries(spec.columns).map(([name, c]) => fieldOf(name, c));
  const relations: RelationModel[] = Object.entries(spec.relations ?? {}).map(([name, r]) => ({
    name,
    column: r.column,
    idProperty: r.idProperty ?? camel(r.column),
    field: r.field === undefined ? false : r.field === false ? false : checkName(r.field, `${what} relation`),
    nullable: !!r.nullable,
    description: r.description,
    requireLive: !!r.requireLive,
    mustExist: !!r.mustExist || !!r.requireLive,
    prefetch: !!r.prefetch,
    aggregateGroupBy: !!r.aggregateGroupBy,
    inverse: r.inverse && { ...r.inverse, field: checkName(r.inverse.field, `${what} inverse`) },
    target: targetModel(r.target),
  }));
  const references = Object.values(spec.relations ?? {}).map((r) => ({
    ...fieldOf(r.idProperty ?? camel(r.column), { type: { kind: 'uuid' }, column: r.column, nullable: r.nullable }),
    expose: false,
    reference: true,
    create: r.input?.create && { required: r.input.create === 'required', description: r.input.description },
    update: r.input?.update ? { required: false } : undefined,
    filter: r.filter,
  }));
  const id = fieldOf('id', { type: { kind: 'uuid' } });
  const ts = spec.timestamps ?? {};
  const standard = [
    ...timestamp('createdAt', 'created_at', ts.createdAt),
    ...timestamp('updatedAt', 'updated_at', ts.updatedAt),
    ...timestamp('deletedAt', 'deleted_at', ts.deletedAt),
  ];
  for (const f of standard) if (f.field === 'deletedAt') f.nullable = true;
  const objectFields = ordered(
    [id, ...columns.filter((c) => c.expose), ...standard],
    (f) => f.field,
    spec.order,
    `${what} object type`,
  );
  const m = spec.mutations ?? {};
  const inputOnly = Object.entries((m.create && m.create.inputs) || {}).map(([name, c]) => ({
    ...fieldOf(name, { create: 'required', ...c }),
    expose: false,
    inputOnly: true,
  }));
  const createFields = ordered(
    [...references.filter((r) => r.create), ...columns.filter((c) => c.create), ...inputOnly],
    (f) => f.field,
    (m.create && m.create.order) || undefined,
    `${what} create input`,
  );
  const updateFields = ordered(
    [...references.filter((r) => r.update), ...columns.filter((c) => c.update)],
    (f) => f.field,
    (m.update || undefined)?.order?.filter((name) => name !== 'id'),
    `${what} update input`,
  );
  const filterFields: FilterFieldModel[] = [];
  for (const r of references) {
    if (!r.filter) continue;
    filterFields.push({
      name: r.field,
      column: r.column,
      kind: 'id',
      description: typeof r.filter === 'object' ? r.filter.description : undefined,
    });
  }
  for (const [name, c] of Object.entries(spec.columns)) {
    if (!c.filter) continue;
    filterFields.push({
      name,
      column: c.column ?? snake(name),
      kind: typeof c.filter === 'string' ? c.filter : c.filter.kind,
      description: typeof c.filter === 'object' ? c.filter.description : undefined,
      enum: c.type.kind === 'enum' ? c.type.graphql : undefined,
    });
  }
  // A resource with a filter filters by every timestamp too (completedAt, createdAt), deletedAt aside.
  if (filterFields.length)
    for (const f of [...columns, ...standard])
      if (f.type.kind === 'timestamp' && f.expose && !f.noFilter && f.field !== 'deletedAt')
        if (!filterFields.some((x) => x.column === f.column))
          filterFields.push({ name: f.field, column: f.column, kind: 'dateTime' });
  const filterSpec = spec.lists?.filter;
  const soft = m.delete ? m.delete.mode === 'soft' : false;
  const orders = spec.lists?.orders ?? null;
  // One order is no choice: no enum and no orderBy (Task.comments takes includeDeleted only).
  const exposesOrderBy =
    !!orders &&
    Object.keys(orders).length > 1 &&
    (!!spec.lists?.root || relations.some((r) => r.inverse && (r.inverse.args ?? 'list') === 'list'));
  const permissions = {
    ...spec.permissions,
    seeDeleted: spec.permissions.seeDeleted ?? spec.permissions.delete ?? spec.permissions.read,
  };
  return {
    spec,
    typeName: spec.name,
    table: spec.table,
    names,
    alias:
      spec.lists?.alias ??
      spec.table
        .split('_')
        .map((w) => w[0])
        .join(''),
    label: spec.label ?? spec.name,
    soft,
    objectFields,
    nodeFields: [id, ...columns, ...references, ...standard],
    createFields,
    updateFields,
    filterFields: ordered(filterFields, (f) => f.name, filterSpec ? filterSpec.order : undefined, `${what} filter`),
    relations,
    orders,
    defaultOrder: orders ? Object.keys(orders)[0]! : null,
    exposesOrderBy,
    hasFilter: filterSpec !== false && filterFields.length > 0,
    permissions,
  };
}
