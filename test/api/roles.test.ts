import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { addMember, createOrganization, createRole, createUser, TEST_PASSWORD } from '../support/factories';
import type { MembershipRole } from '../../src/db/schema';

const READ = [
  'academics:read',
  'documents:read',
  'members:read',
  'organizations:read',
  'projects:read',
  'roles:read',
  'teams:read',
  'users:read',
];
/** The documented grants of a member (docs/security.md): READ plus the everyday work. */
const MEMBER = [
  ...READ,
  'comments:create',
  'documents:write',
  'projects:create',
  'tasks:create',
  'tasks:update',
].sort();

describe('roles and permissions', () => {
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

  /** An organization with one signed-in person per built-in role. */
  async function tenant() {
    const org = await createOrganization(db);
    const people = {} as Record<MembershipRole, { token: string; membershipId: string; userId: string }>;
    for (const role of ['owner', 'admin', 'officer', 'member', 'viewer'] as const) {
      const user = await createUser(db);
      const membership = await addMember(db, org.id, user.id, { role });
      people[role] = {
        token: await app.login(user.email, TEST_PASSWORD),
        membershipId: membership.id,
        userId: user.id,
      };
    }
    return { org, ...people };
  }
  const permissionsOf = async (token: string) =>
    (await app.gql<{ viewer: { permissions: string[] } }>('{ viewer { permissions } }', { token })).body.data!.viewer
      .permissions;
  const createRoleAs = (token: string, input: Record<string, unknown>) =>
    app.gql<{ createRole: { role: { id: string; name: string; permissions: string[] } } }>(
      'mutation ($i: CreateRoleInput!) { createRole(input: $i) { role { id name permissions } } }',
      { token, variables: { i: input } },
    );
  const assign = (token: string, membershipId: string, roleId: string | null) =>
    app.gql<{ assignRole: { membership: { customRole: { name: string } | null } } }>(
      'mutation ($i: AssignRoleInput!) { assignRole(input: $i) { membership { customRole { name } } } }',
      { token, variables: { i: { membershipId, roleId } } },
    );
  const rolesCount = async (orgId: string) =>
    (await superuser.query('select count(*)::int as n from roles where organization_id = $1', [orgId])).rows[0]
      .n as number;

  it('lists the permission catalog and the documented built-in grants', async () => {
    const t = await tenant();
    const catalog = await app.gql<{ permissions: { key: string }[] }>('{ permissions { key description } }', {
      token: t.viewer.token,
    });
    expect(catalog.body.data!.permissions.map((p) => p.key)).toEqual(
      expect.arrayContaining(['roles:manage', 'members:invite', 'api_keys:manage']),
    );
    expect(await permissionsOf(t.viewer.token)).toEqual(READ);
    expect(await permissionsOf(t.member.token)).toEqual(MEMBER);
    expect(await permissionsOf(t.officer.token)).toEqual(
      [
        ...MEMBER,
        'members:invite',
        'members:update',
        'teams:manage',
        'projects:update',
        'tasks:delete',
        'sprints:manage',
      ].sort(),
    );
    expect(await permissionsOf(t.admin.token)).not.toContain('organizations:deactivate');
    expect(await permissionsOf(t.owner.token)).toEqual(catalog.body.data!.permissions.map((p) => p.key).sort());
  });

  it('gives a member exactly the permissions of their custom role on top of their built-in role', async () => {
    const t = await tenant();
    const created = await createRoleAs(t.owner.token, {
      name: 'Team lead',
      permissions: ['teams:manage', 'members:invite'],
    });
    expect(created.body.errors).toBeUndefined();
    const role = created.body.data!.createRole.role;
    expect(role.permissions).toEqual(['members:invite', 'teams:manage']);
    expect(
      (await assign(t.owner.token, t.member.membershipId, role.id)).body.data!.assignRole.membership.customRole!.name,
    ).toBe('Team lead');
    expect(await permissionsOf(t.member.token)).toEqual([...MEMBER, 'members:invite', 'teams:manage'].sort());
    await assign(t.owner.token, t.member.membershipId, null);
    expect(await permissionsOf(t.member.token)).toEqual(MEMBER);

    const listed = await app.gql<{
      organization: { roles: { totalCount: number; edges: { node: { name: string; permissions: string[] } }[] } };
    }>('{ organization { roles(first: 10) { totalCount edges { node { name permissions } } } } }', {
      token: t.viewer.token,
    });
    expect(listed.body.data!.organization.roles).toEqual({
      totalCount: 1,
      edges: [{ node: { name: 'Team lead', permissions: ['members:invite', 'teams:manage'] } }],
    });
  });

  it('updates a role, replacing its permissions, and deletes it, unassigning its members', async () => {
    const t = await tenant();
    const role = (await createRoleAs(t.owner.token, { name: 'Helpers', permissions: ['teams:manage'] })).body.data!
      .createRole.role;
    await assign(t.owner.token, t.viewer.membershipId, role.id);
    const updated = await app.gql<{ updateRole: { role: { name: string; permissions: string[] } } }>(
      'mutation ($i: UpdateRoleInput!) { updateRole(input: $i) { role { name permissions } } }',
      { token: t.owner.token, variables: { i: { id: role.id, name: 'Helpers+', permissions: ['members:invite'] } } },
    );
    expect(updated.body.data!.updateRole.role).toEqual({ name: 'Helpers+', permissions: ['members:invite'] });
    expect(await permissionsOf(t.viewer.token)).toEqual([...READ, 'members:invite'].sort());
    const deleted = await app.gql('mutation ($i: DeleteRoleInput!) { deleteRole(input: $i) { deletedRoleId } }', {
      token: t.owner.token,
      variables: { i: { id: role.id } },
    });
    expect(deleted.body.errors).toBeUndefined();
    expect(await permissionsOf(t.viewer.token)).toEqual(READ);
    expect(await rolesCount(t.org.id)).toBe(0);
  });

  it('lets only holders of roles:manage change roles, and nobody grant beyond their own permissions', async () => {
    const t = await tenant();
    for (const who of ['viewer', 'member', 'officer'] as const) {
      expect(
        (await createRoleAs(t[who].token, { name: `by ${who}`, permissions: [] })).body.errors?.[0]?.extensions?.code,
      ).toBe('FORBIDDEN');
    }
    const beyond = await createRoleAs(t.admin.token, {
      name: 'Deactivators',
      permissions: ['organizations:deactivate'],
    });
    expect(beyond.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const ownerRole = await createRole(db, t.org.id, ['organizations:deactivate'], 'Owners only');
    expect((await assign(t.admin.token, t.admin.membershipId, ownerRole.id)).body.errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect(await permissionsOf(t.admin.token)).not.toContain('organizations:deactivate');
    expect(await rolesCount(t.org.id)).toBe(1);
  });

  it('rejects unknown permissions and duplicate names, naming the field and writing nothing', async () => {
    const t = await tenant();
    await createRoleAs(t.owner.token, { name: 'Unique', permissions: [] });
    expect(
      (await createRoleAs(t.owner.token, { name: 'x', permissions: ['rockets:launch'] })).body.errors?.[0]?.extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'permissions' });
    expect(
      (await createRoleAs(t.owner.token, { name: 'x', permissions: ['Not A Key'] })).body.errors?.[0]?.extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'permissions' });
    expect(
      (await createRoleAs(t.owner.token, { name: 'UNIQUE', permissions: [] })).body.errors?.[0]?.extensions,
    ).toMatchObject({ code: 'CONFLICT', field: 'name' });
    expect(
      (await createRoleAs(t.owner.token, { name: '', permissions: [] })).body.errors?.[0]?.extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(await rolesCount(t.org.id)).toBe(1);
  });

  it("treats another organization's roles and memberships as not found, and leaves them untouched", async () => {
    const a = await tenant();
    const b = await tenant();
    const theirs = await createRole(db, b.org.id, ['members:read'], 'Theirs');
    const before = JSON.stringify(
      (
        await superuser.query(
          'select * from roles r left join role_permissions p on p.role_id = r.id where r.organization_id = $1 order by r.id, p.id',
          [b.org.id],
        )
      ).rows,
    );
    const attempts = [
      app.gql('mutation ($i: UpdateRoleInput!) { updateRole(input: $i) { role { id } } }', {
        token: a.owner.token,
        variables: { i: { id: theirs.id, name: 'Mine now' } },
      }),
      app.gql('mutation ($i: DeleteRoleInput!) { deleteRole(input: $i) { deletedRoleId } }', {
        token: a.owner.token,
        variables: { i: { id: theirs.id } },
      }),
      assign(a.owner.token, a.member.membershipId, theirs.id),
      assign(a.owner.token, b.member.membershipId, null),
    ];
    for (const res of await Promise.all(attempts)) expect(res.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const after = JSON.stringify(
      (
        await superuser.query(
          'select * from roles r left join role_permissions p on p.role_id = r.id where r.organization_id = $1 order by r.id, p.id',
          [b.org.id],
        )
      ).rows,
    );
    expect(after).toBe(before);
  });
});
