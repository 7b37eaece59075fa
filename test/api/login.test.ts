import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, TEST_TOKEN_SETTINGS, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import { withTenant } from '../../src/db/database';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';
import { SIGN_IN_FAILED } from '../../src/modules/access/session.service';

const LOGIN = `mutation ($input: LoginInput!) {
  login(input: $input) { accessToken expiresAt user { email } organization { slug } }
}`;
const VIEWER = '{ viewer { user { email } organization { slug } membership { role status } permissions } }';

describe('login', () => {
  let app: TestApp;
  const db = ownerDb();

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  const login = (input: Record<string, unknown>) =>
    app.gql<{
      login: { accessToken: string; expiresAt: string; user: { email: string }; organization: { slug: string } };
    }>(LOGIN, { variables: { input } });

  async function expectSignInFailure(input: Record<string, unknown>) {
    const res = await login(input);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toEqual([
      expect.objectContaining({ message: SIGN_IN_FAILED, extensions: { code: 'UNAUTHENTICATED' } }),
    ]);
  }

  const lastLoginOf = async (userId: string) =>
    withTenant(
      db,
      { organizationId: null, userId },
      async (trx) =>
        (await trx.selectFrom('users').select('last_login_at').where('id', '=', userId).executeTakeFirstOrThrow())
          .last_login_at,
    );

  it('signs alice in to acme with an access token that works for viewer', async () => {
    const res = await login({ email: DEMO_USERS.alice, password: DEMO_PASSWORD });
    expect(res.body.errors).toBeUndefined();
    const payload = res.body.data!.login;
    expect(payload.user.email).toBe(DEMO_USERS.alice);
    expect(payload.organization.slug).toBe('acme');
    const expiresIn = Date.parse(payload.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(TEST_TOKEN_SETTINGS.accessTokenTtlSeconds * 1000);

    const viewer = await app.gql(VIEWER, { token: payload.accessToken });
    expect(viewer.body).toEqual({
      data: {
        viewer: {
          user: { email: DEMO_USERS.alice },
          organization: { slug: 'acme' },
          membership: { role: 'OWNER', status: 'ACTIVE' },
          permissions: expect.arrayContaining(['organizations:read', 'members:read', 'organizations:update']),
        },
      },
    });
  });

  it('treats the email case-insensitively and records the sign-in time', async () => {
    const user = await createUser(db);
    const org = await createOrganization(db);
    await addMember(db, org.id, user.id);
    expect(await lastLoginOf(user.id)).toBeNull();
    const res = await login({ email: user.email.toUpperCase(), password: TEST_PASSWORD });
    expect(res.body.data?.login.user.email).toBe(user.email);
    expect(await lastLoginOf(user.id)).toBeInstanceOf(Date);
  });

  it('signs carol in to either of her organizations with the right role in each', async () => {
    for (const [slug, role] of [
      ['acme', 'MEMBER'],
      ['globex', 'VIEWER'],
    ] as const) {
      const token = await app.login(DEMO_USERS.carol, DEMO_PASSWORD, slug);
      const res = await app.gql<{ viewer: { organization: { slug: string }; membership: { role: string } } }>(VIEWER, {
        token,
      });
      expect(res.body.data!.viewer.organization.slug).toBe(slug);
      expect(res.body.data!.viewer.membership.role).toBe(role);
    }
    // Without a slug: her first organization that admits her.
    const res = await login({ email: DEMO_USERS.carol, password: DEMO_PASSWORD });
    expect(res.body.data!.login.organization.slug).toBe('acme');
  });

  it('stores argon2id hashes with at least the OWASP parameters', async () => {
    const { rows } = await testPool('app').query('select password_hash from app.sign_in_candidate($1, null)', [
      DEMO_USERS.alice,
    ]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('signs in even when the request still carries a token whose session has ended', async () => {
    const org = await createOrganization(db);
    const other = await createOrganization(db);
    const user = await createUser(db);
    const membership = await addMember(db, org.id, user.id);
    await addMember(db, other.id, user.id);
    const stale = await app.login(user.email, TEST_PASSWORD, org.slug);
    await withTenant(db, { organizationId: org.id, userId: null }, (trx) =>
      trx.updateTable('memberships').set({ status: 'suspended' }).where('id', '=', membership.id).execute(),
    );
    const res = await app.gql<{ login: { organization: { slug: string } } }>(LOGIN, {
      token: stale,
      variables: { input: { email: user.email, password: TEST_PASSWORD, organizationSlug: other.slug } },
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.login.organization.slug).toBe(other.slug);
  });

  describe('fails the same way, without saying why, for', () => {
    let member: { email: string; id: string };
    let orgSlug: string;

    beforeAll(async () => {
      const org = await createOrganization(db);
      orgSlug = org.slug;
      const user = await createUser(db);
      await addMember(db, org.id, user.id);
      member = user;
    });

    it('a wrong password', () => expectSignInFailure({ email: member.email, password: 'WrongPass123' }));
    it('an unknown email', () => expectSignInFailure({ email: 'nobody@nowhere.test', password: TEST_PASSWORD }));
    it('a prospective member (dave, status pnm)', () =>
      expectSignInFailure({ email: DEMO_USERS.dave, password: DEMO_PASSWORD }));
    it('an organization the user does not belong to', () =>
      expectSignInFailure({ email: DEMO_USERS.alice, password: DEMO_PASSWORD, organizationSlug: 'globex' }));
    it('an organization that does not exist', () =>
      expectSignInFailure({ email: member.email, password: TEST_PASSWORD, organizationSlug: 'no-such-org' }));

    for (const status of ['inactive', 'disaffiliated', 'suspended', 'invited'] as const) {
      it(`a membership with status ${status}`, async () => {
        const org = await createOrganization(db);
        const user = await createUser(db);
        await addMember(db, org.id, user.id, { status });
        await expectSignInFailure({ email: user.email, password: TEST_PASSWORD });
      });
    }

    it('a membership that has ended', async () => {
      const org = await createOrganization(db);
      const user = await createUser(db);
      await addMember(db, org.id, user.id, { joinedAt: new Date(Date.now() - 86_400_000), endedAt: new Date() });
      await expectSignInFailure({ email: user.email, password: TEST_PASSWORD });
    });

    it('a deactivated organization', async () => {
      const org = await createOrganization(db, { is_active: false });
      const user = await createUser(db);
      await addMember(db, org.id, user.id, { role: 'owner' });
      await expectSignInFailure({ email: user.email, password: TEST_PASSWORD, organizationSlug: org.slug });
      await expectSignInFailure({ email: user.email, password: TEST_PASSWORD });
    });

    for (const status of ['inactive', 'deleted'] as const) {
      it(`a ${status} user`, async () => {
        const org = await createOrganization(db);
        const user = await createUser(db, { status });
        await addMember(db, org.id, user.id);
        await expectSignInFailure({ email: user.email, password: TEST_PASSWORD, organizationSlug: org.slug });
      });
    }

    it('and leaves no trace of the attempt', async () => {
      await expectSignInFailure({ email: member.email, password: 'WrongPass123', organizationSlug: orgSlug });
      expect(await lastLoginOf(member.id)).toBeNull();
    });
  });

  it('rejects malformed input naming the field, before touching the database', async () => {
    const before = app.requests.length;
    const res = await login({ email: 'not-an-email', password: 'x' });
    expect(res.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'email' } });
    expect(JSON.stringify(res.body)).not.toContain('"x"');
    expect(app.requests.slice(before)[0]!.statements).toBe(0);

    const slug = await login({ email: DEMO_USERS.alice, password: DEMO_PASSWORD, organizationSlug: 'Not A Slug' });
    expect(slug.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'organizationSlug' } });

    const missing = await app.gql(LOGIN, { variables: { input: { email: DEMO_USERS.alice } } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  describe('access tokens', () => {
    const key = new TextEncoder().encode(TEST_TOKEN_SETTINGS.secret);
    let claims: { sub: string; org: string; sid: string };
    let SignJWT: typeof import('jose', { with: { 'resolution-mode': 'import' } }).SignJWT;

    beforeAll(async () => {
      ({ SignJWT } = await import('jose'));
      const token = await app.login(DEMO_USERS.alice, DEMO_PASSWORD);
      claims = await app.tokens
        .verifyAccessToken(token)
        .then((c) => ({ sub: c.userId, org: c.organizationId!, sid: c.sessionId }));
    });

    const sign = (overrides: {
      alg?: string;
      iss?: string;
      aud?: string;
      exp?: number;
      secret?: Uint8Array;
      org?: string;
    }) =>
      new SignJWT({ org: overrides.org ?? claims.org, sid: claims.sid })
        .setProtectedHeader({ alg: overrides.alg ?? 'HS256' })
        .setSubject(claims.sub)
        .setIssuer(overrides.iss ?? TEST_TOKEN_SETTINGS.issuer)
        .setAudience(overrides.aud ?? TEST_TOKEN_SETTINGS.audience)
        .setIssuedAt()
        .setExpirationTime(overrides.exp ?? Math.floor(Date.now() / 1000) + 60)
        .sign(overrides.secret ?? key);

    async function expectRejected(authorization: string) {
      const res = await app.gql(VIEWER, { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
      expect(res.body.data).toBeUndefined();
    }

    it('accepts a well-formed token', async () => {
      const res = await app.gql<{ viewer: { user: { email: string } } }>(VIEWER, { token: await sign({}) });
      expect(res.status).toBe(200);
      expect(res.body.data!.viewer.user.email).toBe(DEMO_USERS.alice);
    });
    it('rejects an expired token', async () =>
      expectRejected(`Bearer ${await sign({ exp: Math.floor(Date.now() / 1000) - 10 })}`));
    it('rejects another issuer', async () => expectRejected(`Bearer ${await sign({ iss: 'someone-else' })}`));
    it('rejects another audience', async () => expectRejected(`Bearer ${await sign({ aud: 'another-api' })}`));
    it('rejects a token signed with another key', async () =>
      expectRejected(`Bearer ${await sign({ secret: new TextEncoder().encode('x'.repeat(40)) })}`));
    it('rejects another algorithm (HS512)', async () => expectRejected(`Bearer ${await sign({ alg: 'HS512' })}`));
    it('rejects an unsigned token (alg none)', async () => {
      const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...claims, iss: 'tenantql', aud: 'tenantql-api', iat: now, exp: now + 60 })}.`;
      await expectRejected(`Bearer ${unsigned}`);
    });
    it('rejects a tampered token', async () => {
      const token = await sign({});
      const [h, , s] = token.split('.');
      const forged = Buffer.from(
        JSON.stringify({
          ...claims,
          org: '00000000-0000-4000-8000-000000000000',
          iss: 'tenantql',
          aud: 'tenantql-api',
          exp: 9999999999,
          iat: 1,
        }),
      ).toString('base64url');
      await expectRejected(`Bearer ${h}.${forged}.${s}`);
    });
    it('rejects a header that is not a Bearer token', async () => expectRejected('Basic YWxpY2U6cGFzcw=='));

    it('does not let a validly signed token reach an organization the user is not a member of', async () => {
      const res = await app.gql(VIEWER, { token: await sign({ org: (await createOrganization(db)).id }) });
      expect(res.body.data?.viewer ?? null).toBeNull();
      expect(res.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('a signed-in session stops working at the next request when', () => {
    async function signedInMember() {
      const org = await createOrganization(db);
      const user = await createUser(db);
      const membership = await addMember(db, org.id, user.id);
      const token = await app.login(user.email, TEST_PASSWORD);
      expect((await app.gql('{ organization { name } }', { token })).body.errors).toBeUndefined();
      return { org, user, membership, token };
    }
    async function expectSignedOut(token: string) {
      for (const query of ['{ organization { name } }', '{ viewer { user { email } } }']) {
        const res = await app.gql(query, { token });
        expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(JSON.stringify(res.body.data ?? null)).not.toMatch(/@|name/);
      }
    }

    it('the membership ends', async () => {
      const { org, membership, token } = await signedInMember();
      await withTenant(db, { organizationId: org.id, userId: null }, (trx) =>
        trx
          .updateTable('memberships')
          .set({ ended_at: new Date(Date.now() + 1000), status: 'inactive' })
          .where('id', '=', membership.id)
          .execute(),
      );
      await expectSignedOut(token);
    });

    it('the membership is suspended', async () => {
      const { org, membership, token } = await signedInMember();
      await withTenant(db, { organizationId: org.id, userId: null }, (trx) =>
        trx.updateTable('memberships').set({ status: 'suspended' }).where('id', '=', membership.id).execute(),
      );
      await expectSignedOut(token);
    });

    it('the organization is deactivated', async () => {
      const { org, token } = await signedInMember();
      await withTenant(db, { organizationId: org.id, userId: null }, (trx) =>
        trx.updateTable('organizations').set({ is_active: false }).where('id', '=', org.id).execute(),
      );
      await expectSignedOut(token);
    });

    it('the user is disabled', async () => {
      const { user, token } = await signedInMember();
      await withTenant(db, { organizationId: null, userId: user.id }, (trx) =>
        trx.updateTable('users').set({ status: 'inactive' }).where('id', '=', user.id).execute(),
      );
      await expectSignedOut(token);
    });
  });

  it('answers viewer with null and organization with UNAUTHENTICATED when nobody is signed in', async () => {
    expect((await app.gql('{ viewer { user { email } } }')).body).toEqual({ data: { viewer: null } });
    const res = await app.gql('{ organization { name } }');
    expect(res.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(res.body.data).toEqual({ organization: null });
  });
});
