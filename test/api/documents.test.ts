import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { describeResource, type Tenant, type Suite } from '../support/describe-resource';
import { resourceRules } from '../support/resource-rules';
import { addMember, createProject, createUser, insertUpload, TEST_PASSWORD } from '../support/factories';
import { testPool } from '../support/db';
import { withTenant } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import { documents } from '../../src/modules/documents/documents';
import { documentVersions } from '../../src/modules/documents/document-versions';

/** An upload of `userId`'s, as POST /uploads writes it (the bytes are in no blob store here). */
async function upload(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  content: string = crypto.randomUUID(),
  fileName = 'notes.txt',
) {
  return withTenant(db, { organizationId, userId }, (trx) =>
    insertUpload(trx, organizationId, {
      file_name: fileName,
      size: Buffer.byteLength(content),
      checksum: crypto.createHash('sha256').update(content).digest('hex'),
    }),
  );
}

const ADD_VERSION = `mutation ($i: AddDocumentVersionInput!) {
  addDocumentVersion(input: $i) { deduplicated version { id versionNumber checksum } document { id currentVersion checksum fileName } }
}`;

/** One folder and one project per tenant, every new document in both: Folder.documents and Project.documents list them. */
const parentsOf = new Map<string, Promise<Record<string, string>>>();
const parents = (tenant: Tenant, suite: Suite) => {
  if (!parentsOf.has(tenant.id))
    parentsOf.set(
      tenant.id,
      withTenant(suite.db, { organizationId: tenant.id, userId: tenant.admin.userId }, async (trx) => {
        const folder = await trx
          .insertInto('folders')
          .values({ organization_id: tenant.id, name: 'Shelf' })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { folder: folder.id };
      }).then(async (found) => ({
        ...found,
        project: (await createProject(suite.db, tenant.id, tenant.admin.userId)).id,
      })),
    );
  return parentsOf.get(tenant.id)!;
};

describeResource(documents, {
  parents: (tenant, _n, suite) => parents(tenant, suite),
  inputs: async (tenant, _n, suite) => ({ uploadId: (await upload(suite.db, tenant.id, tenant.admin.userId)).id }),
  updates: { metadata: (n) => ({ metadata: { n } }) },
});

// Versions are made by addDocumentVersion, several of one document (so its list pages).
const documentOf = new Map<string, string>();
async function versionOf(tenant: Tenant, _n: number, suite: Suite): Promise<string> {
  let documentId = documentOf.get(tenant.id);
  if (!documentId) {
    const first = await upload(suite.db, tenant.id, tenant.admin.userId);
    const res = await suite.app.gql(
      'mutation ($i: CreateDocumentInput!) { createDocument(input: $i) { document { id } } }',
      { token: tenant.admin.token, variables: { i: { uploadId: first.id, title: 'Versioned' } } },
    );
    documentId = (res.body.data as { createDocument: { document: { id: string } } }).createDocument.document.id;
    documentOf.set(tenant.id, documentId);
  }
  const next = await upload(suite.db, tenant.id, tenant.admin.userId);
  const res = await suite.app.gql(ADD_VERSION, {
    token: tenant.admin.token,
    variables: { i: { documentId, uploadId: next.id, changeSummary: 'Next' } },
  });
  expect(res.body.errors).toBeUndefined();
  return (res.body.data as { addDocumentVersion: { version: { id: string } } }).addDocumentVersion.version.id;
}
describeResource(documentVersions, { create: versionOf });

// The rules the database keeps for documents and versions, through the API and under concurrency.
describe('documents: the rules', () => {
  const t = resourceRules(documents);
  type Doc = { id: string; fileName: string; size: number; mimeType: string; checksum: string; currentVersion: number };
  const DOC = 'id fileName size mimeType checksum currentVersion';
  const addVersion = async (token: string, documentId: string, uploadId: string) =>
    t.app.gql(ADD_VERSION, { token, variables: { i: { documentId, uploadId } } });
  const versions = async (documentId: string) =>
    (
      await t.superuser.query<{ version_number: number; checksum: string }>(
        'select version_number, checksum from document_versions where document_id = $1 order by version_number',
        [documentId],
      )
    ).rows;
  const count = async (table: string, orgId: string) =>
    Number(
      (await t.superuser.query(`select count(*) as n from ${table} where organization_id = $1`, [orgId])).rows[0].n,
    );

  it('createDocument takes the file from the upload, writes version 1 and uses the upload up', async () => {
    const { orgId, userId, token } = await t.tenant('member');
    const file = await upload(t.db, orgId, userId, 'hello world', 'hello.txt');
    const doc = t.nodeOf<Doc>(await t.create(token, { uploadId: file.id, title: 'Hello' }, DOC));
    expect(doc).toEqual({
      id: doc.id,
      fileName: 'hello.txt',
      size: 11,
      mimeType: 'text/plain',
      checksum: file.checksum,
      currentVersion: 1,
    });
    expect(await versions(doc.id)).toEqual([{ version_number: 1, checksum: file.checksum }]);
    const used = await t.superuser.query('select used_at from uploads where id = $1', [file.id]);
    expect(used.rows[0].used_at).not.toBeNull();
    // Used once: a second document from it is NOT_FOUND, and nothing is written.
    const again = await t.create(token, { uploadId: file.id, title: 'Again' });
    expect([t.codeOf(again), t.fieldOf(again)]).toEqual(['NOT_FOUND', 'uploadId']);
    expect(await count('documents', orgId)).toBe(1);
  });

  it('answers NOT_FOUND naming uploadId for a made-up, another tenant’s, another member’s or a day-old upload, and writes nothing', async () => {
    const mine = await t.tenant('member');
    const other = await t.tenant('member');
    const theirs = await upload(t.db, other.orgId, other.userId);
    // Another member of the same organization.
    const someone = await createUser(t.db);
    await addMember(t.db, mine.orgId, someone.id);
    const notMine = await upload(t.db, mine.orgId, someone.id);
    const old = await upload(t.db, mine.orgId, mine.userId);
    await t.superuser.query(`update uploads set created_at = now() - interval '25 hours' where id = $1`, [old.id]);
    const documentId = t.nodeOf<Doc>(
      await t.create(mine.token, { uploadId: (await upload(t.db, mine.orgId, mine.userId)).id, title: 'Mine' }),
    ).id;
    const written = () =>
      t.superuser.query(
        `select (select count(*) from documents where organization_id = $1) as d,
                (select count(*) from document_versions where organization_id = $1) as v,
                (select count(*) from uploads where used_at is not null and organization_id in ($1, $2)) as u`,
        [mine.orgId, other.orgId],
      );
    const before = await written();
    for (const uploadId of [crypto.randomUUID(), theirs.id, notMine.id, old.id]) {
      const created = await t.create(mine.token, { uploadId, title: 'Nope' });
      expect([uploadId, t.codeOf(created), t.fieldOf(created), created.body.errors?.[0]?.message]).toEqual([
        uploadId,
        'NOT_FOUND',
        'uploadId',
        'Upload was not found',
      ]);
      const added = await addVersion(mine.token, documentId, uploadId);
      expect([uploadId, t.codeOf(added), t.fieldOf(added)]).toEqual([uploadId, 'NOT_FOUND', 'uploadId']);
    }
    expect((await written()).rows).toEqual(before.rows);
  });

  it('numbers 20 concurrent versions of one document 2 to 21, without gaps or repeats', async () => {
    const { orgId, userId, token } = await t.tenant('member');
    const doc = t.nodeOf<Doc>(
      await t.create(token, { uploadId: (await upload(t.db, orgId, userId)).id, title: 'Busy' }, DOC),
    );
    const uploads = await Promise.all(Array.from({ length: 20 }, () => upload(t.db, orgId, userId)));
    const results = await Promise.all(uploads.map((u) => addVersion(token, doc.id, u.id)));
    for (const r of results) expect(r.body.errors).toBeUndefined();
    const numbers = results.map(
      (r) =>
        (r.body.data as { addDocumentVersion: { version: { versionNumber: number } } }).addDocumentVersion.version
          .versionNumber,
    );
    expect([...numbers].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    const rows = await versions(doc.id);
    expect(rows.map((r) => r.version_number)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    const current = await t.superuser.query('select current_version, checksum from documents where id = $1', [doc.id]);
    expect(current.rows[0]).toEqual({ current_version: 21, checksum: rows[20]!.checksum });
  });

  it('adds nothing for the current version’s file again (deduplicated), but a new version for other bytes or another name', async () => {
    const { orgId, userId, token } = await t.tenant('member');
    const first = await upload(t.db, orgId, userId, 'same bytes', 'a.txt');
    const doc = t.nodeOf<Doc>(await t.create(token, { uploadId: first.id, title: 'Dedup' }, DOC));
    const same = await addVersion(token, doc.id, (await upload(t.db, orgId, userId, 'same bytes', 'a.txt')).id);
    expect(same.body.data).toEqual({
      addDocumentVersion: {
        deduplicated: true,
        version: { id: expect.any(String), versionNumber: 1, checksum: first.checksum },
        document: { id: doc.id, currentVersion: 1, checksum: first.checksum, fileName: 'a.txt' },
      },
    });
    expect(await versions(doc.id)).toHaveLength(1);
    const renamed = await addVersion(token, doc.id, (await upload(t.db, orgId, userId, 'same bytes', 'b.txt')).id);
    expect(
      (renamed.body.data as { addDocumentVersion: { deduplicated: boolean } }).addDocumentVersion.deduplicated,
    ).toBe(false);
    const changed = await addVersion(token, doc.id, (await upload(t.db, orgId, userId, 'other bytes', 'b.txt')).id);
    expect(
      (changed.body.data as { addDocumentVersion: { deduplicated: boolean } }).addDocumentVersion.deduplicated,
    ).toBe(false);
    expect((await versions(doc.id)).map((v) => v.version_number)).toEqual([1, 2, 3]);
  });

  it('counts storage once per distinct content: organization.storageUsage', async () => {
    const { orgId, userId, token } = await t.tenant('member');
    const usage = async () =>
      (
        (await t.app.gql('{ organization { storageUsage { bytes documents versions } } }', { token })).body.data as {
          organization: { storageUsage: unknown };
        }
      ).organization.storageUsage;
    expect(await usage()).toEqual({ bytes: 0, documents: 0, versions: 0 });
    const make = async (content: string, fileName: string) =>
      t.nodeOf<Doc>(
        await t.create(
          token,
          { uploadId: (await upload(t.db, orgId, userId, content, fileName)).id, title: fileName },
          DOC,
        ),
      );
    const a = await make('twelve bytes', 'a.txt');
    // The same bytes in another document: stored once, counted once.
    await make('twelve bytes', 'b.txt');
    await addVersion(token, a.id, (await upload(t.db, orgId, userId, 'seventeen bytes!!', 'a.txt')).id);
    expect(await usage()).toEqual({ bytes: 12 + 17, documents: 2, versions: 3 });
  });

  it('hides the documents of a private project from a member who is not in it, as its tasks are', async () => {
    const { orgId, userId, token } = await t.tenant('admin');
    const outsider = await createUser(t.db);
    await addMember(t.db, orgId, outsider.id, { role: 'member' });
    const outsiderToken = await t.app.login(outsider.email, TEST_PASSWORD);
    const project = await createProject(t.db, orgId, userId, { visibility: 'private' });
    const doc = t.nodeOf<Doc>(
      await t.create(token, {
        uploadId: (await upload(t.db, orgId, userId)).id,
        title: 'Secret',
        projectId: project.id,
      }),
    );
    const seen = async (who: string) =>
      (
        (await t.app.gql(`{ documents { totalCount } document(id: "${doc.id}") { id } }`, { token: who })).body
          .data as {
          documents: { totalCount: number };
          document: unknown;
        }
      ).documents.totalCount;
    expect(await seen(token)).toBe(1);
    expect(await seen(outsiderToken)).toBe(0);
  });

  it('keeps versions immutable and a document’s file columns its current version’s, whatever the app role tries', async () => {
    const { orgId, userId, token } = await t.tenant('member');
    const doc = t.nodeOf<Doc>(
      await t.create(token, { uploadId: (await upload(t.db, orgId, userId)).id, title: 'Fixed' }, DOC),
    );
    const app = testPool('app', 1);
    const asApp = async (statement: string) => {
      const client = await app.connect();
      try {
        await client.query('begin');
        await client.query(
          "select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true)",
          [orgId, userId],
        );
        await client.query(statement, [doc.id]);
        return null;
      } catch (error) {
        return (error as { code?: string }).code;
      } finally {
        await client.query('rollback');
        client.release();
      }
    };
    // 42501: insufficient privilege.
    expect(await asApp(`update document_versions set checksum = repeat('0', 64) where document_id = $1`)).toBe('42501');
    expect(await asApp('delete from document_versions where document_id = $1')).toBe('42501');
    expect(await asApp(`update documents set checksum = repeat('0', 64) where id = $1`)).toBe('42501');
    expect(await asApp('update documents set current_version = 7 where id = $1')).toBe('42501');
    // Nobody changes a version, not even a role without row-level security.
    await expect(
      t.superuser.query(`update document_versions set change_summary = 'rewritten' where document_id = $1`, [doc.id]),
    ).rejects.toThrow(/never changes/);
  });
});
