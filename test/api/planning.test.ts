import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type Res, type TestApp } from '../support/app';
import { addMember, createOrganization, createProject, createUser, TEST_PASSWORD } from '../support/factories';
import type { MembershipRole } from '../../src/db/schema';

/** The rules of sprints and milestones (src/modules/work/sprints.ts, milestones.ts) through the API. */
describe('planning: sprints and milestones', () => {
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
  /** A fresh organization with an officer (sprints:manage), a member and a viewer, and a project. */
  async function tenant() {
    const org = await createOrganization(db);
    const officer = await person(org.id, 'officer');
    const member = await person(org.id, 'member');
    const viewer = await person(org.id, 'viewer');
    const project = await createProject(db, org.id, officer.user.id);
    return { org, officer, member, viewer, project };
  }
  const call = (token: string, name: string, type: string, input: Record<string, unknown>, select: string) =>
    app.gql(`mutation ($i: ${type}!) { ${name}(input: $i) { ${select} } }`, {
      token,
      variables: { i: input },
    }) as Promise<Res>;
  const errorOf = (res: Res) => res.body.errors?.[0]?.extensions;

  type SprintNode = {
    id: string;
    name: string;
    status: string;
    startDate: string;
    endDate: string;
    completedAt: string | null;
  };
  const SPRINT = 'sprint { id name status startDate endDate completedAt }';
  async function sprint(
    token: string,
    projectId: string,
    name: string,
    startDate: string,
    endDate: string,
    goal?: string,
  ) {
    const res = await call(
      token,
      'createSprint',
      'CreateSprintInput',
      { projectId, name, startDate, endDate, goal },
      SPRINT,
    );
    expect(res.body.errors).toBeUndefined();
    return (res.body.data!.createSprint as { sprint: SprintNode }).sprint;
  }
  const createSprint = (token: string, input: Record<string, unknown>) =>
    call(token, 'createSprint', 'CreateSprintInput', input, SPRINT);
  const updateSprint = (token: string, input: Record<string, unknown>) =>
    call(token, 'updateSprint', 'UpdateSprintInput', input, SPRINT);
  const sprintOf = (res: Res) => (res.body.data!.updateSprint as { sprint: SprintNode }).sprint;

  async function milestone(token: string, projectId: string, title: string, extra: Record<string, unknown> = {}) {
    const res = await call(
      token,
      'createMilestone',
      'CreateMilestoneInput',
      { projectId, title, ...extra },
      'milestone { id title status dueDate }',
    );
    expect(res.body.errors).toBeUndefined();
    return (
      res.body.data!.createMilestone as {
        milestone: { id: string; title: string; status: string; dueDate: string | null };
      }
    ).milestone;
  }
  async function task(token: string, input: Record<string, unknown>) {
    const res = await call(token, 'createTask', 'CreateTaskInput', { title: 'Work', ...input }, 'task { id }');
    expect(res.body.errors).toBeUndefined();
    return (res.body.data!.createTask as { task: { id: string } }).task.id;
  }
  async function transition(token: string, id: string, ...statuses: string[]) {
    for (const status of statuses) {
      const res = await call(token, 'transitionTask', 'TransitionTaskInput', { id, status }, 'task { status }');
      expect(res.body.errors).toBeUndefined();
    }
  }

  describe('sprints', () => {
    it('creates a sprint with its dates and goal, and refuses an end that is not after the start', async () => {
      const t = await tenant();
      const created = await sprint(
        t.officer.token,
        t.project.id,
        '  Sprint 1 ',
        '2027-01-04',
        '2027-01-18',
        ' Ship it ',
      );
      expect(created).toMatchObject({
        name: 'Sprint 1',
        status: 'PLANNED',
        startDate: '2027-01-04',
        endDate: '2027-01-18',
        completedAt: null,
      });
      const read = await app.gql<{ sprint: Record<string, unknown> }>(
        'query ($id: UUID!) { sprint(id: $id) { name goal project { id } } }',
        { token: t.viewer.token, variables: { id: created.id } },
      );
      expect(read.body.data!.sprint).toEqual({ name: 'Sprint 1', goal: 'Ship it', project: { id: t.project.id } });

      for (const [startDate, endDate] of [
        ['2027-03-10', '2027-03-01'],
        ['2027-03-10', '2027-03-10'],
      ]) {
        const res = await createSprint(t.officer.token, {
          projectId: t.project.id,
          name: `Backwards ${endDate}`,
          startDate,
          endDate,
        });
        expect(errorOf(res)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'endDate' });
      }
      // moving only one end of an existing sprint past the other is refused the same way
      expect(errorOf(await updateSprint(t.officer.token, { id: created.id, startDate: '2027-01-20' }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'endDate',
      });
      expect(errorOf(await updateSprint(t.officer.token, { id: created.id, endDate: '2027-01-01' }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'endDate',
      });
      // an empty name, or one of spaces only (which the database refuses), names the field
      for (const name of ['', '   ']) {
        expect(
          errorOf(
            await createSprint(t.officer.token, {
              projectId: t.project.id,
              name,
              startDate: '2027-05-01',
              endDate: '2027-05-10',
            }),
          ),
        ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
        expect(errorOf(await updateSprint(t.officer.token, { id: created.id, name }))).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: 'name',
        });
      }
      const rows = (
        await superuser.query('select name, start_date::text, end_date::text from sprints where project_id = $1', [
          t.project.id,
        ])
      ).rows;
      expect(rows).toEqual([{ name: 'Sprint 1', start_date: '2027-01-04', end_date: '2027-01-18' }]);
    });

    it('keeps the sprints of a project from overlapping, except cancelled ones; other projects are independent', async () => {
      const t = await tenant();
      const other = await createProject(db, t.org.id, t.officer.user.id);
      const first = await sprint(t.officer.token, t.project.id, 'One', '2027-02-01', '2027-02-15');
      const overlapping = { projectId: t.project.id, name: 'Two', startDate: '2027-02-10', endDate: '2027-02-24' };
      expect(errorOf(await createSprint(t.officer.token, overlapping))).toMatchObject({
        code: 'CONFLICT',
        field: 'startDate',
      });
      // inside, around, and the same dates overlap too
      for (const [startDate, endDate] of [
        ['2027-02-03', '2027-02-05'],
        ['2027-01-20', '2027-03-01'],
        ['2027-02-01', '2027-02-15'],
      ]) {
        expect(errorOf(await createSprint(t.officer.token, { ...overlapping, startDate, endDate }))).toMatchObject({
          code: 'CONFLICT',
          field: 'startDate',
        });
      }
      // the end date is exclusive: the next sprint may start the day the previous one ends
      const next = await sprint(t.officer.token, t.project.id, 'Next', '2027-02-15', '2027-03-01');
      // the same dates in another project are fine
      await sprint(t.officer.token, other.id, 'One', '2027-02-01', '2027-02-15');
      // moving a sprint onto another one's dates is refused as well
      expect(errorOf(await updateSprint(t.officer.token, { id: next.id, startDate: '2027-02-14' }))).toMatchObject({
        code: 'CONFLICT',
        field: 'startDate',
      });

      // a cancelled sprint frees its dates
      expect(sprintOf(await updateSprint(t.officer.token, { id: first.id, status: 'CANCELLED' })).status).toBe(
        'CANCELLED',
      );
      const again = await sprint(t.officer.token, t.project.id, 'Two', '2027-02-10', '2027-02-15');
      expect(again.status).toBe('PLANNED');
      const listed = await app.gql<{ project: { sprints: { edges: { node: { name: string; status: string } }[] } } }>(
        'query ($id: UUID!) { project(id: $id) { sprints { edges { node { name status } } } } }',
        { token: t.member.token, variables: { id: t.project.id } },
      );
      expect(listed.body.data!.project.sprints.edges.map((e) => [e.node.name, e.node.status])).toEqual([
        ['One', 'CANCELLED'],
        ['Two', 'PLANNED'],
        ['Next', 'PLANNED'],
      ]);
    });

    it('keeps sprint names unique within a project, ignoring case', async () => {
      const t = await tenant();
      const other = await createProject(db, t.org.id, t.officer.user.id);
      await sprint(t.officer.token, t.project.id, 'Alpha', '2027-04-01', '2027-04-10');
      const beta = await sprint(t.officer.token, t.project.id, 'Beta', '2027-04-10', '2027-04-20');
      expect(
        errorOf(
          await createSprint(t.officer.token, {
            projectId: t.project.id,
            name: 'alpha',
            startDate: '2027-05-01',
            endDate: '2027-05-10',
          }),
        ),
      ).toMatchObject({ code: 'CONFLICT', field: 'name' });
      expect(errorOf(await updateSprint(t.officer.token, { id: beta.id, name: 'ALPHA' }))).toMatchObject({
        code: 'CONFLICT',
        field: 'name',
      });
      await sprint(t.officer.token, other.id, 'Alpha', '2027-05-01', '2027-05-10');
      expect(sprintOf(await updateSprint(t.officer.token, { id: beta.id, name: 'Gamma', goal: 'Faster' })).name).toBe(
        'Gamma',
      );
    });

    it('moves PLANNED -> ACTIVE -> COMPLETED (setting completedAt) and refuses any other way', async () => {
      const t = await tenant();
      const s = await sprint(t.officer.token, t.project.id, 'Flow', '2027-06-01', '2027-06-15');
      expect(errorOf(await updateSprint(t.officer.token, { id: s.id, status: 'COMPLETED' }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'status',
      });
      const active = sprintOf(await updateSprint(t.officer.token, { id: s.id, status: 'ACTIVE' }));
      expect(active).toMatchObject({ status: 'ACTIVE', completedAt: null });
      // asking for the status it already has changes nothing
      expect(sprintOf(await updateSprint(t.officer.token, { id: s.id, status: 'ACTIVE' })).status).toBe('ACTIVE');
      const before = Date.now();
      const completed = sprintOf(await updateSprint(t.officer.token, { id: s.id, status: 'COMPLETED' }));
      expect(completed.status).toBe('COMPLETED');
      expect(Math.abs(new Date(completed.completedAt!).getTime() - before)).toBeLessThan(60_000);
      for (const status of ['ACTIVE', 'PLANNED', 'CANCELLED']) {
        expect(errorOf(await updateSprint(t.officer.token, { id: s.id, status }))).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: 'status',
        });
      }
      const cancelled = await sprint(t.officer.token, t.project.id, 'Dropped', '2027-07-01', '2027-07-15');
      await updateSprint(t.officer.token, { id: cancelled.id, status: 'CANCELLED' });
      expect(errorOf(await updateSprint(t.officer.token, { id: cancelled.id, status: 'PLANNED' }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'status',
      });
      // a refused transition changes nothing, not even the other fields of the same input
      expect(
        errorOf(await updateSprint(t.officer.token, { id: cancelled.id, name: 'Renamed', status: 'ACTIVE' })),
      ).toMatchObject({ field: 'status' });
      expect(
        (await superuser.query('select name, status, completed_at from sprints where id = $1', [cancelled.id])).rows[0],
      ).toEqual({ name: 'Dropped', status: 'cancelled', completed_at: null });
    });

    it('deletes a sprint; its tasks stay, outside any sprint', async () => {
      const t = await tenant();
      const s = await sprint(t.officer.token, t.project.id, 'Doomed', '2027-08-01', '2027-08-15');
      const taskIds = [
        await task(t.member.token, { projectId: t.project.id, sprintId: s.id }),
        await task(t.member.token, { projectId: t.project.id, sprintId: s.id }),
      ];
      const inSprint = await app.gql<{ sprint: { tasks: { totalCount: number } } }>(
        'query ($id: UUID!) { sprint(id: $id) { tasks { totalCount } } }',
        { token: t.member.token, variables: { id: s.id } },
      );
      expect(inSprint.body.data!.sprint.tasks.totalCount).toBe(2);

      const res = await call(t.officer.token, 'deleteSprint', 'DeleteSprintInput', { id: s.id }, 'deletedSprintId');
      expect(res.body).toEqual({ data: { deleteSprint: { deletedSprintId: s.id } } });
      for (const id of taskIds) {
        const read = await app.gql<{ task: { id: string; sprint: null } | null }>(
          'query ($id: UUID!) { task(id: $id) { id sprint { id } } }',
          { token: t.member.token, variables: { id } },
        );
        expect(read.body.data!.task).toEqual({ id, sprint: null });
      }
      expect(
        (
          await app.gql('query ($id: UUID!) { sprint(id: $id) { id } }', {
            token: t.member.token,
            variables: { id: s.id },
          })
        ).body.data,
      ).toEqual({ sprint: null });
      expect(
        codeOf(await call(t.officer.token, 'deleteSprint', 'DeleteSprintInput', { id: s.id }, 'deletedSprintId')),
      ).toBe('NOT_FOUND');
      expect(codeOf(await updateSprint(t.officer.token, { id: s.id, name: 'Ghost' }))).toBe('NOT_FOUND');
    });
  });

  describe('milestones', () => {
    it('creates, updates (COMPLETED sets completedAt, leaving it clears it) and deletes milestones; tasks stay', async () => {
      const t = await tenant();
      const m = await milestone(t.officer.token, t.project.id, ' Beta ', {
        description: 'First users',
        dueDate: '2027-09-30',
      });
      expect(m).toMatchObject({ title: 'Beta', status: 'OPEN', dueDate: '2027-09-30' });
      const update = (input: Record<string, unknown>) =>
        call(
          t.officer.token,
          'updateMilestone',
          'UpdateMilestoneInput',
          { id: m.id, ...input },
          'milestone { title status dueDate completedAt }',
        );
      const completed = await update({ status: 'COMPLETED', dueDate: null });
      expect(completed.body.data!.updateMilestone).toMatchObject({
        milestone: { title: 'Beta', status: 'COMPLETED', dueDate: null },
      });
      expect(
        (completed.body.data!.updateMilestone as { milestone: { completedAt: string } }).milestone.completedAt,
      ).toEqual(expect.any(String));
      expect((await update({ status: 'IN_PROGRESS', title: 'Beta 2' })).body.data!.updateMilestone).toEqual({
        milestone: { title: 'Beta 2', status: 'IN_PROGRESS', dueDate: null, completedAt: null },
      });
      for (const title of ['', '   ']) {
        expect(
          errorOf(
            await call(
              t.officer.token,
              'createMilestone',
              'CreateMilestoneInput',
              { projectId: t.project.id, title },
              'milestone { id }',
            ),
          ),
        ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'title' });
        expect(errorOf(await update({ title }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'title' });
      }

      const taskId = await task(t.member.token, { projectId: t.project.id, milestoneId: m.id });
      const res = await call(
        t.officer.token,
        'deleteMilestone',
        'DeleteMilestoneInput',
        { id: m.id },
        'deletedMilestoneId',
      );
      expect(res.body).toEqual({ data: { deleteMilestone: { deletedMilestoneId: m.id } } });
      const read = await app.gql('query ($id: UUID!) { task(id: $id) { id milestone { id } } }', {
        token: t.member.token,
        variables: { id: taskId },
      });
      expect(read.body.data).toEqual({ task: { id: taskId, milestone: null } });
      expect(
        codeOf(
          await call(t.officer.token, 'deleteMilestone', 'DeleteMilestoneInput', { id: m.id }, 'deletedMilestoneId'),
        ),
      ).toBe('NOT_FOUND');
    });

    it('reports progress as done / total, leaving out cancelled and deleted tasks (0 without tasks)', async () => {
      const t = await tenant();
      const m = await milestone(t.officer.token, t.project.id, 'Launch');
      const empty = await milestone(t.officer.token, t.project.id, 'Empty');
      const other = await milestone(t.officer.token, t.project.id, 'Other');
      const progress = async (id: string) => {
        const res = await app.gql<{ milestone: { progress: { done: number; total: number; ratio: number } } }>(
          'query ($id: UUID!) { milestone(id: $id) { progress { done total ratio } } }',
          { token: t.viewer.token, variables: { id } },
        );
        expect(res.body.errors).toBeUndefined();
        return res.body.data!.milestone.progress;
      };
      expect(await progress(m.id)).toEqual({ done: 0, total: 0, ratio: 0 });

      const inM = (title: string) => task(t.officer.token, { projectId: t.project.id, milestoneId: m.id, title });
      const done = await inM('done');
      const doneDeleted = await inM('done, then deleted');
      await inM('open');
      const todo = await inM('todo');
      const cancelled = await inM('cancelled');
      const deleted = await inM('deleted');
      await task(t.officer.token, { projectId: t.project.id, milestoneId: other.id, title: 'done elsewhere' }).then(
        (id) => transition(t.officer.token, id, 'TODO', 'IN_PROGRESS', 'IN_REVIEW', 'DONE'),
      );
      await task(t.officer.token, { projectId: t.project.id, title: 'no milestone' });
      for (const id of [done, doneDeleted])
        await transition(t.officer.token, id, 'TODO', 'IN_PROGRESS', 'IN_REVIEW', 'DONE');
      await transition(t.officer.token, todo, 'TODO');
      await transition(t.officer.token, cancelled, 'CANCELLED');
      for (const id of [deleted, doneDeleted]) {
        expect(
          (await call(t.officer.token, 'deleteTask', 'DeleteTaskInput', { id }, 'task { id }')).body.errors,
        ).toBeUndefined();
      }
      // live and not cancelled: done, open, todo
      expect(await progress(m.id)).toEqual({ done: 1, total: 3, ratio: 1 / 3 });
      expect(await progress(other.id)).toEqual({ done: 1, total: 1, ratio: 1 });
      expect(await progress(empty.id)).toEqual({ done: 0, total: 0, ratio: 0 });

      // one statement for the progress of every milestone on the page
      const listed = await app.gql<{
        project: { milestones: { edges: { node: { title: string; progress: { done: number; total: number } } }[] } };
      }>(
        'query ($id: UUID!) { project(id: $id) { milestones(orderBy: TITLE_ASC) { edges { node { title progress { done total } } } } } }',
        { token: t.viewer.token, variables: { id: t.project.id } },
      );
      expect(listed.body.data!.project.milestones.edges.map((e) => [e.node.title, e.node.progress])).toEqual([
        ['Empty', { done: 0, total: 0 }],
        ['Launch', { done: 1, total: 3 }],
        ['Other', { done: 1, total: 1 }],
      ]);
    });
  });

  describe('permissions and tenants', () => {
    it('needs sprints:manage to change sprints and milestones; anyone who reads projects sees them', async () => {
      const t = await tenant();
      const s = await sprint(t.officer.token, t.project.id, 'Ours', '2027-10-01', '2027-10-15');
      const m = await milestone(t.officer.token, t.project.id, 'Ours');
      for (const who of [t.member, t.viewer]) {
        for (const res of [
          await createSprint(who.token, {
            projectId: t.project.id,
            name: 'Mine',
            startDate: '2027-11-01',
            endDate: '2027-11-15',
          }),
          await updateSprint(who.token, { id: s.id, name: 'Mine' }),
          await call(who.token, 'deleteSprint', 'DeleteSprintInput', { id: s.id }, 'deletedSprintId'),
          await call(
            who.token,
            'createMilestone',
            'CreateMilestoneInput',
            { projectId: t.project.id, title: 'Mine' },
            'milestone { id }',
          ),
          await call(
            who.token,
            'updateMilestone',
            'UpdateMilestoneInput',
            { id: m.id, title: 'Mine' },
            'milestone { id }',
          ),
          await call(who.token, 'deleteMilestone', 'DeleteMilestoneInput', { id: m.id }, 'deletedMilestoneId'),
        ])
          expect(codeOf(res)).toBe('FORBIDDEN');
      }
      expect(
        (await superuser.query('select count(*)::int as n from sprints where project_id = $1', [t.project.id])).rows[0]
          .n,
      ).toBe(1);
      expect(
        (await superuser.query('select title from milestones where project_id = $1', [t.project.id])).rows,
      ).toEqual([{ title: 'Ours' }]);
      const read = await app.gql(
        'query ($s: UUID!, $m: UUID!) { sprint(id: $s) { name } milestone(id: $m) { title } }',
        { token: t.viewer.token, variables: { s: s.id, m: m.id } },
      );
      expect(read.body).toEqual({ data: { sprint: { name: 'Ours' }, milestone: { title: 'Ours' } } });
      // an admin and the owner manage them too
      const admin = await person(t.org.id, 'admin');
      expect(sprintOf(await updateSprint(admin.token, { id: s.id, name: 'Admin’s' })).name).toBe('Admin’s');
    });

    it("treats another organization's projects, sprints and milestones as not found", async () => {
      const a = await tenant();
      const b = await tenant();
      const theirs = await sprint(b.officer.token, b.project.id, 'Theirs', '2027-12-01', '2027-12-15');
      const theirMilestone = await milestone(b.officer.token, b.project.id, 'Theirs');
      const read = await app.gql('query ($s: UUID!, $m: UUID!) { sprint(id: $s) { id } milestone(id: $m) { id } }', {
        token: a.officer.token,
        variables: { s: theirs.id, m: theirMilestone.id },
      });
      expect(read.body).toEqual({ data: { sprint: null, milestone: null } });
      for (const res of [
        await createSprint(a.officer.token, {
          projectId: b.project.id,
          name: 'Intruder',
          startDate: '2028-01-01',
          endDate: '2028-01-15',
        }),
        await updateSprint(a.officer.token, { id: theirs.id, name: 'Stolen' }),
        await updateSprint(a.officer.token, { id: theirs.id, status: 'CANCELLED' }),
        await call(a.officer.token, 'deleteSprint', 'DeleteSprintInput', { id: theirs.id }, 'deletedSprintId'),
        await call(
          a.officer.token,
          'createMilestone',
          'CreateMilestoneInput',
          { projectId: b.project.id, title: 'Intruder' },
          'milestone { id }',
        ),
        await call(
          a.officer.token,
          'updateMilestone',
          'UpdateMilestoneInput',
          { id: theirMilestone.id, title: 'Stolen' },
          'milestone { id }',
        ),
        await call(
          a.officer.token,
          'deleteMilestone',
          'DeleteMilestoneInput',
          { id: theirMilestone.id },
          'deletedMilestoneId',
        ),
      ])
        expect(codeOf(res)).toBe('NOT_FOUND');
      // a task of ours cannot join their sprint or milestone either
      const res = await call(
        a.officer.token,
        'createTask',
        'CreateTaskInput',
        { projectId: a.project.id, title: 'x', sprintId: theirs.id },
        'task { id }',
      );
      expect(errorOf(res)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sprintId' });
      const lists = await app.gql<{ sprints: { totalCount: number }; milestones: { totalCount: number } }>(
        '{ sprints { totalCount } milestones { totalCount } }',
        { token: a.officer.token },
      );
      expect(lists.body.data).toEqual({ sprints: { totalCount: 0 }, milestones: { totalCount: 0 } });
      expect((await superuser.query('select name, status from sprints where id = $1', [theirs.id])).rows[0]).toEqual({
        name: 'Theirs',
        status: 'planned',
      });
      expect(
        (await superuser.query('select title from milestones where id = $1', [theirMilestone.id])).rows[0],
      ).toEqual({ title: 'Theirs' });
    });

    it('hides the sprints and milestones of a private project from members outside it', async () => {
      const t = await tenant();
      const secret = await createProject(db, t.org.id, t.officer.user.id, { visibility: 'private' });
      await withMember(t.org.id, secret.id, t.officer.user.id);
      const s = await sprint(t.officer.token, secret.id, 'Hidden', '2027-03-01', '2027-03-10');
      const m = await milestone(t.officer.token, secret.id, 'Hidden');
      const read = await app.gql<{
        sprint: unknown;
        milestone: unknown;
        sprints: { totalCount: number };
        milestones: { totalCount: number };
      }>(
        'query ($s: UUID!, $m: UUID!) { sprint(id: $s) { id } milestone(id: $m) { id } sprints { totalCount } milestones { totalCount } }',
        { token: t.member.token, variables: { s: s.id, m: m.id } },
      );
      expect(read.body.data).toEqual({
        sprint: null,
        milestone: null,
        sprints: { totalCount: 0 },
        milestones: { totalCount: 0 },
      });
      const owner = await person(t.org.id, 'owner');
      const seen = await app.gql('{ sprints { totalCount } milestones { totalCount } }', { token: owner.token });
      expect(seen.body.data).toEqual({ sprints: { totalCount: 1 }, milestones: { totalCount: 1 } });
    });
  });

  /** Makes a user a member of a project (as the database owner, for the tenant). */
  async function withMember(orgId: string, projectId: string, userId: string) {
    await superuser.query(
      `insert into project_members (organization_id, project_id, user_id, role) values ($1, $2, $3, 'lead') on conflict do nothing`,
      [orgId, projectId, userId],
    );
  }

  it('takes the sprints and milestones of a deleted project away with it, and back on restore', async () => {
    const t = await tenant();
    const owner = await person(t.org.id, 'owner');
    const s = await sprint(t.officer.token, t.project.id, 'Doomed sprint', '2026-03-01', '2026-03-15');
    const m = await milestone(t.officer.token, t.project.id, 'Doomed milestone');
    const visible = async () => {
      const res = await app.gql<{
        sprints: { edges: { node: { id: string } }[] };
        milestones: { edges: { node: { id: string } }[] };
        s: unknown;
        m: unknown;
      }>(
        'query ($s: UUID!, $m: UUID!) { sprints { edges { node { id } } } milestones { edges { node { id } } } s: sprint(id: $s) { id } m: milestone(id: $m) { id } }',
        { token: t.officer.token, variables: { s: s.id, m: m.id } },
      );
      const data = res.body.data!;
      return {
        sprints: data.sprints.edges.length,
        milestones: data.milestones.edges.length,
        sprint: data.s !== null,
        milestone: data.m !== null,
      };
    };
    expect(await visible()).toEqual({ sprints: 1, milestones: 1, sprint: true, milestone: true });

    const deleted = await app.gql(
      'mutation ($i: DeleteProjectInput!) { deleteProject(input: $i) { project { id } } }',
      { token: owner.token, variables: { i: { id: t.project.id } } },
    );
    expect(deleted.body.errors).toBeUndefined();
    expect(await visible()).toEqual({ sprints: 0, milestones: 0, sprint: false, milestone: false });
    expect(errorOf(await updateSprint(t.officer.token, { id: s.id, name: 'Renamed' }))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(
      errorOf(await call(t.officer.token, 'deleteSprint', 'DeleteSprintInput', { id: s.id }, 'deletedSprintId')),
    ).toMatchObject({ code: 'NOT_FOUND' });
    expect(
      errorOf(
        await call(
          t.officer.token,
          'updateMilestone',
          'UpdateMilestoneInput',
          { id: m.id, title: 'Renamed' },
          'milestone { id }',
        ),
      ),
    ).toMatchObject({ code: 'NOT_FOUND' });
    expect(
      errorOf(
        await call(t.officer.token, 'deleteMilestone', 'DeleteMilestoneInput', { id: m.id }, 'deletedMilestoneId'),
      ),
    ).toMatchObject({ code: 'NOT_FOUND' });

    const restored = await app.gql(
      'mutation ($i: RestoreProjectInput!) { restoreProject(input: $i) { project { id } } }',
      { token: owner.token, variables: { i: { id: t.project.id } } },
    );
    expect(restored.body.errors).toBeUndefined();
    expect(await visible()).toEqual({ sprints: 1, milestones: 1, sprint: true, milestone: true });
  });
});
