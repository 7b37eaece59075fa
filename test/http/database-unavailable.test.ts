import crypto from 'node:crypto';
import { createPool } from '../../src/db/database';
import { ViewerDocument } from '../../schema/generated/operations/graphql';
import { closeTestPools } from '../support/db';
import { freePort } from '../../src/db/embedded';
import { startTestApp, type TestApp } from '../support/app';

/** A server whose database cannot be reached answers SERVICE_UNAVAILABLE, without details. */
describe('a database that cannot be reached', () => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    const closed = `postgres://tenantql_app:x@127.0.0.1:${await freePort()}/tenantql`;
    app = await startTestApp({
      pool: createPool(closed, { max: 2, applicationName: 'jest-unreachable' }),
      standalonePool: createPool(closed, { max: 1, applicationName: 'jest-unreachable' }),
    });
    ({ token } = await app.tokens.issueAccessToken({
      userId: crypto.randomUUID(),
      organizationId: crypto.randomUUID(),
      sessionId: crypto.randomUUID(),
    }));
  });
  afterAll(async () => {
    await app.close();
    await app.pool.end();
    await closeTestPools();
  });

  const expectUnavailable = (text: string) => {
    const body = JSON.parse(text) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]).toMatchObject({
      message: 'The database is unavailable just now; retry shortly',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|tenantql_app|\bat /);
  };

  it('answers 503 when the request is refused before execution (a signed-in document of its own)', async () => {
    const res = await app.post(JSON.stringify({ query: '{ viewer { user { email } } }' }), {
      authorization: `Bearer ${token}`,
    });
    expect(res.status).toBe(503);
    expectUnavailable(res.text);
  });

  it('answers the field with SERVICE_UNAVAILABLE when execution finds it gone', async () => {
    const documentId = (ViewerDocument as unknown as { __meta__: { hash: string } }).__meta__.hash;
    const res = await app.post(JSON.stringify({ documentId }), { authorization: `Bearer ${token}` });
    expectUnavailable(res.text);
  });
});
