import crypto from 'node:crypto';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, TEST_SESSION_SETTINGS, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import { SIGN_IN_FAILED } from '../../src/modules/access/session.service';
import { eventually } from '../support/eventually';

const SIGN_UP = `mutation ($input: SignUpInput!) {
  signUp(input: $input) { user { id email username name emailVerifiedAt } session { accessToken organization { slug name } } }
}`;
const NEW_PASSWORD = 'BrandNew123';

interface SignUpResult {
  signUp: {
    user: { id: string; email: string; emailVerifiedAt: string | null };
    session: { accessToken: string; organization: { slug: string; name: string } } | null;
  };
}

describe('accounts', () => {
  let app: TestApp;
  const db = ownerDb();
  const superuser = testPool('superuser', 2);

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  const unique = () => crypto.randomUUID().slice(0, 8);
  const mailTo = async (to: string, template: string) =>
    (
      await superuser.query(
        'select * from outbox where lower(to_address) = lower($1) and template = $2 order by created_at',
        [to, template],
      )
    ).rows;
  const signUp = (input: Record<string, unknown>) => app.gql<SignUpResult>(SIGN_UP, { variables: { input } });
  const fresh = () => {
    const u = unique();
    return {
      email: `new_${u}@example.test`,
      username: `new_${u}`,
      password: 'GoodPass123',
      firstName: 'Nia',
      lastName: 'New',
    };
  };
  const loginWith = (email: string, password: string) =>
    app.gql<{ login: { accessToken: string } }>('mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', {
      variables: { i: { email, password } },
    });
  const expectCode = (
    res: { body: { errors?: { extensions?: Record<string, unknown> }[] } },
    code: string,
    field?: string,
  ) => expect(res.body.errors?.[0]?.extensions).toMatchObject(field ? { code, field } : { code });

  describe('signUp', () => {
    it('creates the account and queues a verification mail; with no organization there is no session yet', async () => {
      const input = fresh();
      const res = await signUp(input);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.signUp).toMatchObject({
        user: { email: input.email, emailVerifiedAt: null },
        session: null,
      });
      const mail = await mailTo(input.email, 'account.verify_email');
      expect(mail).toHaveLength(1);
      expect(mail[0].payload).toMatchObject({ firstName: 'Nia', token: expect.stringMatching(/^ev_/) });
      const stored = (
        await superuser.query('select password_hash from users where id = $1', [res.body.data!.signUp.user.id])
      ).rows[0];
      expect(stored.password_hash).toMatch(/^\$argon2id\$/);
    });

    it('creates an organization owned by the new user and signs in to it', async () => {
      const input = { ...fresh(), organization: { name: `Zeta Labs ${unique()}!` } };
      const res = await signUp(input);
      expect(res.body.errors).toBeUndefined();
      const session = res.body.data!.signUp.session!;
      expect(session.organization.slug).toMatch(/^zeta-labs-[a-z0-9]{8}$/);
      const viewer = await app.gql<{ viewer: { membership: { role: string } } }>('{ viewer { membership { role } } }', {
        token: session.accessToken,
      });
      expect(viewer.body.data!.viewer.membership.role).toBe('OWNER');
    });

    it('refuses a taken email (in any case), username or slug, naming the field and writing nothing', async () => {
      const first = fresh();
      const slug = `taken-${first.username.slice(4)}`;
      await signUp({ ...first, organization: { name: 'Taken', slug } });
      const attempts = [
        [{ ...fresh(), email: first.email.toUpperCase() }, 'email'],
        [{ ...fresh(), username: first.username }, 'username'],
        [{ ...fresh(), organization: { name: 'Again', slug } }, 'organization.slug'],
      ] as const;
      for (const [input, field] of attempts) {
        expectCode(await signUp(input), 'CONFLICT', field);
        // nothing of the failed sign-up exists: not the user, not an organization
        const written = await superuser.query(
          'select count(*)::int as n from users where lower(email) = lower($1) or lower(username) = lower($2)',
          [input.email, input.username],
        );
        expect(written.rows[0].n).toBe(field === 'email' || field === 'username' ? 1 : 0);
      }
      expect(
        (await superuser.query('select count(*)::int as n from organizations where slug = $1', [slug])).rows[0].n,
      ).toBe(1);
    });

    it('validates email, username, password and slug as seed 004 says', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ email: 'nope' }, 'email'],
        [{ username: 'ab' }, 'username'],
        [{ username: 'has-dash' }, 'username'],
        [{ password: 'short1A' }, 'password'],
        [{ password: 'alllowercase1' }, 'password'],
        [{ password: 'ALLUPPERCASE1' }, 'password'],
        [{ password: 'NoDigitsHere' }, 'password'],
        [{ organization: { name: 'X', slug: 'Bad Slug' } }, 'organization.slug'],
      ];
      for (const [override, field] of cases) {
        const input = { ...fresh(), ...override };
        expect({ field, error: (await signUp(input)).body.errors?.[0]?.extensions }).toMatchObject({
          field,
          error: { code: 'BAD_USER_INPUT', field },
        });
        const written = await superuser.query(
          'select count(*)::int as n from users where lower(email) = lower($1) or lower(username) = lower($2)',
          [input.email, input.username],
        );
        expect({ field, written: written.rows[0].n }).toEqual({ field, written: 0 });
      }
    });
  });

  describe('email verification', () => {
    it('verifies with the mailed token, once', async () => {
      const input = fresh();
      const { user } = (await signUp(input)).body.data!.signUp;
      const token = (await mailTo(input.email, 'account.verify_email'))[0].payload.token;
      const verify = (t: string) =>
        app.gql('mutation ($i: VerifyEmailInput!) { verifyEmail(input: $i) { accepted } }', {
          variables: { i: { token: t } },
        });
      expect((await verify(token)).body.errors).toBeUndefined();
      expect(
        (await superuser.query('select email_verified_at from users where id = $1', [user.id])).rows[0]
          .email_verified_at,
      ).toBeInstanceOf(Date);
      expectCode(await verify(token), 'BAD_USER_INPUT', 'token');
      expectCode(await verify('ev_not-a-real-token'), 'BAD_USER_INPUT', 'token');
    });

    it('sends a fresh token on request, superseding the old one', async () => {
      const org = await createOrganization(db);
      const user = await createUser(db);
      await addMember(db, org.id, user.id);
      const token = await app.login(user.email, TEST_PASSWORD);
      for (let i = 0; i < 2; i++) {
        expect(
          (await app.gql('mutation { requestEmailVerification { accepted } }', { token })).body.errors,
        ).toBeUndefined();
      }
      const [older, newer] = (await mailTo(user.email, 'account.verify_email')).map((m) => m.payload.token);
      const verify = (t: string) =>
        app.gql('mutation ($i: VerifyEmailInput!) { verifyEmail(input: $i) { accepted } }', {
          variables: { i: { token: t } },
        });
      expectCode(await verify(older), 'BAD_USER_INPUT', 'token');
      expect((await verify(newer)).body.errors).toBeUndefined();
      expectCode(await app.gql('mutation { requestEmailVerification { accepted } }'), 'UNAUTHENTICATED');
    });
  });

  describe('password reset', () => {
    const request = (email: string) =>
      app.gql('mutation ($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) { accepted } }', {
        variables: { i: { email } },
      });
    const reset = (token: string, newPassword: string) =>
      app.gql('mutation ($i: ResetPasswordInput!) { resetPassword(input: $i) { accepted } }', {
        variables: { i: { token, newPassword } },
      });

    /** The reset mail of an address, once the work deferred until after the answer has run. */
    const resetMail = (email: string) =>
      eventually(async () => {
        const mail = await mailTo(email, 'account.password_reset');
        expect(mail).toHaveLength(1);
        return mail[0];
      });

    it('answers the same for known and unknown emails, mailing only the known one', async () => {
      const user = await createUser(db);
      const known = await request(user.email);
      const unknown = await request(`ghost_${unique()}@example.test`);
      expect(known.body).toEqual(unknown.body);
      await resetMail(user.email);
    });

    it('does the same work before answering for known and unknown emails: the token is issued after the answer', async () => {
      const user = await createUser(db);
      const ghost = `ghost_${unique()}@example.test`;
      // While nobody can write to the outbox, both requests are still answered at once: neither
      // writes anything before its answer (on the old code the known email waited for the lock).
      const locker = await superuser.connect();
      try {
        await locker.query('begin');
        await locker.query('lock table outbox in share mode');
        const known = await request(user.email);
        const unknown = await request(ghost);
        const [knownRequest, unknownRequest] = app.requests.slice(-2);
        expect(known.body).toEqual({ data: { requestPasswordReset: { accepted: true } } });
        expect(unknown.body).toEqual(known.body);
        // Not one statement in either request's own transaction.
        expect([knownRequest!.statements, unknownRequest!.statements]).toEqual([0, 0]);
        expect(await mailTo(user.email, 'account.password_reset')).toHaveLength(0);
      } finally {
        await locker.query('commit');
        locker.release();
      }
      // Then the mail is written, for the known address only.
      expect((await resetMail(user.email)).payload).toMatchObject({ token: expect.stringMatching(/^pr_/) });
      expect(await mailTo(ghost, 'account.password_reset')).toHaveLength(0);
    });

    it('mails nothing when the request is rolled back', async () => {
      const user = await createUser(db);
      const res = await app.gql(
        `mutation ($i: RequestPasswordResetInput!, $r: ResetPasswordInput!) {
        requestPasswordReset(input: $i) { accepted } resetPassword(input: $r) { accepted } }`,
        { variables: { i: { email: user.email }, r: { token: 'pr_wrong', newPassword: NEW_PASSWORD } } },
      );
      expectCode(res, 'BAD_USER_INPUT', 'token');
      // A later request's mail arrives; the rolled-back one never does.
      const other = await createUser(db);
      await request(other.email);
      await resetMail(other.email);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await mailTo(user.email, 'account.password_reset')).toHaveLength(0);
    });

    it('sets the new password, ends every session, and the token works once', async () => {
      const org = await createOrganization(db);
      const user = await createUser(db);
      await addMember(db, org.id, user.id);
      const before = await app.login(user.email, TEST_PASSWORD);
      await request(user.email);
      const token = (await resetMail(user.email)).payload.token as string;
      expectCode(await reset(token, 'weak'), 'BAD_USER_INPUT', 'newPassword');
      expect((await reset(token, NEW_PASSWORD)).body.errors).toBeUndefined();
      expect((await loginWith(user.email, NEW_PASSWORD)).body.errors).toBeUndefined();
      expect((await loginWith(user.email, TEST_PASSWORD)).body.errors?.[0]?.message).toBe(SIGN_IN_FAILED);
      expectCode(await app.gql('{ viewer { user { id } } }', { token: before }), 'UNAUTHENTICATED');
      expectCode(await reset(token, 'Another123'), 'BAD_USER_INPUT', 'token');
    });

    it('refuses an expired token', async () => {
      const user = await createUser(db);
      await request(user.email);
      const token = (await resetMail(user.email)).payload.token as string;
      await superuser.query("update user_tokens set expires_at = now() - interval '1 second' where user_id = $1", [
        user.id,
      ]);
      expectCode(await reset(token, NEW_PASSWORD), 'BAD_USER_INPUT', 'token');
      const hash = (await superuser.query('select password_hash from users where id = $1', [user.id])).rows[0]
        .password_hash;
      expect(hash).toBe(user.password_hash);
    });
  });

  describe('changePassword', () => {
    const change = (token: string, currentPassword: string, newPassword: string) =>
      app.gql('mutation ($i: ChangePasswordInput!) { changePassword(input: $i) { accepted } }', {
        token,
        variables: { i: { currentPassword, newPassword } },
      });

    it('needs the current password and a strong new one, then ends the other sessions only', async () => {
      const org = await createOrganization(db);
      const user = await createUser(db);
      await addMember(db, org.id, user.id);
      const current = await app.login(user.email, TEST_PASSWORD);
      const other = await app.login(user.email, TEST_PASSWORD);
      expectCode(await change(current, 'WrongPass123', NEW_PASSWORD), 'BAD_USER_INPUT', 'currentPassword');
      expectCode(await change(current, TEST_PASSWORD, 'weakpass'), 'BAD_USER_INPUT', 'newPassword');
      expect((await loginWith(user.email, TEST_PASSWORD)).body.errors).toBeUndefined();

      expect((await change(current, TEST_PASSWORD, NEW_PASSWORD)).body.errors).toBeUndefined();
      expect((await app.gql('{ viewer { user { id } } }', { token: current })).body.errors).toBeUndefined();
      expectCode(await app.gql('{ viewer { user { id } } }', { token: other }), 'UNAUTHENTICATED');
      expect((await loginWith(user.email, NEW_PASSWORD)).body.errors).toBeUndefined();
    });

    it('spends a pending password-reset token: it was asked for under the old password', async () => {
      const org = await createOrganization(db);
      const user = await createUser(db);
      await addMember(db, org.id, user.id);
      const current = await app.login(user.email, TEST_PASSWORD);
      await app.gql('mutation ($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) { accepted } }', {
        variables: { i: { email: user.email } },
      });
      const token = await eventually(
        async () => (await mailTo(user.email, 'account.password_reset'))[0]!.payload.token as string,
      );
      expect((await change(current, TEST_PASSWORD, NEW_PASSWORD)).body.errors).toBeUndefined();
      const reset = await app.gql('mutation ($i: ResetPasswordInput!) { resetPassword(input: $i) { accepted } }', {
        variables: { i: { token, newPassword: 'Another123' } },
      });
      expectCode(reset, 'BAD_USER_INPUT', 'token');
      expect((await loginWith(user.email, NEW_PASSWORD)).body.errors).toBeUndefined();
    });
  });

  it('an account that stops being active loses its sessions: making it active again brings none back', async () => {
    const org = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, org.id, user.id);
    const session = (await loginWith(user.email, TEST_PASSWORD)).body.data!;
    const refresh = await app.gql<{ login: { refreshToken: string } }>(
      'mutation ($i: LoginInput!) { login(input: $i) { refreshToken } }',
      { variables: { i: { email: user.email, password: TEST_PASSWORD } } },
    );
    await superuser.query("update users set status = 'inactive' where id = $1", [user.id]);
    await superuser.query("update users set status = 'active' where id = $1", [user.id]);
    expectCode(await app.gql('{ viewer { user { id } } }', { token: session.login.accessToken }), 'UNAUTHENTICATED');
    expectCode(
      await app.gql('mutation ($i: RefreshSessionInput!) { refreshSession(input: $i) { accessToken } }', {
        variables: { i: { refreshToken: refresh.body.data!.login.refreshToken } },
      }),
      'UNAUTHENTICATED',
    );
    expect((await loginWith(user.email, TEST_PASSWORD)).body.errors).toBeUndefined();
  });

  describe('sign-in throttle', () => {
    let strict: TestApp;
    beforeAll(async () => {
      strict = await startTestApp({
        sessions: { ...TEST_SESSION_SETTINGS, throttle: { ...TEST_SESSION_SETTINGS.throttle, perAccount: 3 } },
      });
    });
    afterAll(() => strict.close());
    const attempt = (email: string, password: string) =>
      strict.gql<{ login: { accessToken: string } }>(
        'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }',
        { variables: { i: { email, password } } },
      );

    // The account lock, its growth, parallel guesses and known devices: test/api/sign-in-throttle.test.ts.
    it('locks a client address that tries many accounts', async () => {
      const byIp = await startTestApp({
        sessions: { ...TEST_SESSION_SETTINGS, throttle: { ...TEST_SESSION_SETTINGS.throttle, perIp: 3 } },
      });
      // A documentation address of its own (the server trusts X-Forwarded-For from loopback proxies).
      const headers = { 'x-forwarded-for': `203.0.113.${Math.floor(Math.random() * 250) + 1}` };
      try {
        const org = await createOrganization(db);
        const user = await createUser(db);
        await addMember(db, org.id, user.id);
        for (let i = 0; i < 3; i++) {
          await byIp.gql('mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', {
            headers,
            variables: { i: { email: `nobody${i}_${unique()}@example.test`, password: 'WrongPass123' } },
          });
        }
        const res = await byIp.gql('mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', {
          headers,
          variables: { i: { email: user.email, password: TEST_PASSWORD } },
        });
        expect(res.body.errors?.[0]?.message).toBe(SIGN_IN_FAILED);
        // the account itself is not locked: from another address it signs in
        expect((await attempt(user.email, TEST_PASSWORD)).body.errors).toBeUndefined();
      } finally {
        await byIp.close();
      }
    });
  });
});
