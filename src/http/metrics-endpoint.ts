import crypto from 'node:crypto';
import http from 'node:http';
import express, { type RequestHandler } from 'express';
import type { Metrics } from './metrics';

/**
 * GET /metrics: the Prometheus text, behind `Authorization: Bearer <token>` when a token is given
 * (compared by hash, in constant time).
 *
 * @example
 * app.get('/metrics', metricsEndpoint(metrics, process.env.METRICS_TOKEN));
 */
export function metricsEndpoint(metrics: Metrics, token: string | undefined): RequestHandler {
  const expected = token ? crypto.createHash('sha256').update(token).digest() : null;
  return async (req, res) => {
    if (expected) {
      const given = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
      if (!crypto.timingSafeEqual(crypto.createHash('sha256').update(given).digest(), expected)) {
        res
          .status(401)
          .set('www-authenticate', 'Bearer')
          .json({
            errors: [{ message: 'The metrics token is missing or wrong', extensions: { code: 'UNAUTHENTICATED' } }],
          });
        return;
      }
    }
    res
      .set('cache-control', 'no-store')
      .type(metrics.contentType)
      .send(await metrics.render());
  };
}

/**
 * A server of its own for GET /metrics (METRICS_PORT), so the API's port never serves them:
 * the operator exposes this port to the scraper only.
 *
 * @example
 * const server = await startMetricsServer(app.serveMetrics, '0.0.0.0', 9464);
 */
export async function startMetricsServer(
  serve: RequestHandler,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', serve);
  app.use((_req, res) => {
    res.status(404).json({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // A scraper's keep-alive connection would hold close() open.
        server.closeAllConnections();
      }),
  };
}
