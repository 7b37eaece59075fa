import pino from 'pino';
import { sql } from 'kysely';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import {
  codeOf,
  startTestApp,
  TEST_KEYRING,
  TEST_SESSION_SETTINGS,
  TEST_TOKEN_SETTINGS,
  type GqlResponse,
  type TestApp,
} from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import { RequestTransaction, STANDALONE_LOCK_TIMEOUT_MS } from '../../src/db/request-transaction';
import { Loaders } from '../../src/graphql/loaders';
import type { Context } from '../../src/graphql/context';
import { TokenService } from '../../src/auth/tokens';
import { hashSecretToken } from '../../src/auth/secret-tokens';
import { login, SIGN_IN_FAILED } from '../../src/modules/access/session.service';

const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long `work` takes, in ms. */
async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work;
  return [result, performance.now() - started];
}

describe('sign-in throttle', () => {
  const db = ownerDb();
  const superuser = testPool('superuser', 3);
  let app: TestApp;
  /** perAccount 3, as a stranger would meet it. */
  let strict: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
    strict = await startTestApp({
      sessions: { ...TEST_SESSION_SETTINGS, throttle: { ...TEST_SESSION_SETTINGS.throttle, perAccount: 3 } },
    });
  });
  afterAll(async () => {
    await app.close();
    await strict.close();
    await closeTestPools();
  });

  async function member() {
    const org = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, org.id, user.id);
    return user;
  }
  const attempt = (
    on: TestApp,
    email: string,
    password: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) =>
    on.gql<{ login: { accessToken: string; refreshToken: string } }>(LOGIN, {
      headers,
      variables: { i: { email, password, ...extra } },
    });
  const row = async (key: string) =>
    (
      await superuser.query(
        'select *, extract(epoch from locked_until - now()) as lock_left from sign_in_throttle where key = $1',
        [key],
      )
    ).rows[0] as
      { failures: number; in_flight: number; locked_until: Date | null; lock_left: string | null } | undefined;
  /** Sets a key's lock: `interval` from now ('0' lifts it), as a longer attack (or the passing time) would. */
  const lock = (key: string, interval: string) =>
    superuser.query('update sign_in_throttle set locked_until = now() + $2::interval where key = $1', [key, interval]);
  /** The key is locked for about `seconds` from the failure just answered. */
  async function expectLock(key: string, seconds: number) {
    const left = Number((await row(key))!.lock_left);
    expect({ left, within: left > seconds - 1.5 && left <= seconds }).toEqual({ left, within: true });
  }
  const expectFailed = (res: GqlResponse) =>
    expect(res.body.errors?.[0]).toMatchObject({ message: SIGN_IN_FAILED, extensions: { code: 'UNAUTHENTICATED' } });

  describe('one request cannot stall sign-in for everyone (issue 13, item 1)', () => {
    const twoLogins = (email: string) => `mutation {
      a: login(input: {email: "${email}", password: "${TEST_PASSWORD}"}) { accessToken }
      b: login(input: {email: "${email}", password: "${TEST_PASSWORD}"}) { accessToken }
    }`;

    it('refuses an operation that checks credentials twice, before it runs (aliases, fragments, mixed fields)', async () => {
      const user = await member();
      const email = user.email;
      const documents = [
        twoLogins(email),
        `mutation { ...A b: login(input: {email: "${email}", password: "x"}) { accessToken } }
         fragment A on Mutation { a: login(input: {email: "${email}", password: "x"}) { accessToken } }`,
        `mutation { ... on Mutation { login(input: {email: "${email}", password: "x"}) { accessToken } } refreshSession(input: {refreshToken: "rt_x"}) { accessToken } }`,
        `mutation { signUp(input: {email: "n_${email}", username: "nobody_here", password: "GoodPass123"}) { user { id } } acceptInvitation(input: {token: "x", password: "y"}) { accessToken } }`,
      ];
      for (const document of documents) {
        const before = strict.requests.length;
        const res = await strict.gql(document);
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([
          expect.objectContaining({
            message: expect.stringMatching(
              /^An operation may check credentials only once; this one does in 2 fields \(.*login|signUp/,
            ),
            extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'credentialChecks', max: 1, found: 2 },
          }),
        ]);
        expect(strict.requests.slice(before).every((r) => r.statements === 0)).toBe(true);
      }
      expect(await row(`account:${email}`)).toBeUndefined(); // nothing was checked, nothing counted
      // One field spread twice runs once, as execution merges it: one check.
      const once = await strict.gql(
        `mutation { ...A ...A } fragment A on Mutation { login(input: {email: "${email}", password: "${TEST_PASSWORD}"}) { accessToken } }`,
      );
      expect(once.body.errors).toBeUndefined();
    });

    it("lets a third party's sign-in and query through at once while the aliased attack is sent", async () => {
      const victim = await member();
      const bystander = await member();
      const token = await app.login(bystander.email, TEST_PASSWORD);
      const attacks = Array.from({ length: 5 }, () => app.gql(twoLogins(victim.email)));
      await sleep(50);
      const [signIn, signInMs] = await timed(attempt(app, bystander.email, TEST_PASSWORD));
      expect(signIn.body.errors).toBeUndefined();
      const [query, queryMs] = await timed(app.gql('{ viewer { user { email } } }', { token }));
      expect(query.body.errors).toBeUndefined();
      expect({ signInMs: signInMs < 2_500, queryMs: queryMs < 2_500 }).toEqual({ signInMs: true, queryMs: true });
      for (const res of await Promise.all(attacks)) expect(res.status).toBe(400);
    });

    it('holds no lock across the request transaction: a second check in the same transaction does not wait for it', async () => {
      // The bookkeeping itself, without the refusal above: two logins in one request transaction
      // on a standalone pool of 2, as in production.
      const standalonePool = testPool('app', 2, 'jest-throttle-standalone');
      const victim = await member();
      const bystander = await member();
      const requestDb = new RequestTransaction(
        testPool('app', 1, 'jest-throttle-request'),
        { organizationId: null, userId: null },
        standalonePool,
      );
      const ctx: Context = {
        requestId: 'throttle-test',
        viewer: null,
        apiKey: null,
        db: requestDb,
        loaders: new Loaders(requestDb),
        services: {
          tokens: new TokenService(TEST_TOKEN_SETTINGS),
          keyring: TEST_KEYRING,
          sessions: TEST_SESSION_SETTINGS,
        },
        log: pino({ level: 'silent' }),
        ip: '127.0.0.1',
        userAgent: 'jest',
      };
      try {
        await login(ctx, { email: victim.email, password: TEST_PASSWORD });
        // Same account and same address as the first check, whose request has not committed.
        const [, secondMs] = await timed(
          Promise.race([
            login(ctx, { email: victim.email, password: TEST_PASSWORD }),
            sleep(4_000).then(() => {
              throw new Error("the second check waited for the first one's request");
            }),
          ]),
        );
        expect(secondMs).toBeLessThan(2_500);
        // Meanwhile the same address signs someone else in at once.
        const [other, otherMs] = await timed(attempt(app, bystander.email, TEST_PASSWORD));
        expect(other.body.errors).toBeUndefined();
        expect(otherMs).toBeLessThan(2_500);
      } finally {
        await requestDb.finish('rollback');
      }
    });

    it('gives standalone work lock and statement timeouts', async () => {
      const trx = new RequestTransaction(
        testPool('app', 1),
        { organizationId: null, userId: null },
        testPool('app', 1),
        { statementTimeoutMs: 2_345, idleInTransactionTimeoutMs: 6_789 },
      );
      const settings = await trx.standalone(
        async (own) =>
          (
            await sql<{ lock: string; statement: string; idle: string }>`select current_setting('lock_timeout') as lock,
        current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle`.execute(
              own,
            )
          ).rows[0],
      );
      expect(settings).toEqual({ lock: `${STANDALONE_LOCK_TIMEOUT_MS / 1000}s`, statement: '2345ms', idle: '6789ms' });
    });

    it('refuses a refresh after another field of its operation, which could hold the rows it needs (logoutEverywhere then refreshSession)', async () => {
      const user = await member();
      const session = (await attempt(app, user.email, TEST_PASSWORD)).body.data!.login;
      // logoutEverywhere would lock the session's refresh-token rows in the request transaction;
      // the rotation then needs one of them on its own connection.
      const before = app.requests.length;
      const [res, ms] = await timed(
        app.gql(
          'mutation ($t: String!) { logoutEverywhere { sessionsEnded } refreshSession(input: {refreshToken: $t}) { accessToken } }',
          { token: session.accessToken, variables: { t: session.refreshToken } },
        ),
      );
      expect(ms).toBeLessThan(2_500);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/^refreshSession must be the first field of its operation/),
          extensions: { code: 'BAD_REQUEST' },
        }),
      ]);
      expect(app.requests.slice(before).every((r) => r.statements === 0)).toBe(true);
      // First, it runs: nothing before it holds anything.
      const first = await app.gql(
        'mutation ($t: String!) { refreshSession(input: {refreshToken: $t}) { accessToken } logoutEverywhere { sessionsEnded } }',
        { token: session.accessToken, variables: { t: session.refreshToken } },
      );
      expect(first.body.errors).toBeUndefined();
    });

    it('gives up after the lock timeout when standalone work waits for a row a request transaction holds', async () => {
      const user = await member();
      const session = (await attempt(app, user.email, TEST_PASSWORD)).body.data!.login;
      const holder = await superuser.connect();
      try {
        await holder.query('begin');
        await holder.query('select 1 from auth_refresh_tokens where token_hash = $1 for update', [
          hashSecretToken(session.refreshToken),
        ]);
        const [res, ms] = await timed(
          Promise.race([
            app.gql('mutation ($t: String!) { refreshSession(input: {refreshToken: $t}) { accessToken } }', {
              variables: { t: session.refreshToken },
            }),
            sleep(4_000).then(() => {
              throw new Error('the rotation waited for the row lock');
            }),
          ]),
        );
        expect(ms).toBeLessThan(STANDALONE_LOCK_TIMEOUT_MS + 1_500);
        expect(res.body.errors?.[0]).toMatchObject({
          path: ['refreshSession'],
          message: 'The request waited too long for another one to finish; try again',
          extensions: { code: 'TIMEOUT' },
        });
      } finally {
        await holder.query('rollback');
        holder.release();
      }
      // The token was not spent: it still refreshes once.
      expect(
        (
          await app.gql('mutation ($t: String!) { refreshSession(input: {refreshToken: $t}) { accessToken } }', {
            variables: { t: session.refreshToken },
          })
        ).body.errors,
      ).toBeUndefined();
    });
  });

  describe('the same shape elsewhere: bookkeeping that waited for a request transaction', () => {
    it('authenticates an API key at once while a request transaction holds its row (the last-use stamp is skipped)', async () => {
      const owner = await member();
      const org = await createOrganization(db);
      await addMember(db, org.id, owner.id, { role: 'owner' });
      const token = await app.login(owner.email, TEST_PASSWORD, org.slug);
      const created = await app.gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
        'mutation { createApiKey(input: { name: "partner", permissions: ["organizations:read"] }) { secret apiKey { id } } }',
        { token },
      );
      const { secret, apiKey } = created.body.data!.createApiKey;
      const holder = await superuser.connect();
      try {
        await holder.query('begin');
        await holder.query('select 1 from api_keys where id = $1 for update', [apiKey.id]); // as an updating request would
        const [res, ms] = await timed(
          Promise.race([
            app.gql<{ organization: { id: string } }>('{ organization { id } }', { token: secret }),
            sleep(4_000).then(() => {
              throw new Error('authenticating the key waited for the row lock');
            }),
          ]),
        );
        expect(res.body.data?.organization.id).toBe(org.id);
        expect(ms).toBeLessThan(2_500);
      } finally {
        await holder.query('rollback');
        holder.release();
      }
    });
  });

  describe('slows guessing without letting a stranger lock a person out (issue 13, item 10)', () => {
    it('locks an account past the limit for a time that doubles with each further failure, up to the lock setting', async () => {
      const user = await member();
      const key = `account:${user.email}`;
      for (let i = 0; i < 2; i++) expectFailed(await attempt(strict, user.email, 'WrongPass123'));
      expect((await attempt(strict, user.email, TEST_PASSWORD)).body.errors).toBeUndefined(); // a success clears the count
      expect(await row(key)).toMatchObject({ failures: 0, locked_until: null });
      for (let i = 0; i < 3; i++) expectFailed(await attempt(strict, user.email, 'WrongPass123'));
      await expectLock(key, 1); // a typo costs a second
      await lock(key, '15 minutes');
      expectFailed(await attempt(strict, user.email, TEST_PASSWORD)); // locked: the right password answers like a wrong one
      await lock(key, '0');
      expect((await attempt(strict, user.email, TEST_PASSWORD)).body.errors).toBeUndefined();
      expect(await row(key)).toMatchObject({ failures: 0, locked_until: null });

      for (let i = 0; i < 3; i++) await attempt(strict, user.email, 'WrongPass123');
      for (const seconds of [2, 4, 8]) {
        await lock(key, '0'); // the lock has passed
        expectFailed(await attempt(strict, user.email, 'WrongPass123'));
        await expectLock(key, seconds);
      }
      await superuser.query('update sign_in_throttle set locked_until = now(), failures = 100 where key = $1', [key]);
      await attempt(strict, user.email, 'WrongPass123');
      await expectLock(key, TEST_SESSION_SETTINGS.throttle.lockSeconds);
    });

    it('counts only failures: concurrent correct sign-ins never lock the account', async () => {
      const user = await member();
      const results = await Promise.all(Array.from({ length: 8 }, () => attempt(strict, user.email, TEST_PASSWORD)));
      expect(results.some((r) => r.body.data?.login)).toBe(true);
      expect(await row(`account:${user.email}`)).toMatchObject({ failures: 0, in_flight: 0, locked_until: null });
      expect((await attempt(strict, user.email, TEST_PASSWORD)).body.errors).toBeUndefined();
    });

    it('runs at most the failures left of checks at once, so parallel guesses cannot overtake the count', async () => {
      const key = `account:parallel_${Date.now()}@example.test`;
      const pool = testPool('app', 10, 'jest-throttle-parallel');
      const reserve = () =>
        pool
          .query<{ ok: boolean }>("select app.reserve_sign_in_attempt($1, '{3}', interval '15 minutes') as ok", [[key]])
          .then((r) => r.rows[0]!.ok);
      const reserved = await Promise.all(Array.from({ length: 10 }, reserve));
      expect(reserved.filter(Boolean)).toHaveLength(3);
      for (let i = 0; i < 3; i++)
        await pool.query("select app.finish_sign_in_attempt($1, '{3}', true, interval '15 minutes')", [[key]]);
      expect(await row(key)).toMatchObject({ failures: 3, in_flight: 0 });
      expect(await reserve()).toBe(false); // locked
    });

    it('forgets keys nobody has tried for a whole window, so made-up emails cannot pile up', async () => {
      const stamp = Date.now();
      const keys = {
        stale: [1, 2, 3].map((n) => `account:stale${n}_${stamp}@example.test`),
        locked: `account:locked_${stamp}@example.test`,
        fresh: `account:fresh_${stamp}@example.test`,
      };
      await superuser.query(
        `insert into sign_in_throttle (key, failures, updated_at, last_failure_at) select k, 5, now() - interval '10 years', now() - interval '10 years' from unnest($1::text[]) k`,
        [keys.stale],
      );
      await superuser.query(
        `insert into sign_in_throttle (key, failures, updated_at, locked_until) values ($1, 9, now() - interval '10 years', now() + interval '1 hour')`,
        [keys.locked],
      );
      await superuser.query(`insert into sign_in_throttle (key, failures) values ($1, 1)`, [keys.fresh]);
      const pool = testPool('app', 1, 'jest-throttle-sweep');
      await pool.query("select app.reserve_sign_in_attempt($1, '{3}', interval '15 minutes')", [
        [`account:sweeper_${stamp}@example.test`],
      ]);
      const { rows } = await superuser.query<{ key: string }>(
        'select key from sign_in_throttle where key = any($1) order by key',
        [[...keys.stale, keys.locked, keys.fresh]],
      );
      expect(rows.map((r) => r.key)).toEqual([keys.fresh, keys.locked]);
    });

    it('locks unknown emails the same way, so a lock does not tell whether an account exists', async () => {
      const ghost = `ghost_${Date.now()}@example.test`;
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await attempt(strict, ghost, 'WrongPass123')).body);
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect((await row(`account:${ghost}`))!.locked_until).toBeInstanceOf(Date);
    });

    it('counts a client address by its /64 (IPv6), as the rate limiter does', async () => {
      const byIp = await startTestApp({
        sessions: { ...TEST_SESSION_SETTINGS, throttle: { ...TEST_SESSION_SETTINGS.throttle, perIp: 3 } },
      });
      const prefix = `2001:db8:${(Date.now() % 65_000).toString(16)}:1`;
      try {
        const user = await member();
        for (let i = 1; i <= 3; i++) {
          expectFailed(
            await attempt(
              byIp,
              `nobody${i}_${Date.now()}@example.test`,
              'WrongPass123',
              {},
              { 'x-forwarded-for': `${prefix}::${i}` },
            ),
          );
        }
        await expectLock(`ip:${prefix}::/64`, 1);
        await lock(`ip:${prefix}::/64`, '15 minutes');
        expectFailed(
          await attempt(byIp, user.email, TEST_PASSWORD, {}, { 'x-forwarded-for': `${prefix}:ffff:ffff:ffff:ffff` }),
        );
        // Another /64, and the account itself, are not locked.
        expect(
          (await attempt(byIp, user.email, TEST_PASSWORD, {}, { 'x-forwarded-for': `${prefix.slice(0, -1)}2::1` })).body
            .errors,
        ).toBeUndefined();
      } finally {
        await byIp.close();
      }
    });

    it('lets a client holding a live session of the account sign in while a stranger keeps it locked', async () => {
      const user = await member();
      const mine = (await attempt(strict, user.email, TEST_PASSWORD)).body.data!.login;
      for (let i = 0; i < 3; i++) await attempt(strict, user.email, 'WrongPass123'); // the stranger,
      await superuser.query("update sign_in_throttle set locked_until = now() + interval '15 minutes' where key = $1", [
        `account:${user.email}`,
      ]); // for hours
      expectFailed(await attempt(strict, user.email, TEST_PASSWORD));
      const known = await attempt(strict, user.email, TEST_PASSWORD, { refreshToken: mine.refreshToken });
      expect(known.body.errors).toBeUndefined();
      expect((await row(`account:${user.email}`))!.locked_until).toBeInstanceOf(Date); // still locked for strangers

      // The known device is throttled on its own: its failures lock it, not the account's owner elsewhere.
      for (let i = 0; i < 3; i++)
        expectFailed(await attempt(strict, user.email, 'WrongPass123', { refreshToken: mine.refreshToken }));
      const family = (
        await superuser.query('select family_id from auth_refresh_tokens where token_hash = $1', [
          hashSecretToken(mine.refreshToken),
        ])
      ).rows[0].family_id as string;
      await expectLock(`session:${family}`, 1);
      await lock(`session:${family}`, '15 minutes');
      expectFailed(await attempt(strict, user.email, TEST_PASSWORD, { refreshToken: mine.refreshToken }));

      // No proof: a rotated token, another account's token, a made-up one.
      const other = await member();
      const theirs = (await attempt(strict, other.email, TEST_PASSWORD)).body.data!.login.refreshToken;
      const rotated = await strict.gql<{ refreshSession: { refreshToken: string } }>(
        'mutation ($t: String!) { refreshSession(input: {refreshToken: $t}) { refreshToken } }',
        { variables: { t: known.body.data!.login.refreshToken } },
      );
      expect(rotated.body.errors).toBeUndefined();
      for (const refreshToken of [known.body.data!.login.refreshToken, theirs, 'rt_made_up']) {
        expectFailed(await attempt(strict, user.email, TEST_PASSWORD, { refreshToken }));
      }
    });

    it('counts changePassword under the session that asks, so a stolen session cannot lock the owner out', async () => {
      const user = await member();
      const token = await strict.login(user.email, TEST_PASSWORD);
      const change = (currentPassword: string) =>
        strict.gql('mutation ($i: ChangePasswordInput!) { changePassword(input: $i) { accepted } }', {
          token,
          variables: { i: { currentPassword, newPassword: 'BrandNew123' } },
        });
      for (let i = 0; i < 3; i++) expect(codeOf(await change('WrongPass123'))).toBe('BAD_USER_INPUT');
      const { sessionId } = await strict.tokens.verifyAccessToken(token);
      await expectLock(`session:${sessionId}`, 1);
      await lock(`session:${sessionId}`, '15 minutes');
      expect((await change(TEST_PASSWORD)).body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'currentPassword',
      });
      expect((await attempt(strict, user.email, TEST_PASSWORD)).body.errors).toBeUndefined();
    });
  });
});
