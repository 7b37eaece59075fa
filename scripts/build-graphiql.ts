import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { GRAPHIQL_DIST_DIR, GRAPHIQL_SOURCE_DIR, PROJECT_ROOT } from '../src/paths';

/**
 * Builds the GraphiQL page (graphiql/) into dist/graphiql/: index.html plus content-hashed
 * assets under assets/ (the page, its lazily loaded chunks, the CSS, monaco's font and the three
 * monaco web workers). Everything comes from node_modules: the page loads nothing from
 * anywhere but its own origin.
 *
 * A build is skipped when dist/graphiql/manifest.json records the same inputs (the sources,
 * this script and package-lock.json), so `npm start` and the test setup pay for it only once.
 * A build goes to a scratch folder that replaces the old one at the end, so a server or a
 * concurrent run never sees half a build.
 */

/** What the server needs to know about a build. */
export interface GraphiqlManifest {
  /** Hash of everything the build was made from. */
  inputs: string;
  builtAt: string;
}

/** Served at this path; assets below it under assets/. Keep in step with src/http/graphiql.ts. */
const BASE = '/graphiql';

const WORKERS = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
} as const;

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]))
    .sort();
}

/** A hash of the files the build reads that may change between builds. */
export function graphiqlInputsHash(): string {
  const hash = crypto.createHash('sha256');
  const inputs = [
    ...filesUnder(GRAPHIQL_SOURCE_DIR),
    path.join(PROJECT_ROOT, 'scripts', 'build-graphiql.ts'),
    path.join(PROJECT_ROOT, 'package-lock.json'),
    // session.ts runs the registered web operations by their ids.
    path.join(PROJECT_ROOT, 'schema', 'generated', 'operations', 'graphql.ts'),
  ];
  for (const file of inputs) {
    if (!fs.existsSync(file)) continue;
    hash.update(path.relative(PROJECT_ROOT, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function readManifest(dir: string): GraphiqlManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as GraphiqlManifest;
  } catch {
    return undefined;
  }
}

/** The path of an output below assets/, as the browser asks for it. */
function assetUrl(outdir: string, file: string): string {
  return `${BASE}/assets/${path.relative(outdir, path.resolve(PROJECT_ROOT, file)).split(path.sep).join('/')}`;
}

function page(script: string, styles: string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tenantql GraphiQL</title>
${styles.map((href) => `<link rel="stylesheet" href="${href}">`).join('\n')}
<script type="module" src="${script}"></script>
</head>
<body>
<div id="root"><noscript>GraphiQL needs JavaScript.</noscript></div>
</body>
</html>
`;
}

async function buildInto(dir: string): Promise<void> {
  const assets = path.join(dir, 'assets');
  const common: esbuild.BuildOptions = {
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    minify: true,
    target: 'es2022',
    // Licences stay with the code, in .LEGAL.txt files next to it.
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
    define: { 'process.env.NODE_ENV': '"production"' },
  };

  // Monaco's workers: self-contained scripts started with `new Worker(url)`.
  const workers = await esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(Object.entries(WORKERS).map(([name, file]) => [`${name}.worker`, file])),
    outdir: path.join(assets, 'workers'),
    entryNames: '[name]-[hash]',
    format: 'iife',
  });
  const workerUrls: Record<string, string> = {};
  for (const [file, output] of Object.entries(workers.metafile!.outputs)) {
    const name = Object.keys(WORKERS).find((key) => output.entryPoint?.endsWith(WORKERS[key as keyof typeof WORKERS]));
    if (name) workerUrls[name] = assetUrl(assets, file);
  }
  if (Object.keys(workerUrls).length !== Object.keys(WORKERS).length) throw new Error('a monaco worker was not built');

  const main = await esbuild.build({
    ...common,
    entryPoints: { graphiql: path.join(GRAPHIQL_SOURCE_DIR, 'main.tsx') },
    outdir: assets,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunks/[name]-[hash]',
    assetNames: 'files/[name]-[hash]',
    publicPath: `${BASE}/assets`,
    format: 'esm',
    splitting: true,
    jsx: 'automatic',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
    define: { ...common.define, __MONACO_WORKERS__: JSON.stringify(workerUrls) },
  });
  const outputs = Object.entries(main.metafile!.outputs);
  // Dynamic imports are entry points too; the page's own is main.tsx.
  const entry = outputs.find(
    ([file, output]) => output.entryPoint?.endsWith('graphiql/main.tsx') && file.endsWith('.js'),
  );
  if (!entry) throw new Error('the GraphiQL entry point was not built');
  // The entry's own CSS (graphiql/style.css and ours); CSS split off lazy chunks duplicates it.
  const css = entry[1].cssBundle ? [assetUrl(assets, entry[1].cssBundle)] : [];
  fs.writeFileSync(path.join(dir, 'index.html'), page(assetUrl(assets, entry[0]), css));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Scratch and old folders of builds whose process died before cleaning up. */
function removeLeftovers(dir: string): void {
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return;
  for (const entry of fs.readdirSync(parent)) {
    const pid = new RegExp(`^${path.basename(dir)}\\.(?:tmp|old)-(\\d+)-\\d+$`).exec(entry)?.[1];
    if (pid && !isAlive(Number(pid))) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

/**
 * Builds dist/graphiql/ unless it is already built from the current inputs.
 *
 * @example
 * await buildGraphiql();                // npm run build, the test setup
 * await buildGraphiql({ force: true }); // always
 */
export async function buildGraphiql(
  options: { force?: boolean; outDir?: string } = {},
): Promise<{ built: boolean; dir: string }> {
  const dir = options.outDir ?? GRAPHIQL_DIST_DIR;
  const inputs = graphiqlInputsHash();
  if (!options.force && readManifest(dir)?.inputs === inputs && fs.existsSync(path.join(dir, 'index.html'))) {
    return { built: false, dir };
  }
  removeLeftovers(dir);
  const scratch = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await buildInto(scratch);
    const manifest: GraphiqlManifest = { inputs, builtAt: new Date().toISOString() };
    fs.writeFileSync(path.join(scratch, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // Swap: the old build moves aside (a concurrent build may have just written one), the new one in.
    const old = `${dir}.old-${process.pid}-${Date.now()}`;
    try {
      fs.renameSync(dir, old);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    try {
      fs.renameSync(scratch, dir);
    } catch (error) {
      // A concurrent build got there first: its build of the same inputs is as good as ours.
      if (readManifest(dir)?.inputs !== inputs) throw error;
    }
    fs.rmSync(old, { recursive: true, force: true });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { built: true, dir };
}

if (require.main === module) {
  const force = process.argv.includes('--force');
  const started = Date.now();
  buildGraphiql({ force }).then(
    ({ built, dir }) => {
      console.log(
        built
          ? `built GraphiQL into ${path.relative(PROJECT_ROOT, dir)} in ${Date.now() - started} ms`
          : 'GraphiQL is up to date',
      );
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
