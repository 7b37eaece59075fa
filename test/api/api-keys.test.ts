import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type Res, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import { hashSecretToken } from '../../src/auth/secret-tokens';
import type { MembershipRole } from '../../src/db/schema';

describe('API keys', () => {
  let app: TestApp;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  async function tenant(role: MembershipRole = 'owner') {
    const org = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, org.id, user.id, { role });
    for (let i = 0; i < 2; i++) await addMember(db, org.id, (await createUser(db)).id);
    return { org, user, token: await app.login(user.email, TEST_PASSWORD) };
  }
  const create = (token: string, input: Record<string, unknown>) =>
    app.gql(
      'mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id name prefix permissions expiresAt lastUsedAt } } }',
      { token, variables: { i: input } },
    ) as Promise<Res>;
  async function key(token: string, permissions: string[], extra: Record<string, unknown> = {}) {
    const res = await create(token, { name: 'partner', permissions, ...extra });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.createApiKey as {
      secret: string;
      apiKey: { id: string; prefix: string; permissions: string[] };
    };
  }
  const keyRow = async (id: string) => (await superuser.query('select * from api_keys where id = $1', [id])).rows[0];

  it('returns the secret once, stores only its hash, and lists the key by prefix', async () => {
    const t = await tenant();
    const created = await key(t.token, ['organizations:read', 'members:read']);
    expect(created.secret).toMatch(/^tq_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.secret.startsWith(`${created.apiKey.prefix}_`)).toBe(true);
    const row = await keyRow(created.apiKey.id);
    expect(row.secret_hash).toBe(hashSecretToken(created.secret));
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(12));
    const listed = await app.gql<{ organization: { apiKeys: { edges: { node: Record<string, unknown> }[] } } }>(
      '{ organization { apiKeys { edges { node { id prefix permissions revokedAt } } } } }',
      { token: t.token },
    );
    expect(listed.body.data!.organization.apiKeys.edges.map((e) => e.node)).toEqual([
      {
        id: created.apiKey.id,
        prefix: created.apiKey.prefix,
        permissions: ['members:read', 'organizations:read'],
        revokedAt: null,
      },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
  });

  it('acts for its organization with exactly its permissions, and nothing a person does', async () => {
    const a = await tenant();
    const b = await tenant();
    const { secret } = await key(a.token, ['organizations:read', 'members:read']);
    const read = await app.gql<{ organization: { slug: string; members: { totalCount: number } } }>(
      '{ organization { slug members { totalCount } } }',
      { token: secret },
    );
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data!.organization).toEqual({ slug: a.org.slug, members: { totalCount: 3 } });
    expect(JSON.stringify(read.body)).not.toContain(b.org.slug);
    expect((await app.gql('{ viewer { user { id } } }', { token: secret })).body).toEqual({ data: { viewer: null } });
    expect(codeOf((await app.gql('{ organization { roles { totalCount } } }', { token: secret })) as Res)).toBe(
      'FORBIDDEN',
    );
    expect(
      codeOf(
        (await app.gql('mutation { createRole(input: {name: "x", permissions: []}) { role { id } } }', {
          token: secret,
        })) as Res,
      ),
    ).toBe('FORBIDDEN');
    for (const mutation of [
      'mutation { logout { sessionsEnded } }',
      'mutation { updateProfile(input: {firstName: "Bot"}) { user { id } } }',
      'mutation { createOrganization(input: {name: "Bot Org"}) { accessToken } }',
    ]) {
      expect(codeOf((await app.gql(mutation, { token: secret })) as Res)).toBe('FORBIDDEN');
    }
  });

  it('can be given no more than its creator holds', async () => {
    const admin = await tenant('admin');
    expect(codeOf(await create(admin.token, { name: 'too much', permissions: ['organizations:deactivate'] }))).toBe(
      'FORBIDDEN',
    );
    expect(
      (await create(admin.token, { name: 'unknown', permissions: ['rockets:launch'] })).body.errors?.[0]?.extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'permissions' });
    expect(
      (await create(admin.token, { name: 'past', permissions: [], expiresAt: '2020-01-01T00:00:00Z' })).body.errors?.[0]
        ?.extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expiresAt' });
    const member = await tenant('member');
    expect(codeOf(await create(member.token, { name: 'nope', permissions: [] }))).toBe('FORBIDDEN');
    expect(
      (
        await superuser.query('select count(*)::int as n from api_keys where organization_id = any($1::uuid[])', [
          [admin.org.id, member.org.id],
        ])
      ).rows[0].n,
    ).toBe(0);
    // a key cannot mint keys beyond its own scope either
    const owner = await tenant();
    const { secret } = await key(owner.token, ['api_keys:manage', 'members:read']);
    expect(codeOf(await create(secret, { name: 'escalate', permissions: ['roles:manage'] }))).toBe('FORBIDDEN');
  });

  it('stops working once revoked, expired, or its organization deactivated; records its last use', async () => {
    const t = await tenant();
    const revoked = await key(t.token, ['organizations:read']);
    const ask = (secret: string) => app.gql('{ organization { slug } }', { token: secret }) as Promise<Res>;
    expect(codeOf(await ask(revoked.secret))).toBeUndefined();
    expect((await keyRow(revoked.apiKey.id)).last_used_at).toBeInstanceOf(Date);
    const res = (await app.gql(
      'mutation ($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { revokedAt } } }',
      { token: t.token, variables: { i: { id: revoked.apiKey.id } } },
    )) as Res;
    expect(res.body.errors).toBeUndefined();
    const afterRevoke = await ask(revoked.secret);
    expect([afterRevoke.status, codeOf(afterRevoke)]).toEqual([401, 'UNAUTHENTICATED']);

    const expiring = await key(t.token, ['organizations:read']);
    await superuser.query("update api_keys set expires_at = now() - interval '1 second' where id = $1", [
      expiring.apiKey.id,
    ]);
    expect(codeOf(await ask(expiring.secret))).toBe('UNAUTHENTICATED');

    const live = await key(t.token, ['organizations:read']);
    await superuser.query('update organizations set is_active = false where id = $1', [t.org.id]);
    expect(codeOf(await ask(live.secret))).toBe('UNAUTHENTICATED');
    await superuser.query('update organizations set is_active = true where id = $1', [t.org.id]);

    for (const bad of ['tq_12345678_short', `tq_00000000_${'A'.repeat(43)}`])
      expect(codeOf(await ask(bad))).toBe('UNAUTHENTICATED');
  });

  it("never exceeds what its creator holds now, and dies with the creator's membership", async () => {
    const org = await createOrganization(db);
    const owner = await createUser(db);
    await addMember(db, org.id, owner.id, { role: 'owner' });
    const admin = await createUser(db);
    const adminMembership = await addMember(db, org.id, admin.id, { role: 'admin' });
    const adminToken = await app.login(admin.email, TEST_PASSWORD);
    const { secret } = await key(adminToken, ['organizations:read', 'organizations:update']);
    const rename = () =>
      app.gql('mutation { updateOrganization(input: {name: "Renamed by key"}) { organization { name } } }', {
        token: secret,
      }) as Promise<Res>;
    expect(codeOf(await rename())).toBeUndefined();

    await superuser.query("update memberships set role = 'member' where id = $1", [adminMembership.id]);
    expect(codeOf(await rename())).toBe('FORBIDDEN');
    expect(codeOf((await app.gql('{ organization { slug } }', { token: secret })) as Res)).toBeUndefined();

    await superuser.query("update memberships set status = 'inactive', ended_at = now() where id = $1", [
      adminMembership.id,
    ]);
    expect(codeOf((await app.gql('{ organization { slug } }', { token: secret })) as Res)).toBe('UNAUTHENTICATED');
  });

  it("cannot revoke or see another organization's keys", async () => {
    const a = await tenant();
    const b = await tenant();
    const theirs = await key(b.token, ['organizations:read']);
    const res = (await app.gql('mutation ($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id } } }', {
      token: a.token,
      variables: { i: { id: theirs.apiKey.id } },
    })) as Res;
    expect(codeOf(res)).toBe('NOT_FOUND');
    expect((await keyRow(theirs.apiKey.id)).revoked_at).toBeNull();
    const listed = await app.gql('{ organization { apiKeys { totalCount } } }', { token: a.token });
    expect(listed.body.data).toEqual({ organization: { apiKeys: { totalCount: 0 } } });
  });
});
