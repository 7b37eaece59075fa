/* global console, process */
// Builds dist/ when it is missing or older than its sources, so `npm start`, `db:*`, the
// examples and the benchmarks run the built output without recompiling every time. Plain
// JavaScript: it runs before anything is compiled. `--force` always builds (`npm run build`).
// `--allow-type-errors` (`npm run codegen`) goes on when tsc wrote the JavaScript despite type
// errors: a new resource's table is not in `Database` until codegen writes its row type.
// A production install (no TypeScript: `npm ci --omit=dev`) runs the dist/ it has, never tsc.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
/** What dist/ is built from. */
const SOURCES = [
  'src',
  'db',
  'scripts',
  'examples',
  'bench',
  'graphiql',
  'schema',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
/** Written when a build succeeds, with the time the build STARTED: a file saved during it is newer. */
const STAMP = path.join(ROOT, 'dist', '.build-stamp');

/** The newest modification time of the TypeScript and configuration sources (0 when none: an installed image). */
function newestSource() {
  let newest = 0;
  const visit = (file) => {
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      if (path.basename(file) === 'node_modules') return;
      for (const entry of fs.readdirSync(file)) visit(path.join(file, entry));
    } else if (/\.(ts|tsx|js|mjs|cjs|json|css|html)$/.test(file)) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const source of SOURCES) visit(path.join(ROOT, source));
  return newest;
}

/** 'missing', 'stale' or 'current'. */
function buildState() {
  if (!fs.existsSync(MAIN) || !fs.existsSync(STAMP)) return 'missing';
  return newestSource() > fs.statSync(STAMP).mtimeMs ? 'stale' : 'current';
}

function typescriptInstalled() {
  try {
    return require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  } catch {
    return undefined;
  }
}

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function build(tsc, allowTypeErrors) {
  const started = new Date();
  const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  // tsc exits with 2 when it found type errors and wrote the JavaScript anyway.
  const typeErrors = compiled.status === 2 && allowTypeErrors;
  if (compiled.status !== 0 && !typeErrors) process.exit(compiled.status ?? 1);
  run([path.join('dist', 'scripts', 'build-graphiql.js')]);
  if (typeErrors) {
    // No stamp: the next build checks the types again.
    console.error('Type errors above: going on (codegen may write what they miss); run npm run typecheck after it.');
    return;
  }
  fs.writeFileSync(STAMP, `${started.toISOString()}\n`);
  fs.utimesSync(STAMP, started, started);
}

function main() {
  const force = process.argv.includes('--force');
  const state = force ? 'forced' : buildState();
  if (state === 'current') return;
  const tsc = typescriptInstalled();
  if (!tsc) {
    if (fs.existsSync(MAIN) && !force) {
      // Production install: dist/ is what was shipped.
      if (state === 'stale')
        console.error(
          'dist/ is older than the sources, and TypeScript is not installed (a production install): running dist/ as it is.',
        );
      return;
    }
    console.error(
      'dist/ is missing and TypeScript is not installed (a production install without dev dependencies): build on a machine with them (npm ci && npm run build) and ship dist/.',
    );
    process.exit(1);
  }
  if (state !== 'forced')
    console.error(
      state === 'missing'
        ? 'Building dist/ (first run)...'
        : 'Sources changed since the last build: rebuilding dist/...',
    );
  build(tsc, process.argv.includes('--allow-type-errors'));
}

if (require.main === module) main();
module.exports = { buildState, newestSource };
