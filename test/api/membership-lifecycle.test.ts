import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type Res, type TestApp } from '../support/app';
import {
  addMember,
  createOrganization,
  createProject,
  createRole,
  createUser,
  TEST_PASSWORD,
} from '../support/factories';
import type { MembershipRole, MembershipStatus } from '../../src/db/schema';
import { INVITATION_FAILED } from '../../src/modules/access/session.service';
import { mayTransition } from '../../src/modules/tenancy/membership.service';

describe('membership lifecycle', () => {
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

  async function person(orgId: string, role: MembershipRole, status: MembershipStatus = 'active') {
    const user = await createUser(db);
    const membership = await addMember(db, orgId, user.id, { role, status });
    const token = status === 'active' ? await app.login(user.email, TEST_PASSWORD) : '';
    return { user, membershipId: membership.id, token };
  }
  const membershipRowOf = async (orgId: string, userId: string) =>
    (await superuser.query('select * from memberships where organization_id = $1 and user_id = $2', [orgId, userId]))
      .rows[0];
  const membershipRow = async (id: string) =>
    (await superuser.query('select * from memberships where id = $1', [id])).rows[0];
  const mutate = (
    token: string,
    name: string,
    inputType: string,
    input: Record<string, unknown>,
    select = 'membership { role status endedAt }',
  ) =>
    app.gql(`mutation ($i: ${inputType}!) { ${name}(input: $i) { ${select} } }`, {
      token,
      variables: { i: input },
    }) as Promise<Res>;
  const status = (token: string, membershipId: string, s: string) =>
    mutate(token, 'changeMembershipStatus', 'ChangeMembershipStatusInput', { membershipId, status: s });

  describe('invitations', () => {
    it('mails a token; the invitee joins with their password and gets a session there', async () => {
      const org = await createOrganization(db);
      const admin = await person(org.id, 'admin');
      const invitee = await createUser(db);
      const invited = await mutate(
        admin.token,
        'inviteMember',
        'InviteMemberInput',
        { email: invitee.email.toUpperCase(), role: 'OFFICER' },
        'invitation { id email role expiresAt }',
      );
      expect(invited.body.errors).toBeUndefined();
      const mail = (
        await superuser.query(
          "select * from outbox where lower(to_address) = lower($1) and template = 'membership.invitation'",
          [invitee.email],
        )
      ).rows;
      expect(mail).toHaveLength(1);
      const token = mail[0].payload.token as string;
      expect(JSON.stringify(invited.body)).not.toContain(token);

      const accept = (t: string, password: string) =>
        app.gql<{ acceptInvitation: { accessToken: string; organization: { slug: string } } }>(
          'mutation ($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { accessToken organization { slug } } }',
          { variables: { i: { token: t, password } } },
        );
      expect((await accept(token, 'WrongPass123')).body.errors?.[0]?.message).toBe(INVITATION_FAILED);
      const joined = await accept(token, TEST_PASSWORD);
      expect(joined.body.errors).toBeUndefined();
      expect(joined.body.data!.acceptInvitation.organization.slug).toBe(org.slug);
      const viewer = await app.gql<{ viewer: { membership: { role: string; status: string } } }>(
        '{ viewer { membership { role status } } }',
        { token: joined.body.data!.acceptInvitation.accessToken },
      );
      expect(viewer.body.data!.viewer.membership).toEqual({ role: 'OFFICER', status: 'ACTIVE' });
      expect((await accept(token, TEST_PASSWORD)).body.errors?.[0]?.message).toBe(INVITATION_FAILED);
    });

    it('refuses expired invitations, roles above the inviter, members already in, and callers without members:invite', async () => {
      const org = await createOrganization(db);
      const officer = await person(org.id, 'officer');
      const member = await person(org.id, 'member');
      const invite = (token: string, email: string, role: string) =>
        mutate(token, 'inviteMember', 'InviteMemberInput', { email, role }, 'invitation { id }');
      expect(codeOf(await invite(officer.token, 'x@example.test', 'ADMIN'))).toBe('FORBIDDEN');
      expect(codeOf(await invite(member.token, 'x@example.test', 'MEMBER'))).toBe('FORBIDDEN');
      expect((await invite(officer.token, member.user.email, 'MEMBER')).body.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        field: 'email',
      });
      const outsider = await createUser(db);
      expect(codeOf(await invite(officer.token, outsider.email, 'MEMBER'))).toBeUndefined();
      const token = (
        await superuser.query("select payload->>'token' as t from outbox where to_address = $1", [outsider.email])
      ).rows[0].t;
      await superuser.query(
        "update invitations set expires_at = now() - interval '1 second' where organization_id = $1",
        [org.id],
      );
      const res = await app.gql(
        'mutation ($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { accessToken } }',
        { variables: { i: { token, password: TEST_PASSWORD } } },
      );
      expect(res.body.errors?.[0]?.message).toBe(INVITATION_FAILED);
      expect(
        (await superuser.query('select count(*)::int as n from memberships where user_id = $1', [outsider.id])).rows[0]
          .n,
      ).toBe(0);
    });
  });

  describe('status', () => {
    it('follows the documented transitions and refuses the others, naming the field', async () => {
      const org = await createOrganization(db);
      const officer = await person(org.id, 'officer');
      const pnm = await person(org.id, 'member', 'pnm');
      expect((await status(officer.token, pnm.membershipId, 'ALUMNI')).body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'status',
      });
      for (const next of ['PLEDGE', 'ACTIVE', 'ALUMNI', 'ALUMNI_LIFETIME']) {
        expect({ next, errors: (await status(officer.token, pnm.membershipId, next)).body.errors }).toEqual({
          next,
          errors: undefined,
        });
      }
      expect((await membershipRow(pnm.membershipId)).status).toBe('alumni_lifetime');
      expect(mayTransition('disaffiliated', 'active')).toBe(false);
      expect(mayTransition('active', 'suspended')).toBe(true);
      expect(mayTransition('pnm', 'active')).toBe(false);
    });

    it('ends the sessions of a member who loses platform access, at once', async () => {
      const org = await createOrganization(db);
      const officer = await person(org.id, 'officer');
      const member = await person(org.id, 'member');
      expect((await status(officer.token, member.membershipId, 'SUSPENDED')).body.errors).toBeUndefined();
      expect(codeOf((await app.gql('{ organization { name } }', { token: member.token })) as Res)).toBe(
        'UNAUTHENTICATED',
      );
      const live = await superuser.query(
        'select count(*)::int as n from auth_refresh_tokens where user_id = $1 and revoked_at is null',
        [member.user.id],
      );
      expect(live.rows[0].n).toBe(0);
    });

    it('lets nobody suspend or end someone who outranks them', async () => {
      const org = await createOrganization(db);
      const officer = await person(org.id, 'officer');
      const owner = await person(org.id, 'owner');
      await person(org.id, 'owner');
      for (const next of ['SUSPENDED', 'DISAFFILIATED', 'INACTIVE']) {
        expect(codeOf(await status(officer.token, owner.membershipId, next))).toBe('FORBIDDEN');
      }
      expect((await membershipRow(owner.membershipId)).status).toBe('active');
    });

    it('needs members:update', async () => {
      const org = await createOrganization(db);
      const member = await person(org.id, 'member');
      const other = await person(org.id, 'member');
      expect(codeOf(await status(member.token, other.membershipId, 'SUSPENDED'))).toBe('FORBIDDEN');
      expect((await membershipRow(other.membershipId)).status).toBe('active');
    });
  });

  describe('roles and the last owner', () => {
    it("promotes and demotes within the caller's own rank", async () => {
      const org = await createOrganization(db);
      const owner = await person(org.id, 'owner');
      const officer = await person(org.id, 'officer');
      const member = await person(org.id, 'member');
      const promote = (token: string, membershipId: string, role: string) =>
        mutate(token, 'promoteMember', 'ChangeMemberRoleInput', { membershipId, role });
      const demote = (token: string, membershipId: string, role: string) =>
        mutate(token, 'demoteMember', 'ChangeMemberRoleInput', { membershipId, role });
      expect((await promote(officer.token, member.membershipId, 'OFFICER')).body.data).toMatchObject({
        promoteMember: { membership: { role: 'OFFICER' } },
      });
      expect(codeOf(await promote(officer.token, member.membershipId, 'ADMIN'))).toBe('FORBIDDEN');
      expect((await promote(owner.token, member.membershipId, 'MEMBER')).body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'role',
      });
      expect((await demote(owner.token, member.membershipId, 'MEMBER')).body.data).toMatchObject({
        demoteMember: { membership: { role: 'MEMBER' } },
      });
      expect(codeOf(await demote(officer.token, owner.membershipId, 'MEMBER'))).toBe('FORBIDDEN');
    });

    it('never leaves an organization without an owner who can sign in', async () => {
      const org = await createOrganization(db);
      const owner = await person(org.id, 'owner');
      expect(
        codeOf(
          await mutate(owner.token, 'demoteMember', 'ChangeMemberRoleInput', {
            membershipId: owner.membershipId,
            role: 'ADMIN',
          }),
        ),
      ).toBe('CONFLICT');
      expect(
        codeOf(await mutate(owner.token, 'removeMember', 'RemoveMemberInput', { membershipId: owner.membershipId })),
      ).toBe('CONFLICT');
      expect(codeOf(await status(owner.token, owner.membershipId, 'SUSPENDED'))).toBe('CONFLICT');
      expect(await membershipRow(owner.membershipId)).toMatchObject({
        role: 'owner',
        status: 'active',
        ended_at: null,
      });
      const second = await person(org.id, 'owner');
      expect(
        (
          await mutate(second.token, 'demoteMember', 'ChangeMemberRoleInput', {
            membershipId: owner.membershipId,
            role: 'ADMIN',
          })
        ).body.errors,
      ).toBeUndefined();
    });

    it('keeps an owner when two owners demote each other at the same time', async () => {
      for (let round = 0; round < 3; round++) {
        const org = await createOrganization(db);
        const a = await person(org.id, 'owner');
        const b = await person(org.id, 'owner');
        await Promise.all([
          mutate(a.token, 'demoteMember', 'ChangeMemberRoleInput', { membershipId: b.membershipId, role: 'ADMIN' }),
          mutate(b.token, 'demoteMember', 'ChangeMemberRoleInput', { membershipId: a.membershipId, role: 'ADMIN' }),
        ]);
        const owners = await superuser.query(
          "select count(*)::int as n from memberships where organization_id = $1 and role = 'owner' and ended_at is null",
          [org.id],
        );
        expect(owners.rows[0].n).toBeGreaterThanOrEqual(1);
      }
    });

    it('removes a member: the membership ends as inactive history and its sessions end', async () => {
      const org = await createOrganization(db);
      const admin = await person(org.id, 'admin');
      const member = await person(org.id, 'member');
      const res = await mutate(admin.token, 'removeMember', 'RemoveMemberInput', { membershipId: member.membershipId });
      expect(res.body.data).toMatchObject({
        removeMember: { membership: { status: 'INACTIVE', endedAt: expect.any(String) } },
      });
      expect(codeOf((await app.gql('{ viewer { user { id } } }', { token: member.token })) as Res)).toBe(
        'UNAUTHENTICATED',
      );
      expect(
        codeOf(await mutate(admin.token, 'removeMember', 'RemoveMemberInput', { membershipId: member.membershipId })),
      ).toBe('NOT_FOUND');
    });
  });

  describe('an ended membership ends what it held', () => {
    const projectMembers = async (orgId: string, userId: string) =>
      (
        await superuser.query(
          'select (select count(*)::int from project_members where organization_id = $1 and user_id = $2) as p, (select count(*)::int from team_members where organization_id = $1 and user_id = $2) as t',
          [orgId, userId],
        )
      ).rows[0];
    async function inPrivateProjectAndTeam(orgId: string, ownerId: string, userId: string) {
      const project = await createProject(db, orgId, ownerId, { visibility: 'private' });
      await superuser.query('insert into project_members (organization_id, project_id, user_id) values ($1, $2, $3)', [
        orgId,
        project.id,
        userId,
      ]);
      const team = (
        await superuser.query('insert into teams (organization_id, name) values ($1, $2) returning id', [
          orgId,
          `team ${project.id}`,
        ])
      ).rows[0].id;
      await superuser.query('insert into team_members (organization_id, team_id, user_id) values ($1, $2, $3)', [
        orgId,
        team,
        userId,
      ]);
      return project;
    }
    const projectIds = async (token: string) =>
      (
        await app.gql<{ projects: { edges: { node: { id: string } }[] } }>(
          '{ projects(first: 50) { edges { node { id } } } }',
          { token },
        )
      ).body.data!.projects.edges.map((e) => e.node.id);

    it('removal ends project and team memberships: someone who comes back does not see the old private projects', async () => {
      const org = await createOrganization(db);
      const admin = await person(org.id, 'admin');
      const member = await person(org.id, 'member');
      const project = await inPrivateProjectAndTeam(org.id, admin.user.id, member.user.id);
      expect(await projectIds(member.token)).toContain(project.id);
      expect(
        codeOf(await mutate(admin.token, 'removeMember', 'RemoveMemberInput', { membershipId: member.membershipId })),
      ).toBeUndefined();
      expect(await projectMembers(org.id, member.user.id)).toEqual({ p: 0, t: 0 });
      await addMember(db, org.id, member.user.id, { role: 'member' });
      expect(await projectIds(await app.login(member.user.email, TEST_PASSWORD))).not.toContain(project.id);
    });

    it('so does a transfer, in the organization left; suspension keeps them (the same membership comes back)', async () => {
      const from = await createOrganization(db);
      const to = await createOrganization(db);
      const admin = await person(from.id, 'admin');
      await addMember(db, to.id, admin.user.id, { role: 'admin' });
      const moved = await person(from.id, 'member');
      const suspended = await person(from.id, 'member');
      await inPrivateProjectAndTeam(from.id, admin.user.id, moved.user.id);
      await inPrivateProjectAndTeam(from.id, admin.user.id, suspended.user.id);
      expect(
        codeOf(
          await mutate(
            admin.token,
            'transferMember',
            'TransferMemberInput',
            { membershipId: moved.membershipId, toOrganizationId: to.id },
            'newMembershipId',
          ),
        ),
      ).toBeUndefined();
      expect(await projectMembers(from.id, moved.user.id)).toEqual({ p: 0, t: 0 });
      expect(codeOf(await status(admin.token, suspended.membershipId, 'SUSPENDED'))).toBeUndefined();
      expect(await projectMembers(from.id, suspended.user.id)).toEqual({ p: 1, t: 1 });
    });
  });

  describe('transfer', () => {
    it('ends the old membership as inactive and creates the new one elsewhere, in one transaction', async () => {
      const from = await createOrganization(db);
      const to = await createOrganization(db);
      const admin = await person(from.id, 'admin');
      await addMember(db, to.id, admin.user.id, { role: 'admin' });
      const member = await person(from.id, 'officer');
      const res = await mutate(
        admin.token,
        'transferMember',
        'TransferMemberInput',
        { membershipId: member.membershipId, toOrganizationId: to.id },
        'endedMembership { status endedAt } newMembershipId',
      );
      expect(res.body.errors).toBeUndefined();
      const data = res.body.data!.transferMember as { endedMembership: { status: string }; newMembershipId: string };
      expect(data.endedMembership.status).toBe('INACTIVE');
      expect(await membershipRow(data.newMembershipId)).toMatchObject({
        organization_id: to.id,
        user_id: member.user.id,
        role: 'officer',
        status: 'active',
        ended_at: null,
      });
      expect(
        (
          await app.gql<{ viewer: { organization: { slug: string } } }>('{ viewer { organization { slug } } }', {
            token: await app.login(member.user.email, TEST_PASSWORD),
          })
        ).body.data!.viewer.organization.slug,
      ).toBe(to.slug);
    });

    it("moves nobody above the caller's rank there, and no one without platform access", async () => {
      const from = await createOrganization(db);
      const to = await createOrganization(db);
      const admin = await person(from.id, 'admin');
      await addMember(db, to.id, admin.user.id, { role: 'officer' });
      const peer = await person(from.id, 'admin');
      const suspended = await person(from.id, 'member', 'suspended');
      for (const membershipId of [peer.membershipId, suspended.membershipId]) {
        const res = await mutate(
          admin.token,
          'transferMember',
          'TransferMemberInput',
          { membershipId, toOrganizationId: to.id },
          'newMembershipId',
        );
        expect(['FORBIDDEN', 'BAD_USER_INPUT']).toContain(codeOf(res));
        expect((await membershipRow(membershipId)).ended_at).toBeNull();
      }
      expect(
        (await superuser.query('select count(*)::int as n from memberships where organization_id = $1', [to.id]))
          .rows[0].n,
      ).toBe(1);
    });

    it('refuses organizations where the caller may not invite, changing nothing', async () => {
      const from = await createOrganization(db);
      const to = await createOrganization(db);
      const admin = await person(from.id, 'admin');
      await addMember(db, to.id, admin.user.id, { role: 'member' });
      const member = await person(from.id, 'member');
      for (const toOrganizationId of [to.id, (await createOrganization(db)).id]) {
        const res = await mutate(
          admin.token,
          'transferMember',
          'TransferMemberInput',
          { membershipId: member.membershipId, toOrganizationId },
          'newMembershipId',
        );
        expect(codeOf(res)).toBe('FORBIDDEN');
      }
      expect(await membershipRow(member.membershipId)).toMatchObject({ status: 'active', ended_at: null });
      expect(
        (await superuser.query('select count(*)::int as n from memberships where user_id = $1', [member.user.id]))
          .rows[0].n,
      ).toBe(1);
    });
  });

  describe('invitations die with their inviter', () => {
    const invite = async (token: string, email: string, role: string) => {
      const res = await app.gql<{ inviteMember: { invitation: { id: string } } }>(
        'mutation ($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { id } } }',
        { token, variables: { i: { email, role } } },
      );
      expect(res.body.errors).toBeUndefined();
      const mail = (
        await superuser.query(
          "select payload->>'token' as t from outbox where lower(to_address) = lower($1) and template = 'membership.invitation' order by created_at desc, id desc limit 1",
          [email],
        )
      ).rows;
      return { id: res.body.data!.inviteMember.invitation.id, token: mail[0].t as string };
    };
    const accept = (token: string) =>
      app.gql('mutation ($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { accessToken } }', {
        variables: { i: { token, password: TEST_PASSWORD } },
      }) as Promise<Res>;
    const membershipsOf = async (userId: string) =>
      (await superuser.query('select count(*)::int as n from memberships where user_id = $1', [userId])).rows[0].n;

    it('gives nothing once the inviter is demoted below the role, removed, or loses members:invite', async () => {
      const org = await createOrganization(db);
      const owner = await person(org.id, 'owner');
      const admin = await person(org.id, 'admin');
      const officer = await person(org.id, 'officer');
      const delegate = await person(org.id, 'member');
      const role = await createRole(db, org.id, ['members:invite']);
      await superuser.query('update memberships set custom_role_id = $1 where id = $2', [
        role.id,
        delegate.membershipId,
      ]);
      const [toAdmin, toMember, fromOfficer, fromDelegate, stillFine] = await Promise.all(
        [1, 2, 3, 4, 5].map(() => createUser(db)),
      );
      const adminInvite = await invite(admin.token, toAdmin.email, 'ADMIN');
      const memberInvite = await invite(admin.token, toMember.email, 'MEMBER');
      const officerInvite = await invite(officer.token, fromOfficer.email, 'MEMBER');
      const delegateInvite = await invite(delegate.token, fromDelegate.email, 'MEMBER');
      const ownerInvite = await invite(owner.token, stillFine.email, 'ADMIN');

      // admin -> officer: may no longer give ADMIN, may still give MEMBER.
      expect(
        codeOf(
          await mutate(owner.token, 'demoteMember', 'ChangeMemberRoleInput', {
            membershipId: admin.membershipId,
            role: 'OFFICER',
          }),
        ),
      ).toBeUndefined();
      expect(
        codeOf(await mutate(owner.token, 'removeMember', 'RemoveMemberInput', { membershipId: officer.membershipId })),
      ).toBeUndefined();
      await superuser.query('update memberships set custom_role_id = null where id = $1', [delegate.membershipId]);

      for (const [invitation, user] of [
        [adminInvite, toAdmin],
        [officerInvite, fromOfficer],
        [delegateInvite, fromDelegate],
      ] as const) {
        expect((await accept(invitation.token)).body.errors?.[0]?.message).toBe(INVITATION_FAILED);
        expect(await membershipsOf(user.id)).toBe(0);
      }
      expect((await accept(memberInvite.token)).body.errors).toBeUndefined();
      expect((await accept(ownerInvite.token)).body.errors).toBeUndefined();
      expect(await membershipsOf(stillFine.id)).toBe(1);
    });

    it('is checked again at acceptance, in the database: a demotion after the token was read still stops it', async () => {
      const org = await createOrganization(db);
      const admin = await person(org.id, 'admin');
      const invitee = await createUser(db);
      const { id } = await invite(admin.token, invitee.email, 'ADMIN');
      await superuser.query("update memberships set role = 'member' where id = $1", [admin.membershipId]);
      await expect(
        superuser.query('update invitations set accepted_at = now() where id = $1', [id]),
      ).rejects.toMatchObject({ code: '42501' });
      await superuser.query("update memberships set role = 'admin' where id = $1", [admin.membershipId]);
      await superuser.query('update invitations set accepted_at = now() where id = $1', [id]);
    });

    it('waits for a demotion of the inviter that is under way, then refuses: acceptance and demotion do not race', async () => {
      const org = await createOrganization(db);
      const admin = await person(org.id, 'admin');
      const invitee = await createUser(db);
      const { token } = await invite(admin.token, invitee.email, 'ADMIN');
      const demotion = await testPool('superuser', 1, 'jest-demotion').connect();
      try {
        await demotion.query('begin');
        await demotion.query("update memberships set role = 'member' where id = $1", [admin.membershipId]);
        const accepting = accept(token);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await demotion.query('commit');
        const res = await accepting;
        expect(res.body.errors?.length).toBe(1);
      } finally {
        demotion.release();
      }
      expect(await membershipsOf(invitee.id)).toBe(0);
    });

    it('lists pending invitations to holders of members:invite only', async () => {
      const org = await createOrganization(db);
      const owner = await person(org.id, 'owner');
      const admin = await person(org.id, 'admin');
      const officer = await person(org.id, 'officer');
      const member = await person(org.id, 'member');
      const [a, b, c, d, e] = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(db)));
      const pending = await invite(owner.token, a.email, 'OFFICER');
      const accepted = await invite(owner.token, b.email, 'MEMBER');
      expect((await accept(accepted.token)).body.errors).toBeUndefined();
      const expired = await invite(owner.token, c.email, 'MEMBER');
      await superuser.query("update invitations set expires_at = now() - interval '1 second' where id = $1", [
        expired.id,
      ]);
      await invite(admin.token, d.email, 'ADMIN');
      expect(
        codeOf(
          await mutate(owner.token, 'demoteMember', 'ChangeMemberRoleInput', {
            membershipId: admin.membershipId,
            role: 'OFFICER',
          }),
        ),
      ).toBeUndefined();
      const revoked = await invite(owner.token, e.email, 'MEMBER');
      expect(
        codeOf(
          await mutate(
            owner.token,
            'revokeInvitation',
            'RevokeInvitationInput',
            { invitationId: revoked.id },
            'invitation { id }',
          ),
        ),
      ).toBeUndefined();

      const list = (token: string) =>
        app.gql<{
          organization: {
            invitations: { totalCount: number; edges: { node: { id: string; email: string; role: string } }[] };
          };
        }>('{ organization { invitations(first: 10) { totalCount edges { node { id email role } } } } }', { token });
      const seen = await list(officer.token);
      expect(seen.body.errors).toBeUndefined();
      expect(seen.body.data!.organization.invitations).toEqual({
        totalCount: 1,
        edges: [{ node: { id: pending.id, email: a.email, role: 'OFFICER' } }],
      });
      expect(codeOf((await list(member.token)) as Res)).toBe('FORBIDDEN');
    });

    it("revokeInvitation ends a pending invitation, is audited, and keeps to the caller's rank and organization", async () => {
      const org = await createOrganization(db);
      const other = await createOrganization(db);
      const owner = await person(org.id, 'owner');
      const officer = await person(org.id, 'officer');
      const member = await person(org.id, 'member');
      const stranger = await person(other.id, 'owner');
      const [a, b] = await Promise.all([1, 2].map(() => createUser(db)));
      const adminInvite = await invite(owner.token, a.email, 'ADMIN');
      const memberInvite = await invite(owner.token, b.email, 'MEMBER');
      const revoke = (token: string, invitationId: string) =>
        mutate(token, 'revokeInvitation', 'RevokeInvitationInput', { invitationId }, 'invitation { id email }');
      const row = async (id: string) =>
        (await superuser.query('select * from invitations where id = $1', [id])).rows[0];

      expect(codeOf(await revoke(member.token, memberInvite.id))).toBe('FORBIDDEN');
      expect(codeOf(await revoke(officer.token, adminInvite.id))).toBe('FORBIDDEN');
      expect(codeOf(await revoke(stranger.token, memberInvite.id))).toBe('NOT_FOUND');
      expect(codeOf(await revoke(owner.token, '00000000-0000-4000-8000-000000000000'))).toBe('NOT_FOUND');
      expect((await row(memberInvite.id)).revoked_at).toBeNull();

      const res = await revoke(officer.token, memberInvite.id);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual({ revokeInvitation: { invitation: { id: memberInvite.id, email: b.email } } });
      expect((await row(memberInvite.id)).revoked_at).not.toBeNull();
      const audit = await superuser.query(
        "select actor_user_id, action from audit_log where organization_id = $1 and resource_id = $2 and action <> 'invitation.create'",
        [org.id, memberInvite.id],
      );
      expect(audit.rows).toEqual([{ actor_user_id: officer.user.id, action: expect.stringMatching(/^invitation\./) }]);
      expect(codeOf(await revoke(owner.token, memberInvite.id))).toBe('NOT_FOUND');
      expect((await accept(memberInvite.token)).body.errors?.[0]?.message).toBe(INVITATION_FAILED);
      expect(await membershipsOf(b.id)).toBe(0);
    });

    it('a new invitation to the same email revokes the previous token', async () => {
      const org = await createOrganization(db);
      const admin = await person(org.id, 'admin');
      const invitee = await createUser(db);
      const first = await invite(admin.token, invitee.email, 'ADMIN');
      const second = await invite(admin.token, invitee.email.toUpperCase(), 'MEMBER');
      expect(second.token).not.toBe(first.token);
      expect((await accept(first.token)).body.errors?.[0]?.message).toBe(INVITATION_FAILED);
      expect((await accept(second.token)).body.errors).toBeUndefined();
      expect((await membershipRowOf(org.id, invitee.id)).role).toBe('member');
    });
  });

  it("treats another organization's memberships as not found", async () => {
    const a = await createOrganization(db);
    const b = await createOrganization(db);
    const admin = await person(a.id, 'owner');
    const theirs = await person(b.id, 'member');
    const before = await membershipRow(theirs.membershipId);
    for (const res of [
      await status(admin.token, theirs.membershipId, 'SUSPENDED'),
      await mutate(admin.token, 'promoteMember', 'ChangeMemberRoleInput', {
        membershipId: theirs.membershipId,
        role: 'ADMIN',
      }),
      await mutate(admin.token, 'removeMember', 'RemoveMemberInput', { membershipId: theirs.membershipId }),
    ])
      expect(codeOf(res)).toBe('NOT_FOUND');
    expect(await membershipRow(theirs.membershipId)).toEqual(before);
  });
});
