import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type Res, type TestApp } from '../support/app';
import { addMember, createOrganization, createProject, createUser, TEST_PASSWORD } from '../support/factories';
import type { MembershipRole } from '../../src/db/schema';

/** Task comments (addTaskComment, updateTaskComment, deleteTaskComment, task.comments) and their task activity. */
describe('task comments', () => {
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
  /** A fresh organization with people of every role but owner, a project and a task. */
  async function tenant() {
    const org = await createOrganization(db);
    const admin = await person(org.id, 'admin');
    const officer = await person(org.id, 'officer');
    const member = await person(org.id, 'member');
    const other = await person(org.id, 'member');
    const viewer = await person(org.id, 'viewer');
    const project = await createProject(db, org.id, officer.user.id);
    const res = await call(
      member.token,
      'createTask',
      'CreateTaskInput',
      { projectId: project.id, title: 'Discuss me' },
      'task { id }',
    );
    expect(res.body.errors).toBeUndefined();
    const taskId = (res.body.data!.createTask as { task: { id: string } }).task.id;
    return { org, admin, officer, member, other, viewer, project, taskId };
  }
  const call = (token: string, name: string, type: string, input: Record<string, unknown>, select: string) =>
    app.gql(`mutation ($i: ${type}!) { ${name}(input: $i) { ${select} } }`, {
      token,
      variables: { i: input },
    }) as Promise<Res>;
  const errorOf = (res: Res) => res.body.errors?.[0]?.extensions;

  type Comment = {
    id: string;
    body: string;
    editedAt: string | null;
    deletedAt: string | null;
    createdAt: string;
    author: { id: string } | null;
  };
  const COMMENT = 'comment { id body editedAt deletedAt createdAt author { id } }';
  const add = (token: string, taskId: string, body: string) =>
    call(token, 'addTaskComment', 'AddTaskCommentInput', { taskId, body }, COMMENT);
  const update = (token: string, id: string, body: string) =>
    call(token, 'updateTaskComment', 'UpdateTaskCommentInput', { id, body }, COMMENT);
  const remove = (token: string, id: string) =>
    call(token, 'deleteTaskComment', 'DeleteTaskCommentInput', { id }, COMMENT);
  const commentOf = (res: Res) => {
    expect(res.body.errors).toBeUndefined();
    return (Object.values(res.body.data!)[0] as { comment: Comment }).comment;
  };
  async function comments(token: string, taskId: string, includeDeleted = false) {
    return app.gql<{
      task: {
        comments: { totalCount: number; edges: { node: { id: string; body: string; deletedAt: string | null } }[] };
      };
    }>(
      'query ($id: UUID!, $d: Boolean!) { task(id: $id) { comments(includeDeleted: $d) { totalCount edges { node { id body deletedAt } } } } }',
      { token, variables: { id: taskId, d: includeDeleted } },
    );
  }
  const bodies = async (token: string, taskId: string, includeDeleted = false) => {
    const res = await comments(token, taskId, includeDeleted);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.task.comments.edges.map((e) => e.node.body);
  };

  it('adds comments, oldest first, with their author', async () => {
    const t = await tenant();
    const first = commentOf(await add(t.member.token, t.taskId, '  First!  '));
    expect(first).toMatchObject({ body: 'First!', editedAt: null, deletedAt: null, author: { id: t.member.user.id } });
    commentOf(await add(t.officer.token, t.taskId, 'Second'));
    const listed = await app.gql<{
      task: { comments: { totalCount: number; edges: { node: { body: string; author: { id: string } } }[] } };
    }>('query ($id: UUID!) { task(id: $id) { comments { totalCount edges { node { body author { id } } } } } }', {
      token: t.viewer.token,
      variables: { id: t.taskId },
    });
    expect(listed.body.data!.task.comments).toEqual({
      totalCount: 2,
      edges: [
        { node: { body: 'First!', author: { id: t.member.user.id } } },
        { node: { body: 'Second', author: { id: t.officer.user.id } } },
      ],
    });
  });

  it('refuses an empty body, naming the field, and a body of spaces only', async () => {
    const t = await tenant();
    expect(errorOf(await add(t.member.token, t.taskId, ''))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    expect(errorOf(await add(t.member.token, t.taskId, 'x'.repeat(10001)))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'body',
    });
    expect(errorOf(await add(t.member.token, t.taskId, '   '))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'body',
    });
    const c = commentOf(await add(t.member.token, t.taskId, 'Fine'));
    expect(errorOf(await update(t.member.token, c.id, ''))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    expect(errorOf(await update(t.member.token, c.id, '  '))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    // the same body again is no edit
    expect(commentOf(await update(t.member.token, c.id, ' Fine '))).toMatchObject({ body: 'Fine', editedAt: null });
    expect(await bodies(t.member.token, t.taskId)).toEqual(['Fine']);
  });

  it('lets only the author edit a comment, and records when it was edited', async () => {
    const t = await tenant();
    const c = commentOf(await add(t.member.token, t.taskId, 'Typo hree'));
    for (const who of [t.other, t.officer, t.admin])
      expect(codeOf(await update(who.token, c.id, 'Hijacked'))).toBe('FORBIDDEN');
    const edited = commentOf(await update(t.member.token, c.id, 'Typo here'));
    expect(edited).toMatchObject({ id: c.id, body: 'Typo here', author: { id: t.member.user.id } });
    expect(new Date(edited.editedAt!).getTime()).toBeGreaterThanOrEqual(new Date(c.createdAt).getTime());
    expect(await bodies(t.viewer.token, t.taskId)).toEqual(['Typo here']);
  });

  it('lets the author or a moderator delete a comment, softly: moderators can still see it', async () => {
    const t = await tenant();
    const own = commentOf(await add(t.member.token, t.taskId, 'Mine'));
    const moderated = commentOf(await add(t.member.token, t.taskId, 'Rude'));
    const kept = commentOf(await add(t.other.token, t.taskId, 'Stays'));
    // neither another member nor an officer (no comments:moderate) deletes someone else's comment
    for (const who of [t.other, t.officer]) expect(codeOf(await remove(who.token, own.id))).toBe('FORBIDDEN');
    const deleted = commentOf(await remove(t.member.token, own.id));
    expect(deleted).toMatchObject({ id: own.id, deletedAt: expect.any(String) });
    expect(commentOf(await remove(t.admin.token, moderated.id)).deletedAt).toEqual(expect.any(String));
    // a deleted comment is gone for editing and deleting again
    expect(codeOf(await remove(t.member.token, own.id))).toBe('NOT_FOUND');
    expect(codeOf(await update(t.member.token, own.id, 'Back'))).toBe('NOT_FOUND');

    expect(await bodies(t.member.token, t.taskId)).toEqual(['Stays']);
    expect((await comments(t.member.token, t.taskId)).body.data!.task.comments.totalCount).toBe(1);
    expect(codeOf((await comments(t.member.token, t.taskId, true)) as Res)).toBe('FORBIDDEN');
    expect(codeOf((await comments(t.officer.token, t.taskId, true)) as Res)).toBe('FORBIDDEN');
    const all = await comments(t.admin.token, t.taskId, true);
    expect(all.body.data!.task.comments.totalCount).toBe(3);
    expect(all.body.data!.task.comments.edges.map((e) => [e.node.body, e.node.deletedAt !== null])).toEqual([
      ['Mine', true],
      ['Rude', true],
      ['Stays', false],
    ]);
    // still in the database, only marked
    expect(
      (
        await superuser.query(
          'select count(*)::int as n from task_comments where id = any($1::uuid[]) and deleted_at is not null',
          [[own.id, moderated.id]],
        )
      ).rows[0].n,
    ).toBe(2);
    expect(kept.deletedAt).toBeNull();
  });

  // A viewer's FORBIDDEN and another tenant's comment as NOT_FOUND are describeResource's (comments.resource.test.ts).
  it("nobody comments on another organization's task, nor on a deleted task or edits its comments", async () => {
    const t = await tenant();
    const c = commentOf(await add(t.member.token, t.taskId, 'Ours'));

    const b = await tenant();
    expect(codeOf(await add(b.admin.token, t.taskId, 'Intruder'))).toBe('NOT_FOUND');
    expect(
      (
        await app.gql('query ($id: UUID!) { task(id: $id) { id } }', {
          token: b.admin.token,
          variables: { id: t.taskId },
        })
      ).body.data,
    ).toEqual({ task: null });

    // a deleted task takes no comments, and its comments are neither edited nor deleted
    expect(
      codeOf(await call(t.officer.token, 'deleteTask', 'DeleteTaskInput', { id: t.taskId }, 'task { id }')),
    ).toBeUndefined();
    expect(codeOf(await add(t.member.token, t.taskId, 'Too late'))).toBe('NOT_FOUND');
    expect(codeOf(await update(t.member.token, c.id, 'Too late'))).toBe('NOT_FOUND');
    expect(codeOf(await remove(t.member.token, c.id))).toBe('NOT_FOUND');
    expect((await superuser.query('select body from task_comments where task_id = $1', [t.taskId])).rows).toEqual([
      { body: 'Ours' },
    ]);
  });

  it('shows commented, comment_edited and comment_deleted in the task activity, with the actor', async () => {
    const t = await tenant();
    const c = commentOf(await add(t.member.token, t.taskId, 'Hello'));
    commentOf(await update(t.member.token, c.id, 'Hello there'));
    commentOf(await remove(t.admin.token, c.id));
    const res = await app.gql<{
      task: {
        activity: {
          edges: {
            node: {
              action: string;
              changes: Record<string, unknown>;
              actor: { id: string } | null;
              actorApiKeyId: string | null;
            };
          }[];
        };
      };
    }>(
      'query ($id: UUID!) { task(id: $id) { activity { edges { node { action changes actor { id } actorApiKeyId } } } } }',
      { token: t.viewer.token, variables: { id: t.taskId } },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.task.activity.edges.map((e) => e.node)).toEqual([
      { action: 'created', changes: expect.any(Object), actor: { id: t.member.user.id }, actorApiKeyId: null },
      { action: 'commented', changes: { commentId: c.id }, actor: { id: t.member.user.id }, actorApiKeyId: null },
      { action: 'comment_edited', changes: { commentId: c.id }, actor: { id: t.member.user.id }, actorApiKeyId: null },
      { action: 'comment_deleted', changes: { commentId: c.id }, actor: { id: t.admin.user.id }, actorApiKeyId: null },
    ]);
    const newestFirst = await app.gql<{ task: { activity: { edges: { node: { action: string } }[] } } }>(
      'query ($id: UUID!) { task(id: $id) { activity(orderBy: CREATED_AT_DESC, first: 1) { edges { node { action } } } } }',
      { token: t.viewer.token, variables: { id: t.taskId } },
    );
    expect(newestFirst.body.data!.task.activity.edges).toEqual([{ node: { action: 'comment_deleted' } }]);
  });

  it('takes comments from an API key: no author, the key in the activity, editable by nobody, deletable by a moderator', async () => {
    const t = await tenant();
    const created = await call(
      t.admin.token,
      'createApiKey',
      'CreateApiKeyInput',
      { name: 'bot', permissions: ['projects:read', 'comments:create'] },
      'secret apiKey { id }',
    );
    expect(created.body.errors).toBeUndefined();
    const { secret, apiKey } = created.body.data!.createApiKey as { secret: string; apiKey: { id: string } };
    const c = commentOf(await add(secret, t.taskId, 'Build passed'));
    expect(c).toMatchObject({ body: 'Build passed', author: null });
    expect(codeOf(await update(secret, c.id, 'Build failed'))).toBe('FORBIDDEN');
    expect(codeOf(await remove(secret, c.id))).toBe('FORBIDDEN');
    const activity = await app.gql<{
      task: { activity: { edges: { node: { action: string; actor: null; actorApiKeyId: string | null } }[] } };
    }>(
      'query ($id: UUID!) { task(id: $id) { activity(orderBy: CREATED_AT_DESC, first: 1) { edges { node { action actor { id } actorApiKeyId } } } } }',
      { token: secret, variables: { id: t.taskId } },
    );
    expect(activity.body.data!.task.activity.edges).toEqual([
      { node: { action: 'commented', actor: null, actorApiKeyId: apiKey.id } },
    ]);
    expect(commentOf(await remove(t.admin.token, c.id)).deletedAt).toEqual(expect.any(String));
  });

  it('keeps the comments of a private project to those who may see it', async () => {
    const t = await tenant();
    const secret = await createProject(db, t.org.id, t.officer.user.id, { visibility: 'private' });
    await superuser.query(
      `insert into project_members (organization_id, project_id, user_id, role) values ($1, $2, $3, 'lead')`,
      [t.org.id, secret.id, t.officer.user.id],
    );
    const res = await call(
      t.officer.token,
      'createTask',
      'CreateTaskInput',
      { projectId: secret.id, title: 'Hush' },
      'task { id }',
    );
    const taskId = (res.body.data!.createTask as { task: { id: string } }).task.id;
    const c = commentOf(await add(t.officer.token, taskId, 'Between us'));
    expect(codeOf(await add(t.member.token, taskId, 'Let me in'))).toBe('NOT_FOUND');
    expect(codeOf(await remove(t.admin.token, c.id))).toBeUndefined(); // projects:read_private and comments:moderate
    expect(await bodies(t.admin.token, taskId, true)).toEqual(['Between us']);
    expect(
      (
        await app.gql('query ($id: UUID!) { task(id: $id) { id } }', {
          token: t.member.token,
          variables: { id: taskId },
        })
      ).body.data,
    ).toEqual({ task: null });
  });
});
