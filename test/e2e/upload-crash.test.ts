import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { freePort } from '../../src/db/embedded';
import { LocalBlobStore } from '../../src/blobs';
import { buildServer, startBuiltServer, type BuiltServer } from '../support/built-server';
import { testUrls } from '../support/db';
import { createScratchDatabase } from '../support/scratch-database';
import { eventually } from '../support/eventually';

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('a server killed in the middle of an upload (SIGKILL)', () => {
  let build: Awaited<ReturnType<typeof buildServer>>;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let owner: pg.Pool;
  let dataDir: string;
  let server: BuiltServer | undefined;

  beforeAll(async () => {
    [build, scratch] = await Promise.all([buildServer('upload-crash'), createScratchDatabase()]);
    owner = new pg.Pool({ connectionString: scratch.ownerUrl, max: 1 });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-upload-crash-'));
  }, 120_000);
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await owner?.end();
    await scratch?.drop();
    build?.remove();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ server: BuiltServer; token: string; base: string }> {
    const started = await startBuiltServer(build.mainJs, {
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      DATABASE_URL: roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name),
      DATABASE_OWNER_URL: scratch.ownerUrl,
      JWT_SECRET: 'an-upload-crash-test-secret-of-enough-length',
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 6).toString('base64')}`,
    });
    const res = await fetch(started.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `mutation { login(input: {email: "${DEMO_USERS.alice}", password: "${DEMO_PASSWORD}"}) { accessToken } }`,
      }),
    });
    const token = ((await res.json()) as { data: { login: { accessToken: string } } }).data.login.accessToken;
    return { server: started, token, base: started.url.replace(/\/graphql$/, '') };
  }

  it('leaves no blob under a final name and no row; the restarted server takes uploads, the cleanup removes the leftover', async () => {
    const first = await start();
    server = first.server;
    const blobs = path.join(dataDir, 'blobs');
    const req = http.request(`${first.base}/uploads?name=cut.bin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/octet-stream' },
    });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(2 * 1024 * 1024, 1));
    // The server is writing the file: kill it there.
    await eventually(() => expect(filesUnder(blobs)).toHaveLength(1), 20_000);
    first.server.child.kill('SIGKILL');
    await first.server.exited;
    req.destroy();

    expect(filesUnder(blobs).filter((file) => !file.startsWith('.tmp'))).toEqual([]);
    expect((await owner.query('select count(*)::int as n from uploads')).rows[0].n).toBe(0);

    const second = await start();
    server = second.server;
    const res = await fetch(`${second.base}/uploads?name=after.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${second.token}` },
      body: 'after the crash',
    });
    expect(res.status).toBe(201);
    second.server.child.kill('SIGTERM');
    await second.server.exited;
    // What the crash left is a temporary file, which the cleanup removes once it is old enough.
    expect(await new LocalBlobStore(blobs).removeTemporaries(new Date(Date.now() + 60_000))).toBe(1);
  }, 120_000);
});
