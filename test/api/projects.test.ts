import crypto from 'node:crypto';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type Res, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import type { MembershipRole } from '../../src/db/schema';
import { NAME_NOT_AVAILABLE, SLUG_NOT_AVAILABLE } from '../../src/modules/work/projects';

interface ProjectNode {
  id: string;
  name: string;
  slug: string;
  description: string;
  visibility: string;
  settings: { features: string[] };
  metadata: Record<string, unknown>;
  owner: { id: string };
  deletedAt: string | null;
}
type ProjectsPage = {
  projects: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; name: string } }[];
  };
};

const PROJECT = 'id name slug description visibility settings { features } metadata owner { id } deletedAt';
const PROJECTS = `query ($first: Int, $after: String, $filter: ProjectFilter, $orderBy: ProjectOrder, $includeDeleted: Boolean! = false) {
  projects(first: $first, after: $after, filter: $filter, orderBy: $orderBy, includeDeleted: $includeDeleted) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id name } }
  }
}`;

describe('projects', () => {
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

  type Person = { token: string; userId: string };
  /** A fresh organization with one signed-in person per built-in role. */
  async function tenant() {
    const org = await createOrganization(db);
    const people = {} as Record<MembershipRole, Person>;
    for (const role of ['owner', 'admin', 'officer', 'member', 'viewer'] as const) {
      const user = await createUser(db);
      await addMember(db, org.id, user.id, { role });
      people[role] = { token: await app.login(user.email, TEST_PASSWORD), userId: user.id };
    }
    return { org, ...people };
  }
  /** Another member-role person in the organization. */
  async function person(orgId: string, role: MembershipRole = 'member'): Promise<Person> {
    const user = await createUser(db);
    await addMember(db, orgId, user.id, { role });
    return { token: await app.login(user.email, TEST_PASSWORD), userId: user.id };
  }

  const call = (token: string, name: string, type: string, input: Record<string, unknown>, select: string) =>
    app.gql(`mutation ($i: ${type}!) { ${name}(input: $i) { ${select} } }`, {
      token,
      variables: { i: input },
    }) as Promise<Res>;
  const extensionsOf = (res: Res) => res.body.errors?.[0]?.extensions;
  const create = (token: string, input: Record<string, unknown>) =>
    call(token, 'createProject', 'CreateProjectInput', input, `project { ${PROJECT} }`);
  const createOk = async (token: string, input: Record<string, unknown>): Promise<ProjectNode> => {
    const res = await create(token, input);
    expect(res.body.errors).toBeUndefined();
    return (res.body.data!.createProject as { project: ProjectNode }).project;
  };
  const update = (token: string, input: Record<string, unknown>) =>
    call(token, 'updateProject', 'UpdateProjectInput', input, `project { ${PROJECT} }`);
  const remove = (token: string, id: string) =>
    call(token, 'deleteProject', 'DeleteProjectInput', { id }, 'project { id deletedAt }');
  const restore = (token: string, id: string) =>
    call(token, 'restoreProject', 'RestoreProjectInput', { id }, 'project { id deletedAt }');
  const addProjectMember = (token: string, projectId: string, userId: string) =>
    call(
      token,
      'addProjectMember',
      'AddProjectMemberInput',
      { projectId, userId },
      'projectMember { id role user { id } }',
    );
  const createTask = async (token: string, projectId: string, title: string) => {
    const res = await call(token, 'createTask', 'CreateTaskInput', { projectId, title }, 'task { id }');
    expect(res.body.errors).toBeUndefined();
    return (res.body.data!.createTask as { task: { id: string } }).task.id;
  };
  const deleteTask = async (token: string, id: string) =>
    expect((await call(token, 'deleteTask', 'DeleteTaskInput', { id }, 'task { id }')).body.errors).toBeUndefined();

  const list = async (token: string, variables: Record<string, unknown> = {}) => {
    const res = await app.gql<ProjectsPage>(PROJECTS, { token, variables });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.projects;
  };
  const names = async (token: string, variables: Record<string, unknown> = {}) =>
    (await list(token, variables)).edges.map((e) => e.node.name);
  const projectById = async (token: string, id: string, includeDeleted = false) => {
    const res = await app.gql<{ project: ProjectNode | null }>(
      `query ($id: UUID!, $d: Boolean!) { project(id: $id, includeDeleted: $d) { ${PROJECT} } }`,
      { token, variables: { id, d: includeDeleted } },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.project;
  };
  const memberIds = async (token: string, id: string) => {
    const res = await app.gql<{ project: { members: { edges: { node: { role: string; user: { id: string } } }[] } } }>(
      'query ($id: UUID!) { project(id: $id) { members { edges { node { role user { id } } } } } }',
      { token, variables: { id } },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.project.members.edges.map((e) => [e.node.user.id, e.node.role]);
  };
  const taskIdsOf = async (token: string, projectId: string, includeDeleted = false) => {
    const res = await app.gql<{ tasks: { edges: { node: { id: string } }[] } }>(
      'query ($f: TaskFilter, $d: Boolean!) { tasks(filter: $f, includeDeleted: $d) { edges { node { id } } } }',
      { token, variables: { f: { projectId: { eq: projectId } }, d: includeDeleted } },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.tasks.edges.map((e) => e.node.id).sort();
  };
  /** The organization's projects as stored (the superuser sees past RLS): name, slug, deleted. */
  const stored = async (orgId: string) =>
    (
      await superuser.query(
        'select name, slug, owner_id, visibility, metadata, settings, deleted_at is not null as deleted from projects where organization_id = $1 order by created_at, id',
        [orgId],
      )
    ).rows;

  describe('createProject', () => {
    it('derives the slug from the name, takes an explicit one, and fills in the defaults', async () => {
      const t = await tenant();
      const derived = await createOk(t.officer.token, { name: '  Ünïcode Roadmap 2027! ' });
      expect(derived).toEqual({
        id: expect.any(String),
        name: 'Ünïcode Roadmap 2027!',
        slug: 'unicode-roadmap-2027',
        description: '',
        visibility: 'PUBLIC',
        settings: { features: [] },
        metadata: {},
        owner: { id: t.officer.userId },
        deletedAt: null,
      });
      const explicit = await createOk(t.member.token, {
        name: 'Website',
        slug: 'web-2',
        description: ' The site ',
        visibility: 'PRIVATE',
        settings: { features: ['kanban', 'sprints'] },
        metadata: { color: 'blue', nested: { a: [1, 2] } },
      });
      expect(explicit).toMatchObject({
        name: 'Website',
        slug: 'web-2',
        description: 'The site',
        visibility: 'PRIVATE',
        settings: { features: ['kanban', 'sprints'] },
        metadata: { color: 'blue', nested: { a: [1, 2] } },
        owner: { id: t.member.userId },
      });
      expect(await projectById(t.viewer.token, derived.id)).toEqual(derived);
    });

    it('makes the owner and the creator leads of the project', async () => {
      const t = await tenant();
      const own = await createOk(t.member.token, { name: 'Solo' });
      expect(await memberIds(t.member.token, own.id)).toEqual([[t.member.userId, 'LEAD']]);
      const forOther = await createOk(t.officer.token, {
        name: 'Delegated',
        ownerId: t.member.userId,
        visibility: 'PRIVATE',
      });
      expect(forOther.owner).toEqual({ id: t.member.userId });
      expect((await memberIds(t.officer.token, forOther.id)).sort()).toEqual(
        [
          [t.member.userId, 'LEAD'],
          [t.officer.userId, 'LEAD'],
        ].sort(),
      );
      // the private project is visible to both of them, as members
      expect(await projectById(t.member.token, forOther.id)).not.toBeNull();
      expect(await projectById(t.officer.token, forOther.id)).not.toBeNull();
    });

    it('refuses invalid slugs and names, names without a slug, oversized metadata and owners who are not members, writing nothing', async () => {
      const t = await tenant();
      const outsider = await createUser(db);
      const other = await tenant();
      for (const [input, field] of [
        [{ name: 'Bad slug', slug: 'Not A Slug' }, 'slug'],
        [{ name: 'Bad slug', slug: '-edge-' }, 'slug'],
        [{ name: 'Bad slug', slug: 'x'.repeat(101) }, 'slug'],
        [{ name: '!!!' }, 'slug'],
        [{ name: '' }, 'name'],
        [{ name: '   ' }, 'name'],
        [{ name: '   ', slug: 'blank' }, 'name'],
        [{ name: 'Big', metadata: { big: crypto.randomBytes(40_000).toString('hex') } }, 'metadata'],
        [{ name: 'x'.repeat(256) }, 'name'],
        [{ name: 'Outsider', ownerId: outsider.id }, 'ownerId'],
        [{ name: 'Other org', ownerId: other.owner.userId }, 'ownerId'],
        [{ name: 'Features', settings: { features: [''] } }, 'settings.features'],
      ] as const) {
        const res = await create(t.owner.token, input);
        expect([JSON.stringify(input), extensionsOf(res)]).toEqual([
          JSON.stringify(input),
          expect.objectContaining({ code: 'BAD_USER_INPUT', field }),
        ]);
      }
      expect(await stored(t.org.id)).toEqual([]);
    });

    it('keeps names (ignoring case) and slugs unique among live projects; a deleted project frees them', async () => {
      const t = await tenant();
      const first = await createOk(t.owner.token, { name: 'Apollo' });
      expect(extensionsOf(await create(t.owner.token, { name: 'APOLLO', slug: 'apollo-2' }))).toMatchObject({
        code: 'CONFLICT',
        field: 'name',
      });
      expect(extensionsOf(await create(t.owner.token, { name: 'Gemini', slug: 'apollo' }))).toMatchObject({
        code: 'CONFLICT',
        field: 'slug',
      });
      // a name whose derived slug is taken is a slug conflict too
      expect(extensionsOf(await create(t.owner.token, { name: 'apollo!' }))).toMatchObject({
        code: 'CONFLICT',
        field: 'slug',
      });
      expect(await stored(t.org.id)).toEqual([
        expect.objectContaining({ name: 'Apollo', slug: 'apollo', deleted: false }),
      ]);
      // another organization may use the same name and slug
      const other = await tenant();
      await createOk(other.owner.token, { name: 'Apollo' });

      expect(codeOf(await remove(t.owner.token, first.id))).toBeUndefined();
      const again = await createOk(t.owner.token, { name: 'apollo' });
      expect(again).toMatchObject({ name: 'apollo', slug: 'apollo' });
      expect((await stored(t.org.id)).map((p) => [p.name, p.deleted])).toEqual([
        ['Apollo', true],
        ['apollo', false],
      ]);
    });

    it('needs projects:create: a viewer may not create, a member may', async () => {
      const t = await tenant();
      expect(codeOf(await create(t.viewer.token, { name: 'Nope' }))).toBe('FORBIDDEN');
      expect(await stored(t.org.id)).toEqual([]);
      await createOk(t.member.token, { name: 'Yes' });
    });
  });

  describe('updateProject', () => {
    it('gives the project to another member, who becomes a lead; refuses a non-member as owner', async () => {
      const t = await tenant();
      const p = await createOk(t.owner.token, { name: 'Handover' });
      const outsider = await createUser(db);
      const other = await tenant();
      for (const ownerId of [outsider.id, other.owner.userId]) {
        expect(extensionsOf(await update(t.owner.token, { id: p.id, ownerId, name: 'Renamed' }))).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: 'ownerId',
        });
      }
      expect(await stored(t.org.id)).toEqual([expect.objectContaining({ name: 'Handover', owner_id: t.owner.userId })]);
      const res = await update(t.owner.token, { id: p.id, ownerId: t.member.userId });
      expect((res.body.data!.updateProject as { project: ProjectNode }).project.owner).toEqual({ id: t.member.userId });
      expect((await memberIds(t.owner.token, p.id)).sort()).toEqual(
        [
          [t.owner.userId, 'LEAD'],
          [t.member.userId, 'LEAD'],
        ].sort(),
      );
    });

    it('refuses a taken name or slug, an invalid slug, a blank name and oversized metadata, changing nothing', async () => {
      const t = await tenant();
      await createOk(t.owner.token, { name: 'Taken', slug: 'taken' });
      const p = await createOk(t.owner.token, { name: 'Mine' });
      expect(
        extensionsOf(await update(t.owner.token, { id: p.id, name: 'TAKEN', description: 'changed' })),
      ).toMatchObject({ code: 'CONFLICT', field: 'name' });
      expect(
        extensionsOf(await update(t.owner.token, { id: p.id, slug: 'taken', description: 'changed' })),
      ).toMatchObject({ code: 'CONFLICT', field: 'slug' });
      expect(extensionsOf(await update(t.owner.token, { id: p.id, slug: 'Bad Slug' }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'slug',
      });
      expect(extensionsOf(await update(t.owner.token, { id: p.id, name: '   ' }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'name',
      });
      expect(
        extensionsOf(
          await update(t.owner.token, { id: p.id, metadata: { big: crypto.randomBytes(40_000).toString('hex') } }),
        ),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'metadata' });
      expect(await projectById(t.owner.token, p.id)).toEqual(p);
    });

    it('needs projects:update: a member may create but not update or delete', async () => {
      const t = await tenant();
      const p = await createOk(t.member.token, { name: 'Members only' });
      expect(codeOf(await update(t.member.token, { id: p.id, name: 'Changed' }))).toBe('FORBIDDEN');
      expect(codeOf(await remove(t.member.token, p.id))).toBe('FORBIDDEN');
      expect(codeOf(await addProjectMember(t.member.token, p.id, t.viewer.userId))).toBe('FORBIDDEN');
      expect(codeOf(await update(t.viewer.token, { id: p.id, name: 'Changed' }))).toBe('FORBIDDEN');
      // an officer may update but not delete
      expect(codeOf(await update(t.officer.token, { id: p.id, description: 'ok' }))).toBeUndefined();
      expect(codeOf(await remove(t.officer.token, p.id))).toBe('FORBIDDEN');
      expect(await stored(t.org.id)).toEqual([expect.objectContaining({ name: 'Members only', deleted: false })]);
    });
  });

  describe('deleteProject and restoreProject', () => {
    it('hides a deleted project and its tasks, shows them to an owner with includeDeleted, and restores the tasks deleted with it', async () => {
      const t = await tenant();
      const p = await createOk(t.owner.token, { name: 'Doomed' });
      const kept = await createOk(t.owner.token, { name: 'Kept' });
      const [a, b, early] = [
        await createTask(t.owner.token, p.id, 'a'),
        await createTask(t.owner.token, p.id, 'b'),
        await createTask(t.owner.token, p.id, 'early'),
      ];
      await deleteTask(t.owner.token, early);

      const deleted = await remove(t.admin.token, p.id);
      expect(deleted.body.data!.deleteProject).toEqual({ project: { id: p.id, deletedAt: expect.any(String) } });
      for (const token of [t.owner.token, t.member.token]) {
        expect(await names(token)).toEqual(['Kept']);
        expect(await projectById(token, p.id)).toBeNull();
        expect(await taskIdsOf(token, p.id)).toEqual([]);
      }
      expect(await names(t.owner.token, { includeDeleted: true })).toEqual(['Doomed', 'Kept']);
      expect(await projectById(t.owner.token, p.id, true)).toMatchObject({
        id: p.id,
        name: 'Doomed',
        deletedAt: expect.any(String),
      });
      expect(await taskIdsOf(t.owner.token, p.id, true)).toEqual([a, b, early].sort());
      // includeDeleted needs projects:delete
      for (const res of [
        await app.gql(PROJECTS, { token: t.member.token, variables: { includeDeleted: true } }),
        await app.gql('query ($id: UUID!) { project(id: $id, includeDeleted: true) { id } }', {
          token: t.member.token,
          variables: { id: p.id },
        }),
      ]) {
        expect(codeOf(res)).toBe('FORBIDDEN');
      }
      // a deleted project cannot be changed, nor deleted again; a live one not restored
      expect(codeOf(await update(t.owner.token, { id: p.id, name: 'Zombie' }))).toBe('NOT_FOUND');
      expect(codeOf(await remove(t.owner.token, p.id))).toBe('NOT_FOUND');
      expect(codeOf(await restore(t.owner.token, kept.id))).toBe('NOT_FOUND');
      expect(codeOf(await restore(t.member.token, p.id))).toBe('FORBIDDEN');
      // its tasks come back with it, not on their own
      expect(
        extensionsOf(await call(t.owner.token, 'restoreTask', 'RestoreTaskInput', { id: a }, 'task { id }')),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });

      const restored = await restore(t.owner.token, p.id);
      expect(restored.body.data!.restoreProject).toEqual({ project: { id: p.id, deletedAt: null } });
      expect(await names(t.member.token)).toEqual(['Doomed', 'Kept']);
      expect(await taskIdsOf(t.member.token, p.id)).toEqual([a, b].sort());
      expect(await taskIdsOf(t.owner.token, p.id, true)).toEqual([a, b, early].sort());
    });

    it('refuses to restore a project whose name or slug a live project took meanwhile, changing nothing', async () => {
      const t = await tenant();
      const byName = await createOk(t.owner.token, { name: 'Orion', slug: 'orion' });
      const task = await createTask(t.owner.token, byName.id, 'inside');
      const bySlug = await createOk(t.owner.token, { name: 'Lyra', slug: 'lyra' });
      await remove(t.owner.token, byName.id);
      await remove(t.owner.token, bySlug.id);
      await createOk(t.owner.token, { name: 'ORION', slug: 'orion-2' });
      await createOk(t.owner.token, { name: 'Vega', slug: 'lyra' });

      const before = await stored(t.org.id);
      expect(extensionsOf(await restore(t.owner.token, byName.id))).toMatchObject({ code: 'CONFLICT', field: 'name' });
      expect(extensionsOf(await restore(t.owner.token, bySlug.id))).toMatchObject({ code: 'CONFLICT', field: 'slug' });
      expect(await stored(t.org.id)).toEqual(before);
      // the tasks deleted with it stay deleted too
      expect(
        (await superuser.query('select deleted_at is not null as deleted from tasks where id = $1', [task])).rows,
      ).toEqual([{ deleted: true }]);
    });
  });

  describe('private projects', () => {
    it('are invisible, with their tasks, to members of the organization who are not project members', async () => {
      const t = await tenant();
      const secret = await createOk(t.owner.token, { name: 'Secret', visibility: 'PRIVATE' });
      await createOk(t.owner.token, { name: 'Open' });
      const task = await createTask(t.owner.token, secret.id, 'hidden work');
      const taskQuery = 'query ($id: UUID!) { task(id: $id) { id } }';

      const seesIt = async (token: string) => {
        const visible = (await names(token)).includes('Secret');
        expect((await projectById(token, secret.id)) !== null).toBe(visible);
        expect((await taskIdsOf(token, secret.id)).length === 1).toBe(visible);
        const byId = await app.gql<{ task: { id: string } | null }>(taskQuery, { token, variables: { id: task } });
        expect(byId.body.data!.task !== null).toBe(visible);
        const all = await app.gql<{ tasks: { totalCount: number } }>('{ tasks { totalCount } }', { token });
        expect(all.body.data!.tasks.totalCount).toBe(visible ? 1 : 0);
        return visible;
      };
      expect(await seesIt(t.member.token)).toBe(false);
      expect(await seesIt(t.viewer.token)).toBe(false);
      expect(await seesIt(t.officer.token)).toBe(false);
      expect(await seesIt(t.admin.token)).toBe(true);
      expect(await seesIt(t.owner.token)).toBe(true);
      // nor can they change it: it is not found for them
      expect(codeOf(await update(t.officer.token, { id: secret.id, name: 'Mine now' }))).toBe('NOT_FOUND');
      expect(codeOf(await addProjectMember(t.officer.token, secret.id, t.officer.userId))).toBe('NOT_FOUND');
      expect(
        codeOf(
          await call(
            t.member.token,
            'createTask',
            'CreateTaskInput',
            { projectId: secret.id, title: 'sneaky' },
            'task { id }',
          ),
        ),
      ).toBe('NOT_FOUND');

      const added = await addProjectMember(t.admin.token, secret.id, t.member.userId);
      expect(added.body.data!.addProjectMember).toEqual({
        projectMember: { id: expect.any(String), role: 'MEMBER', user: { id: t.member.userId } },
      });
      expect(await seesIt(t.member.token)).toBe(true);
      expect(await seesIt(t.viewer.token)).toBe(false);
      // once only, and only members of the organization
      expect(extensionsOf(await addProjectMember(t.admin.token, secret.id, t.member.userId))).toMatchObject({
        code: 'CONFLICT',
        field: 'userId',
      });
      expect(extensionsOf(await addProjectMember(t.admin.token, secret.id, (await createUser(db)).id))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'userId',
      });

      const removeMember = (userId: string) =>
        call(
          t.admin.token,
          'removeProjectMember',
          'RemoveProjectMemberInput',
          { projectId: secret.id, userId },
          'removedProjectMemberId',
        );
      expect(codeOf(await removeMember(t.owner.userId))).toBe('FORBIDDEN');
      expect(await memberIds(t.owner.token, secret.id)).toContainEqual([t.owner.userId, 'LEAD']);
      expect(codeOf(await removeMember(t.member.userId))).toBeUndefined();
      expect(codeOf(await removeMember(t.member.userId))).toBe('NOT_FOUND');
      expect(await seesIt(t.member.token)).toBe(false);
    });

    it('answer a name or slug taken by a private project the caller cannot see as they answer a visible one, naming no project', async () => {
      const t = await tenant();
      const hidden = await createOk(t.owner.token, { name: 'Merger Talks', slug: 'merger', visibility: 'PRIVATE' });
      await createOk(t.owner.token, { name: 'Open Plan', slug: 'open-plan' });
      const visibleTo = async (token: string) =>
        (await app.gql<ProjectsPage>(PROJECTS, { token })).body.data!.projects.edges.map((e) => e.node.name);
      expect(await visibleTo(t.member.token)).toEqual(['Open Plan']);
      const errorsOf = (res: Res) => res.body.errors!.map(({ message, extensions }) => ({ message, extensions }));

      const cases = [
        [{ name: 'merger talks', slug: 'x1' }, { name: 'open plan', slug: 'x2' }, 'name', NAME_NOT_AVAILABLE],
        [{ name: 'Takeover', slug: 'merger' }, { name: 'Takeover', slug: 'open-plan' }, 'slug', SLUG_NOT_AVAILABLE],
      ] as const;
      for (const [toHidden, toVisible, field, message] of cases) {
        const hiddenClash = await create(t.member.token, toHidden);
        const visibleClash = await create(t.member.token, toVisible);
        expect(errorsOf(hiddenClash)).toEqual([{ message, extensions: { code: 'CONFLICT', field } }]);
        expect(errorsOf(visibleClash)).toEqual(errorsOf(hiddenClash));
        expect(hiddenClash.body.errors![0]!.message).not.toMatch(/project|private|merger/i);
      }
      // Renaming answers the same way (an officer may rename, and does not see private projects either).
      const mine = await createOk(t.officer.token, { name: 'Mine' });
      expect(errorsOf(await update(t.officer.token, { id: mine.id, name: 'MERGER TALKS' }))).toEqual([
        { message: NAME_NOT_AVAILABLE, extensions: { code: 'CONFLICT', field: 'name' } },
      ]);
      expect(hidden.visibility).toBe('PRIVATE');
      expect(await visibleTo(t.member.token)).toEqual(['Mine', 'Open Plan']);
    });

    it('turning a project private hides it from non-members at once', async () => {
      const t = await tenant();
      const p = await createOk(t.member.token, { name: 'Going dark' });
      expect(await projectById(t.viewer.token, p.id)).not.toBeNull();
      expect(codeOf(await update(t.officer.token, { id: p.id, visibility: 'PRIVATE' }))).toBeUndefined();
      expect(await projectById(t.viewer.token, p.id)).toBeNull();
      expect(await projectById(t.officer.token, p.id)).toBeNull();
      expect(await projectById(t.member.token, p.id)).not.toBeNull();
    });

    it('an officer who is no project member may make a project private and hand it to a member at once', async () => {
      const t = await tenant();
      const p = await createOk(t.admin.token, { name: 'Handed over' });
      const res = await update(t.officer.token, { id: p.id, visibility: 'PRIVATE', ownerId: t.member.userId });
      expect(extensionsOf(res)).toBeUndefined();
      expect((res.body.data!.updateProject as { project: ProjectNode }).project).toMatchObject({
        visibility: 'PRIVATE',
        owner: { id: t.member.userId },
      });
      expect((await memberIds(t.member.token, p.id)).sort()).toEqual(
        [
          [t.admin.userId, 'LEAD'],
          [t.member.userId, 'LEAD'],
        ].sort(),
      );
      expect(await projectById(t.officer.token, p.id)).toBeNull();
    });
  });

  describe('listing', () => {
    let t: Awaited<ReturnType<typeof tenant>>;
    let other: Person;
    const all = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf'];

    beforeAll(async () => {
      t = await tenant();
      other = await person(t.org.id);
      for (const name of all) {
        await createOk(t.owner.token, {
          name,
          visibility: name === 'Charlie' || name === 'Echo' ? 'PRIVATE' : 'PUBLIC',
          ownerId: name === 'Bravo' || name === 'Echo' ? other.userId : undefined,
        });
      }
      await createOk(t.owner.token, { name: '100%_done' });
      await createOk(t.owner.token, { name: '100 percent' });
    });

    it('filters by name (contains, ignoring case, % and _ literal), visibility and owner', async () => {
      expect(await names(t.owner.token, { filter: { name: { contains: 'A' } } })).toEqual([
        'Alpha',
        'Bravo',
        'Charlie',
        'Delta',
      ]);
      expect(await names(t.owner.token, { filter: { name: { contains: '%_' } } })).toEqual(['100%_done']);
      expect(await names(t.owner.token, { filter: { name: { contains: '0_' } } })).toEqual([]);
      expect(await names(t.owner.token, { filter: { name: { eq: 'Golf' } } })).toEqual(['Golf']);
      expect(await names(t.owner.token, { filter: { visibility: 'PRIVATE' } })).toEqual(['Charlie', 'Echo']);
      expect(await names(t.owner.token, { filter: { ownerId: { eq: other.userId } } })).toEqual(['Bravo', 'Echo']);
      expect(await names(t.owner.token, { filter: { ownerId: { eq: other.userId }, visibility: 'PUBLIC' } })).toEqual([
        'Bravo',
      ]);
      expect((await list(t.owner.token, { filter: { visibility: 'PUBLIC' } })).totalCount).toBe(7);
      // a member sees only the private projects they belong to: Echo (as its owner) for `other`
      expect(await names(other.token, { filter: { visibility: 'PRIVATE' } })).toEqual(['Echo']);
    });

    it('refuses pages over 100 and a cursor it did not make', async () => {
      const tooMany = await app.gql(PROJECTS, { token: t.owner.token, variables: { first: 101 } });
      expect(extensionsOf(tooMany)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      const badCursor = await app.gql(PROJECTS, {
        token: t.owner.token,
        variables: { first: 2, after: 'not-a-cursor' },
      });
      expect(extensionsOf(badCursor)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    });
  });

  it("treats another organization's project like one that does not exist", async () => {
    const a = await tenant();
    const b = await tenant();
    const theirs = await createOk(b.owner.token, { name: 'Theirs' });
    for (const id of [theirs.id, crypto.randomUUID()]) {
      expect(await projectById(a.owner.token, id)).toBeNull();
      expect(await projectById(a.owner.token, id, true)).toBeNull();
      for (const res of [
        await update(a.owner.token, { id, name: 'Stolen' }),
        await remove(a.owner.token, id),
        await restore(a.owner.token, id),
        await addProjectMember(a.owner.token, id, a.owner.userId),
        await call(a.owner.token, 'createTask', 'CreateTaskInput', { projectId: id, title: 'intruder' }, 'task { id }'),
      ])
        expect([id, codeOf(res)]).toEqual([id, 'NOT_FOUND']);
    }
    expect(await names(a.owner.token)).toEqual([]);
    expect(await stored(b.org.id)).toEqual([
      expect.objectContaining({ name: 'Theirs', owner_id: b.owner.userId, deleted: false }),
    ]);
  });
});
