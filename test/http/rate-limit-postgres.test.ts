import pg from 'pg';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { createTenant, TEST_PASSWORD } from '../support/factories';
import { RateLimiter, RATE_LIMIT_TABLE, type RateLimitSettings } from '../../src/http/rate-limit';

// Windows of minutes, so the real clock (the PostgreSQL store's) never ends one mid-test.
const SETTINGS: RateLimitSettings = {
  organization: { perMinute: 1, burst: 3 }, // 3 in 3 minutes
  apiKey: { perMinute: 60_000, burst: 1_000 },
  anonymous: { perMinute: 1, burst: 2 },
  costly: { perMinute: 1, burst: 2 },
  mail: { perMinute: 1, burst: 2 },
};

/**
 * RATE_LIMIT_STORE=postgres (issue 14, item 7): two instances of the app, each with its own
 * pools and its own memory, count in the one table of migration 0021, so a client cannot get
 * twice its limit by spreading its requests over them.
 */
describe('rate limits shared by two instances (PostgreSQL store)', () => {
  let first: TestApp;
  let second: TestApp;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);
  const app = testPool('app', 2, 'jest-rate-limit');
  let address = 0;
  /** A client address of its own for each test (the server trusts X-Forwarded-For from loopback). */
  const fresh = () => ({ 'x-forwarded-for': `203.0.113.${++address}` });

  beforeAll(async () => {
    // Both apps, as two processes would be: their own pools, the same database.
    first = await startTestApp({ app: { rateLimits: SETTINGS, rateLimitStore: 'postgres' } });
    second = await startTestApp({ app: { rateLimits: SETTINGS, rateLimitStore: 'postgres' } });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await closeTestPools();
  });

  function expectLimited(res: GqlResponse) {
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(100); // until the 3-minute window ends
    expect(retryAfter).toBeLessThanOrEqual(180);
    expect(res.body).toEqual({
      errors: [
        { message: `Too many requests; retry in ${retryAfter} s`, extensions: { code: 'RATE_LIMITED', retryAfter } },
      ],
    });
  }

  it("holds an organization's limit across the instances", async () => {
    const { organization, owner } = await createTenant(db);
    // Signing in is anonymous and costly: each from an address of its own.
    const token = await first
      .gql<{ login: { accessToken: string } }>('mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', {
        variables: { i: { email: owner.email, password: TEST_PASSWORD } },
        headers: fresh(),
      })
      .then((res) => res.body.data!.login.accessToken);
    const ask = (app: TestApp) => app.gql('{ organization { id } }', { token });
    expect((await ask(first)).status).toBe(200);
    expect((await ask(second)).status).toBe(200);
    expect((await ask(first)).status).toBe(200);
    expectLimited(await ask(second));
    expectLimited(await ask(first));
    const { rows } = await superuser.query(`select points from ${RATE_LIMIT_TABLE} where key = $1`, [
      `organization:${organization.id}`,
    ]);
    expect(rows).toEqual([{ points: 3 }]); // the refused requests took nothing
  });

  it('holds the costly-field and anonymous limits of one address across the instances', async () => {
    const headers = fresh();
    const login = (app: TestApp) =>
      app.gql('mutation { login(input: {email: "nobody@example.test", password: "WrongPass123"}) { accessToken } }', {
        headers,
      });
    expect(codeOf(await login(first))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(second))).toBe('UNAUTHENTICATED');
    expectLimited(await login(first));
    expectLimited(await login(second));
    // Another address is not held back.
    expect(codeOf(await first.gql('{ organization { id } }', { headers: fresh() }))).toBe('UNAUTHENTICATED');
  });

  it('lets the app role purge windows that have ended, and nothing else', async () => {
    const limiter = new RateLimiter(SETTINGS, { store: 'postgres', pool: app });
    expect(await limiter.take([['anonymous', 'purge-me']])).toBe(0);
    expect(await limiter.take([['anonymous', 'keep-me']])).toBe(0);
    await superuser.query(`update ${RATE_LIMIT_TABLE} set expire = $2 where key = $1`, [
      'anonymous:purge-me',
      Date.now() - 1_000,
    ]);
    await limiter.purgeExpired();
    const { rows } = await superuser.query(
      `select key from ${RATE_LIMIT_TABLE} where key like 'anonymous:%-me' order by key`,
    );
    expect(rows).toEqual([{ key: 'anonymous:keep-me' }]);
  });

  it("counts in the instance's memory while the database does not answer", async () => {
    const down = new pg.Pool({
      connectionString: 'postgres://nobody@127.0.0.1:1/none',
      connectionTimeoutMillis: 1_000,
    });
    try {
      const limiter = new RateLimiter(SETTINGS, { store: 'postgres', pool: down });
      expect(await limiter.take([['anonymous', 'a']])).toBe(0);
      expect(await limiter.take([['anonymous', 'a']])).toBe(0);
      expect(await limiter.take([['anonymous', 'a']])).toBeGreaterThan(100); // 2 in 2 minutes, held in memory
      expect(limiter.size).toBe(1);
    } finally {
      await down.end();
    }
  });

  it('keeps the table out of reach of the other roles, and the app role out of its DDL', async () => {
    const { rows } = await superuser.query<{ role: string; may: boolean }>(`
      select r as role, has_table_privilege(r, '${RATE_LIMIT_TABLE}', 'select') as may
        from unnest(array['tenantql_app', 'tenantql_auth']) r order by 1`);
    expect(rows).toEqual([
      { role: 'tenantql_app', may: true },
      { role: 'tenantql_auth', may: false },
    ]);
    await expect(app.query(`alter table ${RATE_LIMIT_TABLE} add column x int`)).rejects.toMatchObject({
      code: '42501',
    });
  });
});
