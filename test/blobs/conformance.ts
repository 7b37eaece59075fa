import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobNotFoundError, type BlobStore } from '../../src/blobs';
import { PayloadTooLargeError } from '../../src/errors';

/** A store under test and how to fake what a crashed write leaves behind (its temporary file or object). */
export interface BlobStoreFixture {
  store: BlobStore;
  /** Leaves a temporary write, as a process killed mid-upload would, last modified at `modifiedAt` or now. */
  leaveTemporary(): Promise<void>;
  close(): Promise<void>;
}

const MB = 1024 * 1024;
const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');
const org = () => crypto.randomUUID();

/** Deterministic bytes that do not repeat within a part (so a misplaced part changes the checksum). */
function bytesOf(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let state = seed;
  for (let i = 0; i + 4 <= size; i += 4) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out.writeUInt32LE(state, i);
  }
  return out;
}

/** The body as a stream of 64 KB chunks, as a request arrives. */
function streamOf(bytes: Buffer): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= bytes.length) return this.push(null);
      this.push(bytes.subarray(offset, offset + 64 * 1024));
      offset += 64 * 1024;
    },
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function keysOf(store: BlobStore, organizationId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(organizationId)) keys.push(info.key);
  return keys;
}

/**
 * What every blob store must do, run against each implementation (test/blobs/*.test.ts): the
 * local file system and an S3-compatible server. Nothing here knows which store it is given.
 */
export function describeBlobStore(name: string, setup: () => Promise<BlobStoreFixture>): void {
  describe(`${name} blob store (shared conformance suite)`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeAll(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterAll(() => fixture?.close());

    it('stores bytes under their organization and SHA-256, and gives them back', async () => {
      const organizationId = org();
      const bytes = bytesOf(300_000);
      const blob = await store.put(organizationId, streamOf(bytes), { maxBytes: MB });
      expect(blob).toEqual({
        key: `${organizationId}/${sha256(bytes)}`,
        checksum: sha256(bytes),
        size: bytes.length,
        created: true,
      });
      expect((await readAll(await store.get(blob.key))).equals(bytes)).toBe(true);
      expect(await store.head(blob.key)).toMatchObject({ key: blob.key, size: bytes.length });
      expect(await keysOf(store, organizationId)).toEqual([blob.key]);
      const organizations: string[] = [];
      for await (const id of store.organizations()) organizations.push(id);
      expect(organizations).toContain(organizationId);
    });

    it('stores the same bytes once per organization, and apart for each organization', async () => {
      const [a, b] = [org(), org()];
      const bytes = bytesOf(10_000, 7);
      const first = await store.put(a, streamOf(bytes), { maxBytes: MB });
      const again = await store.put(a, streamOf(bytes), { maxBytes: MB });
      const other = await store.put(b, streamOf(bytes), { maxBytes: MB });
      expect(again).toEqual({ ...first, created: false });
      expect(other).toMatchObject({ key: `${b}/${first.checksum}`, created: true });
      expect(await keysOf(store, a)).toEqual([first.key]);
      // One tenant's delete never touches the other's copy.
      await store.delete(first.key);
      expect(await store.head(first.key)).toBeNull();
      expect((await readAll(await store.get(other.key))).equals(bytes)).toBe(true);
    });

    it('stores an empty file and a file of exactly the limit', async () => {
      const organizationId = org();
      const empty = await store.put(organizationId, streamOf(Buffer.alloc(0)), { maxBytes: 10 });
      expect(empty).toMatchObject({ checksum: sha256(Buffer.alloc(0)), size: 0 });
      expect((await readAll(await store.get(empty.key))).length).toBe(0);
      const exact = bytesOf(1000, 3);
      expect(await store.put(organizationId, streamOf(exact), { maxBytes: 1000 })).toMatchObject({ size: 1000 });
    });

    it('streams a file of several multipart parts (20 MB) and keeps every byte in order', async () => {
      const organizationId = org();
      const bytes = bytesOf(20 * MB + 12_345, 11);
      const blob = await store.put(organizationId, streamOf(bytes), { maxBytes: 30 * MB });
      expect(blob).toMatchObject({ checksum: sha256(bytes), size: bytes.length });
      expect(sha256(await readAll(await store.get(blob.key)))).toBe(sha256(bytes));
    });

    it('reads a byte range (both ends included, as HTTP ranges)', async () => {
      const bytes = bytesOf(5000, 5);
      const blob = await store.put(org(), streamOf(bytes), { maxBytes: MB });
      expect(
        (await readAll(await store.get(blob.key, { start: 100, end: 199 }))).equals(bytes.subarray(100, 200)),
      ).toBe(true);
      expect((await readAll(await store.get(blob.key, { start: 4999, end: 4999 }))).equals(bytes.subarray(4999))).toBe(
        true,
      );
    });

    it('answers a missing blob with BlobNotFoundError (get) and null (head); deleting it twice is fine', async () => {
      const key = `${org()}/${sha256(Buffer.from('never stored'))}`;
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.head(key)).toBeNull();
      await store.delete(key);
      await store.delete(key);
    });

    it('refuses keys that are not an organization id and a SHA-256 (nothing else reaches a path or a bucket key)', async () => {
      for (const key of [
        '../../etc/passwd',
        `${org()}/../x`,
        `${org()}/${'A'.repeat(64)}`,
        `not-a-uuid/${'a'.repeat(64)}`,
      ]) {
        await expect(store.get(key)).rejects.toThrow(/not a/);
      }
      await expect(store.put('../escape', streamOf(Buffer.from('x')), { maxBytes: 10 })).rejects.toThrow(/not a/);
    });

    it('stops reading at the limit, while streaming: PayloadTooLargeError, nothing stored, no temporary left', async () => {
      const organizationId = org();
      const limit = 2 * MB;
      let produced = 0;
      // An endless body: the store must give up on it, not read it to its end.
      const endless = new Readable({
        read() {
          produced += 64 * 1024;
          this.push(Buffer.alloc(64 * 1024, 1));
        },
      });
      await expect(store.put(organizationId, endless, { maxBytes: limit })).rejects.toBeInstanceOf(
        PayloadTooLargeError,
      );
      expect(produced).toBeLessThan(limit + 2 * MB);
      expect(await keysOf(store, organizationId)).toEqual([]);
      expect(await store.removeTemporaries(new Date(Date.now() + 60_000))).toBe(0);
    });

    it('leaves nothing when the body fails midway (a client gone, 12 MB in): not under the final name, no temporary', async () => {
      const organizationId = org();
      let sent = 0;
      const failing = new Readable({
        read() {
          sent += 1;
          if (sent === 200) this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
          else this.push(bytesOf(64 * 1024, sent));
        },
      });
      await expect(store.put(organizationId, failing, { maxBytes: 100 * MB })).rejects.toThrow('aborted');
      expect(await keysOf(store, organizationId)).toEqual([]);
      expect(await store.removeTemporaries(new Date(Date.now() + 60_000))).toBe(0);
    });

    it('removes temporaries an interrupted process left, once they are older than the cut-off', async () => {
      await fixture.leaveTemporary();
      expect(await store.removeTemporaries(new Date(Date.now() - 60_000))).toBe(0);
      expect(await store.removeTemporaries(new Date(Date.now() + 60_000))).toBe(1);
      expect(await store.removeTemporaries(new Date(Date.now() + 60_000))).toBe(0);
    });
  });
}
