import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { RequestTransaction } from '../db/request-transaction';

/**
 * A named per-request DataLoader: `batch` gets every key asked for in one tick and the
 * request's transaction, and returns one value per key, in order.
 *
 * @example
 * export const userById = defineLoader<string, User | null>('userById', async (db, ids) => {
 *   const rows = await db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
 *   return byKey(ids, rows, (r) => r.id, User.fromRow);
 * });
 * // in a resolver
 * ctx.loaders.use(userById).load(membership.userId);
 */
export interface LoaderDefinition<K, V> {
  name: string;
  /** `request` is the request transaction itself, for what it already knows (its permissions). */
  batch: (db: Kysely<Database>, keys: readonly K[], request: RequestTransaction) => Promise<V[]>;
  cacheKey?: (key: K) => unknown;
}

export function defineLoader<K, V>(
  name: string,
  batch: LoaderDefinition<K, V>['batch'],
  cacheKey?: LoaderDefinition<K, V>['cacheKey'],
): LoaderDefinition<K, V> {
  return { name, batch, cacheKey };
}

/** The keys callers of one tick asked one loader for, and the one answer they share. */
interface Join {
  loads: Map<unknown, Promise<unknown>>;
  answer: Promise<ReadonlyMap<unknown, unknown>>;
}

/** The request's loaders, created on first use and sharing the request transaction. */
export class Loaders {
  private readonly loaders = new Map<string, DataLoader<unknown, unknown>>();
  private readonly joins = new Map<string, Join>();

  constructor(private readonly db: RequestTransaction) {
    // Everything loaded so far was seen as the previous tenant or user: forget it.
    db.onContextChange(() => {
      this.loaders.clear();
      this.joins.clear();
    });
  }

  /**
   * Loads `keys` for a caller that needs them all at once, e.g. a list prefetching its rows'
   * relations. Every caller of the same tick shares one answer: each distinct key is loaded once
   * (in the loader's usual batch) and one map answers them all. Fifty task lists asking for their
   * assignees then cost fifty awaits, not a thousand loads and fifty `Promise.all`s over mostly the
   * same users. Keys are compared as Map keys (ids: strings). One failed load rejects every
   * caller of the join, as one failed batch fails every list of a level.
   * Callers must not run under fake timers that fake `process.nextTick`.
   *
   * @example
   * const users = await ctx.loaders.loadJoined(userById, assigneeIds);
   * users.get(task.assigneeId) // User | null
   */
  loadJoined<K, V>(definition: LoaderDefinition<K, V>, keys: Iterable<K>): Promise<ReadonlyMap<K, V>> {
    let join = this.joins.get(definition.name);
    if (!join) {
      const loads = new Map<unknown, Promise<unknown>>();
      // The join closes when this tick's callers are done (process.nextTick runs after the promise
      // jobs they resume in); a caller after that starts the next join.
      const closed = new Promise<void>((resolve) => process.nextTick(resolve));
      const answer = closed.then(async () => {
        if (this.joins.get(definition.name) === join) this.joins.delete(definition.name);
        const entries = [...loads];
        const values = await Promise.all(entries.map(([, load]) => load));
        return new Map(entries.map(([key], i) => [key, values[i]]));
      });
      join = { loads, answer };
      this.joins.set(definition.name, join);
    }
    const loader = this.use(definition);
    // Loaded now, so the keys go into the batch the loader is gathering this tick.
    for (const key of keys) if (!join.loads.has(key)) join.loads.set(key, loader.load(key));
    return join.answer as Promise<ReadonlyMap<K, V>>;
  }

  use<K, V>(definition: LoaderDefinition<K, V>): DataLoader<K, V> {
    let loader = this.loaders.get(definition.name) as DataLoader<K, V> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V, unknown>(async (keys) => definition.batch(await this.db.get(), keys, this.db), {
        cacheKeyFn: definition.cacheKey,
        maxBatchSize: 1000,
      });
      this.loaders.set(definition.name, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }
}

/** Orders batch results to match the keys (missing ones become null). */
export function byKey<K, Row, V>(
  keys: readonly K[],
  rows: readonly Row[],
  keyOf: (row: Row) => K,
  map: (row: Row) => V,
): (V | null)[] {
  const found = new Map<K, V>();
  for (const row of rows) found.set(keyOf(row), map(row));
  return keys.map((key) => found.get(key) ?? null);
}
