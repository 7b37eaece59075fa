import crypto from 'node:crypto';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { BoundedCache, stringBytes } from '../cache/bounded-cache';

/** Bytes of counters kept by default: about 100,000 keys (docs/security.md, "Bounded caches"). */
export const DEFAULT_RATE_LIMIT_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * What a counter holds besides its key's characters and its cache entry, measured (rate-limit
 * test, "flood"): its object, the key the library builds from prefix and key (a string holding
 * both parts), and the Map's slots left by reordering.
 */
const COUNTER_BYTES = 180;

/** The table of the PostgreSQL store (migration 0021). */
export const RATE_LIMIT_TABLE = 'rate_limit_counters';

/** Where counters are kept: this process's memory, or the database that every instance shares. */
export type RateLimitStore = 'memory' | 'postgres';

/** One limit's shape: `perMinute` on average, at most `burst` at once; 0 per minute turns it off. */
export interface BucketSettings {
  perMinute: number;
  burst: number;
}

/** The request rate limits (see docs/security.md, "Rate limits"). */
export interface RateLimitSettings {
  /** Every request acting for an organization: its users' and its API keys' together. */
  organization: BucketSettings;
  /** Each API key on its own (also counted against its organization). */
  apiKey: BucketSettings;
  /** Anonymous requests (sign-in, refresh, sign-up), per client address. */
  anonymous: BucketSettings;
  /** Costly fields (password hashing, credential checks, mail), per client address, whatever token is sent. */
  costly: BucketSettings;
  /** Mail-sending fields, per target email address (or signed-in user). */
  mail: BucketSettings;
}

/**
 * The key of a client address for its buckets and its sign-in throttle: an IPv4 address, or an
 * IPv6 address's /64 (one client usually holds a whole /64, and could otherwise take a fresh
 * bucket per address).
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.replace(/%.*$/, '').toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * The buckets one request takes a point from: its organization's (an anonymous request: its
 * address's), and its API key's when it has one (GraphQL and uploads alike).
 *
 * @example
 * await limiter.take(requestKeys(apiKey?.organizationId ?? null, apiKey?.id ?? null, req.ip));
 */
export function requestKeys(
  organizationId: string | null,
  apiKeyId: string | null,
  ip: string | undefined,
): RateLimitKey[] {
  const keys: RateLimitKey[] = organizationId ? [['organization', organizationId]] : [['anonymous', clientKey(ip)]];
  if (apiKeyId) keys.push(['apiKey', apiKeyId]);
  return keys;
}

/**
 * A limit as rate-limiter-flexible counts it: `burst` points per fixed window, the window being
 * the time `perMinute` takes to bring `burst` (whole seconds, rounded up: never faster).
 *
 * @example
 * windowOf({ perMinute: 3000, burst: 500 }); // { points: 500, duration: 10 }
 */
export function windowOf({ perMinute, burst }: BucketSettings): { points: number; duration: number } {
  return { points: Math.max(1, burst), duration: Math.max(1, Math.ceil((Math.max(1, burst) * 60) / perMinute)) };
}

interface Counter {
  value: number;
  /** When the window ends, in ms of the limiter's clock; null: never. */
  expiresAt: number | null;
}

/**
 * The storage behind rate-limiter-flexible's memory store, bounded by bytes: the library's own
 * keeps every key in a Map with a timer each, so a flood of new addresses could grow it without
 * end. Same four methods; windows that ended are forgotten as they are met and once a minute,
 * and past `maxBytes` the least recently used go first (a flood of new addresses pushes out idle
 * counters, not the busy organizations'), which can only favour the client. Its clock is the
 * limiter's (tests move it instead of sleeping).
 */
class BoundedCounters {
  private readonly counters: BoundedCache<string, Counter>;
  private lastSweep: number;

  constructor(
    private readonly now: () => number,
    maxBytes: number,
  ) {
    this.counters = new BoundedCache({ maxBytes, sizeOf: (key) => stringBytes(key) + COUNTER_BYTES });
    this.lastSweep = now();
  }

  incrby(key: string, value: number, durationSec: number): RateLimiterRes {
    const now = this.now();
    const counter = this.counters.get(key);
    if (counter && (counter.expiresAt === null || counter.expiresAt > now)) {
      counter.value += value;
      return new RateLimiterRes(0, counter.expiresAt === null ? -1 : counter.expiresAt - now, counter.value, false);
    }
    // A refund to a window that has ended has nothing to give back (it would open one below zero).
    if (value < 0) {
      this.counters.delete(key);
      return new RateLimiterRes(0, 0, 0, false);
    }
    return this.set(key, value, durationSec);
  }

  set(key: string, value: number, durationSec: number): RateLimiterRes {
    const ms = durationSec * 1000;
    this.counters.set(key, { value, expiresAt: ms > 0 ? this.now() + ms : null });
    return new RateLimiterRes(0, ms > 0 ? ms : -1, value, true);
  }

  get(key: string): RateLimiterRes | null {
    const counter = this.counters.peek(key);
    const now = this.now();
    if (!counter || (counter.expiresAt !== null && counter.expiresAt <= now)) return null;
    return new RateLimiterRes(0, counter.expiresAt === null ? -1 : counter.expiresAt - now, counter.value, false);
  }

  delete(key: string): boolean {
    return this.counters.delete(key);
  }

  /** Once a minute, forgets the windows that have ended. */
  sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, counter] of this.counters) {
      if (counter.expiresAt !== null && counter.expiresAt <= now) this.counters.delete(key);
    }
  }

  get size(): number {
    return this.counters.size;
  }
}

/** A memory store of rate-limiter-flexible on bounded storage. */
function boundedMemoryLimiter(
  options: { keyPrefix: string; points: number; duration: number },
  counters: BoundedCounters,
): RateLimiterMemory {
  const limiter = new RateLimiterMemory(options);
  // Its storage is a private field of 11.x (pinned in package.json); the bounded-memory test fails if that changes.
  (limiter as unknown as { _memoryStorage: BoundedCounters })._memoryStorage = counters;
  return limiter;
}

/** Who a request is counted against: `[kind, key]` pairs, all of which must have room. */
export type RateLimitKey = [kind: keyof RateLimitSettings, key: string];

/** Keys longer than this are counted by their hash (the PostgreSQL store's key is a varchar(255)). */
const MAX_KEY_LENGTH = 200;

export interface RateLimiterOptions {
  /** 'memory' (default) or 'postgres' (needs `pool`, over the table of migration 0021). */
  store?: RateLimitStore;
  /** The app role's pool, for the PostgreSQL store. */
  pool?: pg.Pool;
  /** The memory store's clock in ms (tests move it instead of sleeping); the PostgreSQL store uses Date.now(). */
  now?: () => number;
  /** Bytes of counters kept in memory (the memory store, or the PostgreSQL store's fallback). */
  maxBytes?: number;
}

/**
 * The request rate limits, counted by rate-limiter-flexible: one limiter per kind (organization,
 * API key, anonymous address, costly field, mail target), each `burst` points per window (see
 * `windowOf`). In memory by default, bounded by bytes (`BoundedCounters`); with `store:
 * 'postgres'` in the table every instance shares, falling back to this process's memory while
 * the database does not answer (the library's insurance limiter).
 *
 * A request takes a point from every key it counts against, or from none when any of them is
 * out of points: it is then refused with how long until every one of them has room again.
 *
 * @example
 * const limiter = new RateLimiter(settings, { store: 'postgres', pool: appPool });
 * const wait = await limiter.take([['organization', orgId], ['apiKey', keyId]]); // 0: go ahead; else seconds to wait
 */
export class RateLimiter {
  private readonly limiters = new Map<keyof RateLimitSettings, RateLimiterMemory | RateLimiterPostgres>();
  private readonly counters: BoundedCounters;
  private purger: RateLimiterPostgres | undefined;

  constructor(settings: RateLimitSettings, options: RateLimiterOptions = {}) {
    this.counters = new BoundedCounters(
      options.now ?? (() => performance.now()),
      options.maxBytes ?? DEFAULT_RATE_LIMIT_CACHE_BYTES,
    );
    if (options.store === 'postgres' && !options.pool) throw new Error('the PostgreSQL rate-limit store needs a pool');
    for (const kind of Object.keys(settings) as (keyof RateLimitSettings)[]) {
      if (settings[kind].perMinute <= 0) continue;
      const window = { keyPrefix: kind, ...windowOf(settings[kind]) };
      const memory = boundedMemoryLimiter(window, this.counters);
      if (options.store !== 'postgres') {
        this.limiters.set(kind, memory);
        continue;
      }
      const postgres = new RateLimiterPostgres({
        ...window,
        storeClient: options.pool,
        storeType: 'pool',
        tableName: RATE_LIMIT_TABLE,
        // Created by migration 0021: the app role cannot run DDL.
        tableCreated: true,
        // Every limiter shares the table: one of them purges it (windows that ended an hour ago, every 5 minutes).
        clearExpiredByTimeout: !this.purger,
        insuranceLimiter: memory,
      });
      this.purger ??= postgres;
      this.limiters.set(kind, postgres);
    }
  }

  /**
   * Takes a point from every key of `keys` (a key listed n times takes n points); returns 0, or
   * the seconds to wait (nothing taken). More points than a limit's burst never fit in one
   * window: the wait is then until the window ends, and the request is refused again.
   */
  async take(keys: RateLimitKey[]): Promise<number> {
    this.counters.sweep();
    const wanted = new Map<string, { kind: keyof RateLimitSettings; key: string; n: number }>();
    for (const [kind, raw] of keys) {
      if (!this.limiters.has(kind)) continue;
      const key =
        raw.length <= MAX_KEY_LENGTH ? raw : `sha256:${crypto.createHash('sha256').update(raw).digest('base64url')}`;
      const entry = wanted.get(`${kind}:${key}`) ?? { kind, key, n: 0 };
      entry.n++;
      wanted.set(`${kind}:${key}`, entry);
    }
    const entries = [...wanted.values()];
    // All at once; a refusal or a failure gives every point back (the library counts a refused
    // consume too), so a refused request takes nothing and never holds another back for long.
    const results = await Promise.allSettled(
      entries.map(({ kind, key, n }) => this.limiters.get(kind)!.consume(key, n)),
    );
    let waitMs = 0;
    let failure: unknown;
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      if (result.reason instanceof RateLimiterRes) waitMs = Math.max(waitMs, result.reason.msBeforeNext, 1);
      else failure ??= result.reason;
    }
    if (waitMs === 0 && failure === undefined) return 0;
    await Promise.all(
      entries.map(({ kind, key, n }, i) => {
        const result = results[i]!;
        const counted = result.status === 'fulfilled' || result.reason instanceof RateLimiterRes;
        return counted
          ? this.limiters
              .get(kind)!
              .reward(key, n)
              .catch(() => undefined)
          : undefined;
      }),
    );
    if (failure !== undefined) throw failure;
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  /**
   * Deletes the PostgreSQL store's windows that ended before `before` (ms since the epoch); the
   * store does this itself every 5 minutes, for windows that ended an hour ago.
   */
  async purgeExpired(before = Date.now()): Promise<void> {
    // Public in the library, missing from its types.
    await (this.purger as unknown as { clearExpired(before: number): Promise<void> } | undefined)?.clearExpired(before);
  }

  /** How many counters this process keeps in memory (for tests). */
  get size(): number {
    return this.counters.size;
  }
}
