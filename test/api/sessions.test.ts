import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import { withTenant } from '../../src/db/database';
import { hashSecretToken } from '../../src/auth/secret-tokens';
import { REFRESH_FAILED } from '../../src/modules/access/session.service';

const SESSION_FIELDS = 'accessToken refreshToken expiresAt refreshTokenExpiresAt user { email } organization { slug }';
interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  refreshTokenExpiresAt: string;
  user: { email: string };
  organization: { slug: string };
}

describe('sessions', () => {
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

  /** A member of two organizations, signed in to the first. */
  async function member() {
    const first = await createOrganization(db);
    const second = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, first.id, user.id, { joinedAt: new Date(Date.now() - 86_400_000) });
    await addMember(db, second.id, user.id);
    const res = await app.gql<{ login: Session }>(
      `mutation ($input: LoginInput!) { login(input: $input) { ${SESSION_FIELDS} } }`,
      {
        variables: { input: { email: user.email, password: TEST_PASSWORD, organizationSlug: first.slug } },
        headers: { 'user-agent': 'jest-agent/1.0' },
      },
    );
    expect(res.body.errors).toBeUndefined();
    return { user, first, second, session: res.body.data!.login };
  }

  const refresh = (refreshToken: string) =>
    app.gql<{ refreshSession: Session }>(
      `mutation ($input: RefreshSessionInput!) { refreshSession(input: $input) { ${SESSION_FIELDS} } }`,
      { variables: { input: { refreshToken } } },
    );
  const whoAmI = (token: string) =>
    app.gql<{ viewer: { organization: { slug: string } } }>('{ viewer { organization { slug } } }', { token });
  const tokenRow = async (token: string) =>
    (await superuser.query('select * from auth_refresh_tokens where token_hash = $1', [hashSecretToken(token)]))
      .rows[0];

  it('stores only a hash of the refresh token, with its session details', async () => {
    const { user, first, session } = await member();
    expect(session.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    const row = await tokenRow(session.refreshToken);
    expect(row).toMatchObject({
      user_id: user.id,
      organization_id: first.id,
      user_agent: 'jest-agent/1.0',
      revoked_at: null,
      previous_token_id: null,
    });
    expect(row.ip).toMatch(/127\.0\.0\.1/);
    const all = await superuser.query('select * from auth_refresh_tokens where user_id = $1', [user.id]);
    expect(JSON.stringify(all.rows)).not.toContain(session.refreshToken);
    expect(Date.parse(session.refreshTokenExpiresAt)).toBeGreaterThan(Date.parse(session.expiresAt));
  });

  it('rotates: a refresh gives new tokens of the same session, linked to the old one', async () => {
    const { first, session } = await member();
    const res = await refresh(session.refreshToken);
    expect(res.body.errors).toBeUndefined();
    const next = res.body.data!.refreshSession;
    expect(next.organization.slug).toBe(first.slug);
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect((await whoAmI(next.accessToken)).body.data!.viewer.organization.slug).toBe(first.slug);
    const [oldRow, newRow] = [await tokenRow(session.refreshToken), await tokenRow(next.refreshToken)];
    expect(oldRow.replaced_by_token_id).toBe(newRow.id);
    expect(newRow.previous_token_id).toBe(oldRow.id);
    expect(newRow.family_id).toBe(oldRow.family_id);
  });

  it('revokes the whole session when a rotated refresh token is presented again', async () => {
    const { session } = await member();
    const next = (await refresh(session.refreshToken)).body.data!.refreshSession;
    const reuse = await refresh(session.refreshToken);
    expect(reuse.body.errors?.[0]).toMatchObject({ message: REFRESH_FAILED, extensions: { code: 'UNAUTHENTICATED' } });
    // the legitimate successor and its access token are dead too
    expect((await refresh(next.refreshToken)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await whoAmI(next.accessToken)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const family = await superuser.query('select revoked_reason from auth_refresh_tokens where family_id = $1', [
      (await tokenRow(session.refreshToken)).family_id,
    ]);
    expect(family.rows.map((r) => r.revoked_reason)).toEqual(['reuse', 'reuse']);
  });

  it('produces at most one successor from concurrent refreshes with the same token', async () => {
    const { session } = await member();
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(session.refreshToken)));
    const succeeded = results.filter((r) => r.body.data?.refreshSession);
    expect(succeeded.length).toBeLessThanOrEqual(1);
    const { rows } = await superuser.query(
      'select count(*)::int as n from auth_refresh_tokens where previous_token_id = $1',
      [(await tokenRow(session.refreshToken)).id],
    );
    expect(rows[0].n).toBeLessThanOrEqual(1);
  });

  it('refuses unknown, malformed and expired refresh tokens the same way', async () => {
    const { session } = await member();
    await superuser.query(
      "update auth_refresh_tokens set expires_at = now() - interval '1 second' where token_hash = $1",
      [hashSecretToken(session.refreshToken)],
    );
    for (const token of ['rt_unknown', session.refreshToken, "' or 1=1 --"]) {
      const res = await refresh(token);
      expect(res.body.errors?.[0]).toMatchObject({ message: REFRESH_FAILED, extensions: { code: 'UNAUTHENTICATED' } });
    }
    expect((await refresh('')).body.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'refreshToken' },
    });
  });

  it('refuses to refresh a session whose membership lost platform access, and ends it', async () => {
    const { first, user, session } = await member();
    await withTenant(db, { organizationId: first.id, userId: null }, (trx) =>
      trx.updateTable('memberships').set({ status: 'suspended' }).where('user_id', '=', user.id).execute(),
    );
    expect((await refresh(session.refreshToken)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await tokenRow(session.refreshToken)).revoked_reason).toBe('access_lost');
  });

  it('logout ends the current session at once, and only that one', async () => {
    const { user, first, session } = await member();
    const other = await app.login(user.email, TEST_PASSWORD, first.slug);
    const res = await app.gql<{ logout: { sessionsEnded: number } }>('mutation { logout { sessionsEnded } }', {
      token: session.accessToken,
    });
    expect(res.body.data!.logout.sessionsEnded).toBe(1);
    expect((await whoAmI(session.accessToken)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await refresh(session.refreshToken)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await whoAmI(other)).body.data!.viewer.organization.slug).toBe(first.slug);
  });

  it('logout counts one session however often it was refreshed', async () => {
    const { session } = await member();
    const refreshed = await refresh(session.refreshToken);
    const tokens = refreshed.body.data!.refreshSession as { accessToken: string; refreshToken: string };
    const again = (await refresh(tokens.refreshToken)).body.data!.refreshSession as { accessToken: string };
    const res = await app.gql<{ logout: { sessionsEnded: number } }>('mutation { logout { sessionsEnded } }', {
      token: again.accessToken,
    });
    expect(res.body.data!.logout.sessionsEnded).toBe(1);
  });

  it("logoutEverywhere ends every session of the user in every organization, and no one else's", async () => {
    const { user, second, session } = await member();
    const elsewhere = await app.login(user.email, TEST_PASSWORD, second.slug);
    const bystander = await member();
    const res = await app.gql<{ logoutEverywhere: { sessionsEnded: number } }>(
      'mutation { logoutEverywhere { sessionsEnded } }',
      { token: session.accessToken },
    );
    expect(res.body.data!.logoutEverywhere.sessionsEnded).toBe(2);
    expect((await whoAmI(session.accessToken)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await whoAmI(elsewhere)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await whoAmI(bystander.session.accessToken)).body.errors).toBeUndefined();
  });

  it('switchOrganization starts a session in another organization the user may enter', async () => {
    const { second, session } = await member();
    const res = await app.gql<{ switchOrganization: Session }>(
      `mutation ($input: SwitchOrganizationInput!) { switchOrganization(input: $input) { ${SESSION_FIELDS} } }`,
      {
        token: session.accessToken,
        variables: { input: { organizationId: second.id } },
      },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.switchOrganization.organization.slug).toBe(second.slug);
    expect((await whoAmI(res.body.data!.switchOrganization.accessToken)).body.data!.viewer.organization.slug).toBe(
      second.slug,
    );
    expect((await refresh(res.body.data!.switchOrganization.refreshToken)).body.errors).toBeUndefined();
  });

  it('switchOrganization refuses organizations the user may not enter, writing nothing', async () => {
    const { user, session } = await member();
    const stranger = await createOrganization(db);
    const suspended = await createOrganization(db);
    await addMember(db, suspended.id, user.id, { status: 'suspended' });
    const before = (
      await superuser.query('select count(*)::int as n from auth_refresh_tokens where user_id = $1', [user.id])
    ).rows[0].n;
    for (const organizationId of [stranger.id, suspended.id, '00000000-0000-4000-8000-000000000000']) {
      const res = await app.gql(
        `mutation ($input: SwitchOrganizationInput!) { switchOrganization(input: $input) { accessToken } }`,
        {
          token: session.accessToken,
          variables: { input: { organizationId } },
        },
      );
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const bad = await app.gql(
      `mutation { switchOrganization(input: {organizationId: "not-a-uuid"}) { accessToken } }`,
      { token: session.accessToken },
    );
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(
      (await superuser.query('select count(*)::int as n from auth_refresh_tokens where user_id = $1', [user.id]))
        .rows[0].n,
    ).toBe(before);
  });

  it('needs a signed-in caller for logout, logoutEverywhere and switchOrganization', async () => {
    for (const mutation of [
      'mutation { logout { sessionsEnded } }',
      'mutation { logoutEverywhere { sessionsEnded } }',
      'mutation { switchOrganization(input: {organizationId: "00000000-0000-4000-8000-000000000000"}) { accessToken } }',
    ]) {
      expect((await app.gql(mutation)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
