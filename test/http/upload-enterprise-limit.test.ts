import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Kysely } from 'kysely';
import { closeTestPools, ownerDb } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { createTenant, TEST_PASSWORD } from '../support/factories';
import { withTenant } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import { FILE_SIZE_LIMITS, LocalBlobStore } from '../../src/blobs';

/**
 * The enterprise limit for real (its own file, so jest runs it beside the others): a file of
 * exactly FILE_SIZE_LIMITS.enterprise (1 GiB) goes through POST /uploads, one byte more is refused
 * while it streams, and the process's live memory stays flat through both. The bytes are made as
 * they are sent, and the blob directory (2 GiB written) is removed at the end.
 */
const LIMIT = FILE_SIZE_LIMITS.enterprise;
const MB = 1024 * 1024;
/** One chunk, sent again and again (never changed, so reusing it is safe while a write is queued). */
const CHUNK = Buffer.alloc(MB, 0x5a);
/** Live memory sampled every this many bytes sent. */
const SAMPLE_EVERY = 256 * MB;
/**
 * Growth of live memory allowed while a gigabyte streams: chunks in flight on both sides of the
 * connection (client and server share this process) take a few megabytes; buffering would take
 * the gigabyte.
 */
const FLAT = 32 * MB;

// The jest worker runs without --expose-gc: turn it on and take the function from a fresh context.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Live memory after a full collection (heap and the buffers outside it): garbage does not count. */
const live = () => {
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

let app: TestApp;
let db: Kysely<Database>;
let blobDir: string;

beforeAll(async () => {
  db = ownerDb();
  blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-enterprise-limit-'));
  app = await startTestApp({ blobStore: new LocalBlobStore(blobDir) });
});

afterAll(async () => {
  await app.close();
  await closeTestPools();
  fs.rmSync(blobDir, { recursive: true, force: true });
});

interface Streamed {
  status: number;
  body: { size?: number; checksum?: string; errors?: { message: string; extensions: Record<string, unknown> }[] };
  /** The highest live memory sampled while the body was sent, and after the answer. */
  peak: number;
}

/**
 * POSTs `total` bytes to /uploads chunked (no Content-Length: the server learns the size only by
 * reading), made lazily from CHUNK, sampling live memory as it goes. A write failing because the
 * server answered and closed first is not an error: the answer is what the test reads.
 */
function streamUpload(token: string, total: number): Promise<Streamed> {
  let peak = live();
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/uploads?name=huge.bin', app.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        peak = Math.max(peak, live());
        resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()), peak });
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!req.writableEnded || (error as NodeJS.ErrnoException).code === 'EPIPE') return; // answered early
      reject(error);
    });
    let sent = 0;
    const pump = () => {
      while (sent < total && !req.destroyed) {
        const chunk = total - sent >= CHUNK.length ? CHUNK : CHUNK.subarray(0, total - sent);
        sent += chunk.length;
        if (sent % SAMPLE_EVERY === 0) peak = Math.max(peak, live());
        if (!req.write(chunk)) return req.once('drain', pump);
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

/** The organization's blobs and every temporary file of the store. */
function stored(organizationId: string): { blobs: string[]; temporaries: string[] } {
  const dir = path.join(blobDir, organizationId);
  const blobs = fs.existsSync(dir)
    ? fs.readdirSync(dir).flatMap((prefix) => fs.readdirSync(path.join(dir, prefix)).map((f) => path.join(prefix, f)))
    : [];
  const tmp = path.join(blobDir, '.tmp');
  return { blobs, temporaries: fs.existsSync(tmp) ? fs.readdirSync(tmp) : [] };
}

const uploadsOf = (organizationId: string) =>
  withTenant(db, { organizationId, userId: null }, (trx) =>
    trx
      .selectFrom('uploads')
      .select(['size', 'checksum'])
      .where('organization_id', '=', organizationId)
      .orderBy('created_at')
      .execute(),
  );

describe(`POST /uploads on the enterprise plan (${LIMIT / MB} MB per file)`, () => {
  it('refuses one byte over the limit while it streams, then takes exactly the limit; live memory stays flat', async () => {
    const { organization, owner } = await createTenant(db);
    await withTenant(db, { organizationId: organization.id, userId: null }, (trx) =>
      trx.updateTable('organizations').set({ plan_tier: 'enterprise' }).where('id', '=', organization.id).execute(),
    );
    const token = await app.login(owner.email, TEST_PASSWORD);
    // Warm: the first upload of the process loads file-type and compiles the route's code.
    expect((await streamUpload(token, 1000)).status).toBe(201);
    const warm = await uploadsOf(organization.id);
    const before = live();

    const over = await streamUpload(token, LIMIT + 1);
    expect(over.status).toBe(413);
    expect(over.body.errors![0]).toEqual({
      message: 'The file is over the limit of 1 GB per file on the enterprise plan',
      extensions: { code: 'PAYLOAD_TOO_LARGE', maxBytes: LIMIT },
    });
    // Nothing kept: no blob but the warm-up's, no temporary, no row.
    expect(stored(organization.id).blobs).toHaveLength(1);
    expect(stored(organization.id).temporaries).toEqual([]);
    expect(await uploadsOf(organization.id)).toEqual(warm);

    const exact = await streamUpload(token, LIMIT);
    expect(exact.status).toBe(201);
    expect(exact.body.size).toBe(LIMIT);
    const { checksum } = exact.body;
    const blob = path.join(blobDir, organization.id, checksum!.slice(0, 2), checksum!);
    expect(fs.statSync(blob).size).toBe(LIMIT);
    expect(stored(organization.id).temporaries).toEqual([]);
    expect(await uploadsOf(organization.id)).toEqual([...warm, { size: String(LIMIT), checksum }]);
    fs.rmSync(blob); // a gigabyte less on the disk at once

    // Buffering either body would hold up to a gigabyte at once; streaming holds chunks in flight.
    expect((Math.max(over.peak, exact.peak) - before) / MB).toBeLessThan(FLAT / MB);
  }, 120_000);
});
