import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/paths';

const run = promisify(execFile);

/**
 * Compiles the server with tsc into a folder of the calling test file's own (under .data/), so
 * test files running at the same time never read each other's half-written output. The code
 * finds the project root (policies, schema, node_modules) by walking up from there.
 */
export async function buildServer(name: string): Promise<{ mainJs: string; remove(): void }> {
  const outDir = path.join(PROJECT_ROOT, '.data', `${name}-build-${process.pid}`);
  await run(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
    { cwd: PROJECT_ROOT },
  );
  return {
    mainJs: path.join(outDir, 'src', 'main.js'),
    remove: () => fs.rmSync(outDir, { recursive: true, force: true }),
  };
}

export interface BuiltServer {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** The JSON log lines written so far, parsed. */
  logs(): Record<string, unknown>[];
  exited: Promise<number | null>;
}

/**
 * Starts the built server as `npm start` does and waits until it says where it serves; `node`
 * and `cwd` run it with another Node.js binary or from another folder (an installed image).
 */
export async function startBuiltServer(
  mainJs: string,
  env: Record<string, string>,
  options: { node?: string; cwd?: string } = {},
): Promise<BuiltServer> {
  const child = spawn(options.node ?? process.execPath, [mainJs], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${out}\n${err}`)), 60_000);
    const check = () => {
      const match = /serving GraphQL at (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
  };
}
