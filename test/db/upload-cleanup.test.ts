import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { closeTestPools, ownerDb } from '../support/db';
import { createTenant } from '../support/factories';
import { withTenant } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import { LocalBlobStore } from '../../src/blobs';
import { cleanupUploads } from '../../src/db/upload-cleanup';

const DAY = 86_400_000;

let owner: Kysely<Database>;
let dir: string;
let store: LocalBlobStore;

beforeAll(() => {
  owner = ownerDb();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-cleanup-'));
  store = new LocalBlobStore(dir);
});

afterAll(async () => {
  await closeTestPools();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Stores `text` for the organization, as if written `ageMs` ago. */
async function blob(organizationId: string, text: string, ageMs: number) {
  const stored = await store.put(organizationId, Readable.from([Buffer.from(text)]), { maxBytes: 1000 });
  const file = path.join(dir, organizationId, stored.checksum.slice(0, 2), stored.checksum);
  const then = new Date(Date.now() - ageMs);
  fs.utimesSync(file, then, then);
  return stored;
}

/** An upload row of the blob, created `ageMs` ago, used or not. */
async function uploadRow(organizationId: string, checksum: string, ageMs: number, used = false) {
  return withTenant(owner, { organizationId, userId: null }, (trx) =>
    trx
      .insertInto('uploads')
      .values({
        organization_id: organizationId,
        file_name: 'file.bin',
        mime_type: 'application/octet-stream',
        size: 4,
        checksum,
        created_at: new Date(Date.now() - ageMs),
        used_at: used ? new Date() : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
}

const idsOf = (organizationId: string) =>
  withTenant(owner, { organizationId, userId: null }, (trx) =>
    trx.selectFrom('uploads').select('id').orderBy('id').execute(),
  ).then((rows) => rows.map((row) => row.id).sort());

describe('npm run db:cleanup-uploads (cleanupUploads)', () => {
  it('keeps a blob a document version refers to, with no upload left, even when its document is restricted', async () => {
    const { organization, owner: user } = await createTenant(owner);
    const kept = await blob(organization.id, 'a version of a document', 2 * DAY);
    await withTenant(owner, { organizationId: organization.id, userId: user.id }, async (trx) => {
      const document = await trx
        .insertInto('documents')
        .values({
          organization_id: organization.id,
          title: 'Kept',
          file_name: 'kept.txt',
          size: 23,
          mime_type: 'text/plain',
          checksum: kept.checksum,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      // Restricted to its owner: a job acting for nobody is not named by the grant.
      await trx
        .insertInto('document_permissions')
        .values({ organization_id: organization.id, document_id: document.id, user_id: user.id, level: 'manage' })
        .execute();
    });
    await cleanupUploads(owner, store);
    expect(await store.head(kept.key)).not.toBeNull();
  });

  it('removes uploads unused for a day and the blobs nothing refers to, tenant by tenant', async () => {
    const { organization: a } = await createTenant(owner);
    const { organization: b } = await createTenant(owner);
    const stale = await blob(a.id, 'stale', 2 * DAY);
    const staleRow = await uploadRow(a.id, stale.checksum, 2 * DAY);
    const fresh = await blob(a.id, 'fresh', 2 * DAY);
    const freshRow = await uploadRow(a.id, fresh.checksum, 60_000);
    const used = await blob(a.id, 'used', 2 * DAY);
    const usedRow = await uploadRow(a.id, used.checksum, 2 * DAY, true);
    const orphan = await blob(a.id, 'orphan', 2 * DAY);
    // Stored a minute ago, its row not written yet (an upload in flight): kept.
    const inFlight = await blob(a.id, 'in flight', 60_000);
    // The same bytes as A's stale upload, used in B: B's copy is B's.
    const other = await blob(b.id, 'stale', 2 * DAY);
    const otherRow = await uploadRow(b.id, other.checksum, 2 * DAY, true);
    fs.mkdirSync(path.join(dir, '.tmp'), { recursive: true });
    const leftover = path.join(dir, '.tmp', 'crashed.part');
    fs.writeFileSync(leftover, 'half');
    fs.utimesSync(leftover, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));

    const report = await cleanupUploads(owner, store);

    expect(report).toMatchObject({ uploads: 1, blobs: 2, temporaries: 1 });
    expect(report.organizations).toBeGreaterThanOrEqual(2);
    expect(await idsOf(a.id)).toEqual([freshRow.id, usedRow.id].sort());
    expect(await idsOf(b.id)).toEqual([otherRow.id]);
    expect(await store.head(stale.key)).toBeNull();
    expect(await store.head(orphan.key)).toBeNull();
    for (const kept of [fresh, used, inFlight, other]) expect(await store.head(kept.key)).not.toBeNull();
    expect(fs.existsSync(leftover)).toBe(false);
    expect(staleRow.id).toBeDefined();

    // Nothing left to do the second time.
    expect(await cleanupUploads(owner, store)).toMatchObject({ uploads: 0, blobs: 0, temporaries: 0 });
  });
});
