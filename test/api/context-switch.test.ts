import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';

/**
 * Mutations that start acting for another organization (createOrganization, switchOrganization,
 * login, acceptInvitation) must not carry what was loaded for the previous one (permissions,
 * memberships) into the next field of the same document.
 */
describe('switching organization inside one document', () => {
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

  it('re-reads permissions after the switch: owner rights elsewhere do not leak into a viewer membership', async () => {
    const target = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, target.id, user.id, { role: 'viewer' });
    const token = await app.login(user.email, TEST_PASSWORD);
    const res = await app.gql(
      `mutation ($target: UUID!) {
      own: createOrganization(input: {name: "Owned by me ${Date.now()}"}) { organization { id } }
      warm: inviteMember(input: {email: "warm@example.test", role: OWNER}) { invitation { id } }
      back: switchOrganization(input: {organizationId: $target}) { organization { id } }
      key: createApiKey(input: {name: "escalated", permissions: ["organizations:deactivate"]}) { secret }
    }`,
      { token, variables: { target: target.id } },
    );
    expect(res.body.errors?.[0]).toMatchObject({ path: ['key'], extensions: { code: 'FORBIDDEN' } });
    const { rows } = await superuser.query('select count(*)::int as n from api_keys where organization_id = $1', [
      target.id,
    ]);
    expect(rows[0].n).toBe(0);
  });
});
