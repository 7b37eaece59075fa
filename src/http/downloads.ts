import { pipeline } from 'node:stream/promises';
import express from 'express';
import { BlobNotFoundError, blobKey } from '../blobs';
import { contentDisposition, parseRange } from './byte-ranges';
import { errorBody } from './error-body';
import { fileCaller, HttpRefusal, readAsCaller, refuse, type FileRoutesOptions } from './file-requests';

/** The permission a download needs (a user's role, or an API key's own list); RLS then decides which documents. */
export const DOWNLOAD_PERMISSION = 'documents:read';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface StoredFile {
  file_name: string;
  mime_type: string;
  /** bigint: pg may give it as text. */
  size: number | string;
  checksum: string;
}

/** `?version=n`: a positive whole number, or none (the current version). */
function versionOf(req: express.Request): number | null {
  const raw = req.query.version;
  if (raw === undefined) return null;
  const version = typeof raw === 'string' && /^[1-9]\d{0,8}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(version)) {
    throw new HttpRefusal(400, 'BAD_REQUEST', 'version must be a positive whole number', { field: 'version' });
  }
  return version;
}

/**
 * `GET /documents/:id/content` (and `?version=n`): a document's bytes, streamed from the blob
 * store after its row has been read in a read-only tenant transaction, committed before the
 * first byte goes out. Row-level security decides: a document the caller may not see (another
 * tenant's, a restricted one, a deleted one) is 404, as one that does not exist. The answer is an
 * attachment (`Content-Disposition`, `X-Content-Type-Options: nosniff` and a sandboxing CSP, so a
 * stored HTML page never runs as the API's origin), its `ETag` the checksum (`If-None-Match`
 * answers 304), and one byte range is served on request (206; 416 past the end; `If-Range`).
 *
 * @example
 * // curl -H "Authorization: Bearer $TOKEN" -H 'Range: bytes=0-1023' -o head.bin http://localhost:4000/documents/$ID/content
 */
export function downloadRoutes(options: FileRoutesOptions): express.Router {
  const router = express.Router();

  router.get('/documents/:id/content', async (req, res) => {
    try {
      const { context } = await fileCaller(req, res, options);
      const id = req.params.id ?? '';
      const version = versionOf(req);
      const file = !UUID.test(id)
        ? undefined
        : await readAsCaller<StoredFile | undefined>(options, context, DOWNLOAD_PERMISSION, (db) =>
            version === null
              ? db
                  .selectFrom('documents')
                  .select(['file_name', 'mime_type', 'size', 'checksum'])
                  .where('id', '=', id)
                  .where('deleted_at', 'is', null)
                  .executeTakeFirst()
              : db
                  .selectFrom('document_versions as v')
                  .innerJoin('documents as d', (join) =>
                    join.onRef('d.organization_id', '=', 'v.organization_id').onRef('d.id', '=', 'v.document_id'),
                  )
                  .select(['v.file_name', 'v.mime_type', 'v.size', 'v.checksum'])
                  .where('d.id', '=', id)
                  .where('d.deleted_at', 'is', null)
                  .where('v.version_number', '=', version)
                  .executeTakeFirst(),
          );
      if (!file)
        throw new HttpRefusal(
          404,
          'NOT_FOUND',
          version === null ? 'Document was not found' : 'Document version was not found',
        );
      await send(req, res, options, context.organizationId, file);
    } catch (error) {
      refuse(req, res, error, options.logger);
    }
  });

  return router;
}

/**
 * The headers, then the bytes (all of them, or the range asked for); `inline` for a share link of
 * VIEW access (still nosniff and sandboxed), an attachment otherwise.
 */
export async function send(
  req: express.Request,
  res: express.Response,
  options: FileRoutesOptions,
  organizationId: string,
  file: StoredFile,
  disposition: 'attachment' | 'inline' = 'attachment',
): Promise<void> {
  const size = Number(file.size);
  const etag = `"${file.checksum}"`;
  res.set({
    etag,
    'accept-ranges': 'bytes',
    'cache-control': 'private, no-cache',
    'content-disposition': contentDisposition(file.file_name, disposition),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  });
  const ifNoneMatch = req.get('if-none-match');
  if (ifNoneMatch && (ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => tag.trim() === etag))) {
    res.status(304).end();
    return;
  }
  // A range of another representation (If-Range names an older ETag) is not this one's: send it whole.
  const ifRange = req.get('if-range');
  const range =
    ifRange === undefined || ifRange === etag ? parseRange(req.get('range'), size) : { kind: 'whole' as const };
  if (range.kind === 'unsatisfiable') {
    res
      .status(416)
      .set('content-range', `bytes */${size}`)
      .json(errorBody(`The range is outside the file's ${size} bytes`, 'BAD_REQUEST', { field: 'range' }));
    return;
  }
  const key = blobKey(organizationId, file.checksum);
  const body = await options.blobStore
    .get(key, range.kind === 'partial' ? range.range : undefined)
    .catch((error: unknown) => {
      if (!(error instanceof BlobNotFoundError)) throw error;
      // A row whose bytes are not stored (rows made without an upload, such as the demo data's, or
      // a store restored from an older backup): said plainly, and logged for the operator.
      options.logger.warn({ key, requestId: res.locals.requestId }, 'a document version has no blob');
      throw new HttpRefusal(404, 'NOT_FOUND', 'The content of this document is not in the blob store');
    });
  res.type(file.mime_type);
  if (range.kind === 'partial') {
    res.status(206).set({
      'content-range': `bytes ${range.range.start}-${range.range.end}/${size}`,
      'content-length': String(range.range.end - range.range.start + 1),
    });
  } else {
    res.status(200).set('content-length', String(size));
  }
  if (req.method === 'HEAD') {
    body.destroy();
    res.end();
    return;
  }
  // A client that leaves mid-download ends the pipeline with an error: nothing to answer then.
  await pipeline(body, res).catch(() => undefined);
}
