import v8 from 'node:v8';
import vm from 'node:vm';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { closeTestPools, ownerDb } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { createTenant, TEST_PASSWORD } from '../support/factories';
import { clientKey, RateLimiter, windowOf, type RateLimitSettings } from '../../src/http/rate-limit';
import { loadConfig } from '../../src/config';

const SETTINGS: RateLimitSettings = {
  organization: { perMinute: 60, burst: 3 }, // 3 in a window of 3 s
  apiKey: { perMinute: 30, burst: 1 }, // 1 in a window of 2 s
  anonymous: { perMinute: 120, burst: 2 }, // 2 in a window of 1 s
  costly: { perMinute: 0, burst: 1 }, // off here: its own tests below
  mail: { perMinute: 0, burst: 1 },
};

describe('rate limits over HTTP', () => {
  let app: TestApp;
  let now = 0;
  const db = ownerDb();
  let a: { token: string; organizationId: string };
  let b: { token: string };
  let c: { token: string; key: string };

  async function signIn() {
    const { organization, owner } = await createTenant(db);
    return { organizationId: organization.id, token: await app.login(owner.email, TEST_PASSWORD) };
  }

  beforeAll(async () => {
    app = await startTestApp({ app: { rateLimits: SETTINGS, rateLimitClock: () => now } });
    a = await signIn();
    now += 60_000;
    b = await signIn();
    now += 60_000;
    const signedIn = await signIn();
    now += 60_000;
    const created = await app.gql<{ createApiKey: { secret: string } }>(
      'mutation { createApiKey(input: { name: "partner", permissions: ["organizations:read"] }) { secret } }',
      { token: signedIn.token },
    );
    expect(created.body.errors).toBeUndefined();
    c = { token: signedIn.token, key: created.body.data!.createApiKey.secret };
    now += 600_000; // every window over
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  const ask = (token?: string) => app.gql('{ organization { id } }', { token });
  function expectLimited(res: GqlResponse, retryAfter: number) {
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(String(retryAfter));
    expect(res.body).toEqual({
      errors: [
        { message: `Too many requests; retry in ${retryAfter} s`, extensions: { code: 'RATE_LIMITED', retryAfter } },
      ],
    });
  }

  it("refuses an organization's requests past its burst with 429 and Retry-After, doing no GraphQL work", async () => {
    for (let i = 0; i < 3; i++) expect((await ask(a.token)).status).toBe(200);
    const before = app.requests.length;
    expectLimited(await ask(a.token), 3); // until its window ends
    expectLimited(await ask(a.token), 3);
    expect(app.requests.length).toBe(before); // no GraphQL request ran, so no SQL either
  });

  it('leaves other organizations alone', async () => {
    const res = await ask(b.token);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('lets the organization in again when its window ends', async () => {
    now += 2_001;
    expectLimited(await ask(a.token), 1); // rounded up to whole seconds
    now += 999;
    for (let i = 0; i < 3; i++) expect((await ask(a.token)).status).toBe(200);
    expectLimited(await ask(a.token), 3);
    now += 1_500; // no point comes back before the window ends
    expectLimited(await ask(a.token), 2);
  });

  it('limits each API key on its own, and counts it against its organization too', async () => {
    expect(codeOf(await ask(c.key))).toBeUndefined();
    expectLimited(await ask(c.key), 2); // the key's window: one request in 2 s
    // The refused request took nothing from the organization: 2 of its 3 points are left.
    expect((await ask(c.token)).status).toBe(200);
    expect((await ask(c.token)).status).toBe(200);
    expectLimited(await ask(c.token), 3);
    now += 2_000;
    expectLimited(await ask(c.key), 1); // the key has room again, its organization not yet
    now += 1_000;
    expect(codeOf(await ask(c.key))).toBeUndefined(); // both windows are over
  });

  it('limits anonymous requests per client address', async () => {
    now += 60_000;
    expect((await ask()).status).toBe(200); // UNAUTHENTICATED in the body, but answered
    expect((await ask()).status).toBe(200);
    expectLimited(await ask(), 1);
    // Signed-in requests from the same address are counted against their organization instead.
    expect((await ask(b.token)).status).toBe(200);
  });

  it('does not spend a token on a request whose credentials are refused', async () => {
    now += 60_000;
    for (let i = 0; i < 5; i++) expect(codeOf(await ask('not-a-valid-token'))).toBe('UNAUTHENTICATED');
    expect((await ask()).status).toBe(200);
  });
});

describe('rate limiter', () => {
  it('turns a limit off with 0 per minute', async () => {
    const limiter = new RateLimiter({ ...SETTINGS, organization: { perMinute: 0, burst: 1 } }, { now: () => 0 });
    for (let i = 0; i < 100; i++) expect(await limiter.take([['organization', 'o']])).toBe(0);
    expect(limiter.size).toBe(0);
  });

  it('maps a limit onto a fixed window: burst points in the time perMinute takes to bring them', () => {
    expect(windowOf({ perMinute: 3000, burst: 500 })).toEqual({ points: 500, duration: 10 });
    expect(windowOf({ perMinute: 60, burst: 3 })).toEqual({ points: 3, duration: 3 });
    expect(windowOf({ perMinute: 10 / 60, burst: 3 })).toEqual({ points: 3, duration: 1080 }); // 10 mails an hour
    expect(windowOf({ perMinute: 9, burst: 7 })).toEqual({ points: 7, duration: 47 }); // whole seconds, never faster
  });

  // About 330 bytes each (key, counter, entry): room for three short keys.
  const THREE_BUCKETS = 1000;

  it('forgets windows that have ended, and keeps at most maxBytes of counters', async () => {
    let now = 0;
    const limiter = new RateLimiter(SETTINGS, { now: () => now, maxBytes: THREE_BUCKETS });
    for (const key of ['1', '2', '3', '4']) expect(await limiter.take([['anonymous', key]])).toBe(0);
    expect(limiter.size).toBe(3); // the oldest went (a fresh window only favours the client)
    now += 30_000; // ended, forgotten at the next minute's sweep
    expect(await limiter.take([['anonymous', '5']])).toBe(0);
    now += 60_000;
    await limiter.take([['anonymous', '5']]);
    expect(limiter.size).toBe(1);
  });

  it('evicts the least recently used counter, not the busiest', async () => {
    const limiter = new RateLimiter(
      { ...SETTINGS, organization: { perMinute: 1, burst: 2 } },
      { now: () => 0, maxBytes: THREE_BUCKETS },
    );
    expect(await limiter.take([['organization', 'busy']])).toBe(0);
    for (const key of ['a', 'b']) await limiter.take([['anonymous', key]]);
    expect(await limiter.take([['organization', 'busy']])).toBe(0); // used again: now the most recent
    await limiter.take([['anonymous', 'c']]); // pushes out 'a', not 'busy'
    expect(await limiter.take([['organization', 'busy']])).toBeGreaterThan(0); // its spent window was kept
  });

  it('counts a counter by the bytes of its key: longer keys leave room for fewer counters', async () => {
    const limiter = new RateLimiter(SETTINGS, { now: () => 0, maxBytes: THREE_BUCKETS });
    for (const key of ['1', '2', '3']) await limiter.take([['anonymous', key]]);
    await limiter.take([['anonymous', 'x'.repeat(190)]]);
    expect(limiter.size).toBe(1);
  });

  it('takes nothing from any key when one is out of points, and counts a key listed n times n times', async () => {
    let now = 0;
    const limiter = new RateLimiter(
      { ...SETTINGS, costly: { perMinute: 60, burst: 3 }, mail: { perMinute: 1, burst: 2 } },
      { now: () => now },
    );
    expect(
      await limiter.take([
        ['costly', 'ip'],
        ['mail', 'm'],
        ['mail', 'm'],
        ['mail', 'm'],
      ]),
    ).toBe(120); // 3 mails never fit in 2
    expect(
      await limiter.take([
        ['costly', 'ip'],
        ['costly', 'ip'],
        ['costly', 'ip'],
      ]),
    ).toBe(0); // the refusal took none of the 3
    expect(
      await limiter.take([
        ['costly', 'ip'],
        ['mail', 'm'],
      ]),
    ).toBe(3);
    expect(
      await limiter.take([
        ['mail', 'm'],
        ['mail', 'm'],
      ]),
    ).toBe(0); // nor the mail's 2
    now += 3_000;
    expect(
      await limiter.take([
        ['costly', 'ip'],
        ['mail', 'm'],
      ]),
    ).toBe(117); // the mail window has 117 s to go
    expect(await limiter.take([['costly', 'ip']])).toBe(0);
  });

  it('stays within its bytes under a flood of distinct addresses, measured on the heap', async () => {
    // The jest worker runs without --expose-gc: turn it on and take the function from a fresh context.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      gc();
      return v8.getHeapStatistics().used_heap_size;
    };
    const maxBytes = 2 * 1024 * 1024;
    const limiter = new RateLimiter(SETTINGS, { now: () => 0, maxBytes });
    const before = heap();
    for (let i = 0; i < 60_000; i++)
      expect(await limiter.take([['anonymous', `2001:db8:${i.toString(16)}::/64`]])).toBe(0);
    const grown = heap() - before;
    expect(grown).toBeLessThan(maxBytes * 1.2);
    expect(limiter.size).toBeGreaterThan(5_000); // and the budget is used
    // What the library's own memory store holds for the same flood (a Map entry and a timer per key): no bound.
    const unbounded = new RateLimiterMemory({ keyPrefix: 'anonymous', ...windowOf(SETTINGS.anonymous) });
    const start = heap();
    for (let i = 0; i < 60_000; i++) await unbounded.consume(`2001:db8:${i.toString(16)}::/64`);
    expect(heap() - start).toBeGreaterThan(4 * maxBytes);
    await Promise.all(Array.from({ length: 60_000 }, (_, i) => unbounded.delete(`2001:db8:${i.toString(16)}::/64`)));
  });

  it('counts an IPv6 client by its /64 and an IPv4 client by its address', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey(undefined)).toBe('unknown');
  });

  it('answers the longest wait of the keys that are out of points, rounded up to whole seconds', async () => {
    let now = 0;
    const limiter = new RateLimiter({ ...SETTINGS, apiKey: { perMinute: 1, burst: 1 } }, { now: () => now });
    expect(
      await limiter.take([
        ['organization', 'o'],
        ['apiKey', 'k'],
      ]),
    ).toBe(0);
    now += 500;
    expect(
      await limiter.take([
        ['organization', 'o'],
        ['apiKey', 'k'],
      ]),
    ).toBe(60);
  });

  it('reads its settings from the environment (0 turns a limit off)', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      organization: { perMinute: 3000, burst: 500 },
      apiKey: { perMinute: 600, burst: 100 },
      anonymous: { perMinute: 60, burst: 20 },
      costly: { perMinute: 30, burst: 10 },
      mail: { perMinute: 10 / 60, burst: 3 },
    });
    const set = loadConfig({
      RATE_LIMIT_ORG_PER_MINUTE: '0',
      RATE_LIMIT_ORG_BURST: '7',
      RATE_LIMIT_API_KEY_PER_MINUTE: '10',
      RATE_LIMIT_API_KEY_BURST: '2',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '5',
      RATE_LIMIT_ANONYMOUS_BURST: '1',
      RATE_LIMIT_COSTLY_PER_MINUTE: '4',
      RATE_LIMIT_COSTLY_BURST: '2',
      RATE_LIMIT_MAIL_PER_HOUR: '120',
      RATE_LIMIT_MAIL_BURST: '5',
    });
    expect(set.rateLimits).toEqual({
      organization: { perMinute: 0, burst: 7 },
      apiKey: { perMinute: 10, burst: 2 },
      anonymous: { perMinute: 5, burst: 1 },
      costly: { perMinute: 4, burst: 2 },
      mail: { perMinute: 2, burst: 5 },
    });
    expect(loadConfig({}).rateLimitStore).toBe('memory');
    expect(loadConfig({ RATE_LIMIT_STORE: 'postgres' }).rateLimitStore).toBe('postgres');
    expect(() => loadConfig({ RATE_LIMIT_STORE: 'redis' })).toThrow(/RATE_LIMIT_STORE must be one of memory, postgres/);
    expect(() => loadConfig({ RATE_LIMIT_ORG_BURST: '0' })).toThrow(/RATE_LIMIT_ORG_BURST/);
    expect(() => loadConfig({ RATE_LIMIT_API_KEY_PER_MINUTE: '-5' })).toThrow(/RATE_LIMIT_API_KEY_PER_MINUTE/);
  });
});
