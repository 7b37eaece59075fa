import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { BadUserInputError } from '../graphql/errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Relay page arguments, as received from GraphQL. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A keyset sort: one column plus `id` as the stable tiebreak. */
export interface KeysetSort {
  /** Column name in the table, e.g. `joined_at`. */
  column: string;
  direction: 'asc' | 'desc';
  /** How cursor values are read back (dates travel as ISO strings). */
  type: 'timestamp' | 'text' | 'number';
}

/** A validated page request: direction, size and the decoded cursor. */
export interface PageRequest {
  backward: boolean;
  size: number;
  cursor: { value: unknown; id: string } | null;
  hadCursor: boolean;
}

export interface Page<Row> {
  rows: Row[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** Cursors are opaque to clients: base64url of [sort column, value, id]. */
export function encodeCursor(sort: KeysetSort, row: Record<string, unknown>): string {
  const value = row[sort.column];
  const plain = value instanceof Date ? value.toISOString() : value;
  return Buffer.from(JSON.stringify([sort.column, plain, row.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeCursor(sort: KeysetSort, cursor: string, field: string): { value: unknown; id: string } {
  const invalid = () => new BadUserInputError(field, `${field} is not a valid cursor for this list and order`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== sort.column) throw invalid();
  const [, value, id] = parsed as [string, unknown, unknown];
  if (typeof id !== 'string' || !UUID.test(id)) throw invalid();
  if (value === null) return { value, id };
  switch (sort.type) {
    case 'timestamp':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalid();
      return { value: new Date(value), id };
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid();
      return { value, id };
    case 'text':
      if (typeof value !== 'string') throw invalid();
      return { value, id };
  }
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
  for (const [name, value] of [['first', first], ['last', last]] as const) {
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
type AnyDb = Kysely<any>;

/** Adds the keyset condition and order (reversed for backward pages) and the limit (+1 to see past the page). */
export function applyKeyset(query: AnyQuery, sort: KeysetSort, page: PageRequest, alias: string): AnyQuery {
  const ascending = (sort.direction === 'asc') !== page.backward;
  const col = sql.ref(`${alias}.${sort.column}`);
  const id = sql.ref(`${alias}.id`);
  let q = query;
  if (page.cursor) {
    const op = sql.raw(ascending ? '>' : '<');
    q = q.where(sql<boolean>`(${col}, ${id}) ${op} (${page.cursor.value}, ${page.cursor.id}::uuid)`);
  }
  const dir = ascending ? 'asc' : 'desc';
  return q.orderBy(col, dir).orderBy(id, dir).limit(page.size + 1);
}

function toPage<Row>(rows: Row[], page: PageRequest): Page<Row> {
  const more = rows.length > page.size;
  const kept = more ? rows.slice(0, page.size) : rows;
  if (page.backward) kept.reverse();
  return {
    rows: kept,
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
    parentIds: readonly string[];
    table: string;
    alias: string;
    parentColumn: string;
    sort: KeysetSort;
    page: PageRequest;
    filter?: (query: AnyQuery) => AnyQuery;
  },
): Promise<Map<string, Page<Row>>> {
  const { alias } = options;
  const byParent = new Map<string, Row[]>(options.parentIds.map((id) => [id, []]));
  if (options.page.size > 0) {
    const rows = await db
      .selectFrom(sql`unnest(${sql.val(options.parentIds)}::uuid[])`.as<'parent'>(sql`parent(parent_id)`))
      .innerJoinLateral(
        (eb) => {
          let inner: AnyQuery = eb.selectFrom(`${options.table} as ${alias}`).selectAll(alias)
            .whereRef(`${alias}.${options.parentColumn}`, '=', 'parent.parent_id');
          if (options.filter) inner = options.filter(inner);
          return applyKeyset(inner, options.sort, options.page, alias).as('r');
        },
        (join) => join.onTrue(),
      )
      .selectAll('r')
      .select('parent.parent_id as __parent_id')
      .execute();
    for (const row of rows as (Row & { __parent_id: string })[]) {
      const parentId = row.__parent_id;
      delete (row as { __parent_id?: string }).__parent_id;
      byParent.get(parentId)?.push(row);
    }
  }
  return new Map([...byParent].map(([id, rows]) => [id, toPage(rows, options.page)]));
}

/** `totalCount` for many parents in one grouped statement (only run when the field is selected). */
export async function countsByParent(
  db: AnyDb,
  options: { parentIds: readonly string[]; table: string; alias: string; parentColumn: string; filter?: (query: AnyQuery) => AnyQuery },
): Promise<Map<string, number>> {
  const { alias } = options;
  const parentRef = `${alias}.${options.parentColumn}`;
  let query: AnyQuery = db.selectFrom(`${options.table} as ${alias}`)
    .select([`${parentRef} as parent_id`, sql<string>`count(*)`.as('total')])
    .where(parentRef, '=', sql<string>`any(${sql.val(options.parentIds)}::uuid[])`)
    .groupBy(parentRef);
  if (options.filter) query = options.filter(query);
  const rows = (await query.execute()) as { parent_id: string; total: string }[];
  const counts = new Map<string, number>(options.parentIds.map((id) => [id, 0]));
  for (const row of rows) counts.set(row.parent_id, Number(row.total));
  return counts;
}
