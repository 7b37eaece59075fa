import { ArgsType, Extensions, Field, Int, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import type { AliasedExpression, Kysely } from 'kysely';
import {
  aggregatesByParent,
  countsByParent,
  pageRequest,
  pagesByParent,
  type AggregateRow,
  type AnyQuery,
  type KeysetSort,
  type Page,
  type PageArgs,
} from '../db/pagination';
import type { Database } from '../db/schema';
import { defineLoader, type LoaderDefinition, type Loaders } from './loaders';
import { selectedFieldNames, selects } from './selection';
import { AGGREGATE_COST } from './limits';

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field()
  hasPreviousPage: boolean;

  constructor(page: Pick<Page<unknown>, 'rows' | 'cursorAt' | 'hasNextPage' | 'hasPreviousPage'>) {
    this.hasNextPage = page.hasNextPage;
    this.hasPreviousPage = page.hasPreviousPage;
    this.page = page;
  }

  private readonly page: Pick<Page<unknown>, 'rows' | 'cursorAt'>;

  // Getters: a cursor is only encoded when a client selects it.
  @Field(() => String, { nullable: true })
  get startCursor(): string | null {
    return this.page.rows.length ? this.page.cursorAt(0) : null;
  }

  @Field(() => String, { nullable: true })
  get endCursor(): string | null {
    return this.page.rows.length ? this.page.cursorAt(this.page.rows.length - 1) : null;
  }
}

/** Relay arguments shared by every connection field: `first`/`after` forward, `last`/`before` backward. */
@ArgsType()
export class ConnectionArgs implements PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size going forward (default 20, at most 100).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor to continue after.' })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: 'Page size going backward (at most 100).' })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor to continue before.' })
  before?: string | null;
}

export interface EdgeShape<T> {
  cursor: string;
  node: T;
}

export interface ConnectionShape<T> {
  edges: EdgeShape<T>[];
  pageInfo: PageInfo;
  readonly totalCount: Promise<number>;
  /** Set by `fill` for a connection with an `aggregate` field (see `addAggregateField`). */
  aggregateLoader?: (() => Promise<object>) | undefined;
}

/**
 * Builds the `XConnection` and `XEdge` object types for a node type.
 * `totalCount` is a getter: it runs its (batched) count only when a client selects it.
 *
 * @example
 * @ObjectType()
 * export class MembershipConnection extends Connection(Membership) {}
 */
export function Connection<T extends object>(nodeClass: ClassType<T>) {
  @ObjectType(`${nodeClass.name}Edge`)
  class Edge implements EdgeShape<T> {
    @Field({ description: 'Opaque cursor of this node.' })
    cursor!: string;

    @Field(() => nodeClass)
    node!: T;
  }

  @ObjectType()
  abstract class ConnectionType implements ConnectionShape<T> {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    /** Set by `fill`; the count is only asked for when `totalCount` is resolved. */
    countLoader!: () => Promise<number>;

    /** Set by `fill` when the connection has an `aggregate` field; asked for only when it is resolved. */
    aggregateLoader?: () => Promise<object>;

    // A count reads every matching row: priced by the query cost limit (limits.ts).
    @Extensions({ cost: AGGREGATE_COST })
    @Field(() => Int, { description: 'Number of nodes matching the filter, across all pages.' })
    get totalCount(): Promise<number> {
      return this.countLoader();
    }
  }
  return ConnectionType;
}

/**
 * What a connection's `aggregate` field computes over the nodes matching the list's filter:
 * measure expressions (one grouped statement for every parent of a level, `aggregatesByParent`)
 * and the GraphQL object built from their row. `src/resources/aggregates.ts` makes one from a
 * resource's aggregatable columns.
 */
export interface ConnectionAggregate<A extends object = object> {
  /** The node type's name ('Task'): names the loaders (`tasksOfProject.aggregate.Task`). */
  typeName: string;
  /** The object type of the field (`TaskAggregate`). */
  type: () => ClassType<A>;
  /** Aggregate expressions over the list's table under `alias`, each aliased (not `count` or `parent_id`). */
  measures(alias: string): readonly AliasedExpression<unknown, string>[];
  /** The field's value from a parent's row: its count, and its measures (absent for a parent without nodes). */
  fromRow(row: AggregateRow): A;
}

const aggregateOfConnection = new WeakMap<object, ConnectionAggregate>();

/**
 * Gives a connection type an `aggregate` field: count and measures of every node matching the
 * list's filter, across all pages. Like `totalCount` it is a getter priced AGGREGATE_COST, and its
 * statement (one per list level, see `defineParentConnection`) runs only when a client selects it.
 * Every list filling this connection type gets it, root lists and per-parent lists alike.
 *
 * @example
 * addAggregateField(TaskConnection, taskAggregates.connection);
 * // { project { tasks(filter: { status: [DONE] }) { aggregate { count sum { storyPoints } } } } }
 */
export function addAggregateField<A extends object>(
  connectionClass: ClassType<ConnectionShape<unknown>>,
  aggregate: ConnectionAggregate<A>,
): void {
  if (aggregateOfConnection.has(connectionClass))
    throw new Error(`connection: ${connectionClass.name} already has an aggregate field`);
  aggregateOfConnection.set(connectionClass, aggregate as ConnectionAggregate);
  aggregateOfClass = new WeakMap(); // a subclass may have been looked up before
  const { prototype } = connectionClass;
  Object.defineProperty(prototype, 'aggregate', {
    configurable: true,
    get(this: ConnectionShape<unknown>) {
      if (!this.aggregateLoader)
        throw new Error(`connection: ${connectionClass.name} was filled without its aggregate`);
      return this.aggregateLoader();
    },
  });
  const descriptor = Object.getOwnPropertyDescriptor(prototype, 'aggregate')!;
  Extensions({ cost: AGGREGATE_COST })(prototype, 'aggregate', descriptor);
  Field(aggregate.type, { description: 'Count and measures of the nodes matching the filter, across all pages.' })(
    prototype,
    'aggregate',
    descriptor,
  );
}

/** What `aggregateOf` found for each connection class (null: none), so each list load does not walk prototypes. */
let aggregateOfClass = new WeakMap<object, ConnectionAggregate | null>();

/** The aggregate of a connection's type (or of a type it extends), if it has one. */
function aggregateOf(connection: object): ConnectionAggregate | undefined {
  const type = (connection as { constructor: object }).constructor;
  let found = aggregateOfClass.get(type);
  if (found === undefined) {
    found = null;
    for (
      let proto = Object.getPrototypeOf(connection) as object | null;
      proto && !found;
      proto = Object.getPrototypeOf(proto)
    )
      found = aggregateOfConnection.get((proto as { constructor: object }).constructor) ?? null;
    aggregateOfClass.set(type, found);
  }
  return found ?? undefined;
}

/** An edge whose cursor is encoded when a client selects it (a 1,000-row answer rarely asks for 1,000 cursors). */
class PageEdge<T> implements EdgeShape<T> {
  constructor(
    readonly node: T,
    private readonly page: Page<unknown>,
    private readonly index: number,
  ) {}

  get cursor(): string {
    return this.page.cursorAt(this.index);
  }
}

/** Fills a connection instance from a page of rows. */
export function fillConnection<Row, T, C extends ConnectionShape<T>>(
  connection: C,
  page: Page<Row>,
  toNode: (row: Row) => T,
  countLoader: () => Promise<number>,
  aggregateLoader?: () => Promise<object>,
): C {
  const { rows } = page;
  const edges = new Array<PageEdge<T>>(rows.length);
  for (let i = 0; i < rows.length; i++) edges[i] = new PageEdge(toNode(rows[i]!), page, i);
  return Object.assign(connection, { edges, pageInfo: new PageInfo(page), countLoader, aggregateLoader });
}

/** The key of a per-parent connection loader: a parent and the field's arguments. */
export interface ParentPageKey<F> {
  parentId: string;
  args: PageArgs & { filter?: F | null; orderBy?: string | null; includeDeleted?: boolean | null };
  /** The columns the selection needs (see `NodeColumns`); every column when absent or null. */
  columns?: readonly string[] | null;
  /** False when the selection asks for no cursor (no sort values are read then); true when absent. */
  cursors?: boolean;
}

/**
 * What a node type's GraphQL fields read from its table, so that a list reads only the columns
 * its selection needs (a 1,000-row page of `{ id title }` should not parse 27 columns per row).
 * A selected field that `fields` does not name makes the list read every column: a field added
 * without an entry here is slower, never wrong.
 *
 * @example
 * // What the resource layer generates from a definition (tasks.nodeColumns), in part:
 * const taskColumns: NodeColumns = {
 *   always: ['id'],
 *   fields: { id: [], title: ['title'], assignee: ['assignee_id'], subtasks: [] },
 * };
 */
export interface NodeColumns {
  /** Read whatever is selected: the id (cursors, child lists) at least. */
  always: readonly string[];
  /** GraphQL field name -> the columns it reads; a field resolved later names the key it loads by. */
  fields: Readonly<Record<string, readonly string[]>>;
}

/**
 * Whether a connection's selection reads its page: its edges or pageInfo. A list asked only for
 * `totalCount` or `aggregate` (`project.tasks(filter) { aggregate { count } }` under 50 projects)
 * needs no rows.
 */
const EDGES = ['edges'] as const;
const PAGE_INFO = ['pageInfo'] as const;
const EDGES_NODE = ['edges', 'node'] as const;

export function selectsPage(info: GraphQLResolveInfo): boolean {
  return selects(info, EDGES) || selects(info, PAGE_INFO);
}

/** The page of a list whose selection reads none (see `selectsPage`). */
const UNREAD_PAGE: Page<never> = {
  rows: [],
  cursorAt: () => {
    throw new Error('pagination: a cursor was asked of a page that was not read');
  },
  hasNextPage: false,
  hasPreviousPage: false,
};

/** Whether a connection's selection asks for a cursor: an edge's, or pageInfo's start or end. */
export function selectsCursors(info: GraphQLResolveInfo): boolean {
  if (selectedFieldNames(info, EDGES).has('cursor')) return true;
  const pageInfo = selectedFieldNames(info, PAGE_INFO);
  return pageInfo.has('startCursor') || pageInfo.has('endCursor');
}

// Per node type, per field of the document (its nodes never change): 50 lists under 50 parents share one answer.
const columnsByField = new WeakMap<NodeColumns, WeakMap<readonly FieldNode[], readonly string[] | null>>();

/**
 * The columns a connection's nodes need for this selection (`edges.node`), sorted, or null
 * (every column) when a selected field is not described by `nodeColumns`. Every item of a list
 * gets the same array.
 */
export function columnsForSelection(info: GraphQLResolveInfo, nodeColumns: NodeColumns): readonly string[] | null {
  let byField = columnsByField.get(nodeColumns);
  if (!byField) columnsByField.set(nodeColumns, (byField = new WeakMap()));
  let columns = byField.get(info.fieldNodes);
  if (columns === undefined) {
    columns = readColumns(info, nodeColumns);
    byField.set(info.fieldNodes, columns);
  }
  return columns;
}

function readColumns(info: GraphQLResolveInfo, nodeColumns: NodeColumns): readonly string[] | null {
  const columns = new Set(nodeColumns.always);
  for (const name of selectedFieldNames(info, EDGES_NODE)) {
    if (name === '__typename') continue;
    const read = Object.hasOwn(nodeColumns.fields, name) ? nodeColumns.fields[name] : undefined;
    if (!read) return null;
    for (const column of read) columns.add(column);
  }
  return [...columns].sort();
}

/**
 * Defines the loaders behind a per-parent connection field (a page of children, their count,
 * and, for a connection type with an `aggregate` field, their aggregate) for any table. Keys carry the arguments, and each distinct set of arguments is one
 * statement for all parents, so different arguments never share a batch wrongly.
 *
 * @example
 * export const membersOfOrganization = defineParentConnection<Database['memberships'], MemberFilter>({
 *   name: 'membersOfOrganization', table: 'memberships', alias: 'm', parentColumn: 'organization_id',
 *   sort: { column: 'joined_at', direction: 'asc', type: 'timestamp' },
 *   filter: (q, f) => f?.status ? q.where('m.status', 'in', f.status) : q,
 * });
 * const page = await ctx.loaders.use(membersOfOrganization.page).load({ parentId: org.id, args });
 */
export function defineParentConnection<Row, F>(options: {
  name: string;
  table: keyof Database & string;
  alias: string;
  parentColumn: string;
  /** The default order. */
  sort: KeysetSort;
  /** Other orders, by the internal value of the field's `orderBy` enum (see `orderEnum`). */
  orders?: Record<string, KeysetSort>;
  /** Narrows the children by the field's `filter` argument (called with null when absent). */
  filter?: (query: AnyQuery, value: F | null) => AnyQuery;
  /** Columns to read, when the app role may not read them all. */
  columns?: readonly string[];
  /**
   * What the node type's fields read: with it, `load` given the resolver's `info` reads only the
   * columns the selection needs. Name only columns the app role may read.
   */
  nodeColumns?: NodeColumns;
  /**
   * The table is soft-deleted: rows with `deleted_at` set are left out unless the key asks for
   * `includeDeleted` (the resolver checks that the caller may; see `assertPermission`).
   */
  softDelete?: boolean;
}) {
  const argsOf = (args: ParentPageKey<F>['args']) => [
    args.first,
    args.after,
    args.last,
    args.before,
    args.filter ?? null,
    args.orderBy ?? null,
    args.includeDeleted ?? false,
  ];
  // Each key is stringified once (DataLoader and the batch ask several times for each of 50 parents).
  const keys = new WeakMap<ParentPageKey<F>, { key: string; args: string }>();
  const stringsOf = (key: ParentPageKey<F>) => {
    let strings = keys.get(key);
    if (!strings) {
      const args = JSON.stringify(argsOf(key.args));
      // The cache key carries the columns (a page read with fewer columns must not answer a wider selection later)...
      strings = { key: `${key.parentId}|${key.columns?.join(',') ?? '*'}|${key.cursors ?? true}|${args}`, args };
      keys.set(key, strings);
    }
    return strings;
  };
  const keyOf = (key: ParentPageKey<F>) => stringsOf(key).key;
  // ...while a batch groups by arguments only and reads the union of its keys' columns: one statement per arguments.
  const argsKey = (key: ParentPageKey<F>) => stringsOf(key).args;
  const sortOf = (args: ParentPageKey<F>['args']): KeysetSort =>
    (args.orderBy && options.orders?.[args.orderBy]) || options.sort;
  const columnsOf = (group: readonly ParentPageKey<F>[]): readonly string[] | undefined => {
    const first = group[0]!.columns;
    // The usual case: every parent's list of one field, with the same (shared) columns.
    if (first && group.every((key) => key.columns === first)) return first;
    if (group.some((key) => !key.columns)) return options.columns;
    return [...new Set(group.flatMap((key) => key.columns!))].sort();
  };
  const filterFor =
    (args: ParentPageKey<F>['args']) =>
    (query: AnyQuery): AnyQuery => {
      let q =
        options.softDelete && !args.includeDeleted ? query.where(`${options.alias}.deleted_at`, 'is', null) : query;
      if (options.filter) q = options.filter(q, args.filter ?? null);
      return q;
    };

  // What decides a page statement besides the parent ids and the cursor (pagesByParent's `shape`):
  // this definition (its table, scope and filter function) and the arguments, cursors only as present or not.
  const shapeOf = (args: ParentPageKey<F>['args'], columns: readonly string[] | undefined, cursors: boolean) =>
    `${options.name}|${columns?.join(',') ?? '*'}|${cursors}|${JSON.stringify([
      args.first,
      args.after != null,
      args.last,
      args.before != null,
      args.filter ?? null,
      args.orderBy ?? null,
      args.includeDeleted ?? false,
    ])}`;

  const groups = <K extends ParentPageKey<F>>(keys: readonly K[]) => {
    const byArgs = new Map<string, K[]>();
    for (const key of keys) {
      const group = byArgs.get(argsKey(key)) ?? [];
      group.push(key);
      byArgs.set(argsKey(key), group);
    }
    return [...byArgs.values()];
  };

  const page: LoaderDefinition<ParentPageKey<F>, Page<Row>> = defineLoader(
    `${options.name}.page`,
    async (db: Kysely<Database>, keys) => {
      const results = new Map<string, Page<Row>>();
      await Promise.all(
        groups(keys).map(async (group) => {
          const { args } = group[0]!;
          const sort = sortOf(args);
          const request = pageRequest(args, sort);
          const columns = columnsOf(group);
          const cursors = group.some((key) => key.cursors ?? true);
          const pages = await pagesByParent<Row>(db, {
            shape: shapeOf(args, columns, cursors),
            parentIds: [...new Set(group.map((k) => k.parentId))],
            table: options.table,
            alias: options.alias,
            parentColumn: options.parentColumn,
            sort,
            page: request,
            filter: filterFor(args),
            columns,
            cursors,
          });
          for (const key of group) results.set(keyOf(key), pages.get(key.parentId)!);
        }),
      );
      return keys.map((key) => results.get(keyOf(key))!);
    },
    keyOf,
  );

  const count: LoaderDefinition<ParentPageKey<F>, number> = defineLoader(
    `${options.name}.count`,
    async (db: Kysely<Database>, keys) => {
      const results = new Map<string, number>();
      await Promise.all(
        groups(keys).map(async (group) => {
          const counts = await countsByParent(db, {
            parentIds: [...new Set(group.map((k) => k.parentId))],
            table: options.table,
            alias: options.alias,
            parentColumn: options.parentColumn,
            filter: filterFor(group[0]!.args),
          });
          for (const key of group) results.set(keyOf(key), counts.get(key.parentId) ?? 0);
        }),
      );
      return keys.map((key) => results.get(keyOf(key))!);
    },
    keyOf,
  );

  // One aggregate loader per aggregate filled into this list (in practice one: the connection type's).
  const aggregates = new Map<ConnectionAggregate, LoaderDefinition<ParentPageKey<F>, object>>();
  const aggregateLoader = (aggregate: ConnectionAggregate) => {
    let loader = aggregates.get(aggregate);
    if (!loader) {
      loader = defineLoader(
        `${options.name}.aggregate.${aggregate.typeName}`,
        async (db: Kysely<Database>, keys) => {
          const results = new Map<string, object>();
          await Promise.all(
            groups(keys).map(async (group) => {
              const rows = await aggregatesByParent(db, {
                parentIds: [...new Set(group.map((k) => k.parentId))],
                table: options.table,
                alias: options.alias,
                parentColumn: options.parentColumn,
                filter: filterFor(group[0]!.args),
                measures: aggregate.measures(options.alias),
              });
              for (const key of group) results.set(keyOf(key), aggregate.fromRow(rows.get(key.parentId)!));
            }),
          );
          return keys.map((key) => results.get(keyOf(key))!);
        },
        keyOf,
      );
      aggregates.set(aggregate, loader);
    }
    return loader;
  };

  return {
    sort: options.sort,
    /**
     * Loads one parent's page and fills `connection` with it; the count and the aggregate stay lazy.
     * With the resolver's `info`, a selection without edges or pageInfo reads no page, and (with
     * `nodeColumns`) only the columns the selection needs are read, so
     * `toNode` gets rows that may lack the columns of fields nobody asked for.
     */
    async load<T, C extends ConnectionShape<T>>(
      loaders: Loaders,
      key: ParentPageKey<F>,
      connection: C,
      toNode: (row: Row) => T,
      info?: GraphQLResolveInfo,
    ): Promise<C> {
      // Arguments are checked before any SQL runs, so a bad cursor is the caller's error, not the batch's.
      pageRequest(key.args, sortOf(key.args));
      const columns = info && options.nodeColumns ? columnsForSelection(info, options.nodeColumns) : null;
      const rows =
        info && !selectsPage(info)
          ? (UNREAD_PAGE as Page<Row>)
          : await loaders.use(page).load(info ? { ...key, columns, cursors: selectsCursors(info) } : key);
      const aggregate = aggregateOf(connection);
      return fillConnection(
        connection,
        rows,
        toNode,
        () => loaders.use(count).load(key),
        aggregate && (() => loaders.use(aggregateLoader(aggregate)).load(key)),
      );
    },
  };
}

/**
 * A GraphQL enum for a connection's `orderBy` argument, from the orders a connection defines:
 * `joined_at_desc` becomes `JOINED_AT_DESC`. Every order ends with `id` as its tiebreak.
 *
 * @example
 * const MEMBER_ORDERS = { joined_at_asc: {...}, joined_at_desc: {...} };
 * export const MemberOrder = orderEnum('MemberOrder', MEMBER_ORDERS);
 */
export function orderEnum<K extends string>(name: string, orders: Record<K, KeysetSort>): Record<Uppercase<K>, K> {
  const values = Object.fromEntries(Object.keys(orders).map((k) => [k.toUpperCase(), k])) as Record<Uppercase<K>, K>;
  registerEnumType(values, { name, description: `Orders of a list; ties are broken by id, so pages are stable.` });
  return values;
}
