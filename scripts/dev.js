/* global console, process */
// `npm run dev`: tsc in watch mode compiles into dist/, and `node --watch` restarts the server
// whenever its compiled files change; the JSON logs go through pino-pretty. Ctrl-C stops all.
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const bin = (name) => require.resolve(name, { paths: [ROOT] });

// A first build (when stale), so the server starts from current output.
const first = spawnSync(process.execPath, [path.join(__dirname, 'build-if-stale.js')], { cwd: ROOT, stdio: 'inherit' });
if (first.status !== 0) process.exit(first.status ?? 1);

const children = [];
const start = (args, options) => {
  const child = spawn(process.execPath, args, { cwd: ROOT, ...options });
  children.push(child);
  return child;
};

// Only tsc's errors and its "Watching" summary are of interest.
const tsc = start([bin('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
tsc.stdout.on('data', (chunk) => {
  for (const line of String(chunk).split('\n')) if (/error TS|Found [1-9]\d* error/.test(line)) console.error(line);
});
const server = start(['--watch', '--enable-source-maps', 'dist/src/main.js'], {
  stdio: ['inherit', 'pipe', 'inherit'],
});
const pretty = start([bin('pino-pretty/bin.js'), '--colorize', '--ignore', 'pid,hostname'], {
  stdio: ['pipe', 'inherit', 'inherit'],
});
server.stdout.pipe(pretty.stdin);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.once('exit', stop);
