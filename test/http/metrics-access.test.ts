import pino from 'pino';
import { loadConfig } from '../../src/config';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { freePort } from '../../src/db/embedded';
import { startServer } from '../../src/server';
import { testUrls } from '../support/db';
import { createScratchDatabase } from '../support/scratch-database';
import { startTestApp, type TestApp } from '../support/app';

const metricsOf = (app: TestApp, headers: Record<string, string> = {}) =>
  fetch(app.url.replace(/\/graphql$/, '/metrics'), { headers });

describe('who may read GET /metrics', () => {
  it('in production nobody, without METRICS_TOKEN or METRICS_PORT (they name operations and show load)', async () => {
    const app = await startTestApp({ production: true });
    try {
      const res = await metricsOf(app);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('tenantql_');
    } finally {
      await app.close();
    }
  });

  it('in production the holder of METRICS_TOKEN', async () => {
    const app = await startTestApp({ production: true, app: { metricsToken: 'scrape-secret-5678' } });
    try {
      expect((await metricsOf(app)).status).toBe(401);
      expect((await metricsOf(app, { authorization: 'Bearer wrong' })).status).toBe(401);
      const res = await metricsOf(app, { authorization: 'Bearer scrape-secret-5678' });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('tenantql_graphql_requests_total');
    } finally {
      await app.close();
    }
  });

  it('in development anyone, as before', async () => {
    const app = await startTestApp();
    try {
      expect((await metricsOf(app)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('with METRICS_PORT, only on that port: the API port answers 404', async () => {
    const scratch = await createScratchDatabase();
    const metricsPort = await freePort();
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '0',
      METRICS_PORT: String(metricsPort),
      DATABASE_URL: roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name),
      DATABASE_OWNER_URL: scratch.ownerUrl,
      JWT_SECRET: 'a-metrics-port-test-secret-of-enough-length',
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      DB_POOL_MAX: '2',
    });
    const server = await startServer(config, pino({ level: 'silent' }));
    try {
      expect((await fetch(server.url.replace(/\/graphql$/, '/metrics'))).status).toBe(404);
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('tenantql_db_pool_connections');
      expect((await fetch(`http://127.0.0.1:${metricsPort}/graphql`)).status).toBe(404);
    } finally {
      await server.close();
      await scratch.drop();
    }
    // Its server stopped with the rest.
    await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
  }, 60_000);
});
