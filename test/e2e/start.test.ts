import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { PROJECT_ROOT } from '../../src/paths';
import { testUrls } from '../support/db';
import { createScratchDatabase } from '../support/scratch-database';
import { freePort } from '../../src/db/embedded';
import { startBuiltServer, type BuiltServer } from '../support/built-server';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';

const run = promisify(execFile);

/** Starts the built server the way `npm start` does (dist/, built in beforeAll). */
const startServer = (env: Record<string, string>) => startBuiltServer('dist/src/main.js', env);

/** SIGTERM, then the exit code. */
async function stop(server: BuiltServer): Promise<number | null> {
  server.child.kill('SIGTERM');
  return server.exited;
}

async function signIn(url: string, email: string): Promise<{ token: string; orgId: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `mutation { login(input: {email: "${email}", password: "${DEMO_PASSWORD}"}) { accessToken organization { id } } }`,
    }),
  });
  const body = (await res.json()) as { data?: { login: { accessToken: string; organization: { id: string } } } };
  if (!body.data) throw new Error(JSON.stringify(body));
  return { token: body.data.login.accessToken, orgId: body.data.login.organization.id };
}

async function memberEmails(url: string, token: string): Promise<string[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ organization { members { edges { node { user { email } } } } } }' }),
  });
  const body = (await res.json()) as {
    data: { organization: { members: { edges: { node: { user: { email: string } } }[] } } };
  };
  return body.data.organization.members.edges.map((e) => e.node.user.email);
}

const portIsClosed = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('npm start (the built server)', () => {
  const dataDir = path.join(PROJECT_ROOT, '.data', `e2e-${process.pid}`);

  beforeAll(async () => {
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: PROJECT_ROOT,
    });
  }, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts an embedded PostgreSQL, migrates, loads the demo data once, reuses it, and stops cleanly', async () => {
    const env = {
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    };
    const first = await startServer(env);
    const initialising = (server: BuiltServer) =>
      server
        .logs()
        .filter((line) =>
          /^(initialising the embedded PostgreSQL cluster in .* \(first start only; this takes a few seconds\)|embedded PostgreSQL cluster initialised in [\d.]+ s; starting it)$/.test(
            String(line.msg),
          ),
        );
    let token: string;
    let orgId: string;
    try {
      // initdb takes seconds: the first start says what is happening.
      expect(initialising(first)).toHaveLength(2);
      expect(first.stdout()).toContain('Demo data loaded.');
      expect(first.stdout()).toContain(DEMO_USERS.alice);
      ({ token, orgId } = await signIn(first.url, DEMO_USERS.alice));
      expect(await memberEmails(first.url, token)).toEqual([DEMO_USERS.alice, DEMO_USERS.carol, DEMO_USERS.dave]);
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(await portIsClosed(Number(env.EMBEDDED_PG_PORT))).toBe(true);
    const secrets = fs.statSync(path.join(dataDir, 'secrets.json'));
    expect(secrets.mode & 0o077).toBe(0);

    const second = await startServer(env);
    try {
      expect(second.stdout()).not.toContain('Demo data loaded.');
      expect(initialising(second)).toHaveLength(0);
      // Same data (same organization) and same signing key (the old token still works).
      expect(await memberEmails(second.url, token)).toEqual([DEMO_USERS.alice, DEMO_USERS.carol, DEMO_USERS.dave]);
      expect((await signIn(second.url, DEMO_USERS.alice)).orgId).toBe(orgId);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 120_000);

  it('uses DATABASE_URL and DATABASE_OWNER_URL instead, starting no embedded PostgreSQL', async () => {
    const scratch = await createScratchDatabase();
    const unusedDataDir = path.join(dataDir, 'never-created');
    try {
      const server = await startServer({
        DATA_DIR: unusedDataDir,
        PORT: String(await freePort()),
        DATABASE_URL: roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name),
        DATABASE_OWNER_URL: scratch.ownerUrl,
        JWT_SECRET: 'an-operator-supplied-secret-of-enough-length',
        ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      });
      try {
        const { token } = await signIn(server.url, DEMO_USERS.bob);
        expect(await memberEmails(server.url, token)).toEqual([DEMO_USERS.bob, DEMO_USERS.carol]);
      } finally {
        expect(await stop(server)).toBe(0);
      }
      expect(fs.existsSync(unusedDataDir)).toBe(false);
    } finally {
      await scratch.drop();
    }
  }, 120_000);

  it('refuses to start with a clear message when configuration is missing', async () => {
    const base = { PATH: process.env.PATH ?? '' };
    const production = await run(process.execPath, ['dist/src/main.js'], {
      cwd: PROJECT_ROOT,
      env: { ...base, NODE_ENV: 'production' },
    }).catch((e) => e);
    expect(production.code).toBe(1);
    expect(production.stderr).toContain(
      'Configuration error: 1 invalid environment variable:\n  DATABASE_URL is required',
    );
    // Every invalid variable at once, without a stack.
    const several = await run(process.execPath, ['dist/src/main.js'], {
      cwd: PROJECT_ROOT,
      env: { ...base, PORT: 'eighty', SEED_DEMO: 'maybe', LOG_LEVEL: 'loud' },
    }).catch((e) => e);
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(
      /^Configuration error: 3 invalid environment variables:\n {2}PORT .*\n {2}SEED_DEMO .*\n {2}LOG_LEVEL .*\n$/,
    );
    const noSecret = await run(process.execPath, ['dist/src/main.js'], {
      cwd: PROJECT_ROOT,
      env: { ...base, DATABASE_URL: 'postgres://x@127.0.0.1:1/x' },
    }).catch((e) => e);
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toContain('JWT_SECRET is required');
    expect(noSecret.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('db:migrate migrates and rolls back, and fails loudly naming a failing migration', async () => {
    const scratch = await createScratchDatabase();
    const env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: scratch.ownerUrl,
      DATABASE_OWNER_URL: scratch.ownerUrl,
      JWT_SECRET: 'x'.repeat(40),
    };
    try {
      const migrated = await run(process.execPath, ['dist/scripts/db.js', 'migrate'], { cwd: PROJECT_ROOT, env });
      expect(migrated.stdout).toMatch(/up 2026_11_21_0001_tenancy/);
      const noKeys = await run(process.execPath, ['dist/scripts/db.js', 'rotate-keys'], {
        cwd: PROJECT_ROOT,
        env,
      }).catch((e) => e);
      expect(noKeys.code).toBe(1);
      expect(noKeys.stderr).toContain('ENCRYPTION_KEYS is required');
      const rotated = await run(process.execPath, ['dist/scripts/db.js', 'rotate-keys'], {
        cwd: PROJECT_ROOT,
        env: { ...env, ENCRYPTION_KEYS: `k9:${Buffer.alloc(32, 9).toString('base64')}` },
      });
      expect(rotated.stdout).toContain('users.phone_number: 0 value(s) re-encrypted under key k9');
      const rolledBack = await run(process.execPath, ['dist/scripts/db.js', 'rollback', '--all'], {
        cwd: PROJECT_ROOT,
        env,
      });
      expect(rolledBack.stdout).toMatch(/down 2026_11_21_0001_tenancy/);

      const client = new (await import('pg')).default.Client({ connectionString: scratch.ownerUrl });
      await client.connect();
      await client.query('create schema app');
      await client.end();
      const failed = await run(process.execPath, ['dist/scripts/db.js', 'migrate'], { cwd: PROJECT_ROOT, env }).catch(
        (e) => e,
      );
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('Migration failed: 2026_11_21_0001_tenancy (up)');
    } finally {
      await scratch.drop();
    }
  }, 60_000);
});
