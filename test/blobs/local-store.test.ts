import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { LocalBlobStore } from '../../src/blobs';
import { describeBlobStore } from './conformance';

let root: string;

describeBlobStore('local file system', async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-blob-test-'));
  const store = new LocalBlobStore(root);
  return {
    store,
    async leaveTemporary() {
      fs.mkdirSync(path.join(root, '.tmp'), { recursive: true });
      fs.writeFileSync(path.join(root, '.tmp', `${crypto.randomUUID()}.part`), 'half a file');
    },
    async close() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
});

describe('local blob store on disk', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-blob-disk-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a temporary file while the body streams, and nothing under the final name until it is complete', async () => {
    const store = new LocalBlobStore(dir);
    const organizationId = crypto.randomUUID();
    const bytes = crypto.randomBytes(256 * 1024);
    const checksum = crypto.createHash('sha256').update(bytes).digest('hex');
    const final = path.join(dir, organizationId, checksum.slice(0, 2), checksum);
    let seenWhileStreaming: { temporaries: number; final: boolean } | undefined;
    let offset = 0;
    const body = new Readable({
      read() {
        if (offset === 128 * 1024 && !seenWhileStreaming) {
          // Halfway: the bytes so far are in .tmp, the content address does not exist yet.
          setTimeout(() => {
            seenWhileStreaming = {
              temporaries: fs.readdirSync(path.join(dir, '.tmp')).length,
              final: fs.existsSync(final),
            };
            this.push(bytes.subarray(offset, (offset += 64 * 1024)));
          }, 20);
          return;
        }
        if (offset >= bytes.length) return this.push(null);
        this.push(bytes.subarray(offset, (offset += 64 * 1024)));
      },
    });
    await store.put(organizationId, body, { maxBytes: bytes.length });
    expect(seenWhileStreaming).toEqual({ temporaries: 1, final: false });
    expect(fs.readFileSync(final).equals(bytes)).toBe(true);
    expect(fs.readdirSync(path.join(dir, '.tmp'))).toEqual([]);
    // Files are the server's alone.
    expect(fs.statSync(final).mode & 0o077).toBe(0);
  });

  it('keeps the stored file when the same bytes come again, and refreshes its time for the cleanup', async () => {
    const store = new LocalBlobStore(dir);
    const organizationId = crypto.randomUUID();
    const bytes = Buffer.from('the same bytes twice');
    const first = await store.put(organizationId, Readable.from([bytes]), { maxBytes: 100 });
    const file = path.join(dir, organizationId, first.checksum.slice(0, 2), first.checksum);
    const inode = fs.statSync(file).ino;
    const past = new Date(Date.now() - 3 * 86_400_000);
    fs.utimesSync(file, past, past);
    await store.put(organizationId, Readable.from([bytes]), { maxBytes: 100 });
    expect(fs.statSync(file).ino).toBe(inode);
    expect(fs.statSync(file).mtime.getTime()).toBeGreaterThan(past.getTime() + 86_400_000);
  });
});
