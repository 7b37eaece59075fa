import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pg from 'pg';
import pino from 'pino';
import { createLogger } from '../../src/logger';
import { Metrics } from '../../src/http/metrics';
import { observeRequests } from '../../src/http/request-log';

/** The request logger (issue 14 item 7, our own middleware since issue 16) on its own, over a plain express app. */
describe('request logger', () => {
  const lines: Record<string, unknown>[] = [];
  let text = '';
  let server: ReturnType<express.Express['listen']>;
  let url: string;
  const pool = new pg.Pool({ max: 1 }); // never connected: the metrics only need its counters

  beforeAll(async () => {
    const logger = createLogger(
      'debug',
      new Writable({
        write(chunk, _encoding, done) {
          text += String(chunk);
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const observer = observeRequests({ logger, metrics: new Metrics({ app: pool }), graphqlPath: '/graphql' });
    const app = express();
    app.use(observer.middleware);
    app.get('/echo', (req, res) => {
      // A handler that logs the whole request by mistake.
      req.log.warn({ req }, 'whole request');
      res.json({ requestId: res.locals.requestId });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await pool.end();
  });

  it("gives each request an id (the client's when it is a plain token) and a logger bound to it", async () => {
    const given = await fetch(`${url}/echo`, { headers: { 'x-request-id': 'client-id-1' } });
    expect(given.headers.get('x-request-id')).toBe('client-id-1');
    expect(await given.json()).toEqual({ requestId: 'client-id-1' });
    const made = await fetch(`${url}/echo`, { headers: { 'x-request-id': 'not a token' } });
    const id = made.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await made.text();
    expect(lines.filter((l) => l.msg === 'whole request').map((l) => l.requestId)).toEqual(['client-id-1', id]);
  });

  it("keeps the logger's own error serializer for what a request logs", async () => {
    const own: Record<string, unknown>[] = [];
    const logger = pino(
      { serializers: { err: (error: Error) => ({ message: error.message }) } },
      new Writable({
        write(chunk, _encoding, done) {
          own.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const observer = observeRequests({ logger, metrics: new Metrics({ app: pool }), graphqlPath: '/graphql' });
    const app = express();
    app.use(observer.middleware);
    app.get('/fail', (req, res) => {
      req.log.error({ err: new Error('boom') }, 'failed');
      res.status(500).json({});
    });
    const other = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => other.once('listening', resolve));
    try {
      await (await fetch(`http://127.0.0.1:${(other.address() as AddressInfo).port}/fail`)).text();
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
    expect(own.find((l) => l.msg === 'failed')!.err).toEqual({ message: 'boom' });
    expect(own.find((l) => l.msg === 'request')).toMatchObject({ status: 500, outcome: 'error' });
  });

  it('keeps credentials out of a whole request logged through req.log', async () => {
    lines.length = 0;
    await (
      await fetch(`${url}/echo?x=1`, {
        headers: { authorization: 'Bearer secret-token-1', cookie: 'session=secret-cookie-1' },
      })
    ).text();
    const whole = lines.find((l) => l.msg === 'whole request') as { req: { headers: Record<string, string> } };
    expect(whole.req.headers).toMatchObject({ authorization: '[redacted]', cookie: '[redacted]' });
    expect(text).not.toContain('secret-token-1');
    expect(text).not.toContain('secret-cookie-1');
    // The request line itself names no header and no query string.
    const line = lines.find((l) => l.msg === 'request');
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      msg: 'request',
      requestId: expect.any(String),
      method: 'GET',
      path: '/echo',
      status: 200,
      durationMs: expect.any(Number),
      outcome: 'success',
    });
  });
});
