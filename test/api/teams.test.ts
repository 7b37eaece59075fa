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

  it('creates teams, adds members, and shows them on the organization, the team and the user', async () => {
    const org = await createOrganization(db);
    const officer = await person(org.id, 'officer');
    const member = await person(org.id, 'member');
    const red = await createTeam(officer.token, 'Red');
    const blue = await createTeam(officer.token, 'Blue');
    for (const teamId of [red, blue]) {
      expect(
        (
          await call(
            officer.token,
            'addTeamMember',
            'AddTeamMemberInput',
            { teamId, userId: member.user.id, role: 'LEAD' },
            'teamMember { role }',
          )
        ).body.errors,
      ).toBeUndefined();
    }
    await call(
      officer.token,
      'addTeamMember',
      'AddTeamMemberInput',
      { teamId: red, userId: officer.user.id },
      'teamMember { role }',
    );
    const res = await app.gql<{
      organization: {
        teams: {
          totalCount: number;
          edges: { node: { name: string; members: { edges: { node: { role: string; user: { id: string } } }[] } } }[];
        };
      };
    }>(
      '{ organization { teams { totalCount edges { node { name members { edges { node { role user { id } } } } } } } } }',
      { token: member.token },
    );
    expect(res.body.errors).toBeUndefined();
    const teams = res.body.data!.organization.teams;
    expect(teams.totalCount).toBe(2);
    expect(teams.edges.map((e) => e.node.name)).toEqual(['Blue', 'Red']);
    expect(teams.edges[1]!.node.members.edges.map((e) => [e.node.user.id, e.node.role])).toEqual([
      [member.user.id, 'LEAD'],
      [officer.user.id, 'MEMBER'],
    ]);
    const mine = await app.gql<{ viewer: { user: { teams: { edges: { node: { team: { name: string } } }[] } } } }>(
      '{ viewer { user { teams { edges { node { team { name } } } } } } }',
      { token: member.token },
    );
    expect(mine.body.data!.viewer.user.teams.edges.map((e) => e.node.team.name)).toEqual(['Red', 'Blue']);
  });

  it('batches team members across teams: the statement count does not grow with the number of teams', async () => {
    const org = await createOrganization(db);
    const officer = await person(org.id, 'officer');
    const count = async () => {
      await app.gql(
        '{ organization { teams(first: 50) { edges { node { members { totalCount edges { node { user { name } } } } } } } } }',
        { token: officer.token },
      );
      return app.requests.at(-1)!.statements;
    };
    const first = await createTeam(officer.token, 'One');
    await call(
      officer.token,
      'addTeamMember',
      'AddTeamMemberInput',
      { teamId: first, userId: officer.user.id },
      'teamMember { id }',
    );
    const one = await count();
    for (const name of ['Two', 'Three', 'Four', 'Five']) {
      const teamId = await createTeam(officer.token, name);
      await call(
        officer.token,
        'addTeamMember',
        'AddTeamMemberInput',
        { teamId, userId: officer.user.id },
        'teamMember { id }',
      );
    }
    expect(await count()).toBe(one);
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

  it("needs teams:manage to change teams, and treats other organizations' teams as not found", async () => {
    const a = await createOrganization(db);
    const b = await createOrganization(db);
    const member = await person(a.id, 'member');
    const adminA = await person(a.id, 'admin');
    const adminB = await person(b.id, 'admin');
    expect(codeOf(await call(member.token, 'createTeam', 'CreateTeamInput', { name: 'Mine' }, 'team { id }'))).toBe(
      'FORBIDDEN',
    );
    const theirs = await createTeam(adminB.token, 'Theirs');
    for (const res of [
      await call(adminA.token, 'updateTeam', 'UpdateTeamInput', { id: theirs, name: 'Stolen' }, 'team { id }'),
      await call(adminA.token, 'deleteTeam', 'DeleteTeamInput', { id: theirs }, 'deletedTeamId'),
      await call(
        adminA.token,
        'addTeamMember',
        'AddTeamMemberInput',
        { teamId: theirs, userId: adminA.user.id },
        'teamMember { id }',
      ),
    ])
      expect(codeOf(res)).toBe('NOT_FOUND');
    expect((await superuser.query('select name from teams where id = $1', [theirs])).rows[0].name).toBe('Theirs');
  });
});
