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

/** The request's loaders, created on first use and sharing the request transaction. */
export class Loaders {
  private readonly loaders = new Map<string, DataLoader<unknown, unknown>>();

  constructor(private readonly db: RequestTransaction) {
    // Everything loaded so far was seen as the previous tenant or user: forget it.
    db.onContextChange(() => this.loaders.clear());
  }

  use<K, V>(definition: LoaderDefinition<K, V>): DataLoader<K, V> {
    let loader = this.loaders.get(definition.name) as DataLoader<K, V> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V, unknown>(
        async (keys) => definition.batch(await this.db.get(), keys, this.db),
        { cacheKeyFn: definition.cacheKey, maxBatchSize: 1000 },
      );
      this.loaders.set(definition.name, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }
}

/** Orders batch results to match the keys (missing ones become null). */
export function byKey<K, Row, V>(keys: readonly K[], rows: readonly Row[], keyOf: (row: Row) => K, map: (row: Row) => V): (V | null)[] {
  const found = new Map<K, V>();
  for (const row of rows) found.set(keyOf(row), map(row));
  return keys.map((key) => found.get(key) ?? null);
}
