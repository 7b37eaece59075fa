import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  assertOrganizationId,
  BlobNotFoundError,
  blobKey,
  HashingMeter,
  isOrganizationId,
  parseBlobKey,
} from './blob-store';
import type { BlobInfo, BlobRange, BlobStore, StoredBlob } from './blob-store';

/** Temporary files live in the same tree (the same file system), so moving one into place is an atomic rename. */
const TEMPORARY_DIR = '.tmp';

/**
 * Blobs as files under `root` (DATA_DIR/blobs by default): `<organization>/<first two hex
 * digits>/<sha256>`, the two digits keeping directories small. A write goes to
 * `.tmp/<random>` while it is hashed and counted, is flushed to disk (fsync), and only then
 * renamed to its content address, whose directory is flushed too: a crash at any point leaves
 * either no file under the final name or the complete one, never half of it. Bytes the
 * organization already holds are kept as they are (the new copy is dropped).
 *
 * @example
 * const store = new LocalBlobStore(path.join(dataDir, 'blobs'));
 * const { key } = await store.put(organizationId, fs.createReadStream('report.pdf'), { maxBytes });
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local';

  constructor(readonly root: string) {}

  async put(organizationId: string, body: Readable, { maxBytes }: { maxBytes: number }): Promise<StoredBlob> {
    assertOrganizationId(organizationId);
    const temporaryDir = path.join(this.root, TEMPORARY_DIR);
    await fs.promises.mkdir(temporaryDir, { recursive: true, mode: 0o700 });
    const temporary = path.join(temporaryDir, `${crypto.randomUUID()}.part`);
    const meter = new HashingMeter(maxBytes);
    try {
      // `flush`: the file's data is fsync'ed before the stream reports it finished.
      await pipeline(body, meter, fs.createWriteStream(temporary, { flags: 'wx', mode: 0o600, flush: true }));
      const { checksum, size } = meter.result();
      const key = blobKey(organizationId, checksum);
      const final = this.pathOf(key);
      const existing = await fs.promises.stat(final).catch(() => null);
      if (existing) {
        // Same bytes, same name: keep the stored file; its new mtime tells the cleanup it is in use again.
        const now = new Date();
        await fs.promises.utimes(final, now, now);
        await fs.promises.rm(temporary, { force: true });
        return { key, checksum, size, created: false };
      }
      await fs.promises.mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
      await fs.promises.rename(temporary, final);
      await syncDirectory(path.dirname(final));
      return { key, checksum, size, created: true };
    } catch (error) {
      await fs.promises.rm(temporary, { force: true });
      throw error;
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    const file = this.pathOf(key);
    // Opened before it is returned, so a missing file is an answer here, not a stream error later.
    const handle = await fs.promises.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new BlobNotFoundError(key) : error;
    });
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async head(key: string): Promise<BlobInfo | null> {
    const stats = await fs.promises.stat(this.pathOf(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    return stats && { key, size: stats.size, modifiedAt: stats.mtime };
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }

  async *organizations(): AsyncIterable<string> {
    for (const name of (await fs.promises.readdir(this.root).catch(() => [] as string[])).sort()) {
      if (isOrganizationId(name)) yield name;
    }
  }

  async *list(organizationId: string): AsyncIterable<BlobInfo> {
    const dir = path.join(this.root, assertOrganizationId(organizationId));
    const fanOut = await fs.promises.readdir(dir).catch(() => [] as string[]);
    for (const prefix of fanOut.sort()) {
      for (const checksum of (await fs.promises.readdir(path.join(dir, prefix)).catch(() => [] as string[])).sort()) {
        const key = `${organizationId}/${checksum}`;
        const info = await this.head(key).catch(() => null);
        if (info) yield info;
      }
    }
  }

  async removeTemporaries(before: Date): Promise<number> {
    const dir = path.join(this.root, TEMPORARY_DIR);
    let removed = 0;
    for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, name);
      const stats = await fs.promises.stat(file).catch(() => null);
      if (stats && stats.mtime < before) {
        await fs.promises.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}

  /** Only a valid key becomes a path (parseBlobKey), so nothing can point outside `root`. */
  private pathOf(key: string): string {
    const { organizationId, checksum } = parseBlobKey(key);
    return path.join(this.root, organizationId, checksum.slice(0, 2), checksum);
  }
}

/** A rename is durable once its directory is flushed too (POSIX); not every platform can open a directory. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // EISDIR/EINVAL where directories cannot be flushed: the file's own data is already on disk.
  } finally {
    await handle.close();
  }
}
