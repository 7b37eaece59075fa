import { ArgsType, Field, Int, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import type { Kysely } from 'kysely';
import {
  countsByParent, pageRequest, pagesByParent,
  type AnyQuery, type KeysetSort, type Page, type PageArgs,
} from '../db/pagination';
import type { Database } from '../db/schema';
import { defineLoader, type LoaderDefinition, type Loaders } from './loaders';

@ObjectType({ description: 'Relay page information.', simpleResolvers: true })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
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
  // Plain properties: graphql-js's default resolver, no per-field wrapper (thousands of edges per response).
  @ObjectType(`${nodeClass.name}Edge`, { simpleResolvers: true })
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

    @Field(() => Int, { description: 'Number of nodes matching the filter, across all pages.' })
    get totalCount(): Promise<number> {
      return this.countLoader();
    }
  }
  return ConnectionType;
}

/** Fills a connection instance from a page of rows. */
export function fillConnection<Row, T, C extends ConnectionShape<T>>(
  connection: C,
  page: Page<Row>,
  toNode: (row: Row) => T,
  countLoader: () => Promise<number>,
): C {
  const edges = page.rows.map((row, i) => ({ cursor: page.cursors[i]!, node: toNode(row) }));
  const pageInfo = Object.assign(new PageInfo(), {
    hasNextPage: page.hasNextPage,
    hasPreviousPage: page.hasPreviousPage,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges.at(-1)?.cursor ?? null,
  });
  return Object.assign(connection, { edges, pageInfo, countLoader });
}

/** The key of a per-parent connection loader: a parent and the field's arguments. */
export interface ParentPageKey<F> {
  parentId: string;
  args: PageArgs & { filter?: F | null; orderBy?: string | null; includeDeleted?: boolean | null };
}

/**
 * Defines the two loaders behind a per-parent connection field (a page of children, and their
 * count) for any table. Keys carry the arguments, and each distinct set of arguments is one
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
   * The table is soft-deleted: rows with `deleted_at` set are left out unless the key asks for
   * `includeDeleted` (the resolver checks that the caller may; see `assertPermission`).
   */
  softDelete?: boolean;
}) {
  const keyOf = (key: ParentPageKey<F>) => JSON.stringify([
    key.parentId, key.args.first, key.args.after, key.args.last, key.args.before, key.args.filter ?? null, key.args.orderBy ?? null,
    key.args.includeDeleted ?? false,
  ]);
  const sortOf = (args: ParentPageKey<F>['args']): KeysetSort => (args.orderBy && options.orders?.[args.orderBy]) || options.sort;
  const argsKey = (key: ParentPageKey<F>) => keyOf({ ...key, parentId: '' });
  const filterFor = (args: ParentPageKey<F>['args']) => (query: AnyQuery): AnyQuery => {
    let q = options.softDelete && !args.includeDeleted ? query.where(`${options.alias}.deleted_at`, 'is', null) : query;
    if (options.filter) q = options.filter(q, args.filter ?? null);
    return q;
  };

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
      await Promise.all(groups(keys).map(async (group) => {
        const { args } = group[0]!;
        const sort = sortOf(args);
        const request = pageRequest(args, sort);
        const pages = await pagesByParent<Row>(db, {
          parentIds: [...new Set(group.map((k) => k.parentId))],
          table: options.table, alias: options.alias, parentColumn: options.parentColumn,
          sort, page: request, filter: filterFor(args), columns: options.columns,
        });
        for (const key of group) results.set(keyOf(key), pages.get(key.parentId)!);
      }));
      return keys.map((key) => results.get(keyOf(key))!);
    },
    keyOf,
  );

  const count: LoaderDefinition<ParentPageKey<F>, number> = defineLoader(
    `${options.name}.count`,
    async (db: Kysely<Database>, keys) => {
      const results = new Map<string, number>();
      await Promise.all(groups(keys).map(async (group) => {
        const counts = await countsByParent(db, {
          parentIds: [...new Set(group.map((k) => k.parentId))],
          table: options.table, alias: options.alias, parentColumn: options.parentColumn,
          filter: filterFor(group[0]!.args),
        });
        for (const key of group) results.set(keyOf(key), counts.get(key.parentId) ?? 0);
      }));
      return keys.map((key) => results.get(keyOf(key))!);
    },
    keyOf,
  );

  return {
    sort: options.sort,
    /** Loads one parent's page and fills `connection` with it; the count stays lazy. */
    async load<T, C extends ConnectionShape<T>>(
      loaders: Loaders,
      key: ParentPageKey<F>,
      connection: C,
      toNode: (row: Row) => T,
    ): Promise<C> {
      // Arguments are checked before any SQL runs, so a bad cursor is the caller's error, not the batch's.
      pageRequest(key.args, sortOf(key.args));
      const rows = await loaders.use(page).load(key);
      return fillConnection(connection, rows, toNode, () => loaders.use(count).load(key));
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
