import { eventually } from '../support/eventually';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import type { RateLimitSettings } from '../../src/http/rate-limit';
import { parse } from 'graphql';
import { costlyFields, costlyFieldsOf } from '../../src/graphql/field-costs';
import { createSchema } from '../../src/graphql/schema';

const SETTINGS: RateLimitSettings = {
  organization: { perMinute: 60_000, burst: 1_000 },
  apiKey: { perMinute: 60_000, burst: 1_000 },
  anonymous: { perMinute: 60_000, burst: 1_000 },
  costly: { perMinute: 60, burst: 3 }, // 3 in a window of 3 s
  mail: { perMinute: 1, burst: 2 }, // 2 in a window of 2 minutes
};

describe('costly fields (issue 13, item 4)', () => {
  let app: TestApp;
  let now = 0;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);
  let user: { id: string; email: string };
  let token: string;
  let address = 0;
  /** A client address of its own for each test (the server trusts X-Forwarded-For from loopback). */
  const fresh = () => ({ 'x-forwarded-for': `198.51.100.${++address}` });

  beforeAll(async () => {
    app = await startTestApp({ app: { rateLimits: SETTINGS, rateLimitClock: () => now } });
    const org = await createOrganization(db);
    user = await createUser(db);
    await addMember(db, org.id, user.id, { role: 'owner' });
    token = await app.login(user.email, TEST_PASSWORD);
  });
  beforeEach(() => {
    now += 3_600_000; // every window over
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  const mails = async (to: string) =>
    (
      await superuser.query<{ n: number }>(
        'select count(*)::int as n from outbox where lower(to_address) = lower($1)',
        [to],
      )
    ).rows[0]!.n;
  const login = (headers: Record<string, string>, withToken = true) =>
    app.gql('mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', {
      token: withToken ? token : undefined,
      headers,
      variables: { i: { email: 'nobody@example.test', password: 'WrongPass123' } },
    });
  const resets = (emails: string[], headers: Record<string, string>) =>
    app.gql(
      `mutation { ${emails.map((e, i) => `r${i}: requestPasswordReset(input: {email: "${e}"}) { accepted }`).join(' ')} }`,
      { headers },
    );
  function expectLimited(res: GqlResponse, retryAfter: number) {
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(String(retryAfter));
    expect(res.body).toEqual({
      errors: [
        { message: `Too many requests; retry in ${retryAfter} s`, extensions: { code: 'RATE_LIMITED', retryAfter } },
      ],
    });
    expect(app.requests.at(-1)!.statements).toBe(0); // refused before execution: no SQL
  }

  it('are declared once, on the fields, and read from the schema', async () => {
    expect(Object.fromEntries(costlyFields(await createSchema()))).toEqual({
      'Mutation.login': { credential: true, argon2: true },
      'Mutation.refreshSession': { credential: true, runsFirst: true },
      'Mutation.acceptInvitation': { credential: true, argon2: true },
      'Mutation.changePassword': { credential: true, argon2: true },
      'Mutation.signUp': { credential: true, argon2: true, mailTo: 'input.email' },
      'Mutation.resetPassword': { argon2: true },
      'Mutation.requestPasswordReset': { mailTo: 'input.email' },
      'Mutation.requestEmailVerification': { mailTo: 'viewer' },
      'Mutation.inviteMember': { mailTo: 'input.email' },
    });
  });

  it('are collected as execution runs them: aliases, fragments, @skip/@include, one field spread twice once', async () => {
    const schema = await createSchema();
    const labels = (document: string, variables: Record<string, unknown> = {}) =>
      costlyFieldsOf(schema, parse(document), undefined, variables).map((f) => f.label);
    const login = (alias: string, directive = '') =>
      `${alias}: login(input: {email: "a@b.test", password: "x"}) ${directive} { accessToken }`;
    expect(labels(`mutation ($s: Boolean!) { ${login('a', '@skip(if: $s)')} ${login('b')} }`, { s: true })).toEqual([
      'b: login',
    ]);
    expect(labels(`mutation ($s: Boolean!) { ${login('a', '@include(if: $s)')} ${login('b')} }`, { s: true })).toEqual([
      'a: login',
      'b: login',
    ]);
    expect(labels(`mutation { ...F ...F ... on Mutation { ...F } } fragment F on Mutation { ${login('a')} }`)).toEqual([
      'a: login',
    ]);
    expect(labels('mutation { logout { sessionsEnded } requestEmailVerification { accepted } }')).toEqual([
      'requestEmailVerification',
    ]);
    expect(labels('{ viewer { user { id } } }')).toEqual([]);
    const positions = costlyFieldsOf(
      schema,
      parse(
        'mutation { __typename logout { sessionsEnded } r: refreshSession(input: {refreshToken: "x"}) { accessToken } }',
      ),
    );
    expect(positions.map((f) => [f.label, f.position])).toEqual([['r: refreshSession', 1]]);
  });

  it('are limited per client address whatever token is sent: a valid token does not move them to the organization', async () => {
    const headers = fresh();
    for (let i = 0; i < 3; i++) expect(codeOf(await login(headers))).toBe('UNAUTHENTICATED');
    expectLimited(await login(headers), 3);
    expectLimited(await login(headers, false), 3);
    const signUp = await app.gql(
      'mutation { signUp(input: {email: "x@example.test", username: "x_costly", password: "GoodPass123"}) { user { id } } }',
      { token, headers },
    );
    expectLimited(signUp, 3);
    // The organization's other requests are not held back, and the address has room again when its window ends.
    expect((await app.gql('{ organization { id } }', { token, headers })).body.errors).toBeUndefined();
    now += 3_000;
    expect(codeOf(await login(headers))).toBe('UNAUTHENTICATED');
    // Another address has its own bucket.
    expect(codeOf(await login(fresh()))).toBe('UNAUTHENTICATED');
  });

  it('are charged per field, not per request: aliases cannot multiply mail or hashing', async () => {
    const stamp = Date.now();
    const headers = fresh();
    const four = [1, 2, 3, 4].map((n) => `alias${n}_${stamp}@example.test`);
    expectLimited(await resets(four, headers), 3);
    for (const to of four) expect(await mails(to)).toBe(0);
    expect((await resets(four.slice(0, 3), headers)).body.errors).toBeUndefined();
    expectLimited(await resets([`one_more_${stamp}@example.test`], headers), 3);
  });

  it('limit mail per target address, from any client address and with any token', async () => {
    const target = await createUser(db);
    const reset = (headers: Record<string, string>, withToken: boolean) =>
      app.gql('mutation ($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) { accepted } }', {
        token: withToken ? token : undefined,
        headers,
        variables: { i: { email: target.email.toUpperCase() } },
      });
    expect((await reset(fresh(), false)).body.errors).toBeUndefined();
    expect((await reset(fresh(), true)).body.errors).toBeUndefined();
    expectLimited(await reset(fresh(), false), 120); // two mails in two minutes to one address
    // Named by a variable's default, as a literal of the variable or of the whole input.
    for (const document of [
      `mutation ($e: String! = "${target.email}") { requestPasswordReset(input: {email: $e}) { accepted } }`,
      `mutation ($i: RequestPasswordResetInput! = {email: "${target.email}"}) { requestPasswordReset(input: $i) { accepted } }`,
    ])
      expectLimited(await app.gql(document, { headers: fresh() }), 120);
    // Reset mails are queued after the answer has gone out.
    await eventually(async () => expect(await mails(target.email)).toBe(2));
    // Two aliases to one address in one request are two mails.
    now += 3_600_000;
    expectLimited(await resets([target.email, target.email, target.email], fresh()), 120); // more than the burst: never in one window
    expect(await mails(target.email)).toBe(2);

    // The signed-in user is the target of their own verification mail.
    const verify = () => app.gql('mutation { requestEmailVerification { accepted } }', { token, headers: fresh() });
    expect((await verify()).body.errors).toBeUndefined();
    expect((await verify()).body.errors).toBeUndefined();
    expectLimited(await verify(), 120);
  });

  it('count an IPv6 client by its /64', async () => {
    const prefix = '2001:db8:aa:bb';
    for (let i = 1; i <= 3; i++)
      expect(codeOf(await login({ 'x-forwarded-for': `${prefix}::${i}` }, false))).toBe('UNAUTHENTICATED');
    expectLimited(await login({ 'x-forwarded-for': `${prefix}:1:2:3:4` }, false), 3);
    expect(codeOf(await login({ 'x-forwarded-for': '2001:db8:aa:bc::1' }, false))).toBe('UNAUTHENTICATED');
  });
});
