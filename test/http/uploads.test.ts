import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Kysely } from 'kysely';
import { closeTestPools, ownerDb } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { addMember, createTenant, createUser, TEST_PASSWORD } from '../support/factories';
import { eventually } from '../support/eventually';
import { withTenant } from '../../src/db/database';
import type { Database, PlanTier } from '../../src/db/schema';
import { LocalBlobStore } from '../../src/blobs';

const MB = 1024 * 1024;
// The jest worker runs without --expose-gc: turn it on and take the function from a fresh context.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'),
  crypto.randomBytes(2000),
]);
/** A real 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

interface UploadAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: {
    uploadId?: string;
    checksum?: string;
    size?: number;
    mimeType?: string;
    fileName?: string;
    errors?: { message: string; extensions: { code: string; [key: string]: unknown } }[];
  };
}

let app: TestApp;
let db: Kysely<Database>;
let blobDir: string;
let uploadsUrl: URL;

beforeAll(async () => {
  db = ownerDb();
  blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-upload-test-'));
  app = await startTestApp({ blobStore: new LocalBlobStore(blobDir) });
  uploadsUrl = new URL('/uploads', app.url);
});

afterAll(async () => {
  await app.close();
  await closeTestPools();
  fs.rmSync(blobDir, { recursive: true, force: true });
});

/**
 * Sends `body` to POST /uploads with node's http client: a Buffer with its Content-Length, or an
 * iterable of chunks sent chunked (no length: the server learns the size only by reading). A
 * write that fails because the server answered and closed first is not an error here: the
 * answer is what the test reads.
 */
function upload(
  body: Buffer | Iterable<Buffer>,
  { token, name, headers = {} }: { token?: string; name?: string; headers?: Record<string, string> } = {},
): Promise<UploadAnswer> {
  const url = new URL(uploadsUrl);
  if (name !== undefined) url.searchParams.set('name', name);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(Buffer.isBuffer(body) ? { 'content-length': String(body.length) } : {}),
        ...headers,
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!req.writableEnded || (error as NodeJS.ErrnoException).code === 'EPIPE') return; // answered early
      reject(error);
    });
    if (Buffer.isBuffer(body)) return req.end(body);
    const chunks = body[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        const next = chunks.next();
        if (next.done) return req.end();
        if (req.destroyed) return;
        if (!req.write(next.value)) return req.once('drain', pump);
      }
    };
    pump();
  });
}

/** `total` bytes in 64 KB chunks, made as they are sent. */
function* chunksOf(total: number, fill = 7): Iterable<Buffer> {
  for (let sent = 0; sent < total; sent += 64 * 1024) yield Buffer.alloc(Math.min(64 * 1024, total - sent), fill);
}

async function setPlan(organizationId: string, plan: PlanTier) {
  await withTenant(db, { organizationId, userId: null }, (trx) =>
    trx.updateTable('organizations').set({ plan_tier: plan }).where('id', '=', organizationId).execute(),
  );
}

const uploadsOf = (organizationId: string) =>
  withTenant(db, { organizationId, userId: null }, (trx) =>
    trx.selectFrom('uploads').selectAll().where('organization_id', '=', organizationId).execute(),
  );

/** Every file of the organization in the blob store, and the temporaries of every organization. */
function stored(organizationId: string): { blobs: string[]; temporaries: string[] } {
  const dir = path.join(blobDir, organizationId);
  const blobs = fs.existsSync(dir)
    ? fs.readdirSync(dir).flatMap((prefix) => fs.readdirSync(path.join(dir, prefix)))
    : [];
  const tmp = path.join(blobDir, '.tmp');
  return { blobs, temporaries: fs.existsSync(tmp) ? fs.readdirSync(tmp) : [] };
}

async function signedInTenant(plan: PlanTier = 'trial') {
  const { organization, owner } = await createTenant(db);
  await setPlan(organization.id, plan);
  return { organization, owner, token: await app.login(owner.email, TEST_PASSWORD) };
}

describe('POST /uploads', () => {
  it('streams the file into the store and records one upload row: checksum, size, detected type, name', async () => {
    const { organization, owner, token } = await signedInTenant();
    const res = await upload(PDF, { token, name: 'Q3 report.pdf', headers: { 'content-type': 'text/html' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      uploadId: expect.any(String),
      checksum: sha256(PDF),
      size: PDF.length,
      // From the bytes, not from the Content-Type the client claimed.
      mimeType: 'application/pdf',
      fileName: 'Q3 report.pdf',
    });
    expect(await uploadsOf(organization.id)).toEqual([
      expect.objectContaining({
        organization_id: organization.id,
        id: res.body.uploadId,
        created_by: owner.id,
        api_key_id: null,
        file_name: 'Q3 report.pdf',
        mime_type: 'application/pdf',
        checksum: sha256(PDF),
        used_at: null,
      }),
    ]);
    expect(Number((await uploadsOf(organization.id))[0]!.size)).toBe(PDF.length);
    const file = path.join(blobDir, organization.id, sha256(PDF).slice(0, 2), sha256(PDF));
    expect(fs.readFileSync(file).equals(PDF)).toBe(true);
  });

  it('takes the name from X-File-Name (percent-encoded UTF-8), keeps only its last segment, and needs one', async () => {
    const { token } = await signedInTenant();
    const res = await upload(PNG, { token, headers: { 'x-file-name': encodeURIComponent('../photos/Élève été.png') } });
    expect(res.body).toMatchObject({ fileName: 'Élève été.png', mimeType: 'image/png' });

    const unnamed = await upload(PNG, { token });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.errors![0]!.extensions).toEqual({ code: 'BAD_REQUEST', field: 'name' });
    const control = await upload(PNG, { token, name: 'a\u0007b.png' });
    expect(control.body.errors![0]!.extensions).toEqual({ code: 'BAD_REQUEST', field: 'name' });
  });

  it('answers bytes without a known signature as application/octet-stream', async () => {
    const { token } = await signedInTenant();
    const res = await upload(Buffer.from('name,grade\nAda,A\n'), { token, name: 'grades.csv' });
    expect(res.body.mimeType).toBe('application/octet-stream');
  });

  it('refuses a request without a credential (401) and a bad one (401 invalid_token)', async () => {
    const none = await upload(PDF, { name: 'a.pdf' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
    const bad = await upload(PDF, { name: 'a.pdf', token: 'not-a-token' });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('refuses a member without documents:write (a viewer) with 403 before storing anything', async () => {
    const { organization } = await createTenant(db);
    const viewer = await createUser(db);
    await addMember(db, organization.id, viewer.id, { role: 'viewer' });
    const token = await app.login(viewer.email, TEST_PASSWORD);
    const res = await upload(PDF, { token, name: 'a.pdf' });
    expect(res.status).toBe(403);
    expect(res.body.errors![0]!.extensions).toEqual({ code: 'FORBIDDEN', permission: 'documents:write' });
    expect(stored(organization.id).blobs).toEqual([]);
    expect(await uploadsOf(organization.id)).toEqual([]);
  });

  it('lets an API key upload only with documents:write in its own permissions', async () => {
    const { organization, token } = await signedInTenant();
    const keyWith = async (permissions: string[]) => {
      const res = await app.gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
        'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }',
        { token, variables: { input: { name: `key ${permissions.join(' ')}`, permissions } } },
      );
      if (!res.body.data) throw new Error(JSON.stringify(res.body.errors));
      return res.body.data.createApiKey;
    };
    const writer = await keyWith(['documents:write']);
    const reader = await keyWith(['documents:read']);
    const ok = await upload(PDF, { token: writer.secret, name: 'from-a-partner.pdf' });
    expect(ok.status).toBe(201);
    const refused = await upload(PDF, { token: reader.secret, name: 'from-a-partner.pdf' });
    expect(refused.status).toBe(403);
    expect(await uploadsOf(organization.id)).toEqual([
      expect.objectContaining({ id: ok.body.uploadId, api_key_id: writer.apiKey.id, created_by: null }),
    ]);
  });

  it('stores the same bytes once per organization, and apart for two organizations', async () => {
    const a = await signedInTenant();
    const b = await signedInTenant();
    const bytes = crypto.randomBytes(50_000);
    const [first, again, other] = [
      await upload(bytes, { token: a.token, name: 'one.bin' }),
      await upload(bytes, { token: a.token, name: 'two.bin' }),
      await upload(bytes, { token: b.token, name: 'one.bin' }),
    ];
    expect(new Set([first.body.checksum, again.body.checksum, other.body.checksum])).toEqual(new Set([sha256(bytes)]));
    expect(first.body.uploadId).not.toBe(again.body.uploadId);
    expect(stored(a.organization.id).blobs).toEqual([sha256(bytes)]);
    expect(stored(b.organization.id).blobs).toEqual([sha256(bytes)]);
    expect(await uploadsOf(a.organization.id)).toHaveLength(2);
    expect(await uploadsOf(b.organization.id)).toHaveLength(1);
  });

  it('refuses 11 MB on the starter plan while it streams (413 naming the limit): no blob, no temporary, no row', async () => {
    const { organization, token } = await signedInTenant('starter');
    const res = await upload(chunksOf(11 * MB), { token, name: 'big.bin' });
    expect(res.status).toBe(413);
    expect(res.body.errors![0]).toEqual({
      message: 'The file is over the limit of 10 MB per file on the starter plan',
      extensions: { code: 'PAYLOAD_TOO_LARGE', maxBytes: 10 * MB },
    });
    expect(stored(organization.id)).toEqual({ blobs: [], temporaries: [] });
    expect(await uploadsOf(organization.id)).toEqual([]);
  });

  it('answers 413 to a body one byte over the limit, refused only once the client has sent it all', async () => {
    // The last byte is read with the end of the body: the finished request is already destroyed
    // (Node's autoDestroy) while its client waits for the answer.
    const { organization, token } = await signedInTenant('starter');
    const res = await upload(chunksOf(10 * MB + 1), { token, name: 'over.bin' });
    expect(res.status).toBe(413);
    expect(stored(organization.id)).toEqual({ blobs: [], temporaries: [] });
    expect(await uploadsOf(organization.id)).toEqual([]);
  });

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    const { organization, token } = await signedInTenant('trial');
    const body = Buffer.alloc(10 * MB + 1);
    const res = await upload(body, { token, name: 'big.bin' });
    expect(res.status).toBe(413);
    expect(res.body.errors![0]!.message).toBe('The file is over the limit of 10 MB per file on the trial plan');
    expect(stored(organization.id).blobs).toEqual([]);
  });

  it('takes the limit from the plan: 11 MB is fine on professional, exactly 10 MB on starter', async () => {
    const professional = await signedInTenant('professional');
    expect((await upload(chunksOf(11 * MB), { token: professional.token, name: 'big.bin' })).status).toBe(201);
    const starter = await signedInTenant('starter');
    const exact = await upload(chunksOf(10 * MB), { token: starter.token, name: 'exact.bin' });
    expect(exact.body.size).toBe(10 * MB);
  });

  it('leaves no object under its final name and no row when the client goes away mid-upload', async () => {
    const { organization, token } = await signedInTenant('professional');
    const req = http.request(new URL('?name=cut.bin', uploadsUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    });
    req.on('error', () => undefined);
    for (const chunk of chunksOf(3 * MB, 9)) req.write(chunk);
    // The server is writing the temporary file: cut the connection then.
    await eventually(() => expect(stored(organization.id).temporaries).toHaveLength(1));
    req.destroy();
    await eventually(() => expect(stored(organization.id).temporaries).toEqual([]));
    expect(stored(organization.id).blobs).toEqual([]);
    expect(await uploadsOf(organization.id)).toEqual([]);
    // The server is fine afterwards.
    expect((await upload(PDF, { token, name: 'after.pdf' })).status).toBe(201);
  });

  it('keeps memory flat: while a 96 MB upload streams, live memory grows by a third of it at most', async () => {
    const { token } = await signedInTenant('professional');
    // Live memory (after a full collection), sampled while the upload runs: garbage does not count.
    const live = () => {
      gc();
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    // Warm: the first upload of the process loads file-type and compiles the route's code.
    expect((await upload(PDF, { token, name: 'warm.pdf' })).status).toBe(201);
    const before = live();
    let peak = before;
    // Sampled every 8 MB the client sends: the server has read most of it by then.
    function* sampled(): Iterable<Buffer> {
      let sent = 0;
      for (const chunk of chunksOf(96 * MB, 3)) {
        if ((sent += chunk.length) % (8 * MB) === 0) peak = Math.max(peak, live());
        yield chunk;
      }
    }
    const res = await upload(sampled(), { token, name: 'large.bin' });
    expect(res.status).toBe(201);
    peak = Math.max(peak, live());
    // Buffering the body would hold up to 96 MB at once; streaming holds chunks in flight (client
    // and server share this process: about 10 MB, whatever the size).
    expect((peak - before) / MB).toBeLessThan(32);
  });
});
