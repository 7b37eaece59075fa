import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from './schema';
import { NotFoundError } from '../errors';

/** Tables with a `deleted_at` column. */
export type SoftDeletedTable = {
  [T in keyof Database]: Database[T] extends { deleted_at: unknown } ? T : never;
}[keyof Database];
type TableWithId = { [T in keyof Database]: Database[T] extends { id: unknown } ? T : never }[keyof Database];

// Kysely cannot type a query over a table chosen at run time; the row type is restored at the boundary.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = Kysely<any>;

/**
 * The row with this id, as the caller sees it (RLS), or NOT_FOUND: the same answer for an id that
 * does not exist and for another tenant's (or a hidden private project's) row. Soft-deleted rows
 * count as missing unless `deleted: 'include'`, or are the only ones found with `deleted: 'only'`.
 *
 * @example
 * const task = await findRow(db, 'tasks', input.id, 'Task');
 * const gone = await findRow(db, 'tasks', input.id, 'Task', { deleted: 'only' });
 */
export async function findRow<T extends TableWithId>(
  db: Kysely<Database>,
  table: T,
  id: string,
  what: string,
  options: { deleted?: 'exclude' | 'include' | 'only'; forUpdate?: boolean } = {},
): Promise<Selectable<Database[T]>> {
  let query = (db as Untyped)
    .selectFrom(table as string)
    .selectAll()
    .where('id', '=', id);
  if (options.deleted === 'exclude' || (options.deleted === undefined && SOFT_DELETED.has(table)))
    query = query.where('deleted_at', 'is', null);
  if (options.deleted === 'only') query = query.where('deleted_at', 'is not', null);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new NotFoundError(what);
  return row as Selectable<Database[T]>;
}

/**
 * The tables whose rows the API soft-deletes: `findRow` leaves their deleted rows out unless asked.
 * test/db/drift.test.ts holds it equal to the catalog's tables with a `deleted_at` column.
 */
const softDeleted = new Set<string>([
  'projects',
  'tasks',
  'task_comments',
  // Deleted for good (a trigger keeps them so; the version number stays spent), but kept as rows.
  'registered_operations',
] satisfies SoftDeletedTable[]);
export const SOFT_DELETED: ReadonlySet<string> = softDeleted;

/**
 * Marks a table as soft-deleted for `findRow`'s default (a deleted row counts as missing). The
 * resource layer calls it for every resource whose delete is soft, so this module needs no
 * knowledge of resources (src/db imports nothing above it). Idempotent.
 *
 * @example
 * markSoftDeleted('task_comments');
 */
export function markSoftDeleted(table: SoftDeletedTable): void {
  softDeleted.add(table);
}

/** The tables `findRow` treats as soft-deleted. */
export const softDeletedTables = (): ReadonlySet<string> => SOFT_DELETED;

/**
 * Soft delete (`deleted_at = now()`) or restore (`deleted_at = null`) one live (or deleted) row;
 * NOT_FOUND when there is no such row in that state. The audit trigger records it as
 * `<resource>.delete` / `<resource>.restore`.
 *
 * @example
 * const row = await setDeleted(db, 'projects', input.id, 'Project', true);
 */
export async function setDeleted<T extends SoftDeletedTable & TableWithId>(
  db: Kysely<Database>,
  table: T,
  id: string,
  what: string,
  deleted: boolean,
): Promise<Selectable<Database[T]>> {
  const row = await (db as Untyped)
    .updateTable(table as string)
    .set({ deleted_at: deleted ? sql`now()` : null })
    .where('id', '=', id)
    .where('deleted_at', deleted ? 'is' : 'is not', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError(what);
  return row as Selectable<Database[T]>;
}
