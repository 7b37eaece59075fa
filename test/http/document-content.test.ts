import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { closeTestPools, ownerDb } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { mutateData, uploadFile } from '../support/documents';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import { addMember, createTenant, createUser, TEST_PASSWORD } from '../support/factories';
import type { Database } from '../../src/db/schema';
import { withTenant } from '../../src/db/database';
import { S3BlobStore } from '../../src/blobs';

const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');
const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n%âãÏÓ\n'), crypto.randomBytes(size)]);

let db: Kysely<Database>;

beforeAll(() => {
  db = ownerDb();
});
afterAll(() => closeTestPools());

/**
 * Runs the download tests against an app whose blob store is `store` (the local one by default):
 * the same answers whichever store holds the bytes.
 */
function describeDownloads(name: string, options: { s3?: boolean } = {}) {
  describe(`GET /documents/:id/content (${name})`, () => {
    let app: TestApp;
    let s3: S3TestServer | undefined;

    beforeAll(async () => {
      if (options.s3) {
        s3 = await startS3Server();
        const store = await S3BlobStore.create({ ...s3.settings, allowPrivateEndpoint: true });
        app = await startTestApp({ blobStore: store });
      } else {
        app = await startTestApp();
      }
    });
    afterAll(async () => {
      await app.close();
      await s3?.close();
    });

    const url = (path: string) => new URL(path, app.url).toString();

    const upload = (token: string, bytes: Buffer, name: string) => uploadFile(app, token, bytes, name);
    const mutate = <T>(token: string, query: string, input: Record<string, unknown>) =>
      mutateData<T>(app, token, query, input);

    /** A tenant whose owner has a document of two versions (v1, v2). */
    async function documentOfTwoVersions() {
      const { organization, owner } = await createTenant(db);
      const token = await app.login(owner.email, TEST_PASSWORD);
      const v1 = pdf(30_000);
      const v2 = pdf(20_000);
      const { createDocument } = await mutate<{ createDocument: { document: { id: string } } }>(
        token,
        'mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { document { id } } }',
        { title: 'Report', uploadId: await upload(token, v1, 'Rapport été.pdf') },
      );
      const id = createDocument.document.id;
      await mutate(
        token,
        'mutation ($input: AddDocumentVersionInput!) { addDocumentVersion(input: $input) { version { versionNumber } } }',
        { documentId: id, uploadId: await upload(token, v2, 'Rapport été v2.pdf') },
      );
      return { organization, owner, token, id, v1, v2 };
    }

    const download = (path: string, token: string | undefined, headers: Record<string, string> = {}) =>
      fetch(url(path), { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

    it('streams the current version as an attachment: type, name, nosniff, ETag = checksum, length', async () => {
      const { token, id, v2 } = await documentOfTwoVersions();
      const res = await download(`/documents/${id}/content`, token);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(v2)).toBe(true);
      expect(Object.fromEntries(res.headers)).toMatchObject({
        'content-type': 'application/pdf',
        'content-length': String(v2.length),
        'content-disposition': `attachment; filename="Rapport _t_ v2.pdf"; filename*=UTF-8''Rapport%20%C3%A9t%C3%A9%20v2.pdf`,
        'x-content-type-options': 'nosniff',
        etag: `"${sha256(v2)}"`,
        'accept-ranges': 'bytes',
      });
    });

    it('serves any version with ?version=n, 404 for one that does not exist, 400 for one that is not a number', async () => {
      const { token, id, v1, v2 } = await documentOfTwoVersions();
      const first = await download(`/documents/${id}/content?version=1`, token);
      expect(Buffer.from(await first.arrayBuffer()).equals(v1)).toBe(true);
      expect(first.headers.get('etag')).toBe(`"${sha256(v1)}"`);
      const second = await download(`/documents/${id}/content?version=2`, token);
      expect(Buffer.from(await second.arrayBuffer()).equals(v2)).toBe(true);
      const missing = await download(`/documents/${id}/content?version=3`, token);
      expect(missing.status).toBe(404);
      const bad = await download(`/documents/${id}/content?version=two`, token);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { errors: { extensions: unknown }[] }).errors[0]!.extensions).toEqual({
        code: 'BAD_REQUEST',
        field: 'version',
      });
    });

    it('answers a byte range with 206, a suffix range, 416 past the end, and the whole file for a stale If-Range', async () => {
      const { token, id, v2 } = await documentOfTwoVersions();
      const part = await download(`/documents/${id}/content`, token, { range: 'bytes=100-199' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 100-199/${v2.length}`);
      expect(Buffer.from(await part.arrayBuffer()).equals(v2.subarray(100, 200))).toBe(true);

      const tail = await download(`/documents/${id}/content`, token, { range: 'bytes=-10' });
      expect(Buffer.from(await tail.arrayBuffer()).equals(v2.subarray(v2.length - 10))).toBe(true);

      const past = await download(`/documents/${id}/content`, token, { range: `bytes=${v2.length}-` });
      expect(past.status).toBe(416);
      expect(past.headers.get('content-range')).toBe(`bytes */${v2.length}`);

      const stale = await download(`/documents/${id}/content`, token, { range: 'bytes=0-9', 'if-range': '"old"' });
      expect(stale.status).toBe(200);
      expect((await stale.arrayBuffer()).byteLength).toBe(v2.length);
    });

    it('answers 304 to If-None-Match with its ETag, and HEAD with the headers only', async () => {
      const { token, id, v2 } = await documentOfTwoVersions();
      const cached = await download(`/documents/${id}/content`, token, { 'if-none-match': `"${sha256(v2)}"` });
      expect(cached.status).toBe(304);
      const head = await fetch(url(`/documents/${id}/content`), {
        method: 'HEAD',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(v2.length));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    });

    it("lets RLS decide: another tenant's document, a made-up id and no credential get nothing", async () => {
      const { id } = await documentOfTwoVersions();
      const other = await createTenant(db);
      const otherToken = await app.login(other.owner.email, TEST_PASSWORD);
      expect((await download(`/documents/${id}/content`, otherToken)).status).toBe(404);
      expect((await download(`/documents/${crypto.randomUUID()}/content`, otherToken)).status).toBe(404);
      expect((await download(`/documents/not-an-id/content`, otherToken)).status).toBe(404);
      expect((await download(`/documents/${id}/content`, undefined)).status).toBe(401);
    });

    it('hides a restricted document from a member without a grant (404), and serves it once granted', async () => {
      const { organization, token, id, v2 } = await documentOfTwoVersions();
      const member = await createUser(db);
      await addMember(db, organization.id, member.id, { role: 'member' });
      const memberToken = await app.login(member.email, TEST_PASSWORD);
      expect((await download(`/documents/${id}/content`, memberToken)).status).toBe(200);
      const grant =
        'mutation ($input: CreateDocumentPermissionInput!) { createDocumentPermission(input: $input) { documentPermission { id } } }';
      // Restricted to the owners' role: the member is no longer named by the nearest grant.
      await mutate(token, grant, { documentId: id, role: 'OWNER', level: 'MANAGE' });
      expect((await download(`/documents/${id}/content`, memberToken)).status).toBe(404);
      expect((await download(`/documents/${id}/content?version=1`, memberToken)).status).toBe(404);
      await mutate(token, grant, { documentId: id, userId: member.id, level: 'VIEW' });
      const granted = await download(`/documents/${id}/content`, memberToken);
      expect(granted.status).toBe(200);
      expect(Buffer.from(await granted.arrayBuffer()).equals(v2)).toBe(true);
    });

    it('answers 404, saying so, for a document whose bytes are not in the store (rows made without an upload)', async () => {
      const { organization, owner } = await createTenant(db);
      const token = await app.login(owner.email, TEST_PASSWORD);
      const { id } = await withTenant(db, { organizationId: organization.id, userId: owner.id }, (trx) =>
        trx
          .insertInto('documents')
          .values({
            organization_id: organization.id,
            title: 'No bytes',
            file_name: 'none.txt',
            size: 4,
            mime_type: 'text/plain',
            checksum: sha256(Buffer.from('none')),
          })
          .returning('id')
          .executeTakeFirstOrThrow(),
      );
      const res = await download(`/documents/${id}/content`, token);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { errors: { message: string }[] }).errors[0]!.message).toBe(
        'The content of this document is not in the blob store',
      );
    });

    it('lets an API key download only with documents:read in its own permissions', async () => {
      const { token, id, v2 } = await documentOfTwoVersions();
      const keyWith = async (permissions: string[]) =>
        (
          await mutate<{ createApiKey: { secret: string } }>(
            token,
            'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
            { name: `key ${permissions.join(' ')}`, permissions },
          )
        ).createApiKey.secret;
      const reader = await download(`/documents/${id}/content`, await keyWith(['documents:read']));
      expect(Buffer.from(await reader.arrayBuffer()).equals(v2)).toBe(true);
      const writer = await download(`/documents/${id}/content`, await keyWith(['documents:write']));
      expect(writer.status).toBe(403);
      expect(((await writer.json()) as { errors: { extensions: unknown }[] }).errors[0]!.extensions).toEqual({
        code: 'FORBIDDEN',
        permission: 'documents:read',
      });
    });
  });
}

describeDownloads('local blob store');
describeDownloads('S3 blob store', { s3: true });
