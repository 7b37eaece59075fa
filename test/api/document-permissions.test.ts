import crypto from 'node:crypto';
import { withTenant } from '../../src/db/database';
import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { resourceRules } from '../support/resource-rules';
import { addMember, createUser, insertUpload, TEST_PASSWORD } from '../support/factories';
import { documentPermissions } from '../../src/modules/documents/document-permissions';
import { documents } from '../../src/modules/documents/documents';

/**
 * One folder and one document per tenant, the grants taking turns between them (so both
 * Folder.permissions and Document.permissions list several); each grant is to a new member.
 */
const targetsOf = new Map<string, Promise<{ folder: string; document: string }>>();
describeResource(documentPermissions, {
  parents: async (tenant: Tenant, n: number, suite: Suite) => {
    if (!targetsOf.has(tenant.id))
      targetsOf.set(
        tenant.id,
        withTenant(suite.db, { organizationId: tenant.id, userId: tenant.admin.userId }, async (trx) => {
          const folder = await trx
            .insertInto('folders')
            .values({ organization_id: tenant.id, name: 'Shared' })
            .returning('id')
            .executeTakeFirstOrThrow();
          const document = await trx
            .insertInto('documents')
            .values({ organization_id: tenant.id, ...documents.spec.example(n) })
            .returning('id')
            .executeTakeFirstOrThrow();
          return { folder: folder.id, document: document.id };
        }),
      );
    const targets = await targetsOf.get(tenant.id)!;
    const user = (await suite.member(tenant)).userId;
    const parents: Record<string, string> =
      n % 2 ? { folder: targets.folder, user } : { document: targets.document, user };
    return parents;
  },
  // The example's role is the seed's grantee; here the parents' user is.
  inputs: async () => ({ role: null }),
});

// Inheritance down the tree, enforced by RLS: lists, counts, aggregates and by-id answers obey it.
describe('document permissions: the rules', () => {
  const t = resourceRules(documentPermissions);
  const gql = async (token: string, query: string, variables?: Record<string, unknown>) => {
    const res = await t.app.gql(query, { token, variables });
    return res;
  };
  const ok = async (token: string, query: string, variables?: Record<string, unknown>) => {
    const res = await gql(token, query, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data as unknown;
  };
  const folder = async (token: string, name: string, parentId?: string) =>
    (
      (await ok(token, 'mutation ($i: CreateFolderInput!) { createFolder(input: $i) { folder { id } } }', {
        i: { name, parentId },
      })) as { createFolder: { folder: { id: string } } }
    ).createFolder.folder.id;
  const upload = (orgId: string, userId: string) =>
    withTenant(t.db, { organizationId: orgId, userId }, (trx) => insertUpload(trx, orgId));

  /** An organization with an admin and a member, a tree A > B > C and a document D in C. */
  async function setting() {
    const admin = await t.tenant('admin');
    const user = await createUser(t.db);
    await addMember(t.db, admin.orgId, user.id, { role: 'member' });
    const member = { userId: user.id, token: await t.app.login(user.email, TEST_PASSWORD) };
    const a = await folder(admin.token, 'A');
    const b = await folder(admin.token, 'B', a);
    const c = await folder(admin.token, 'C', b);
    const d = (
      (await ok(admin.token, 'mutation ($i: CreateDocumentInput!) { createDocument(input: $i) { document { id } } }', {
        i: { uploadId: (await upload(admin.orgId, admin.userId)).id, folderId: c, title: 'Deep', status: 'PUBLISHED' },
      })) as { createDocument: { document: { id: string } } }
    ).createDocument.document.id;
    const grant = async (input: Record<string, unknown>, token = admin.token) =>
      gql(
        token,
        'mutation ($i: CreateDocumentPermissionInput!) { createDocumentPermission(input: $i) { documentPermission { id } } }',
        {
          i: input,
        },
      );
    return { admin, member, a, b, c, d, grant };
  }

  interface Seen {
    documents: { totalCount: number; edges: { node: { id: string } }[] };
    documentsAggregate: { groups: { key: { status: string }; count: number }[] };
    folders: { totalCount: number };
    a: unknown;
    c: unknown;
    document: unknown;
  }
  /** What the caller sees of the tree and the document, through every kind of read. */
  const sight = async (token: string, s: { a: string; c: string; d: string }) => {
    const data = (await ok(
      token,
      `query ($a: UUID!, $c: UUID!, $d: UUID!) {
        documents(first: 10) { totalCount edges { node { id } } }
        documentsAggregate(groupBy: [STATUS]) { groups { key { status } count } }
        folders(first: 10) { totalCount }
        a: folder(id: $a) { id }
        c: folder(id: $c) { id documents { totalCount } }
        document(id: $d) { id versions { totalCount } }
      }`,
      s,
    )) as Seen;
    return {
      listed: data.documents.edges.map((e) => e.node.id),
      totalCount: data.documents.totalCount,
      published: data.documentsAggregate.groups.find((g) => g.key.status === 'PUBLISHED')?.count ?? 0,
      folders: data.folders.totalCount,
      a: !!data.a,
      c: !!data.c,
      d: !!data.document,
    };
  };

  it('hides a document three levels under a restricted folder from a member without a grant, everywhere, and shows it once granted', async () => {
    const s = await setting();
    const open = { listed: [s.d], totalCount: 1, published: 1, folders: 3, a: true, c: true, d: true };
    expect(await sight(s.member.token, s)).toEqual(open);
    // Restricted: the admins' role only.
    expect((await s.grant({ folderId: s.a, role: 'ADMIN', level: 'MANAGE' })).body.errors).toBeUndefined();
    expect(await sight(s.member.token, s)).toEqual({
      listed: [],
      totalCount: 0,
      published: 0,
      folders: 0,
      a: false,
      c: false,
      d: false,
    });
    // The admin holds documents:manage and sees it all the same.
    expect(await sight(s.admin.token, s)).toEqual(open);
    // A grant on B, nearer than A's, names the member: B, C and D come back, A stays hidden.
    expect((await s.grant({ folderId: s.b, userId: s.member.userId, level: 'VIEW' })).body.errors).toBeUndefined();
    expect(await sight(s.member.token, s)).toEqual({ ...open, folders: 2, a: false });
    // The document's own grants replace its folders': one for the admins hides it again.
    expect((await s.grant({ documentId: s.d, role: 'ADMIN', level: 'VIEW' })).body.errors).toBeUndefined();
    expect(await sight(s.member.token, s)).toEqual({
      ...open,
      listed: [],
      totalCount: 0,
      published: 0,
      folders: 2,
      a: false,
      d: false,
    });
  });

  it('needs EDIT to change a document, MANAGE to delete it or to grant, and documents:manage where no grant decides', async () => {
    const s = await setting();
    const update = (token: string) =>
      gql(token, 'mutation ($i: UpdateDocumentInput!) { updateDocument(input: $i) { document { title } } }', {
        i: { id: s.d, title: `Renamed ${crypto.randomUUID()}` },
      });
    const remove = (token: string) =>
      gql(token, 'mutation ($i: DeleteDocumentInput!) { deleteDocument(input: $i) { document { id } } }', {
        i: { id: s.d },
      });
    // No grants: a member edits with documents:write, but deleting and granting need documents:manage.
    expect((await update(s.member.token)).body.errors).toBeUndefined();
    expect(t.codeOf(await remove(s.member.token))).toBe('FORBIDDEN');
    expect(t.codeOf(await s.grant({ folderId: s.c, userId: s.member.userId, level: 'VIEW' }, s.member.token))).toBe(
      'FORBIDDEN',
    );
    // VIEW on the folder: reads, no edits.
    expect((await s.grant({ folderId: s.b, userId: s.member.userId, level: 'VIEW' })).body.errors).toBeUndefined();
    expect(t.codeOf(await update(s.member.token))).toBe('FORBIDDEN');
    // MANAGE on a nearer folder: edits, deletes, grants.
    expect((await s.grant({ folderId: s.c, userId: s.member.userId, level: 'MANAGE' })).body.errors).toBeUndefined();
    expect((await update(s.member.token)).body.errors).toBeUndefined();
    expect(
      (await s.grant({ documentId: s.d, userId: s.member.userId, level: 'EDIT' }, s.member.token)).body.errors,
    ).toBeUndefined();
    // Now the document's own grant (EDIT) decides: no delete.
    expect(t.codeOf(await remove(s.member.token))).toBe('FORBIDDEN');
    const row = await t.superuser.query('select deleted_at from documents where id = $1', [s.d]);
    expect(row.rows[0].deleted_at).toBeNull();
  });
});
