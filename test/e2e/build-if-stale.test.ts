import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/paths';

const run = promisify(execFile);

/**
 * scripts/build-if-stale.js decides whether `npm start` (and db:*, examples, bench) compiles
 * first. It is tried on a copy of itself in a project of its own: a source, a built dist/ and the
 * stamp a build leaves, and no node_modules (so no TypeScript: a production install).
 */
describe('npm start builds only when dist/ is missing or stale', () => {
  let root: string;
  const script = () => path.join(root, 'scripts', 'build-if-stale.js');
  const at = (seconds: number) => new Date(Date.now() + seconds * 1000);
  // The script's own copy, loaded as npm would run it (CommonJS).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const state = () => (require(script()) as { buildState(): string }).buildState();

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-stale-'));
    fs.mkdirSync(path.join(root, 'scripts'));
    fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts', 'build-if-stale.js'), script());
    fs.mkdirSync(path.join(root, 'src'));
    fs.writeFileSync(path.join(root, 'src', 'main.ts'), 'export {};\n');
    fs.writeFileSync(path.join(root, 'package.json'), '{}\n');
    fs.mkdirSync(path.join(root, 'dist', 'src'), { recursive: true });
    fs.writeFileSync(path.join(root, 'dist', 'src', 'main.js'), '');
    fs.writeFileSync(path.join(root, 'dist', '.build-stamp'), '');
    // Sources an hour old, the build a minute old.
    for (const file of [script(), path.join(root, 'src', 'main.ts'), path.join(root, 'package.json')])
      fs.utimesSync(file, at(-3600), at(-3600));
    fs.utimesSync(path.join(root, 'dist', '.build-stamp'), at(-60), at(-60));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('is current after a build, stale once a source (or the configuration) changes, missing without a build', () => {
    expect(state()).toBe('current');
    fs.utimesSync(path.join(root, 'src', 'main.ts'), at(0), at(0));
    expect(state()).toBe('stale');
    fs.utimesSync(path.join(root, 'src', 'main.ts'), at(-3600), at(-3600));
    expect(state()).toBe('current');
    fs.mkdirSync(path.join(root, 'graphiql'));
    fs.writeFileSync(path.join(root, 'tsconfig.build.json'), '{}\n');
    expect(state()).toBe('stale');
    fs.rmSync(path.join(root, 'tsconfig.build.json'));
    fs.rmSync(path.join(root, 'dist', '.build-stamp'));
    expect(state()).toBe('missing');
  });

  it('ignores what it does not build from (node_modules, .data)', () => {
    for (const dir of ['node_modules/x', '.data', 'src/node_modules']) {
      fs.mkdirSync(path.join(root, dir), { recursive: true });
      fs.writeFileSync(path.join(root, dir, 'index.js'), '');
    }
    expect(state()).toBe('current');
  });

  it('without TypeScript (npm ci --omit=dev) runs the dist/ it has, stale or not, and never tries to compile', async () => {
    fs.utimesSync(path.join(root, 'src', 'main.ts'), at(0), at(0));
    const stale = await run(process.execPath, [script()], { cwd: root });
    expect(stale.stderr).toContain('TypeScript is not installed (a production install): running dist/ as it is');
    // An image has no sources at all: nothing to say.
    fs.rmSync(path.join(root, 'src'), { recursive: true });
    expect((await run(process.execPath, [script()], { cwd: root })).stderr).toBe('');

    fs.rmSync(path.join(root, 'dist'), { recursive: true });
    const missing = await run(process.execPath, [script()], { cwd: root }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(missing?.code).toBe(1);
    expect(missing?.stderr).toContain('dist/ is missing and TypeScript is not installed');
  });

  it('is what npm start, db:*, the example and the benchmarks run first (npm run build always builds)', () => {
    const scripts = (
      JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.start).toBe('node scripts/build-if-stale.js && node --enable-source-maps dist/src/main.js');
    expect(scripts.build).toBe('node scripts/build-if-stale.js --force');
    for (const [name, command] of Object.entries(scripts)) {
      if (command.includes('dist/'))
        expect([name, /^node scripts\/build-if-stale\.js( --[a-z-]+)? && /.test(command)]).toEqual([name, true]);
    }
  });
});
