import { closeTestPools, ownerDb } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { createTenant, TEST_PASSWORD } from '../support/factories';
import { clientKey, RateLimiter, type RateLimitSettings } from '../../src/http/rate-limit';
import { loadConfig } from '../../src/config';

const SETTINGS: RateLimitSettings = {
  organization: { perMinute: 60, burst: 3 }, // one token a second
  apiKey: { perMinute: 30, burst: 1 }, // one token every 2 s
  anonymous: { perMinute: 120, burst: 2 },
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
      'mutation { createApiKey(input: { name: "partner", permissions: ["organizations:read"] }) { secret } }', { token: signedIn.token });
    expect(created.body.errors).toBeUndefined();
    c = { token: signedIn.token, key: created.body.data!.createApiKey.secret };
    now += 600_000; // every bucket full again
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  const ask = (token?: string) => app.gql('{ organization { id } }', { token });
  function expectLimited(res: GqlResponse, retryAfter: number) {
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(String(retryAfter));
    expect(res.body).toEqual({ errors: [{ message: `Too many requests; retry in ${retryAfter} s`, extensions: { code: 'RATE_LIMITED', retryAfter } }] });
  }

  it("refuses an organization's requests past its burst with 429 and Retry-After, doing no GraphQL work", async () => {
    for (let i = 0; i < 3; i++) expect((await ask(a.token)).status).toBe(200);
    const before = app.requests.length;
    expectLimited(await ask(a.token), 1);
    expectLimited(await ask(a.token), 1);
    expect(app.requests.length).toBe(before); // no GraphQL request ran, so no SQL either
  });

  it('leaves other organizations alone', async () => {
    const res = await ask(b.token);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('lets the organization in again as its bucket refills', async () => {
    now += 999;
    expectLimited(await ask(a.token), 1);
    now += 1;
    expect((await ask(a.token)).status).toBe(200);
    expectLimited(await ask(a.token), 1);
    now += 2_500; // 2.5 tokens
    expect((await ask(a.token)).status).toBe(200);
    expect((await ask(a.token)).status).toBe(200);
    expectLimited(await ask(a.token), 1);
  });

  it('limits each API key on its own, and counts it against its organization too', async () => {
    expect(codeOf(await ask(c.key))).toBeUndefined();
    expectLimited(await ask(c.key), 2); // the key's bucket: one token every 2 s
    // The refused request took nothing from the organization: 2 of its 3 tokens are left.
    expect((await ask(c.token)).status).toBe(200);
    expect((await ask(c.token)).status).toBe(200);
    expectLimited(await ask(c.token), 1);
    now += 2_000;
    expect(codeOf(await ask(c.key))).toBeUndefined(); // both buckets had a token again
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
  it('turns a bucket off with 0 per minute', () => {
    const limiter = new RateLimiter({ ...SETTINGS, organization: { perMinute: 0, burst: 1 } }, () => 0);
    for (let i = 0; i < 100; i++) expect(limiter.take([['organization', 'o']])).toBe(0);
    expect(limiter.size).toBe(0);
  });

  // About 190 bytes each (key, bucket, entry): room for three short keys.
  const THREE_BUCKETS = 600;

  it('forgets buckets that have filled up, and keeps at most maxBytes of them', () => {
    let now = 0;
    const limiter = new RateLimiter(SETTINGS, () => now, THREE_BUCKETS);
    for (const key of ['1', '2', '3', '4']) expect(limiter.take([['anonymous', key]])).toBe(0);
    expect(limiter.size).toBe(3); // the oldest went (a fresh bucket only favours the client)
    now += 30_000; // full again after one minute's sweep
    expect(limiter.take([['anonymous', '5']])).toBe(0);
    now += 60_000;
    limiter.take([['anonymous', '5']]);
    expect(limiter.size).toBe(1);
  });

  it('evicts the least recently used bucket, not the busiest', () => {
    const limiter = new RateLimiter({ ...SETTINGS, organization: { perMinute: 1, burst: 2 } }, () => 0, THREE_BUCKETS);
    expect(limiter.take([['organization', 'busy']])).toBe(0);
    for (const key of ['a', 'b']) limiter.take([['anonymous', key]]);
    expect(limiter.take([['organization', 'busy']])).toBe(0); // used again: now the most recent
    limiter.take([['anonymous', 'c']]); // pushes out 'a', not 'busy'
    expect(limiter.take([['organization', 'busy']])).toBeGreaterThan(0); // its empty bucket was kept
  });

  it('counts a bucket by the bytes of its key: longer keys leave room for fewer buckets', () => {
    const limiter = new RateLimiter(SETTINGS, () => 0, THREE_BUCKETS);
    for (const key of ['1', '2', '3']) limiter.take([['anonymous', key]]);
    limiter.take([['anonymous', 'x'.repeat(150)]]);
    expect(limiter.size).toBe(1);
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

  it('answers the longest wait of the buckets that are empty, rounded up to whole seconds', () => {
    const now = 0;
    const limiter = new RateLimiter({ ...SETTINGS, apiKey: { perMinute: 1, burst: 1 } }, () => now);
    expect(limiter.take([['organization', 'o'], ['apiKey', 'k']])).toBe(0);
    expect(limiter.take([['organization', 'o'], ['apiKey', 'k']])).toBe(60);
  });

  it('reads its settings from the environment (0 turns a limit off)', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      organization: { perMinute: 3000, burst: 500 }, apiKey: { perMinute: 600, burst: 100 }, anonymous: { perMinute: 60, burst: 20 },
      costly: { perMinute: 30, burst: 10 }, mail: { perMinute: 10 / 60, burst: 3 },
    });
    const set = loadConfig({
      RATE_LIMIT_ORG_PER_MINUTE: '0', RATE_LIMIT_ORG_BURST: '7', RATE_LIMIT_API_KEY_PER_MINUTE: '10', RATE_LIMIT_API_KEY_BURST: '2',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '5', RATE_LIMIT_ANONYMOUS_BURST: '1', RATE_LIMIT_COSTLY_PER_MINUTE: '4', RATE_LIMIT_COSTLY_BURST: '2',
      RATE_LIMIT_MAIL_PER_HOUR: '120', RATE_LIMIT_MAIL_BURST: '5',
    });
    expect(set.rateLimits).toEqual({
      organization: { perMinute: 0, burst: 7 }, apiKey: { perMinute: 10, burst: 2 }, anonymous: { perMinute: 5, burst: 1 },
      costly: { perMinute: 4, burst: 2 }, mail: { perMinute: 2, burst: 5 },
    });
    expect(() => loadConfig({ RATE_LIMIT_ORG_BURST: '0' })).toThrow(/RATE_LIMIT_ORG_BURST/);
    expect(() => loadConfig({ RATE_LIMIT_API_KEY_PER_MINUTE: '-5' })).toThrow(/RATE_LIMIT_API_KEY_PER_MINUTE/);
  });
});
