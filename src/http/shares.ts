import express from 'express';
import { hashSecretToken, organizationOfToken } from '../auth/secret-tokens';
import { send, type StoredFile } from './downloads';
import { HttpRefusal, refuse, type FileRoutesOptions } from './file-requests';
import { requestKeys } from './rate-limit';

interface SharedFile extends StoredFile {
  access: 'view' | 'download';
}

/** One answer for every link that does not work (malformed, forged, expired, revoked, used up): no oracle. */
const NOT_FOUND = () => new HttpRefusal(404, 'NOT_FOUND', 'This share link was not found');

/**
 * Uses a share link in one short transaction as the app role, with the token's organization as
 * the tenant and no user: app.use_document_share (migration 0026) checks the link and counts the
 * download in one statement, committed before the first byte moves.
 */
async function useShare(options: FileRoutesOptions, organizationId: string, hash: string): Promise<SharedFile | null> {
  const client = await options.appPool.connect();
  let broken = false;
  try {
    await client.query('begin');
    await client.query(
      `select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', '', true),
              set_config('statement_timeout', '5000', true)`,
      [organizationId],
    );
    const { rows } = await client.query<SharedFile>('select * from app.use_document_share($1)', [hash]);
    await client.query('commit');
    return rows[0] ?? null;
  } catch (error) {
    broken = await client.query('rollback').then(
      () => false,
      () => true,
    );
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * `GET /shares/:token`: a shared document's current version, without signing in. The token names
 * its organization (`ds_<organization>_<secret>`, docs/security.md), which becomes the tenant; the
 * share is found by the token's hash there. Every request served counts one download (a range
 * too); a link that does not work is 404 whatever the reason, and counts nothing. VIEW links answer
 * `inline`, DOWNLOAD links an attachment; headers, ETag and ranges are GET /documents/:id/content's.
 *
 * @example
 * // curl -o report.pdf http://localhost:4000/shares/ds_7c9e…_Qk3…
 */
export function shareRoutes(options: FileRoutesOptions): express.Router {
  const router = express.Router();

  router.get('/shares/:token', async (req, res) => {
    try {
      if (options.draining()) {
        res.set('retry-after', '1');
        throw new HttpRefusal(503, 'SHUTTING_DOWN', 'The server is shutting down; retry the request');
      }
      if (options.rateLimiter) {
        const retryAfter = await options.rateLimiter.take(requestKeys(null, null, req.ip));
        if (retryAfter > 0) {
          res.set('retry-after', String(retryAfter));
          throw new HttpRefusal(429, 'RATE_LIMITED', `Too many requests; retry in ${retryAfter} s`, { retryAfter });
        }
      }
      const token = req.params.token ?? '';
      const organizationId = organizationOfToken('ds', token);
      if (!organizationId) throw NOT_FOUND();
      const file = await useShare(options, organizationId, hashSecretToken(token));
      if (!file) throw NOT_FOUND();
      await send(req, res, options, organizationId, file, file.access === 'view' ? 'inline' : 'attachment');
    } catch (error) {
      refuse(req, res, error, options.logger);
    }
  });

  return router;
}
