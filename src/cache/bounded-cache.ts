import type { KeyValueCache } from '@apollo/utils.keyvaluecache';

/** What an entry of a Map costs besides its key and value (hash table slot, entry record). */
export const ENTRY_OVERHEAD_BYTES = 100;

/** Approximate heap bytes of a string: V8 stores one- or two-byte characters, plus a header. */
export const stringBytes = (text: string) => 2 * text.length + 24;

/**
 * A least-recently-used cache bounded by the bytes its entries hold, as `sizeOf` estimates them:
 * the one building block for every cache whose keys or values a caller controls (documents,
 * compiled queries, rate-limit counters, verified tokens), so none of them can grow by entries
 * that are larger than expected. An entry larger than the whole budget is not kept.
 *
 * @example
 * const cache = new BoundedCache<string, string>({ maxBytes: 8 * 1024 * 1024, sizeOf: (key, value) => stringBytes(key) + stringBytes(value) });
 * cache.set('sha256:ab12…', document);
 * cache.get('sha256:ab12…'); // the document, now the most recently used
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private used = 0;

  constructor(private readonly options: { maxBytes: number; sizeOf: (key: K, value: V) => number }) {}

  /** The value, marked most recently used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** The value without marking it used. */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Stores the value (most recently used) and drops the least recently used past the budget. */
  set(key: K, value: V): this {
    this.delete(key);
    const bytes = this.options.sizeOf(key, value) + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.options.maxBytes) return this;
    this.entries.set(key, { value, bytes });
    this.used += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.used <= this.options.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= entry.bytes;
    }
    return this;
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.used -= entry.bytes;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }

  /** Entries oldest (least recently used) first; deleting the current one while iterating is safe. */
  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const [key, entry] of this.entries) yield [key, entry.value];
  }

  get size(): number {
    return this.entries.size;
  }

  /** The estimated bytes held now (never above `maxBytes`). */
  get bytes(): number {
    return this.used;
  }
}

/**
 * The same cache behind Apollo's `KeyValueCache` interface (its document store and automatic
 * persisted queries). Apollo's TTLs are ignored: entries leave by size only.
 *
 * @example
 * new ApolloServer({ documentStore: keyValueCache(new BoundedCache({ maxBytes, sizeOf: (_k, doc) => documentBytes(doc) })) });
 */
export function keyValueCache<V>(cache: BoundedCache<string, V>): KeyValueCache<V> {
  return {
    get: async (key) => cache.get(key),
    set: async (key, value) => void cache.set(key, value),
    delete: async (key) => cache.delete(key),
  };
}
