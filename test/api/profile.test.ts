import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, TEST_KEYRING, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import { phoneNumberContext } from '../../src/modules/tenancy/user.service';

const UPDATE = `mutation ($input: UpdateProfileInput!) {
  updateProfile(input: $input) { user { id firstName lastName name avatarUrl timezone language notificationPreferences hasPhoneNumber } }
}`;

describe('updateProfile', () => {
  let app: TestApp;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);
  let token: string;
  let userId: string;
  let colleague: string;

  beforeAll(async () => {
    app = await startTestApp();
    const org = await createOrganization(db);
    const user = await createUser(db);
    const other = await createUser(db);
    await addMember(db, org.id, user.id);
    await addMember(db, org.id, other.id);
    userId = user.id;
    token = await app.login(user.email, TEST_PASSWORD);
    colleague = await app.login(other.email, TEST_PASSWORD);
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  const row = async () => (await superuser.query('select * from users where id = $1', [userId])).rows[0];

  it('changes the given fields and only those', async () => {
    const res = await app.gql<{ updateProfile: { user: Record<string, unknown> } }>(UPDATE, {
      token,
      variables: {
        input: {
          firstName: ' Ada ',
          lastName: 'Lovelace',
          timezone: 'Europe/London',
          language: 'en-GB',
          avatarUrl: 'https://example.test/ada.png',
          notificationPreferences: { 'task.assigned': true, digest: false },
        },
      },
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.updateProfile.user).toMatchObject({
      firstName: 'Ada',
      lastName: 'Lovelace',
      name: 'Ada Lovelace',
      timezone: 'Europe/London',
      language: 'en-GB',
      avatarUrl: 'https://example.test/ada.png',
      notificationPreferences: { 'task.assigned': true, digest: false },
      hasPhoneNumber: false,
    });
    const partial = await app.gql<{ updateProfile: { user: Record<string, unknown> } }>(UPDATE, {
      token,
      variables: { input: { language: 'fr' } },
    });
    expect(partial.body.data!.updateProfile.user).toMatchObject({
      firstName: 'Ada',
      language: 'fr',
      timezone: 'Europe/London',
    });
  });

  it('stores the phone number encrypted, bound to the user, and never returns it', async () => {
    const res = await app.gql<{ updateProfile: { user: { hasPhoneNumber: boolean } } }>(UPDATE, {
      token,
      variables: { input: { phoneNumber: '+447700900123' } },
    });
    expect(res.body.data!.updateProfile.user.hasPhoneNumber).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain('7700900123');
    const stored = (await row()).phone_number as string;
    expect(stored).toMatch(/^v1\.k2\./);
    expect(stored).not.toContain('7700900123');
    expect(TEST_KEYRING.decrypt(stored, phoneNumberContext(userId))).toBe('+447700900123');

    // a colleague in the same organization sees neither the number nor whether there is one
    type Seen = { id: string; hasPhoneNumber: boolean | null; notificationPreferences: unknown };
    const seen = await app.gql<{ organization: { members: { edges: { node: { user: Seen } }[] } } }>(
      '{ organization { members { edges { node { user { id hasPhoneNumber notificationPreferences } } } } } }',
      { token: colleague },
    );
    const me = seen.body.data!.organization.members.edges.find((e) => e.node.user.id === userId)!;
    expect(me.node.user).toEqual({ id: userId, hasPhoneNumber: null, notificationPreferences: null });

    await app.gql(UPDATE, { token, variables: { input: { phoneNumber: null } } });
    expect((await row()).phone_number).toBeNull();
  });

  it('rejects invalid values naming the field, and changes nothing', async () => {
    const before = await row();
    const cases: [Record<string, unknown>, string][] = [
      [{ timezone: 'Mars/Olympus_Mons' }, 'timezone'],
      [{ phoneNumber: '555-1234' }, 'phoneNumber'],
      [{ avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'],
      [{ language: 'english' }, 'language'],
      [{ notificationPreferences: { 'task.assigned': 'yes' } }, 'notificationPreferences'],
      [{ firstName: 'x'.repeat(101) }, 'firstName'],
    ];
    for (const [input, field] of cases) {
      const res = await app.gql(UPDATE, { token, variables: { input: { lastName: 'Changed', ...input } } });
      expect({ field, error: res.body.errors?.[0]?.extensions }).toMatchObject({
        field,
        error: { code: 'BAD_USER_INPUT', field },
      });
    }
    expect(await row()).toEqual(before);
  });

  it('answers a NUL character with BAD_USER_INPUT, not an internal error', async () => {
    const before = await row();
    const res = await app.gql(UPDATE, { token, variables: { input: { firstName: 'Nul\u0000Byte' } } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await row()).toEqual(before);
  });

  it('needs a signed-in user', async () => {
    const res = await app.gql(UPDATE, { variables: { input: { firstName: 'Nobody' } } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
