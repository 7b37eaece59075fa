import crypto from 'node:crypto';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type Res, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import type { MembershipRole } from '../../src/db/schema';

/**
 * The audit log through HTTP: the database trigger of migration 0010 records every change with
 * what the request transaction tells it (caller, request id, client address, user agent,
 * operation name), and Query.auditLogs shows the organization's entries to holders of audit:read.
 */
describe('audit log (API)', () => {
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
  async function tenant() {
    const org = await createOrganization(db);
    return { org, owner: await person(org.id, 'owner') };
  }

  interface Entry {
    id: string;
    createdAt: string;
    action: string;
    resourceType: string;
    resourceId: string | null;
    changes: { before?: Record<string, unknown>; after?: Record<string, unknown> };
    severity: string;
    actorUserId: string | null;
    actorApiKeyId: string | null;
    actor: { id: string } | null;
    requestId: string | null;
    ip: string | null;
    userAgent: string | null;
    operationName: string | null;
  }
  const ENTRY =
    'id createdAt action resourceType resourceId changes severity actorUserId actorApiKeyId actor { id } requestId ip userAgent operationName';

  /** The organization's entries matching `filter`, oldest first. */
  async function auditLogs(token: string, filter: Record<string, unknown> = {}, fields = ENTRY): Promise<Entry[]> {
    const res = await app.gql<{ auditLogs: { totalCount: number; edges: { node: Entry }[] } }>(
      `query ($f: AuditLogFilter) { auditLogs(filter: $f, orderBy: CREATED_AT_ASC, first: 100) { totalCount edges { node { ${fields} } } } }`,
      { token, variables: { f: filter } },
    );
    expect(res.body.errors).toBeUndefined();
    const { totalCount, edges } = res.body.data!.auditLogs;
    expect(totalCount).toBe(edges.length);
    return edges.map((e) => e.node);
  }
  /** A mutation sent with a request id, a user agent and a client address of its own. */
  async function mutate<T = Record<string, unknown>>(
    token: string,
    document: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    const requestId = `audit-${crypto.randomUUID()}`;
    const res = await app.gql<T>(document, {
      token,
      variables,
      headers: { 'x-request-id': requestId, 'user-agent': 'audit-test/1.0', ...headers },
    });
    return { res, requestId };
  }
  const ok = <T>(res: GqlResponse<T>): T => {
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  async function createProject(token: string, name = `Project ${crypto.randomUUID().slice(0, 8)}`) {
    const { res, requestId } = await mutate<{ createProject: { project: { id: string } } }>(
      token,
      'mutation CreateAuditedProject($i: CreateProjectInput!) { createProject(input: $i) { project { id } } }',
      { i: { name } },
    );
    return { id: ok(res).createProject.project.id, requestId, name, res };
  }
  async function createTask(token: string, projectId: string, title = 'Audit me') {
    const { res, requestId } = await mutate<{ createTask: { task: { id: string } } }>(
      token,
      'mutation CreateAuditedTask($i: CreateTaskInput!) { createTask(input: $i) { task { id } } }',
      { i: { projectId, title } },
    );
    return { id: ok(res).createTask.task.id, requestId };
  }
  const taskMutation = (token: string, name: string, type: string, input: Record<string, unknown>) =>
    mutate(
      token,
      `mutation Audited${name[0]!.toUpperCase()}${name.slice(1)}($i: ${type}!) { ${name}(input: $i) { task { id } } }`,
      { i: input },
    );

  it('records a mutation with its caller, request id, address, user agent and operation name', async () => {
    const t = await tenant();
    const project = await createProject(t.owner.token);
    expect(project.res.headers.get('x-request-id')).toBe(project.requestId);
    const entries = await auditLogs(t.owner.token, { resourceId: project.id });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'project.create',
      resourceType: 'project',
      resourceId: project.id,
      severity: 'INFO',
      actorUserId: t.owner.user.id,
      actor: { id: t.owner.user.id },
      actorApiKeyId: null,
      requestId: project.requestId,
      ip: '127.0.0.1',
      userAgent: 'audit-test/1.0',
      operationName: 'CreateAuditedProject',
    });
    // a new row: only after, and no bookkeeping columns
    expect(Object.keys(entries[0]!.changes)).toEqual(['after']);
    expect(entries[0]!.changes.after).toMatchObject({
      id: project.id,
      name: project.name,
      owner_id: t.owner.user.id,
      visibility: 'public',
      deleted_at: null,
    });
    for (const column of ['created_at', 'updated_at', 'created_by', 'updated_by'])
      expect(entries[0]!.changes.after).not.toHaveProperty(column);
    // every row the request wrote carries the same request info (the owner joined the project as its lead)
    const ofRequest = (await auditLogs(t.owner.token)).filter((e) => e.requestId === project.requestId);
    expect(ofRequest.map((e) => e.action).sort()).toEqual(['project.create', 'project_member.create']);

    // without a request id of the client's, the one the server made (and answered with) is recorded
    const res = await app.gql<{ createTeam: { team: { id: string } } }>(
      'mutation { createTeam(input: {name: "Anonymous request"}) { team { id } } }',
      { token: t.owner.token },
    );
    const [team] = await auditLogs(t.owner.token, { resourceId: ok(res).createTeam.team.id });
    expect(team).toMatchObject({
      requestId: res.headers.get('x-request-id'),
      operationName: null,
      userAgent: expect.any(String),
    });
    expect(team!.requestId).toMatch(/^[0-9a-f-]{36}$/);

    // behind a trusted (loopback) proxy, the client's address is the forwarded one
    const forwarded = await mutate<{ createTeam: { team: { id: string } } }>(
      t.owner.token,
      'mutation Forwarded { createTeam(input: {name: "Forwarded"}) { team { id } } }',
      {},
      { 'x-forwarded-for': '203.0.113.9' },
    );
    const [viaProxy] = await auditLogs(t.owner.token, { resourceId: ok(forwarded.res).createTeam.team.id });
    expect(viaProxy).toMatchObject({ ip: '203.0.113.9', requestId: forwarded.requestId, operationName: 'Forwarded' });

    // an IPv6 address with a zone id is recorded without it (and never fails the change)
    const zoned = await mutate<{ createTeam: { team: { id: string } } }>(
      t.owner.token,
      'mutation { createTeam(input: {name: "Zoned"}) { team { id } } }',
      {},
      { 'x-forwarded-for': 'fe80::1%eth0' },
    );
    const [viaZone] = await auditLogs(t.owner.token, { resourceId: ok(zoned.res).createTeam.team.id });
    expect(viaZone).toMatchObject({ ip: 'fe80::1' });
  });

  it('records only the changed columns of an update, and deletions as WARNING', async () => {
    const t = await tenant();
    const project = await createProject(t.owner.token);
    const task = await createTask(t.owner.token, project.id, 'Old title');
    const updated = await taskMutation(t.owner.token, 'updateTask', 'UpdateTaskInput', {
      id: task.id,
      title: 'New title',
      priority: 'HIGH',
    });
    ok(updated.res);
    const [update] = await auditLogs(t.owner.token, { resourceId: task.id, action: 'task.update' });
    // priority_rank, updated_at and updated_by changed too, but are not recorded
    expect(update).toMatchObject({
      resourceType: 'task',
      severity: 'INFO',
      requestId: updated.requestId,
      operationName: 'AuditedUpdateTask',
      actor: { id: t.owner.user.id },
      changes: { before: { title: 'Old title', priority: 'medium' }, after: { title: 'New title', priority: 'high' } },
    });
    expect(Object.keys(update!.changes.after!).sort()).toEqual(['priority', 'title']);

    // an update that changes nothing records nothing
    ok((await taskMutation(t.owner.token, 'updateTask', 'UpdateTaskInput', { id: task.id, title: 'New title' })).res);
    expect(await auditLogs(t.owner.token, { resourceId: task.id, action: 'task.update' })).toHaveLength(1);

    const moved = await taskMutation(t.owner.token, 'transitionTask', 'TransitionTaskInput', {
      id: task.id,
      status: 'TODO',
    });
    ok(moved.res);
    const transition = (await auditLogs(t.owner.token, { resourceId: task.id, action: 'task.update' })).find(
      (e) => e.requestId === moved.requestId,
    );
    expect(transition).toMatchObject({
      operationName: 'AuditedTransitionTask',
      changes: { before: { status: 'backlog' }, after: { status: 'todo' } },
    });
    const started = await taskMutation(t.owner.token, 'transitionTask', 'TransitionTaskInput', {
      id: task.id,
      status: 'IN_PROGRESS',
    });
    ok(started.res);
    const start = (await auditLogs(t.owner.token, { resourceId: task.id })).find(
      (e) => e.requestId === started.requestId,
    );
    expect(start!.changes.after).toMatchObject({ status: 'in_progress', started_at: expect.any(String) });

    const deleted = await taskMutation(t.owner.token, 'deleteTask', 'DeleteTaskInput', { id: task.id });
    ok(deleted.res);
    const restored = await taskMutation(t.owner.token, 'restoreTask', 'RestoreTaskInput', { id: task.id });
    ok(restored.res);
    const [del] = await auditLogs(t.owner.token, { resourceId: task.id, action: 'task.delete' });
    expect(del).toMatchObject({
      severity: 'WARNING',
      requestId: deleted.requestId,
      changes: { after: { deleted_at: expect.any(String) } },
    });
    const [restore] = await auditLogs(t.owner.token, { resourceId: task.id, action: 'task.restore' });
    expect(restore).toMatchObject({
      severity: 'INFO',
      requestId: restored.requestId,
      changes: { before: { deleted_at: expect.any(String) }, after: { deleted_at: null } },
    });

    // a hard delete keeps what was deleted
    const sprint = ok(
      await app.gql<{ createSprint: { sprint: { id: string } } }>(
        'mutation ($i: CreateSprintInput!) { createSprint(input: $i) { sprint { id } } }',
        {
          token: t.owner.token,
          variables: {
            i: { projectId: project.id, name: 'Audited sprint', startDate: '2027-01-01', endDate: '2027-01-15' },
          },
        },
      ),
    ).createSprint.sprint.id;
    ok(
      (
        await mutate(
          t.owner.token,
          'mutation ($i: DeleteSprintInput!) { deleteSprint(input: $i) { deletedSprintId } }',
          { i: { id: sprint } },
        )
      ).res,
    );
    expect(await auditLogs(t.owner.token, { resourceId: sprint, action: 'sprint.delete' })).toEqual([
      expect.objectContaining({
        severity: 'WARNING',
        resourceType: 'sprint',
        changes: { before: expect.objectContaining({ id: sprint, name: 'Audited sprint', start_date: '2027-01-01' }) },
      }),
    ]);
  });

  it('records the API key of a partner request', async () => {
    const t = await tenant();
    const project = await createProject(t.owner.token);
    const created = await mutate<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      t.owner.token,
      'mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }',
      { i: { name: 'ci', permissions: ['projects:read', 'tasks:create', 'tasks:update'] } },
    );
    const { secret, apiKey } = ok(created.res).createApiKey;
    const task = await createTask(secret, project.id, 'From CI');
    ok((await taskMutation(secret, 'transitionTask', 'TransitionTaskInput', { id: task.id, status: 'TODO' })).res);
    const entries = await auditLogs(t.owner.token, { resourceId: task.id });
    expect(entries.map((e) => [e.action, e.actorApiKeyId, e.actorUserId, e.actor])).toEqual([
      ['task.create', apiKey.id, null, null],
      ['task.update', apiKey.id, null, null],
    ]);
    expect(entries[0]).toMatchObject({
      requestId: task.requestId,
      operationName: 'CreateAuditedTask',
      userAgent: 'audit-test/1.0',
    });
    expect((await auditLogs(t.owner.token, { actorApiKey: apiKey.id })).map((e) => e.resourceId)).toEqual([
      task.id,
      task.id,
    ]);
    // using the key (last_used_at) is not a change worth an entry
    expect(await auditLogs(t.owner.token, { resourceId: apiKey.id })).toEqual([
      expect.objectContaining({ action: 'api_key.create' }),
    ]);
  });

  it('filters by actor, resource, action, severity and time', async () => {
    const t = await tenant();
    const admin = await person(t.org.id, 'admin');
    const mine = await createProject(t.owner.token);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const theirs = await createProject(admin.token);
    const task = await createTask(admin.token, theirs.id);
    ok((await taskMutation(admin.token, 'deleteTask', 'DeleteTaskInput', { id: task.id })).res);

    const ids = (entries: Entry[]) => entries.map((e) => e.resourceId);
    expect(ids(await auditLogs(t.owner.token, { actor: t.owner.user.id, resourceType: 'project' }))).toEqual([mine.id]);
    expect(ids(await auditLogs(t.owner.token, { actor: admin.user.id, resourceType: 'project' }))).toEqual([theirs.id]);
    expect(ids(await auditLogs(t.owner.token, { resourceType: 'project' }))).toEqual([mine.id, theirs.id]);
    expect(ids(await auditLogs(t.owner.token, { resourceType: 'task', action: 'task.create' }))).toEqual([task.id]);
    expect((await auditLogs(t.owner.token, { resourceId: task.id })).map((e) => e.action)).toEqual([
      'task.create',
      'task.delete',
    ]);
    expect(
      (await auditLogs(t.owner.token, { severity: ['WARNING'], actor: admin.user.id })).map((e) => e.action),
    ).toEqual(['task.delete']);
    expect(await auditLogs(t.owner.token, { action: 'task.restore' })).toEqual([]);

    const [first] = await auditLogs(t.owner.token, { resourceId: theirs.id });
    const from = await auditLogs(t.owner.token, { from: first!.createdAt });
    expect(from[0]!.id).toBe(first!.id);
    expect(ids(from)).toContain(task.id);
    expect(ids(from)).not.toContain(mine.id);
    const before = await auditLogs(t.owner.token, { to: first!.createdAt });
    expect(ids(before)).toContain(mine.id);
    expect(ids(before)).not.toContain(theirs.id);
    expect(ids(await auditLogs(t.owner.token, { from: first!.createdAt, to: first!.createdAt }))).toEqual([]);

    // newest first by default, with pages
    const newest = await app.gql<{
      auditLogs: { edges: { node: { action: string } }[]; pageInfo: { hasNextPage: boolean } };
    }>('{ auditLogs(first: 1) { edges { node { action } } pageInfo { hasNextPage } } }', { token: t.owner.token });
    expect(ok(newest).auditLogs).toEqual({
      edges: [{ node: { action: 'task.delete' } }],
      pageInfo: { hasNextPage: true },
    });
  });

  it('writes nothing for a failed mutation', async () => {
    const t = await tenant();
    const project = await createProject(t.owner.token, 'Taken');
    const conflict = await mutate(
      t.owner.token,
      'mutation FailingCreate($i: CreateProjectInput!) { createProject(input: $i) { project { id } } }',
      { i: { name: 'Taken' } },
    );
    expect(codeOf(conflict.res as Res)).toBe('CONFLICT');
    // one field of a mutation fails: the writes of the others are rolled back with their entries
    const partly = await mutate(
      t.owner.token,
      'mutation PartlyFailing { a: createTeam(input: {name: "Kept?"}) { team { id } } b: createSprint(input: {projectId: "' +
        project.id +
        '", name: "Bad", startDate: "2027-02-01", endDate: "2027-01-01"}) { sprint { id } } }',
    );
    expect(codeOf(partly.res as Res)).toBe('BAD_USER_INPUT');
    const entries = await auditLogs(t.owner.token);
    expect(entries.filter((e) => e.requestId === conflict.requestId || e.requestId === partly.requestId)).toEqual([]);
    expect(entries.filter((e) => e.resourceType === 'team' || e.resourceType === 'sprint')).toEqual([]);
    expect(
      (
        await superuser.query('select count(*)::int as n from audit_log where request_id = any($1::text[])', [
          [conflict.requestId, partly.requestId],
        ])
      ).rows[0].n,
    ).toBe(0);
    expect(
      (await superuser.query('select count(*)::int as n from teams where organization_id = $1', [t.org.id])).rows[0].n,
    ).toBe(0);
  });

  it('shows the log only to holders of audit:read, and only their own organization’s', async () => {
    const a = await tenant();
    const b = await tenant();
    const theirs = await createProject(b.owner.token);
    const ours = await createProject(a.owner.token);
    for (const role of ['member', 'viewer', 'officer'] as const) {
      const who = await person(a.org.id, role);
      expect(codeOf((await app.gql('{ auditLogs { totalCount } }', { token: who.token })) as Res)).toBe('FORBIDDEN');
    }
    const admin = await person(a.org.id, 'admin');
    const seen = await auditLogs(admin.token);
    expect(seen.map((e) => e.resourceId)).toContain(ours.id);
    expect(JSON.stringify(seen)).not.toContain(theirs.id);
    expect(JSON.stringify(seen)).not.toContain(b.owner.user.id);
    expect(await auditLogs(admin.token, { resourceId: theirs.id })).toEqual([]);
    expect(await auditLogs(admin.token, { actor: b.owner.user.id })).toEqual([]);
    // an API key reads the log only with audit:read
    const keys = ok(
      await app.gql<{ with: { secret: string }; without: { secret: string } }>(
        'mutation { with: createApiKey(input: {name: "auditor", permissions: ["audit:read"]}) { secret } without: createApiKey(input: {name: "other", permissions: ["projects:read"]}) { secret } }',
        { token: a.owner.token },
      ),
    );
    expect(
      (await auditLogs(keys.with.secret, { resourceId: ours.id }, ENTRY.replace(' actor { id }', ''))).map(
        (e) => e.action,
      ),
    ).toEqual(['project.create']);
    // the actor is a person: that needs users:read as well (actorUserId does not)
    expect(
      codeOf(
        (await app.gql('{ auditLogs(first: 1) { edges { node { actor { id } } } } }', {
          token: keys.with.secret,
        })) as Res,
      ),
    ).toBe('FORBIDDEN');
    expect(codeOf((await app.gql('{ auditLogs { totalCount } }', { token: keys.without.secret })) as Res)).toBe(
      'FORBIDDEN',
    );
    expect(codeOf((await app.gql('{ auditLogs { totalCount } }')) as Res)).toBe('UNAUTHENTICATED');
  });

  it('never records secrets: password hashes, phone numbers, token and key hashes appear as [redacted]', async () => {
    const t = await tenant();
    const me = t.owner.user;
    const changed = await mutate(
      t.owner.token,
      'mutation ChangePassword($i: ChangePasswordInput!) { changePassword(input: $i) { accepted } }',
      { i: { currentPassword: TEST_PASSWORD, newPassword: 'An0ther-Passw0rd!' } },
    );
    ok(changed.res);
    const hash = (await superuser.query('select password_hash from users where id = $1', [me.id])).rows[0]
      .password_hash as string;
    const [password] = (await auditLogs(t.owner.token, { resourceId: me.id, resourceType: 'user' })).filter(
      (e) => e.requestId === changed.requestId,
    );
    expect(password).toMatchObject({
      action: 'user.update',
      actor: { id: me.id },
      operationName: 'ChangePassword',
      changes: { before: { password_hash: '[redacted]' }, after: { password_hash: '[redacted]' } },
    });

    const profile = (phoneNumber: string) =>
      mutate(
        t.owner.token,
        'mutation UpdateProfile($i: UpdateProfileInput!) { updateProfile(input: $i) { user { id } } }',
        { i: { phoneNumber, firstName: `Ann ${phoneNumber.slice(-2)}` } },
      );
    ok((await profile('+15551234567')).res);
    const second = await profile('+15557654321');
    ok(second.res);
    const ciphertext = (await superuser.query('select phone_number from users where id = $1', [me.id])).rows[0]
      .phone_number as string;
    const [phone] = (await auditLogs(t.owner.token, { resourceId: me.id })).filter(
      (e) => e.requestId === second.requestId,
    );
    expect(phone).toMatchObject({
      action: 'user.update',
      // self-only: left out altogether (test/api/self-only-data.test.ts)
      changes: { before: { first_name: 'Ann 67' }, after: { first_name: 'Ann 21' } },
    });
    expect(Object.keys(phone!.changes.after!)).toEqual(['first_name']);

    const all = JSON.stringify(await auditLogs(t.owner.token));
    for (const secret of [hash, ciphertext, '+15551234567', '+15557654321', 'An0ther-Passw0rd!', TEST_PASSWORD])
      expect(all).not.toContain(secret);
    expect(
      (
        await superuser.query(
          'select count(*)::int as n from audit_log where organization_id = $1 and (changes::text like $2 or changes::text like $3)',
          [t.org.id, `%${hash}%`, `%${ciphertext}%`],
        )
      ).rows[0].n,
    ).toBe(0);
  });

  it('audits the other modules too: teams, invitations, API keys, sign-in', async () => {
    const t = await tenant();
    const team = await mutate<{ createTeam: { team: { id: string } } }>(
      t.owner.token,
      'mutation CreateTeam { createTeam(input: {name: "Audited team"}) { team { id } } }',
    );
    const teamId = ok(team.res).createTeam.team.id;
    expect(await auditLogs(t.owner.token, { resourceId: teamId })).toEqual([
      expect.objectContaining({
        action: 'team.create',
        resourceType: 'team',
        severity: 'INFO',
        actor: { id: t.owner.user.id },
        requestId: team.requestId,
        operationName: 'CreateTeam',
        changes: { after: expect.objectContaining({ name: 'Audited team' }) },
      }),
    ]);

    const invited = await mutate<{ inviteMember: { invitation: { id: string } } }>(
      t.owner.token,
      'mutation Invite { inviteMember(input: {email: "audited.invitee@example.test", role: MEMBER}) { invitation { id } } }',
    );
    const invitationId = ok(invited.res).inviteMember.invitation.id;
    const [invitation] = await auditLogs(t.owner.token, { resourceId: invitationId });
    expect(invitation).toMatchObject({
      action: 'invitation.create',
      resourceType: 'invitation',
      actor: { id: t.owner.user.id },
      requestId: invited.requestId,
      changes: { after: { email: 'audited.invitee@example.test', role: 'member', token_hash: '[redacted]' } },
    });

    const created = await mutate<{ createApiKey: { apiKey: { id: string; prefix: string } } }>(
      t.owner.token,
      'mutation CreateKey { createApiKey(input: {name: "audited key", permissions: ["projects:read"]}) { apiKey { id prefix } } }',
    );
    const { apiKey } = ok(created.res).createApiKey;
    const [key] = await auditLogs(t.owner.token, { resourceId: apiKey.id });
    expect(key).toMatchObject({
      action: 'api_key.create',
      resourceType: 'api_key',
      severity: 'WARNING',
      actor: { id: t.owner.user.id },
      operationName: 'CreateKey',
      changes: { after: { name: 'audited key', prefix: apiKey.prefix, secret_hash: '[redacted]' } },
    });
    const hashes = (
      await superuser.query(
        `select (select token_hash from invitations where id = $1) as invitation, (select secret_hash from api_keys where id = $2) as key`,
        [invitationId, apiKey.id],
      )
    ).rows[0];
    const revoked = await mutate(
      t.owner.token,
      'mutation Revoke($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id } } }',
      { i: { id: apiKey.id } },
    );
    ok(revoked.res);
    expect(await auditLogs(t.owner.token, { resourceId: apiKey.id, action: 'api_key.update' })).toEqual([
      expect.objectContaining({
        severity: 'WARNING',
        changes: { before: { revoked_at: null }, after: { revoked_at: expect.any(String) } },
      }),
    ]);

    const requestId = `audit-login-${crypto.randomUUID()}`;
    const login = await app.gql<{ login: { accessToken: string } }>(
      'mutation SignIn($i: LoginInput!) { login(input: $i) { accessToken } }',
      {
        variables: { i: { email: t.owner.user.email, password: TEST_PASSWORD } },
        headers: { 'x-request-id': requestId, 'user-agent': 'audit-test/login' },
      },
    );
    ok(login);
    const [session] = (await auditLogs(t.owner.token, { resourceType: 'session', actor: t.owner.user.id })).filter(
      (e) => e.requestId === requestId,
    );
    expect(session).toMatchObject({
      action: 'session.create',
      actor: { id: t.owner.user.id },
      actorApiKeyId: null,
      userAgent: 'audit-test/login',
      operationName: 'SignIn',
      ip: '127.0.0.1',
      changes: { after: expect.objectContaining({ user_id: t.owner.user.id, token_hash: '[redacted]' }) },
    });
    const all = JSON.stringify(await auditLogs(t.owner.token));
    for (const secret of [hashes.invitation, hashes.key]) expect(all).not.toContain(secret);
  });
});
