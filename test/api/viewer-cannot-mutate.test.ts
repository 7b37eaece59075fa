import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import {
  addMember,
  createOrganization,
  createRole,
  createUser,
  seedTenantRows,
  TEST_PASSWORD,
} from '../support/factories';

/**
 * A member with the built-in `viewer` role reads, but every mutation that changes the
 * organization is refused with FORBIDDEN, and the organization's data stays exactly as it was.
 */
describe('a viewer cannot mutate the organization', () => {
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

  it('gets FORBIDDEN from every organization-changing mutation and changes nothing', async () => {
    const org = await createOrganization(db);
    await seedTenantRows(db, org.id);
    const viewer = await createUser(db);
    const membership = await addMember(db, org.id, viewer.id, { role: 'viewer' });
    const role = await createRole(db, org.id, ['members:read'], 'Existing');
    const team = (await superuser.query('select id from teams where organization_id = $1 limit 1', [org.id])).rows[0]
      .id;
    const apiKey = (await superuser.query('select id from api_keys where organization_id = $1 limit 1', [org.id]))
      .rows[0].id;
    const invitation = (
      await superuser.query('select id from invitations where organization_id = $1 limit 1', [org.id])
    ).rows[0].id;
    const token = await app.login(viewer.email, TEST_PASSWORD);

    // Every tenant table's rows of this organization, and the organization itself.
    const snapshot = async () => {
      const { rows: tables } = await superuser.query<{ table_name: string }>(
        "select table_name from information_schema.columns where table_schema = 'public' and column_name = 'organization_id' order by 1",
      );
      const parts = [
        JSON.stringify((await superuser.query('select * from organizations where id = $1', [org.id])).rows),
      ];
      for (const { table_name } of tables) {
        parts.push(
          JSON.stringify(
            (await superuser.query(`select * from ${table_name} where organization_id = $1 order by id`, [org.id]))
              .rows,
          ),
        );
      }
      return parts.join('\n');
    };
    const before = await snapshot();

    const mutations: [string, Record<string, unknown> | null][] = [
      ['updateOrganization(input: $i) { organization { id } }', { name: 'Viewer was here' }],
      ['deactivateOrganization { organization { id } }', null],
      ['inviteMember(input: $i) { invitation { id } }', { email: 'friend@example.test', role: 'VIEWER' }],
      ['revokeInvitation(input: $i) { invitation { id } }', { invitationId: invitation }],
      ['changeMembershipStatus(input: $i) { membership { id } }', { membershipId: membership.id, status: 'SUSPENDED' }],
      ['promoteMember(input: $i) { membership { id } }', { membershipId: membership.id, role: 'ADMIN' }],
      ['demoteMember(input: $i) { membership { id } }', { membershipId: membership.id, role: 'VIEWER' }],
      ['removeMember(input: $i) { membership { id } }', { membershipId: membership.id }],
      ['transferMember(input: $i) { newMembershipId }', { membershipId: membership.id, toOrganizationId: org.id }],
      ['createRole(input: $i) { role { id } }', { name: 'Mine', permissions: [] }],
      ['updateRole(input: $i) { role { id } }', { id: role.id, name: 'Renamed' }],
      ['deleteRole(input: $i) { deletedRoleId }', { id: role.id }],
      ['assignRole(input: $i) { membership { id } }', { membershipId: membership.id, roleId: role.id }],
      ['createApiKey(input: $i) { secret }', { name: 'mine', permissions: [] }],
      ['revokeApiKey(input: $i) { apiKey { id } }', { id: apiKey }],
      ['createTeam(input: $i) { team { id } }', { name: 'Viewers' }],
      ['updateTeam(input: $i) { team { id } }', { id: team, name: 'Renamed' }],
      ['deleteTeam(input: $i) { deletedTeamId }', { id: team }],
      ['addTeamMember(input: $i) { teamMember { id } }', { teamId: team, userId: viewer.id }],
      ['removeTeamMember(input: $i) { removedTeamMemberId }', { teamId: team, userId: viewer.id }],
    ];
    const inputTypes: Record<string, string> = {
      updateOrganization: 'UpdateOrganizationInput',
      inviteMember: 'InviteMemberInput',
      revokeInvitation: 'RevokeInvitationInput',
      changeMembershipStatus: 'ChangeMembershipStatusInput',
      promoteMember: 'ChangeMemberRoleInput',
      demoteMember: 'ChangeMemberRoleInput',
      removeMember: 'RemoveMemberInput',
      transferMember: 'TransferMemberInput',
      createRole: 'CreateRoleInput',
      updateRole: 'UpdateRoleInput',
      deleteRole: 'DeleteRoleInput',
      assignRole: 'AssignRoleInput',
      createApiKey: 'CreateApiKeyInput',
      revokeApiKey: 'RevokeApiKeyInput',
      createTeam: 'CreateTeamInput',
      updateTeam: 'UpdateTeamInput',
      deleteTeam: 'DeleteTeamInput',
      addTeamMember: 'AddTeamMemberInput',
      removeTeamMember: 'RemoveTeamMemberInput',
    };
    for (const [field, input] of mutations) {
      const name = field.split(/[( ]/)[0]!;
      const document = input ? `mutation ($i: ${inputTypes[name]}!) { ${field} }` : `mutation { ${field} }`;
      const res = await app.gql(document, { token, variables: input ? { i: input } : undefined });
      expect({ name, code: res.body.errors?.[0]?.extensions?.code }).toEqual({ name, code: 'FORBIDDEN' });
    }
    expect(await snapshot()).toBe(before);
  });
});
