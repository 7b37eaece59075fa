import { CompiledQuery, sql, type AliasedExpression, type Kysely, type SelectQueryBuilder } from 'kysely';
import { BoundedCache, stringBytes } from '../cache/bounded-cache';
import { BadUserInputError } from '../errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Relay page arguments, as received from GraphQL. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A keyset sort: one NOT NULL column plus `id` as the stable tiebreak. */
export interface KeysetSort {
  /** Column name in the table, e.g. `joined_at`. */
  column: string;
  direction: 'asc' | 'desc';
  /** How cursor values are read back (dates travel as ISO strings). */
  type: 'timestamp' | 'date' | 'text' | 'number';
}

/** A validated page request: direction, size and the decoded cursor. */
export interface PageRequest {
  backward: boolean;
  size: number;
  cursor: { value: string; id: string } | null;
  hadCursor: boolean;
}

export interface Page<Row> {
  /**
   * The rows in page order. They may carry the helper columns `__sort_value`, `__position` and
   * `__parent_id`: building the node reads the columns it knows and ignores the rest (deleting
   * properties would turn every row into a slow dictionary-mode object).
   */
  rows: Row[];
  /** The cursor of the row at `index`, encoded on demand: most queries select no cursor. */
  cursorAt(index: number): string;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/**
 * Cursors are opaque to clients: base64url of [sort column, value as Postgres prints it, id].
 * The value comes from SQL (`column::text`), so timestamps keep their microseconds; a cursor
 * rounded to JavaScript's milliseconds would repeat or skip rows at page boundaries.
 */
export function encodeCursor(sort: KeysetSort, sortValue: string, id: string): string {
  return cursorPrefix(sort) + Buffer.from(`${JSON.stringify(sortValue)},${JSON.stringify(id)}]`).toString('base64url');
}

/**
 * The encoded start of every cursor of one order, `["joined_at:asc",` padded with spaces (JSON
 * ignores them) to a whole number of 3-byte groups, so its base64 ends on a group boundary and the
 * rest of a cursor can be encoded on its own and appended: a 50-row page encodes its order once.
 */
const cursorPrefixes = new Map<string, string>();
function cursorPrefix(sort: KeysetSort): string {
  const order = orderName(sort);
  let prefix = cursorPrefixes.get(order);
  if (prefix === undefined) {
    const start = Buffer.from(`[${JSON.stringify(order)},`);
    const padded = Buffer.concat([start, Buffer.alloc((3 - (start.length % 3)) % 3, ' ')]);
    cursorPrefixes.set(order, (prefix = padded.toString('base64url')));
  }
  return prefix;
}

/** A cursor belongs to one order: column and direction. */
const orderName = (sort: KeysetSort) => `${sort.column}:${sort.direction}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VALUE_SHAPES: Record<KeysetSort['type'], RegExp> = {
  timestamp: /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:\d{2})?|Z)|infinity)$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  number: /^-?\d{1,30}(\.\d{1,30})?$/,
  text: /^[\s\S]{0,1000}$/,
};
const SQL_TYPES: Record<KeysetSort['type'], string> = {
  timestamp: 'timestamptz',
  date: 'date',
  number: 'numeric',
  text: 'text',
};

function decodeCursor(sort: KeysetSort, cursor: string, field: string): { value: string; id: string } {
  const invalid = () => new BadUserInputError(field, `${field} is not a valid cursor for this list and order`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== orderName(sort)) throw invalid();
  const [, value, id] = parsed as [string, unknown, unknown];
  if (typeof id !== 'string' || !UUID.test(id)) throw invalid();
  if (typeof value !== 'string' || !VALUE_SHAPES[sort.type].test(value) || !isPlausibleValue(sort.type, value))
    throw invalid();
  return { value, id };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * What the shape cannot tell: a real calendar day and time of day (PostgreSQL would refuse
 * 2026-02-30 or 25:00 with an error that names no argument), and text PostgreSQL can store.
 */
function isPlausibleValue(type: KeysetSort['type'], value: string): boolean {
  if (type === 'text')
    return !value.includes('\u0000') && !/[\ud800-\udfff]/.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
  if ((type !== 'date' && type !== 'timestamp') || value === 'infinity') return true;
  const [, y, m, d, hh = '0', mm = '0', ss = '0'] =
    /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?/.exec(value) ?? [];
  const year = Number(y);
  const month = Number(m);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  const [, offsetHours = '0', offsetMinutes = '0'] =
    type === 'timestamp' ? (/[+-](\d{2})(?::(\d{2}))?$/.exec(value) ?? []) : [];
  return (
    year >= 1 &&
    Number(d) >= 1 &&
    Number(d) <= days &&
    Number(hh) < 24 &&
    Number(mm) < 60 &&
    Number(ss) < 60 &&
    Number(offsetHours) <= 15 &&
    Number(offsetMinutes) < 60
  );
}

/**
 * Checks Relay arguments and decodes the cursor; errors name the offending argument.
 *
 * @example
 * const page = pageRequest({ first: 10, after: cursor }, { column: 'joined_at', direction: 'asc', type: 'timestamp' });
 */
export function pageRequest(args: PageArgs, sort: KeysetSort): PageRequest {
  const { first, after, last, before } = args;
  if (first != null && last != null) throw new BadUserInputError('last', 'Pass either first or last, not both');
  if (after != null && before != null) throw new BadUserInputError('before', 'Pass either after or before, not both');
  if (first != null && before != null)
    throw new BadUserInputError('before', 'Use before with last, and after with first');
  if (last != null && after != null) throw new BadUserInputError('after', 'Use after with first, and before with last');
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value != null && (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE)) {
      throw new BadUserInputError(name, `${name} must be between 0 and ${MAX_PAGE_SIZE}`);
    }
  }
  const backward = last != null || (before != null && first == null);
  const size = (backward ? last : first) ?? DEFAULT_PAGE_SIZE;
  const raw = backward ? before : after;
  return {
    backward,
    size,
    cursor: raw != null ? decodeCursor(sort, raw, backward ? 'before' : 'after') : null,
    hadCursor: raw != null,
  };
}

// The builders below work on any table; the typed boundary is the caller's row type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQuery = SelectQueryBuilder<any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;

/**
 * Adds the keyset condition and order (reversed for backward pages) and the limit (+1 to see past
 * the page), with, unless `position` is false, the row's position in the page (for an outer query
 * to keep the order) and, unless `cursors` is false, its sort value as text (what a cursor is made of).
 */
export function applyKeyset(
  query: AnyQuery,
  sort: KeysetSort,
  page: PageRequest,
  alias: string,
  cursors = true,
  position = true,
): AnyQuery {
  const ascending = (sort.direction === 'asc') !== page.backward;
  const col = sql.ref(`${alias}.${sort.column}`);
  const id = sql.ref(`${alias}.id`);
  let q = query;
  if (page.cursor) {
    const op = sql.raw(ascending ? '>' : '<');
    const type = sql.raw(SQL_TYPES[sort.type]);
    q = q.where(
      sql<boolean>`(${col}, ${id}) ${op} (cast(${page.cursor.value} as ${type}), cast(${page.cursor.id} as uuid))`,
    );
  }
  const dir = ascending ? 'asc' : 'desc';
  const order = sql.raw(dir);
  return q
    .select([
      ...(cursors ? [sql<string>`${col}::text`.as('__sort_value')] : []),
      // The position in the page, so an outer query can keep the order (a join does not promise it).
      ...(position ? [sql<number>`row_number() over (order by ${col} ${order}, ${id} ${order})`.as('__position')] : []),
    ])
    .orderBy(col, dir)
    .orderBy(id, dir)
    .limit(page.size + 1);
}

type Keyed = { __sort_value: string; __position?: number; id: string };

/** Trims the look-ahead row and restores the order of backward pages; cursors come from the sort values when asked for. */
function toPage<Row>(rows: (Row & Keyed)[], page: PageRequest, sort: KeysetSort): Page<Row> {
  const more = rows.length > page.size;
  const kept = more ? rows.slice(0, page.size) : rows;
  if (page.backward) kept.reverse();
  return {
    rows: kept,
    cursorAt: (index) => {
      const row = kept[index]!;
      // A page read without sort values (no cursor selected) must never be asked for a cursor: fail loudly, not with a wrong one.
      if (typeof row.__sort_value !== 'string')
        throw new Error('pagination: a cursor was asked of a page read without cursors');
      return encodeCursor(sort, row.__sort_value, row.id);
    },
    hasNextPage: page.backward ? page.hadCursor : more,
    hasPreviousPage: page.backward ? more : page.hadCursor,
  };
}

/**
 * One page of a per-parent list for many parents in ONE statement (unnest + LATERAL), so
 * `organization.members(first: 20)` costs the same for 1 parent or 50.
 *
 * @example
 * const pages = await pagesByParent(db, {
 *   parentIds, table: 'memberships', parentColumn: 'organization_id', sort, page,
 *   filter: (q) => q.where('m.status', '=', 'active'), alias: 'm',
 * });
 * pages.get(orgId)?.rows
 */
export async function pagesByParent<Row>(
  db: AnyDb,
  options: {
    /**
     * Names everything that decides the statement except the parent ids and the cursor's value
     * and id (table, filter and its values, order, page size, direction, whether there is a
     * cursor, columns): with it, the statement is built and compiled once per shape and reused
     * with those three values swapped in. Two calls with the same shape must build the same SQL.
     */
    shape?: string;
    parentIds: readonly string[];
    table: string;
    alias: string;
    parentColumn: string;
    sort: KeysetSort;
    page: PageRequest;
    filter?: (query: AnyQuery) => AnyQuery;
    /** Columns to read (all when omitted): tables with column grants list what the app may see. */
    columns?: readonly string[];
    /** Whether the rows' cursors may be asked for (default true); false reads no sort values. */
    cursors?: boolean;
  },
): Promise<Map<string, Page<Row>>> {
  const byParent = new Map<string, (Row & Keyed)[]>(options.parentIds.map((id) => [id, []]));
  if (options.page.size > 0) {
    // One parent (a top-level list: the organization) is a plain WHERE, many an unnest + LATERAL:
    // planned for its one parent, the first has a plan PostgreSQL can keep for a prepared
    // statement, where unnest's guess of 10 parents makes it plan the second afresh each time.
    const one = options.parentIds.length === 1;
    const parents = one ? options.parentIds[0]! : options.parentIds;
    const shape = options.shape === undefined ? undefined : `${options.shape}|${one ? 'one' : 'many'}`;
    const cached = shape === undefined ? undefined : listStatements.get(shape);
    const statement = cached
      ? withValues(cached, parents, options.page)
      : one
        ? oneParentStatement(db, options)
        : pageStatement(db, options);
    if (!cached && shape !== undefined) remember(shape, statement, parents, options.page);
    const { rows } = await db.executeQuery<Row & Keyed & { __parent_id?: string }>(statement);
    if (one) byParent.set(options.parentIds[0]!, rows);
    else for (const row of rows) byParent.get(row.__parent_id!)?.push(row);
  }
  return new Map([...byParent].map(([id, rows]) => [id, toPage(rows, options.page, options.sort)]));
}

/**
 * Compiled list statements by shape (see `pagesByParent`'s `shape`): building and compiling one
 * with Kysely cost more server time than the rest of a 50-row page. Bounded by bytes, as the
 * shape holds filter values a caller chooses.
 */
const listStatements = new BoundedCache<string, CompiledQuery>({
  maxBytes: 4 * 1024 * 1024,
  sizeOf: (shape, statement) =>
    stringBytes(shape) + stringBytes(statement.sql) + stringBytes(JSON.stringify(statement.parameters)),
});

/**
 * Where the per-call values sit in a page statement's parameters: the parent id or ids first
 * (the WHERE or FROM clause), then the filters' values, then the cursor's value and id (the
 * keyset condition is the last condition added) and the limit.
 */
const cursorSlots = (parameters: readonly unknown[]) => [parameters.length - 3, parameters.length - 2] as const;

/** Keeps a freshly built statement for its shape, if its parameters sit where `withValues` will put them. */
function remember(shape: string, statement: CompiledQuery, parents: unknown, page: PageRequest): void {
  const parameters = [...statement.parameters];
  const [value, id] = cursorSlots(parameters);
  if (parameters[0] !== parents || parameters.at(-1) !== page.size + 1) return;
  if (page.cursor && (parameters[value] !== page.cursor.value || parameters[id] !== page.cursor.id)) return;
  parameters[0] = null;
  if (page.cursor) parameters[value] = parameters[id] = null;
  listStatements.set(shape, CompiledQuery.raw(statement.sql, parameters));
}

function withValues(statement: CompiledQuery, parents: unknown, page: PageRequest): CompiledQuery {
  const parameters = [...statement.parameters];
  parameters[0] = parents;
  if (page.cursor) {
    const [value, id] = cursorSlots(parameters);
    parameters[value] = page.cursor.value;
    parameters[id] = page.cursor.id;
  }
  return CompiledQuery.raw(statement.sql, parameters);
}

type PageOptions = Parameters<typeof pagesByParent>[1];

/** The rows of `alias` the page reads, before the filters and the keyset. */
function pageRows(from: AnyQuery, options: PageOptions): AnyQuery {
  const { alias } = options;
  return options.columns ? from.select(options.columns.map((c) => `${alias}.${c}`)) : from.selectAll(alias);
}

function oneParentStatement(db: AnyDb, options: PageOptions): CompiledQuery {
  const { alias } = options;
  let query = pageRows(db.selectFrom(`${options.table} as ${alias}`), options).where(
    `${alias}.${options.parentColumn}`,
    '=',
    options.parentIds[0]!,
  );
  if (options.filter) query = options.filter(query);
  return applyKeyset(query, options.sort, options.page, alias, options.cursors ?? true, false).compile();
}

function pageStatement(db: AnyDb, options: PageOptions): CompiledQuery {
  const { alias } = options;
  return (
    db
      .selectFrom(sql`unnest(${sql.val(options.parentIds)}::uuid[])`.as<'parent'>(sql`parent(parent_id)`))
      .innerJoinLateral(
        (eb) => {
          let inner: AnyQuery = pageRows(eb.selectFrom(`${options.table} as ${alias}`), options).whereRef(
            `${alias}.${options.parentColumn}`,
            '=',
            'parent.parent_id',
          );
          if (options.filter) inner = options.filter(inner);
          return applyKeyset(inner, options.sort, options.page, alias, options.cursors ?? true).as('r');
        },
        (join) => join.onTrue(),
      )
      // Known columns are listed, so the position (only needed to order) is not sent back.
      .$call((q) =>
        options.columns
          ? q.select([...options.columns, ...((options.cursors ?? true) ? ['__sort_value'] : [])].map((c) => `r.${c}`))
          : q.selectAll('r'),
      )
      .select('parent.parent_id as __parent_id')
      .orderBy('r.__position')
      .compile()
  );
}

/** `totalCount` for many parents in one grouped statement (only run when the field is selected). */
export async function countsByParent(
  db: AnyDb,
  options: {
    parentIds: readonly string[];
    table: string;
    alias: string;
    parentColumn: string;
    filter?: (query: AnyQuery) => AnyQuery;
  },
): Promise<Map<string, number>> {
  const rows = await aggregatesByParent(db, options);
  return new Map([...rows].map(([id, row]) => [id, row.count]));
}

/** One parent's row of `aggregatesByParent`: the count, and each measure by its alias. */
export type AggregateRow = { count: number } & Record<string, unknown>;

/**
 * A count and measures (`sum(t.story_points)::float8 as sum_story_points`, ...) for many parents
 * in one grouped statement: a connection's `aggregate` under every parent of a level. A parent
 * without matching rows gets `{ count: 0 }` and no measures (SQL's sum of no rows is null too).
 *
 * @example
 * const rows = await aggregatesByParent(db, {
 *   parentIds, table: 'tasks', alias: 't', parentColumn: 'project_id',
 *   measures: [sql<number>`sum(t.story_points)::float8`.as('sum_story_points')],
 * });
 * rows.get(projectId) // { count: 3, sum_story_points: 8 }
 */
export async function aggregatesByParent(
  db: AnyDb,
  options: {
    parentIds: readonly string[];
    table: string;
    alias: string;
    parentColumn: string;
    filter?: (query: AnyQuery) => AnyQuery;
    /** Aggregate expressions over the rows of `alias`, each with its own alias (not `parent_id` or `count`). */
    measures?: readonly AliasedExpression<unknown, string>[];
  },
): Promise<Map<string, AggregateRow>> {
  const { alias } = options;
  const parentRef = `${alias}.${options.parentColumn}`;
  let query: AnyQuery = db
    .selectFrom(`${options.table} as ${alias}`)
    .select([`${parentRef} as parent_id`, sql<string>`count(*)`.as('count'), ...(options.measures ?? [])])
    .where(parentRef, '=', sql<string>`any(${sql.val(options.parentIds)}::uuid[])`)
    .groupBy(parentRef);
  if (options.filter) query = options.filter(query);
  const rows = (await query.execute()) as ({ parent_id: string; count: string } & Record<string, unknown>)[];
  const found = new Map<string, AggregateRow>(options.parentIds.map((id) => [id, { count: 0 }]));
  // bigint comes back as text; a count of one tenant's rows is far below 2^53.
  for (const row of rows) found.set(row.parent_id, { ...row, count: Number(row.count) });
  return found;
}
