import { Writable } from 'node:stream';
import pg from 'pg';
import { createLogger } from '../../src/logger';
import { testUrls } from '../support/db';

/** A logger whose lines are kept, parsed. */
function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('logged errors', () => {
  it('keep message, code and stack of a real pg error, never the client it came from', async () => {
    const client = new pg.Client({ connectionString: testUrls.superuser, application_name: 'jest-error-logging' });
    await client.connect();
    const failed = client.query('select 1/0').catch((error: unknown) => error);
    const error = (await failed) as Error & { code: string };
    // What pool.end() and a dropped connection hand over at shutdown: the error and, on it, a client.
    Object.assign(error, { client });
    const { logger, lines } = captureLogs();
    logger.error({ err: error, step: 'database pool' }, 'shutdown step failed');
    await client.end();

    const logged = lines[0]!.err as Record<string, unknown>;
    expect(logged).toEqual({
      type: 'error',
      message: 'division by zero',
      code: '22012',
      stack: expect.stringContaining('division by zero'),
    });
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('connectionParameters');
    expect(text).not.toContain(testUrls.superuser);
    expect(lines[0]).toMatchObject({ step: 'database pool', msg: 'shutdown step failed' });
  });

  it('serialize a cause the same way, and a thrown non-Error without its contents', () => {
    const { logger, lines } = captureLogs();
    const cause = Object.assign(new Error('Connection terminated unexpectedly'), {
      client: { password: 'pw', port: 5432 },
    });
    logger.error({ err: new Error('commit failed', { cause }) }, 'x');
    logger.error({ err: { client: { password: 'pw' }, huge: 'x'.repeat(1000) } }, 'y');
    expect(lines[0]!.err).toEqual({
      type: 'Error',
      message: 'commit failed',
      stack: expect.any(String),
      cause: { type: 'Error', message: 'Connection terminated unexpectedly', stack: expect.any(String) },
    });
    expect(lines[1]!.err).toEqual({ type: 'object', message: 'a non-Error value was thrown' });
  });
});
