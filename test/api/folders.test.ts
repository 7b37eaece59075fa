import { withTenant } from '../../src/db/database';
import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { resourceRules } from '../support/resource-rules';
import { folders } from '../../src/modules/documents/folders';

/** One top-level folder per tenant: every new folder goes in it, so Folder.children is a longer list. */
const topOf = new Map<string, Promise<string>>();
const topFolder = (tenant: Tenant, suite: Suite): Promise<string> => {
  if (!topOf.has(tenant.id))
    topOf.set(
      tenant.id,
      withTenant(suite.db, { organizationId: tenant.id, userId: tenant.admin.userId }, (trx) =>
        trx
          .insertInto('folders')
          .values({ organization_id: tenant.id, name: 'Top' })
          .returning('id')
          .executeTakeFirstOrThrow()
          .then((f) => f.id),
      ),
    );
  return topOf.get(tenant.id)!;
};

// What every resource does (create, lists, filters, orders, updates, soft delete, isolation, a viewer).
describeResource(folders, { parents: async (tenant, _n, suite) => ({ parent: await topFolder(tenant, suite) }) });

// The tree's rules, kept by the database (migration 0025), through the API.
describe('folders: the rules', () => {
  const t = resourceRules(folders);
  type Folder = { id: string; depth: number; path: { id: string }[] };
  const SELECT = 'id depth path { id }';
  const create = async (token: string, name: string, parentId?: string) =>
    t.nodeOf<Folder>(await t.create(token, { name, parentId }, SELECT));
  /** A chain of `levels` folders, the first at the top; the last one. */
  const chain = async (token: string, levels: number, under?: string) => {
    let last: Folder | undefined;
    for (let i = 1; i <= levels; i++) last = await create(token, `Level ${i}`, last?.id ?? under);
    return last!;
  };
  const tree = async (orgId: string) =>
    (
      await t.superuser.query<{ id: string; parent_id: string | null; path: string[]; deleted: boolean }>(
        `select id, parent_id, path, deleted_at is not null as deleted from folders where organization_id = $1 order by id`,
        [orgId],
      )
    ).rows;

  it('keeps the path from the top (ids) and the depth', async () => {
    const { token } = await t.tenant();
    const top = await create(token, 'Top');
    const mid = await create(token, 'Mid', top.id);
    const leaf = await create(token, 'Leaf', mid.id);
    expect(leaf.depth).toBe(3);
    expect(leaf.path.map((f) => f.id)).toEqual([top.id, mid.id, leaf.id]);
  });

  it('refuses an 11th level, naming parentId, and writes nothing', async () => {
    const { orgId, token } = await t.tenant();
    const tenth = await chain(token, 10);
    expect(tenth.depth).toBe(10);
    const before = await tree(orgId);
    const res = await t.create(token, { name: 'Eleventh', parentId: tenth.id });
    expect(t.codeOf(res)).toBe('BAD_USER_INPUT');
    expect(t.fieldOf(res)).toBe('parentId');
    expect(await tree(orgId)).toEqual(before);
  });

  it('refuses a move that would put a folder 11 levels deep (the moved branch counts), and moves nothing', async () => {
    const { orgId, token } = await t.tenant();
    const ninth = await chain(token, 9);
    const branch = await create(token, 'Branch');
    await create(token, 'Twig', branch.id);
    const before = await tree(orgId);
    // Branch would be the 10th level, its Twig the 11th.
    const res = await t.update(token, { id: branch.id, parentId: ninth.id });
    expect(t.codeOf(res)).toBe('BAD_USER_INPUT');
    expect(t.fieldOf(res)).toBe('parentId');
    expect(await tree(orgId)).toEqual(before);
    // Without its sub-folder it fits.
    const alone = await create(token, 'Alone');
    const moved = t.nodeOf<Folder>(await t.update(token, { id: alone.id, parentId: ninth.id }, SELECT));
    expect(moved.depth).toBe(10);
  });

  it('refuses moving a folder under itself or one of its own sub-folders, and moves nothing', async () => {
    const { orgId, token } = await t.tenant();
    const top = await create(token, 'Top');
    const child = await create(token, 'Child', top.id);
    const grandchild = await create(token, 'Grandchild', child.id);
    const before = await tree(orgId);
    for (const parentId of [grandchild.id, child.id, top.id]) {
      const res = await t.update(token, { id: top.id, parentId });
      expect([parentId, t.codeOf(res), t.fieldOf(res)]).toEqual([parentId, 'BAD_USER_INPUT', 'parentId']);
    }
    expect(await tree(orgId)).toEqual(before);
  });

  it('moves a folder with every folder under it: each path is rewritten', async () => {
    const { orgId, token } = await t.tenant();
    const a = await create(token, 'A');
    const b = await create(token, 'B');
    const deep = await chain(token, 4, a.id);
    t.nodeOf(await t.update(token, { id: a.id, parentId: b.id }));
    const rows = await tree(orgId);
    for (const row of rows) {
      const parent = rows.find((r) => r.id === row.parent_id);
      expect(row.path).toEqual([...(parent?.path ?? []), row.id]);
    }
    expect(rows.find((r) => r.id === deep.id)!.path).toHaveLength(6);
    // Back to the top level.
    const back = t.nodeOf<Folder>(await t.update(token, { id: a.id, parentId: null }, SELECT));
    expect(back.path.map((f) => f.id)).toEqual([a.id]);
    expect((await tree(orgId)).find((r) => r.id === deep.id)!.path).toHaveLength(5);
  });

  it('lets one of ten concurrent same-named siblings in (names ignore case); the others are CONFLICT on name', async () => {
    const { orgId, token } = await t.tenant();
    const top = await create(token, 'Top');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.create(token, { name: i % 2 ? 'Reports' : 'REPORTS', parentId: top.id })),
    );
    expect(results.filter((r) => !r.body.errors)).toHaveLength(1);
    for (const r of results.filter((x) => x.body.errors)) {
      expect(t.codeOf(r)).toBe('CONFLICT');
      expect(t.fieldOf(r)).toBe('name');
    }
    expect((await tree(orgId)).filter((r) => r.parent_id === top.id)).toHaveLength(1);
    // Another parent, or the top level, may hold the same name.
    expect((await t.create(token, { name: 'Reports' })).body.errors).toBeUndefined();
  });

  it('deletes a folder with what is under it, and a restore brings back only what that delete took', async () => {
    const { orgId, token } = await t.tenant();
    const top = await create(token, 'Top');
    const keep = await create(token, 'Keep', top.id);
    const gone = await create(token, 'Gone before', top.id);
    const under = await create(token, 'Under', keep.id);
    t.nodeOf(await t.delete(token, gone.id));
    t.nodeOf(await t.delete(token, top.id));
    const deleted = Object.fromEntries((await tree(orgId)).map((r) => [r.id, r.deleted]));
    expect(deleted).toEqual({ [top.id]: true, [keep.id]: true, [gone.id]: true, [under.id]: true });
    // A sub-folder waits for its deleted parent.
    const early = await t.restore(token, under.id);
    expect(t.codeOf(early)).toBe('BAD_USER_INPUT');
    t.nodeOf(await t.restore(token, top.id));
    const after = Object.fromEntries((await tree(orgId)).map((r) => [r.id, r.deleted]));
    expect(after).toEqual({ [top.id]: false, [keep.id]: false, [gone.id]: true, [under.id]: false });
  });

  it('will not move a folder into a deleted one', async () => {
    const { token } = await t.tenant();
    const target = await create(token, 'Target');
    const moving = await create(token, 'Moving');
    t.nodeOf(await t.delete(token, target.id));
    const res = await t.update(token, { id: moving.id, parentId: target.id });
    expect(t.codeOf(res)).toBe('BAD_USER_INPUT');
    expect(t.fieldOf(res)).toBe('parentId');
  });
});
