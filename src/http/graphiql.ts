import fs from 'node:fs';
import path from 'node:path';
import express, { type Express, type Response } from 'express';
import { GRAPHIQL_DIST_DIR } from '../paths';
import type { GraphiqlConfig } from './graphiql-config';

export type { DemoAccount, GraphiqlConfig } from './graphiql-config';

/**
 * What the GraphiQL page may load: only its own origin. Monaco sets inline styles and starts its
 * workers from our scripts; graphiql's CSS inlines its fonts and a few images as data: URLs.
 * Checked in Chromium by test/browser/graphiql.test.ts (any violation fails it).
 */
export const GRAPHIQL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "worker-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secureHeaders(res: Response): void {
  res.setHeader('content-security-policy', GRAPHIQL_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
}

/**
 * Serves GraphiQL (built by scripts/build-graphiql.ts) at GET /graphiql, its content-hashed
 * assets under /graphiql/assets/ with a year of caching, and what the page needs to know of this
 * server at /graphiql/config.json (JSON, so no inline script is needed under the CSP). GET /
 * redirects to it. Without a build, /graphiql answers 503 with a message saying how to make one;
 * the rest of the server is unaffected.
 *
 * @example
 * mountGraphiql(app);                         // dist/graphiql, no demo accounts shown
 * mountGraphiql(app, { demo: { password: DEMO_PASSWORD, accounts: DEMO_ACCOUNTS } }); // development
 * mountGraphiql(app, { dir: '/tmp/empty' });  // tests of the missing-build answer
 */
export function mountGraphiql(app: Express, options: { dir?: string; demo?: GraphiqlConfig['demo'] } = {}): void {
  const dir = options.dir ?? GRAPHIQL_DIST_DIR;
  const config: GraphiqlConfig = { demo: options.demo ?? null };

  // The server's front door is the page (in production too: it shows nothing /graphiql does not).
  app.get('/', (_req, res) => {
    // Express writes a one-line HTML body with the redirect: it gets the page's headers too.
    secureHeaders(res);
    res.redirect(302, '/graphiql');
  });

  app.get('/graphiql/config.json', (_req, res) => {
    secureHeaders(res);
    res.setHeader('cache-control', 'no-store');
    res.json(config);
  });

  app.get(['/graphiql', '/graphiql/'], async (_req, res, next) => {
    let html: string;
    try {
      // Read per request (a small file): a rebuild is picked up without a restart.
      html = await fs.promises.readFile(path.join(dir, 'index.html'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return next(error);
      res
        .status(503)
        .setHeader('cache-control', 'no-store')
        .json({
          errors: [
            {
              message: 'GraphiQL is not built on this server: run `npm run build` (it writes dist/graphiql)',
              extensions: { code: 'SERVICE_UNAVAILABLE' },
            },
          ],
        });
      return;
    }
    secureHeaders(res);
    res.setHeader('cache-control', 'no-cache');
    res.type('html').send(html);
  });

  app.use(
    '/graphiql/assets',
    (_req, res, next) => {
      secureHeaders(res);
      next();
    },
    express.static(path.join(dir, 'assets'), {
      // Every asset name carries a hash of its content.
      immutable: true,
      maxAge: '365d',
      index: false,
      redirect: false,
      dotfiles: 'ignore',
    }),
  );
}
