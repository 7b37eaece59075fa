import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import type { MembershipRole } from '../../src/db/schema';

describe('organization lifecycle', () => {
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

  async function signedIn(role: MembershipRole, organizationId?: string) {
    const org = organizationId ?? (await createOrganization(db)).id;
    const user = await createUser(db);
    await addMember(db, org, user.id, { role });
    return { orgId: org, user, token: await app.login(user.email, TEST_PASSWORD) };
  }
  const orgRow = async (id: string) =>
    (await superuser.query('select * from organizations where id = $1', [id])).rows[0];
  const code = (res: { body: { errors?: { extensions?: { code?: string } }[] } }) =>
    res.body.errors?.[0]?.extensions?.code;

  it('createOrganization makes the caller its owner and starts a session there; the old one stays', async () => {
    const { token } = await signedIn('member');
    const res = await app.gql<{
      createOrganization: { accessToken: string; organization: { slug: string; name: string } };
    }>(
      'mutation ($i: CreateOrganizationInput!) { createOrganization(input: $i) { accessToken organization { slug name } } }',
      { token, variables: { i: { name: 'Brand New Co' } } },
    );
    expect(res.body.errors).toBeUndefined();
    const created = res.body.data!.createOrganization;
    expect(created.organization.slug).toBe('brand-new-co');
    const viewer = await app.gql<{ viewer: { membership: { role: string } } }>('{ viewer { membership { role } } }', {
      token: created.accessToken,
    });
    expect(viewer.body.data!.viewer.membership.role).toBe('OWNER');
    expect(code(await app.gql('{ viewer { user { id } } }', { token }))).toBeUndefined();
    const again = await app.gql(
      'mutation ($i: CreateOrganizationInput!) { createOrganization(input: $i) { accessToken } }',
      { token, variables: { i: { name: 'Brand New Co' } } },
    );
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'slug' });
  });

  it('updateOrganization changes name, contact and settings for holders of organizations:update only', async () => {
    const admin = await signedIn('admin');
    const officer = await signedIn('officer', admin.orgId);
    const update = (token: string, i: Record<string, unknown>) =>
      app.gql<{ updateOrganization: { organization: { name: string; email: string | null; settings: unknown } } }>(
        'mutation ($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { organization { name email settings } } }',
        { token, variables: { i } },
      );
    const res = await update(admin.token, { name: 'Renamed', email: 'hi@renamed.test', settings: { theme: 'dark' } });
    expect(res.body.data!.updateOrganization.organization).toEqual({
      name: 'Renamed',
      email: 'hi@renamed.test',
      settings: { theme: 'dark' },
    });
    const before = await orgRow(admin.orgId);
    expect(code(await update(officer.token, { name: 'Hijacked' }))).toBe('FORBIDDEN');
    expect((await update(admin.token, { email: 'not-an-email' })).body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'email',
    });
    expect(
      (await update(admin.token, { settings: { blob: 'x'.repeat(70_000) } })).body.errors?.[0]?.extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'settings' });
    expect(await orgRow(admin.orgId)).toEqual(before);
  });

  it('only owners deactivate; a deactivated organization admits nobody, at once; an owner reactivates it from elsewhere', async () => {
    const owner = await signedIn('owner');
    const admin = await signedIn('admin', owner.orgId);
    const member = await signedIn('member', owner.orgId);
    expect(
      code(await app.gql('mutation { deactivateOrganization { organization { isActive } } }', { token: admin.token })),
    ).toBe('FORBIDDEN');
    const res = await app.gql<{ deactivateOrganization: { organization: { isActive: boolean } } }>(
      'mutation { deactivateOrganization { organization { isActive } } }',
      { token: owner.token },
    );
    expect(res.body.data!.deactivateOrganization.organization.isActive).toBe(false);
    for (const token of [owner.token, admin.token, member.token])
      expect(code(await app.gql('{ organization { name } }', { token }))).toBe('UNAUTHENTICATED');
    expect(
      (
        await app.gql('mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', {
          variables: { i: { email: member.user.email, password: TEST_PASSWORD } },
        })
      ).body.errors?.[0]?.extensions?.code,
    ).toBe('UNAUTHENTICATED');

    // The owner signs in elsewhere and brings it back; an admin cannot.
    const elsewhere = await createOrganization(db);
    await addMember(db, elsewhere.id, owner.user.id);
    await addMember(db, elsewhere.id, admin.user.id);
    const reactivate = (token: string) =>
      app.gql('mutation ($i: ReactivateOrganizationInput!) { reactivateOrganization(input: $i) { organizationId } }', {
        token,
        variables: { i: { organizationId: owner.orgId } },
      });
    expect(code(await reactivate(await app.login(admin.user.email, TEST_PASSWORD, elsewhere.slug)))).toBe('NOT_FOUND');
    expect((await orgRow(owner.orgId)).is_active).toBe(false);
    expect(code(await reactivate(await app.login(owner.user.email, TEST_PASSWORD, elsewhere.slug)))).toBeUndefined();
    expect((await orgRow(owner.orgId)).is_active).toBe(true);
    expect(
      code(await app.gql('{ organization { name } }', { token: await app.login(member.user.email, TEST_PASSWORD) })),
    ).toBeUndefined();
  });

  it('deactivation ends sessions and open invitations: reactivation brings back no old token', async () => {
    const owner = await signedIn('owner');
    const member = await createUser(db);
    await addMember(db, owner.orgId, member.id);
    const signIn = async (email: string) =>
      (
        await app.gql<{ login: { accessToken: string; refreshToken: string } }>(
          'mutation ($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }',
          { variables: { i: { email, password: TEST_PASSWORD } } },
        )
      ).body.data!.login;
    const old = await signIn(member.email);
    const ownerOld = await signIn(owner.user.email);
    const invitee = await createUser(db);
    expect(
      code(
        await app.gql('mutation ($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { id } } }', {
          token: owner.token,
          variables: { i: { email: invitee.email, role: 'MEMBER' } },
        }),
      ),
    ).toBeUndefined();
    const invitation = (
      await superuser.query(
        "select payload->>'token' as t from outbox where to_address = $1 and template = 'membership.invitation'",
        [invitee.email],
      )
    ).rows[0].t as string;

    expect(
      code(await app.gql('mutation { deactivateOrganization { organization { isActive } } }', { token: owner.token })),
    ).toBeUndefined();
    const elsewhere = await createOrganization(db);
    await addMember(db, elsewhere.id, owner.user.id);
    expect(
      code(
        await app.gql(
          'mutation ($i: ReactivateOrganizationInput!) { reactivateOrganization(input: $i) { organizationId } }',
          {
            token: await app.login(owner.user.email, TEST_PASSWORD, elsewhere.slug),
            variables: { i: { organizationId: owner.orgId } },
          },
        ),
      ),
    ).toBeUndefined();
    expect((await orgRow(owner.orgId)).is_active).toBe(true);

    for (const session of [old, ownerOld]) {
      expect(code(await app.gql('{ organization { name } }', { token: session.accessToken }))).toBe('UNAUTHENTICATED');
      const refreshed = await app.gql(
        'mutation ($i: RefreshSessionInput!) { refreshSession(input: $i) { accessToken } }',
        { variables: { i: { refreshToken: session.refreshToken } } },
      );
      expect(code(refreshed)).toBe('UNAUTHENTICATED');
    }
    expect(code(await app.gql('{ organization { name } }', { token: owner.token }))).toBe('UNAUTHENTICATED');
    const accepted = await app.gql(
      'mutation ($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { accessToken } }',
      { variables: { i: { token: invitation, password: TEST_PASSWORD } } },
    );
    expect(code(accepted)).toBe('UNAUTHENTICATED');
    // Signing in again works: the organization is back, only the old sessions are not.
    expect(
      code(await app.gql('{ organization { name } }', { token: (await signIn(member.email)).accessToken })),
    ).toBeUndefined();
  });

  it('never deletes an organization: there is no such mutation and the app role cannot', async () => {
    const fields = await app.gql<{ __schema: { mutationType: { fields: { name: string }[] } } }>(
      '{ __schema { mutationType { fields { name } } } }',
    );
    expect(
      fields.body.data!.__schema.mutationType.fields.map((f) => f.name).filter((n) => /delete.*organization/i.test(n)),
    ).toEqual([]);
    const { rows } = await superuser.query(
      "select has_table_privilege('tenantql_app', 'organizations', 'DELETE') as can",
    );
    expect(rows[0].can).toBe(false);
  });
});
