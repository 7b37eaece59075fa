import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { roleUrl, ROLES } from '../src/db/bootstrap';
import { freePort } from '../src/db/embedded';
import { hashPassword } from '../src/auth/passwords';
import { PROJECT_ROOT } from '../src/paths';
import {
  fileVerdicts,
  filesTable,
  summarizeFiles,
  round,
  type FileRun,
  type PhysicalLimit,
  type Transfer,
} from './files-report';
import {
  benchMachine,
  benchWorkspace,
  graphql,
  isAlive,
  peakRssReset,
  postgresVersion,
  prepareBenchDatabase,
  rssMb,
  signIn,
  sleep,
  spawnServer,
  tenantqlBenchEnv,
} from './support';

/**
 * `npm run bench:files`: upload and download of 1 MB and 200 MB files through the real HTTP
 * endpoints (`POST /uploads` with a bearer token, `createDocument`, `GET /documents/:id/content`)
 * against the built server as in production, its own embedded PostgreSQL, the local blob store
 * under the run's DATA_DIR (or s3rver in a process of its own with BENCH_FILES_STORE=s3). Beside
 * each transfer, in the same run and on the same file: the physical limit, the slower of
 * `sha256sum` of the file and `cp` of it into DATA_DIR (the file system the store writes to).
 * MB/s, the ratio to that limit and the server's peak RSS (VmHWM, reset before each transfer);
 * medians of BENCH_FILES_RUNS runs. Writes bench/files-results.json (files-results-s3.json for
 * S3) and prints a table; see docs/performance.md, "Files". Linux only (/proc, sha256sum, cp).
 *
 * Env: BENCH_FILES_RUNS (5), BENCH_FILES_SIZES (MB, "1,200"), BENCH_FILES_STORE (local | s3),
 * BENCH_NODE_FLAGS (the server's node flags), BENCH_CPU_PROF=1 (the server writes a --cpu-prof
 * profile to .data/bench-profiles/).
 */

const env = process.env;
const MB = 1024 * 1024;
const RUNS = Math.max(1, Number(env.BENCH_FILES_RUNS || 5));
const SIZES_MB = (env.BENCH_FILES_SIZES || '1,200').split(',').map(Number);
const STORE = env.BENCH_FILES_STORE === 's3' ? 's3' : 'local';
const NODE_FLAGS = (env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const CPU_PROF = env.BENCH_CPU_PROF === '1';
const PASSWORD = 'BenchPass123';
const RESULTS_FILE = path.join(PROJECT_ROOT, 'bench', STORE === 's3' ? 'files-results-s3.json' : 'files-results.json');

const log = (message: string) => process.stderr.write(`[bench:files] ${message}\n`);
const mbPerSecond = (bytes: number, ms: number) => round(bytes / MB / (ms / 1000));

/** Wall milliseconds of a command that must succeed. */
function timed(command: string, args: string[]): number {
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')}: ${result.stderr?.toString() ?? result.error}`);
  return performance.now() - started;
}

/** CPU milliseconds (user + system) a process has used: fields 14 and 15 of /proc/<pid>/stat, in ticks of 10 ms. */
function processCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** `bytes` of random data (nothing compresses, every format detection fails fast), written in 1 MB chunks. */
async function writeRandomFile(file: string, bytes: number): Promise<void> {
  const out = fs.createWriteStream(file);
  for (let written = 0; written < bytes; written += MB) {
    if (!out.write(crypto.randomBytes(Math.min(MB, bytes - written))))
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** New first bytes, so every run uploads content the store does not hold yet (a new blob, not the de-duplicated path). */
function changeHead(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, crypto.randomBytes(32), 0, 32, 0);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The physical limit on this file now: sha256sum of it, and cp of it into `copyDir` (then
 * removed). Also `openssl dgst -sha256`, which uses the CPU's SHA instructions as Node's hashing
 * does (coreutils' sha256sum does not): the stricter limit, min(openssl, cp).
 */
function physicalLimit(file: string, bytes: number, copyDir: string): PhysicalLimit {
  const sha256sumMs = timed('sha256sum', [file]);
  const opensslMs = timed('openssl', ['dgst', '-sha256', file]);
  const copy = path.join(copyDir, `copy-${path.basename(file)}`);
  const copyMs = timed('cp', [file, copy]);
  // What the local store does on top of a copy: flush the file to disk before answering.
  const syncMs = timed('sync', [copy]);
  fs.rmSync(copy);
  const sha256sum = mbPerSecond(bytes, sha256sumMs);
  const cp = mbPerSecond(bytes, copyMs);
  const openssl = mbPerSecond(bytes, opensslMs);
  return {
    sha256sum,
    openssl,
    cp,
    cpAndFsync: mbPerSecond(bytes, copyMs + syncMs),
    limit: Math.min(sha256sum, cp),
    strictLimit: Math.min(openssl, cp),
  };
}

/**
 * The server's peak resident memory while `work` runs: VmHWM, reset before (Linux's clear_refs);
 * where the reset is not allowed, the highest VmRSS sampled every 20 ms.
 */
async function watchMemory(pid: number, work: () => Promise<void>): Promise<number> {
  peakRssReset(pid);
  const after = rssMb(pid);
  // A reset brings VmHWM down to VmRSS: otherwise it is the peak since the process started.
  const resetWorked = after !== null && after.peak <= after.current + 1;
  let sampled = after?.current ?? 0;
  const sample = () => (sampled = Math.max(sampled, rssMb(pid)?.current ?? 0));
  const timer = setInterval(sample, 20);
  try {
    await work();
    sample();
    return resetWorked ? (rssMb(pid)?.peak ?? sampled) : sampled;
  } finally {
    clearInterval(timer);
  }
}

/** One HTTP exchange; the request body (a file) is streamed, never held; the answer is drained as it comes. */
function exchange(
  url: string,
  options: http.RequestOptions,
  body: fs.ReadStream | null,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      let bytes = 0;
      let text = '';
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (text.length < 2000) text += chunk.toString('latin1').slice(0, 2000);
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text }));
      res.once('error', reject);
    });
    req.once('error', reject);
    if (body) pipeline(body, req).catch(reject);
    else req.end();
  });
}

async function transfer(pid: number, bytes: number, run: () => Promise<void>): Promise<Transfer> {
  const cpuBefore = processCpuMs(pid);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const peakRssMb = await watchMemory(pid, run);
  const ms = performance.now() - started;
  const client = process.cpuUsage(clientBefore);
  return {
    ms: round(ms),
    mbPerSecond: mbPerSecond(bytes, ms),
    peakRssMb,
    serverCores: round((processCpuMs(pid) - cpuBefore) / ms, 2),
    clientCores: round((client.user + client.system) / 1000 / ms, 2),
  };
}

/** POST /uploads, then createDocument: the document's id. */
async function upload(url: string, token: string, file: string, bytes: number, name: string) {
  const answer = await exchange(
    `${url}/uploads?name=${encodeURIComponent(name)}`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(bytes),
      },
    },
    fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
  );
  if (answer.status !== 201) throw new Error(`POST /uploads answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  const { uploadId, size } = JSON.parse(answer.text) as { uploadId: string; size: number };
  if (size !== bytes) throw new Error(`POST /uploads stored ${size} bytes of ${bytes}`);
  return uploadId;
}

async function createDocument(url: string, token: string, uploadId: string, title: string): Promise<string> {
  const data = await graphql(
    url,
    token,
    'mutation BenchCreateDocument($input: CreateDocumentInput!) { createDocument(input: $input) { document { id } } }',
    'BenchCreateDocument',
    { input: { uploadId, title } },
  );
  return (data.createDocument as { document: { id: string } }).document.id;
}

async function download(url: string, token: string, documentId: string, bytes: number): Promise<void> {
  const answer = await exchange(
    `${url}/documents/${documentId}/content`,
    { headers: { authorization: `Bearer ${token}` } },
    null,
  );
  if (answer.status !== 200 || answer.bytes !== bytes)
    throw new Error(`GET /documents/:id/content answered ${answer.status} with ${answer.bytes} bytes of ${bytes}`);
}

/** s3rver (a devDependency) as a process of its own, so its work is not the client's; its settings for the server. */
async function startS3rver(dir: string) {
  const port = await freePort();
  const bucket = 'tenantql-bench';
  const child = spawn(
    process.execPath,
    [
      path.join(PROJECT_ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js'),
      ...['-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--configure-bucket', bucket],
    ],
    { stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (
    let tries = 0;
    !(await fetch(endpoint).then(
      () => true,
      () => false,
    ));
    tries++
  ) {
    if (tries > 100 || child.exitCode !== null) throw new Error('s3rver did not start');
    await sleep(100);
  }
  return {
    pid: child.pid!,
    env: {
      BLOB_STORE: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      // s3rver's one account.
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ALLOW_PRIVATE_ENDPOINT: 'true',
    },
    stop: () => {
      if (isAlive(child.pid!)) child.kill('SIGTERM');
    },
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const ws = benchWorkspace('bench-files');
  const loadBefore = os.loadavg();
  let s3: Awaited<ReturnType<typeof startS3rver>> | undefined;
  try {
    log(`starting PostgreSQL in ${path.relative(PROJECT_ROOT, ws.dir)}`);
    const cluster = await ws.startCluster();
    const superuserUrl = cluster.superuserUrl('postgres');
    const passwords = { ownerPassword: 'bench-owner', appPassword: 'bench-app' };
    const database = 'tenantql_bench_files';
    // One enterprise organization (1 GB per file); its owner uploads.
    await prepareBenchDatabase({
      superuserUrl: cluster.superuserUrl,
      database,
      passwords,
      size: { organizations: 1, usersPerOrganization: 1, projectsPerOrganization: 1, tasksPerProject: 1 },
      passwordHash: await hashPassword(PASSWORD),
    });
    const dataDir = path.join(ws.dir, 'data');
    const filesDir = path.join(ws.dir, 'files');
    fs.mkdirSync(dataDir);
    fs.mkdirSync(filesDir);
    if (STORE === 's3') s3 = await startS3rver(path.join(ws.dir, 's3rver'));
    const flags = [...NODE_FLAGS];
    if (CPU_PROF)
      flags.push(
        '--cpu-prof',
        `--cpu-prof-dir=${path.join(PROJECT_ROOT, '.data', 'bench-profiles')}`,
        `--cpu-prof-name=files-${STORE}-${Date.now()}.cpuprofile`,
      );
    const server = await spawnServer(
      'tenantql',
      path.join(PROJECT_ROOT, 'dist', 'src', 'main.js'),
      {
        ...tenantqlBenchEnv({
          databaseUrl: roleUrl(superuserUrl, ROLES.app, passwords.appPassword, database),
          jwtSecret: crypto.randomBytes(48).toString('base64'),
          poolMax: '4',
        }),
        DATA_DIR: dataDir,
        ...s3?.env,
      },
      { flags },
    );
    ws.servers.push(server);
    const pid = server.process.pid!;
    const token = await signIn(server.url, 1, 1, PASSWORD);
    const idleRssMb = rssMb(pid)?.current ?? null;

    const files = new Map<number, string>();
    for (const sizeMb of SIZES_MB) {
      const file = path.join(filesDir, `${sizeMb}mb.bin`);
      await writeRandomFile(file, sizeMb * MB);
      files.set(sizeMb, file);
    }
    // Warm-up: file-type's import, the first statements' plans, the JIT.
    const smallest = Math.min(...SIZES_MB);
    for (let i = 0; i < 3; i++) {
      changeHead(files.get(smallest)!);
      const id = await createDocument(
        server.url,
        token,
        await upload(server.url, token, files.get(smallest)!, smallest * MB, `warm-up-${i}.bin`),
        `Warm-up ${i}`,
      );
      await download(server.url, token, id, smallest * MB);
    }

    const measurements: FileRun[] = [];
    for (let run = 0; run < RUNS; run++) {
      for (const sizeMb of SIZES_MB) {
        const file = files.get(sizeMb)!;
        const bytes = sizeMb * MB;
        changeHead(file);
        const limit = physicalLimit(file, bytes, dataDir);
        let uploadId = '';
        const up = await transfer(pid, bytes, async () => {
          uploadId = await upload(server.url, token, file, bytes, `bench-${sizeMb}mb-${run}.bin`);
        });
        const t0 = performance.now();
        const documentId = await createDocument(server.url, token, uploadId, `Bench ${sizeMb} MB, run ${run + 1}`);
        const createDocumentMs = round(performance.now() - t0);
        const down = await transfer(pid, bytes, () => download(server.url, token, documentId, bytes));
        measurements.push({ sizeMb, run, limit, upload: up, createDocumentMs, download: down });
        log(
          `run ${run + 1}/${RUNS} ${sizeMb} MB: limit ${limit.limit} MB/s (sha256sum ${limit.sha256sum}, openssl ${limit.openssl}, cp ${limit.cp}), ` +
            `upload ${up.mbPerSecond} MB/s (RSS ${up.peakRssMb} MB, server ${up.serverCores} cores, client ${up.clientCores}), ` +
            `download ${down.mbPerSecond} MB/s (RSS ${down.peakRssMb} MB, server ${down.serverCores} cores, client ${down.clientCores})`,
        );
      }
    }
    await server.stop();

    const results = summarizeFiles(measurements, SIZES_MB);
    const targets = fileVerdicts(results);
    const document = {
      measuredAt: new Date().toISOString(),
      machine: {
        ...benchMachine(loadBefore, await postgresVersion(superuserUrl)),
        fileSystem: spawnSync('df', ['--output=fstype,source', dataDir]).stdout.toString().split('\n')[1]?.trim(),
      },
      settings: {
        store: STORE,
        runs: RUNS,
        sizesMb: SIZES_MB,
        mb: `${MB} bytes`,
        nodeFlags: NODE_FLAGS.join(' '),
        client:
          'node:http in the benchmark process, the body streamed from the file (256 KB reads), the answer drained',
        limit: 'the slower of `sha256sum <file>` and `cp <file> DATA_DIR/` (page cache warm), timed in the same run',
        strictLimit: 'the slower of `openssl dgst -sha256 <file>` (SHA instructions, as Node) and the same cp',
        serverIdleRssMb: idleRssMb,
      },
      totalSeconds: Math.round((Date.now() - started) / 1000),
      targets,
      results,
      measurements,
    };
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(document, null, 2) + '\n');
    const { machine } = document;
    process.stdout.write(
      `\n${machine.cores} x ${machine.cpu}, node ${machine.node}, ${STORE} blob store on ${machine.fileSystem}, ` +
        `medians of ${RUNS} runs, MB = 2^20 bytes, server idle RSS ${idleRssMb} MB\n${filesTable(results)}\n\n` +
        Object.entries(targets)
          .map(([target, met]) => `${met ? 'met   ' : 'MISSED'}  ${target}`)
          .join('\n') +
        `\n\nWrote ${path.relative(PROJECT_ROOT, RESULTS_FILE)}\n`,
    );
  } finally {
    s3?.stop();
    await ws.cleanup();
  }
}

main().catch((error) => {
  process.stderr.write(
    `bench:files failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
