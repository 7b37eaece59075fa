import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type Res, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import type { MembershipRole } from '../../src/db/schema';

describe('teams', () => {
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

  async function person(orgId: string, role: MembershipRole) {
    const user = await createUser(db);
    await addMember(db, orgId, user.id, { role });
    return { user, token: await app.login(user.email, TEST_PASSWORD) };
  }
  const call = (token: string, name: string, type: string, input: Record<string, unknown>, select: string) =>
    app.gql(`mutation ($i: ${type}!) { ${name}(input: $i) { ${select} } }`, {
      token,
      variables: { i: input },
    }) as Promise<Res>;
  const createTeam = async (token: string, name: string) => {
    const res = await call(token, 'createTeam', 'CreateTeamInput', { name }, 'team { id name }');
    expect(res.body.errors).toBeUndefined();
    return (res.body.data!.createTeam as { team: { id: string } }).team.id;
  };

  it('adds a member as MEMBER unless the input says LEAD', async () => {
    const org = await createOrganization(db);
    const officer = await person(org.id, 'officer');
    const member = await person(org.id, 'member');
    const teamId = await createTeam(officer.token, 'Red');
    const add = async (userId: string, role?: string) =>
      (
        await call(
          officer.token,
          'addTeamMember',
          'AddTeamMemberInput',
          { teamId, userId, ...(role ? { role } : {}) },
          'teamMember { role user { id } team { id } }',
        )
      ).body.data!.addTeamMember;
    expect(await add(member.user.id, 'LEAD')).toEqual({
      teamMember: { role: 'LEAD', user: { id: member.user.id }, team: { id: teamId } },
    });
    expect(await add(officer.user.id)).toMatchObject({ teamMember: { role: 'MEMBER' } });
  });

  it('renames and deletes teams; names are unique per organization, ignoring case', async () => {
    const org = await createOrganization(db);
    const admin = await person(org.id, 'admin');
    const id = await createTeam(admin.token, 'Ops');
    await createTeam(admin.token, 'Dev');
    expect(
      (await call(admin.token, 'createTeam', 'CreateTeamInput', { name: 'ops' }, 'team { id }')).body.errors?.[0]
        ?.extensions,
    ).toMatchObject({ code: 'CONFLICT', field: 'name' });
    expect(
      (await call(admin.token, 'updateTeam', 'UpdateTeamInput', { id, name: 'DEV' }, 'team { id }')).body.errors?.[0]
        ?.extensions,
    ).toMatchObject({ code: 'CONFLICT', field: 'name' });
    expect(
      (
        await call(
          admin.token,
          'updateTeam',
          'UpdateTeamInput',
          { id, name: 'Platform', description: 'Keeps it running' },
          'team { name description }',
        )
      ).body.data,
    ).toEqual({ updateTeam: { team: { name: 'Platform', description: 'Keeps it running' } } });
    await call(
      admin.token,
      'addTeamMember',
      'AddTeamMemberInput',
      { teamId: id, userId: admin.user.id },
      'teamMember { id }',
    );
    expect(
      (await call(admin.token, 'deleteTeam', 'DeleteTeamInput', { id }, 'deletedTeamId')).body.errors,
    ).toBeUndefined();
    expect(
      (await superuser.query('select count(*)::int as n from team_members where team_id = $1', [id])).rows[0].n,
    ).toBe(0);
    expect(
      (
        await superuser.query('select count(*)::int as n from memberships where user_id = $1 and ended_at is null', [
          admin.user.id,
        ])
      ).rows[0].n,
    ).toBe(1);
  });

  it('admits only live members of the organization, once', async () => {
    const org = await createOrganization(db);
    const officer = await person(org.id, 'officer');
    const teamId = await createTeam(officer.token, 'Core');
    const outsider = await createUser(db);
    const add = (userId: string) =>
      call(officer.token, 'addTeamMember', 'AddTeamMemberInput', { teamId, userId }, 'teamMember { id }');
    expect((await add(outsider.id)).body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'userId',
    });
    expect(codeOf(await add(officer.user.id))).toBeUndefined();
    expect((await add(officer.user.id)).body.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      field: 'userId',
    });
    expect(
      codeOf(
        await call(
          officer.token,
          'removeTeamMember',
          'RemoveTeamMemberInput',
          { teamId, userId: officer.user.id },
          'removedTeamMemberId',
        ),
      ),
    ).toBeUndefined();
    expect(
      codeOf(
        await call(
          officer.token,
          'removeTeamMember',
          'RemoveTeamMemberInput',
          { teamId, userId: officer.user.id },
          'removedTeamMemberId',
        ),
      ),
    ).toBe('NOT_FOUND');
    // and the database itself refuses a non-member, whatever the code does
    await expect(
      superuser
        .query("select set_config('app.current_org_id', $1, false)", [org.id])
        .then(() =>
          superuser.query('insert into team_members (organization_id, team_id, user_id) values ($1, $2, $3)', [
            org.id,
            teamId,
            outsider.id,
          ]),
        ),
    ).rejects.toMatchObject({ code: '23503' });
    await superuser.query("select set_config('app.current_org_id', '', false)");
  });

  it("treats another organization's team as not found when adding to it, and changes nothing", async () => {
    const a = await createOrganization(db);
    const b = await createOrganization(db);
    const adminA = await person(a.id, 'admin');
    const adminB = await person(b.id, 'admin');
    const theirs = await createTeam(adminB.token, 'Theirs');
    const res = await call(
      adminA.token,
      'addTeamMember',
      'AddTeamMemberInput',
      { teamId: theirs, userId: adminA.user.id },
      'teamMember { id }',
    );
    expect(res.body.errors?.[0]).toMatchObject({ message: 'Team was not found', extensions: { code: 'NOT_FOUND' } });
    expect(
      (await superuser.query('select count(*)::int as n from team_members where team_id = $1', [theirs])).rows[0].n,
    ).toBe(0);
  });
});
