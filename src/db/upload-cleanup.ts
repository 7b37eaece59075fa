import { sql, type Kysely } from 'kysely';
import type { BlobStore } from '../blobs';
import type { Database } from './schema';
import { withTenant } from './database';

/** How long an upload waits to be used by createDocument or addDocumentVersion before the cleanup removes it. */
export const UPLOAD_LIFETIME_HOURS = 24;

/** Blobs are checked against the database in batches of this many checksums. */
const BATCH = 500;

export interface UploadCleanupReport {
  organizations: number;
  /** Upload rows never used within UPLOAD_LIFETIME_HOURS. */
  uploads: number;
  /** Blobs no upload and no document version refers to (older than the lifetime, so no upload in flight). */
  blobs: number;
  /** Temporary files or objects that interrupted writes left, older than the lifetime. */
  temporaries: number;
}

/**
 * Removes what uploads left behind: upload rows never used within a day, the blobs nothing refers
 * to any more (no upload row, no document version), and the temporaries of interrupted writes.
 *
 * Runs as the owner, one organization at a time with its tenant set (`withTenant`): the tenant
 * isolation policies apply as they do to a request, and nothing reaches around them. The app
 * role's rules for a person (document permissions, private projects) do not apply to the owner,
 * and must not here: a job acts for nobody, and the app role acting for nobody sees none of a
 * restricted document's versions, so it would collect bytes still in use. The organizations are
 * those the blob store holds files of (every upload row has its blob: it is stored before the row
 * is written).
 *
 * A blob is collected only when it was last written more than a day ago: an upload whose bytes
 * are stored but whose row is not committed yet is always younger than that, and storing bytes
 * again refreshes the time (both stores). Between checking a blob and deleting it, a new upload
 * of the very same bytes could still commit its row: the time is read once more just before the
 * delete, which leaves a window of one round trip to the store.
 *
 * @example
 * const report = await cleanupUploads(ownerDb, blobStore); // `npm run db:cleanup-uploads`
 */
export async function cleanupUploads(
  db: Kysely<Database>,
  store: BlobStore,
  { lifetimeHours = UPLOAD_LIFETIME_HOURS, now = new Date() }: { lifetimeHours?: number; now?: Date } = {},
): Promise<UploadCleanupReport> {
  const cutOff = new Date(now.getTime() - lifetimeHours * 3_600_000);
  const report: UploadCleanupReport = { organizations: 0, uploads: 0, blobs: 0, temporaries: 0 };
  for await (const organizationId of store.organizations()) {
    report.organizations++;
    report.uploads += await withTenant(db, { organizationId, userId: null }, async (trx) => {
      const removed = await trx
        .deleteFrom('uploads')
        .where('used_at', 'is', null)
        .where('created_at', '<', cutOff)
        .executeTakeFirst();
      return Number(removed.numDeletedRows);
    });
    let batch: string[] = [];
    const sweep = async () => {
      const unused = await unreferenced(db, organizationId, batch);
      batch = [];
      for (const checksum of unused) {
        const key = `${organizationId}/${checksum}`;
        const info = await store.head(key);
        if (info && info.modifiedAt < cutOff) {
          await store.delete(key);
          report.blobs++;
        }
      }
    };
    for await (const blob of store.list(organizationId)) {
      if (blob.modifiedAt >= cutOff) continue;
      batch.push(blob.key.slice(organizationId.length + 1));
      if (batch.length >= BATCH) await sweep();
    }
    if (batch.length) await sweep();
  }
  report.temporaries = await store.removeTemporaries(cutOff);
  return report;
}

/** The checksums of `checksums` that no upload and no document version of the organization refers to. */
async function unreferenced(db: Kysely<Database>, organizationId: string, checksums: string[]): Promise<string[]> {
  return withTenant(db, { organizationId, userId: null }, async (trx) => {
    const { rows } = await sql<{ checksum: string }>`
      select c.checksum from unnest(${checksums}::text[]) as c (checksum)
       where not exists (select 1 from uploads u where u.organization_id = ${organizationId} and u.checksum = c.checksum)
         and not exists (select 1 from document_versions v where v.organization_id = ${organizationId} and v.checksum = c.checksum)`.execute(
      trx,
    );
    return rows.map((row) => row.checksum);
  });
}
