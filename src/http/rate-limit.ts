import { BoundedCache, stringBytes } from '../cache/bounded-cache';

/** Bytes of buckets kept by default: about 100,000 buckets (docs/security.md, "Bounded caches"). */
export const DEFAULT_RATE_LIMIT_CACHE_BYTES = 32 * 1024 * 1024;

/** A bucket's object: two numbers and a header. */
const BUCKET_BYTES = 40;

/** One token bucket's shape: `perMinute` tokens flow in evenly, at most `burst` wait; 0 turns it off. */
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

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms of the limiter's clock. */
  at: number;
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
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Who a request is counted against: `[kind, key]` pairs, all of which must have a token. */
export type RateLimitKey = [kind: keyof RateLimitSettings, key: string];

/**
 * Token buckets kept in this process's memory, one per organization, API key and anonymous
 * client address. A request takes one token from each bucket it counts against, or from none
 * when any of them is empty; it is then refused with how long until every one of them has a
 * token again. Buckets that have filled up are forgotten (a full bucket is a fresh one), and at
 * most `maxBytes` of them are kept: past that the least recently used go first (so a flood of new
 * addresses pushes out idle buckets, not the busy organizations'), which can only favour the
 * client.
 *
 * @example
 * const limiter = new RateLimiter({ organization: { perMinute: 600, burst: 100 }, apiKey: ..., anonymous: ... });
 * const wait = limiter.take([['organization', orgId]]); // 0: go ahead; else seconds to wait
 */
export class RateLimiter {
  private readonly buckets: BoundedCache<string, Bucket>;
  private lastSweep: number;

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number = () => performance.now(),
    maxBytes = DEFAULT_RATE_LIMIT_CACHE_BYTES,
  ) {
    this.lastSweep = now();
    this.buckets = new BoundedCache({ maxBytes, sizeOf: (id) => stringBytes(id) + BUCKET_BYTES });
  }

  /**
   * Takes a token from every bucket of `keys` (a key listed n times takes n tokens); returns 0, or
   * the seconds to wait (nothing taken). More tokens than a bucket's burst are never there at
   * once: the wait is then until the bucket is full, and the request is refused again.
   */
  take(keys: RateLimitKey[]): number {
    const now = this.now();
    this.sweep(now);
    const wanted = new Map<string, { kind: keyof RateLimitSettings; n: number }>();
    for (const [kind, key] of keys) {
      if (this.settings[kind].perMinute <= 0) continue;
      const id = `${kind}:${key}`;
      const entry = wanted.get(id) ?? { kind, n: 0 };
      entry.n++;
      wanted.set(id, entry);
    }
    const buckets = [...wanted].map(([id, { kind, n }]) => [this.settings[kind], this.bucket(id, kind, now), n] as const);
    let waitMs = 0;
    for (const [settings, bucket, n] of buckets) {
      const need = Math.min(n, Math.max(1, settings.burst));
      if (bucket.tokens < n) waitMs = Math.max(waitMs, ((need - bucket.tokens) * 60_000) / settings.perMinute, 1);
    }
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    for (const [, bucket, n] of buckets) bucket.tokens -= n;
    return 0;
  }

  private bucket(id: string, kind: keyof RateLimitSettings, now: number): Bucket {
    const { perMinute, burst } = this.settings[kind];
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = { tokens: Math.max(1, burst), at: now };
      this.buckets.set(id, bucket);
    } else {
      // `get` made it the most recently used.
      bucket.tokens = Math.min(Math.max(1, burst), bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
      bucket.at = now;
    }
    return bucket;
  }

  /** Once a minute, forgets the buckets that have filled up again. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [id, bucket] of this.buckets) {
      const kind = id.slice(0, id.indexOf(':')) as keyof RateLimitSettings;
      const { perMinute, burst } = this.settings[kind];
      if (bucket.tokens + ((now - bucket.at) * perMinute) / 60_000 >= Math.max(1, burst)) this.buckets.delete(id);
    }
  }

  /** How many buckets are kept (for tests). */
  get size(): number {
    return this.buckets.size;
  }
}
