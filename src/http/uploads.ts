import { isIP } from 'node:net';
import { finished, Transform, type TransformCallback } from 'node:stream';
import express from 'express';
import { describeFileSizeLimit, FILE_SIZE_LIMITS } from '../blobs';
import { PayloadTooLargeError } from '../errors';
import { RequestTransaction, type TenantContext } from '../db/request-transaction';
import type { ApiKeyPrincipal, Viewer } from '../graphql/context';
import { fileCaller, HttpRefusal, readAsCaller, refuse, type FileRoutesOptions } from './file-requests';

/** The permission an upload needs (a user's role, or an API key's own list). */
export const UPLOAD_PERMISSION = 'documents:write';

/** Bytes file-type reads to recognise a format (its `reasonableDetectionSizeInBytes`). */
const DETECTION_BYTES = 4100;
/** The longest file name kept (as most file systems allow). */
const MAX_FILE_NAME_LENGTH = 255;

// file-type is ESM-only: loaded once with a real dynamic import (as jose in src/auth/tokens.ts).
let fileTypeModule: Promise<typeof import('file-type', { with: { 'resolution-mode': 'import' } })> | undefined;
const fileType = () => (fileTypeModule ??= import('file-type'));

/**
 * The MIME type of a file from its first bytes (file-type's signatures), never from what the
 * client claims: a client cannot make an HTML page pass for a PDF. Formats without a signature
 * (plain text, CSV) are `application/octet-stream`.
 *
 * @example
 * await detectMimeType(Buffer.from('%PDF-1.7\n')); // 'application/pdf'
 */
export async function detectMimeType(head: Uint8Array): Promise<string> {
  const { fileTypeFromBuffer } = await fileType();
  return (await fileTypeFromBuffer(head))?.mime ?? 'application/octet-stream';
}

/** Passes the body through and keeps its first bytes for detectMimeType. */
class HeadSniffer extends Transform {
  private readonly chunks: Buffer[] = [];
  private kept = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.kept < DETECTION_BYTES) {
      const part = chunk.subarray(0, DETECTION_BYTES - this.kept);
      this.chunks.push(Buffer.from(part));
      this.kept += part.length;
    }
    done(null, chunk);
  }

  get head(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * The file's name, from `?name=` or the `X-File-Name` header (percent-encoded UTF-8, as headers
 * carry only Latin-1): its last path segment, without control characters, at most 255 characters.
 */
export function fileNameOf(req: express.Request): string {
  const query = typeof req.query.name === 'string' ? req.query.name : undefined;
  let raw = query;
  if (raw === undefined && req.get('x-file-name') !== undefined) {
    try {
      raw = decodeURIComponent(req.get('x-file-name')!);
    } catch {
      throw new HttpRefusal(400, 'BAD_REQUEST', 'X-File-Name must be percent-encoded UTF-8', { field: 'name' });
    }
  }
  const name = (raw ?? '').split(/[/\\]/).pop()!.trim();
  if (!name || name === '.' || name === '..') {
    throw new HttpRefusal(400, 'BAD_REQUEST', 'Name the file with ?name= or the X-File-Name header', {
      field: 'name',
    });
  }
  const control = [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (control || name.length > MAX_FILE_NAME_LENGTH) {
    throw new HttpRefusal(
      400,
      'BAD_REQUEST',
      `The file name must be at most ${MAX_FILE_NAME_LENGTH} characters, without control characters`,
      { field: 'name' },
    );
  }
  return name;
}

/**
 * `POST /uploads`: the request body is the file, streamed into the blob store while it is hashed
 * (SHA-256) and counted against the organization's plan limit; its MIME type is detected from
 * its first bytes. Authorised like /graphql (a Bearer access token or API key, the request's
 * tenant set in every transaction, RLS deciding); it needs `documents:write`.
 *
 * One short read-only transaction before the body is read (the caller's permissions and the
 * organization's plan, so a refusal costs no upload), none while it streams (a slow client holds
 * no connection), and one that inserts the `uploads` row after it has been stored. Nothing is
 * buffered: memory stays flat whatever the size. A body over the limit, or a client that goes
 * away, leaves no blob under its final name and no row.
 *
 * @example
 * // curl -H "Authorization: Bearer $TOKEN" --data-binary @report.pdf 'http://localhost:4000/uploads?name=report.pdf'
 * // 201 { "uploadId": "…", "checksum": "…", "size": 48213, "mimeType": "application/pdf", "fileName": "report.pdf" }
 */
export function uploadRoutes(options: FileRoutesOptions): express.Router {
  const router = express.Router();

  router.post('/uploads', async (req, res) => {
    try {
      const { viewer, apiKey, context } = await fileCaller(req, res, options);
      const { organizationId } = context;
      const fileName = fileNameOf(req);
      // The caller may upload, and the organization's plan, before a byte is read.
      const plan = await readAsCaller(options, context, UPLOAD_PERMISSION, async (db) => {
        const organization = await db
          .selectFrom('organizations')
          .select('plan_tier')
          .where('id', '=', organizationId)
          .executeTakeFirstOrThrow();
        return organization.plan_tier;
      });
      const maxBytes = FILE_SIZE_LIMITS[plan];
      const tooLarge = () =>
        new PayloadTooLargeError(maxBytes, `The file is over the limit of ${describeFileSizeLimit(plan)}`);
      const declared = Number(req.get('content-length'));
      if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();

      // The body is piped, not handed to the store's pipeline: a failed store must not destroy the
      // request, whose socket still has to carry the answer (413).
      const sniffer = new HeadSniffer();
      finished(req, (error) => {
        if (error) sniffer.destroy(error);
      });
      req.pipe(sniffer);
      let blob;
      try {
        blob = await options.blobStore.put(organizationId, sniffer, { maxBytes });
      } catch (error) {
        req.unpipe(sniffer);
        throw error instanceof PayloadTooLargeError ? tooLarge() : error;
      }
      const mimeType = await detectMimeType(sniffer.head);
      const uploadId = await recordUpload(options, context, req, res, {
        fileName,
        mimeType,
        size: blob.size,
        checksum: blob.checksum,
        viewer,
        apiKey,
      });
      res.status(201).json({ uploadId, checksum: blob.checksum, size: blob.size, mimeType, fileName });
    } catch (error) {
      refuse(req, res, error, options.logger);
    }
  });

  return router;
}

/** Inserts the `uploads` row in one tenant transaction (RLS and the table's rules decide) and returns its id. */
async function recordUpload(
  options: FileRoutesOptions,
  context: TenantContext,
  req: express.Request,
  res: express.Response,
  upload: {
    fileName: string;
    mimeType: string;
    size: number;
    checksum: string;
    viewer: Viewer | null;
    apiKey: ApiKeyPrincipal | null;
  },
): Promise<string> {
  const write = new RequestTransaction(options.appPool, context, options.standalonePool, options.transactionTimeouts);
  // An IPv6 zone id (fe80::1%eth0) is not part of an inet value.
  const ip = req.ip?.replace(/%.*$/, '');
  write.requestInfo = {
    requestId: res.locals.requestId as string,
    ip: ip && isIP(ip) ? ip : null,
    userAgent: req.get('user-agent') ?? null,
    operationName: 'upload',
  };
  try {
    const db = await write.get();
    const row = await db
      .insertInto('uploads')
      .values({
        organization_id: context.organizationId!,
        created_by: upload.viewer?.userId ?? null,
        api_key_id: upload.apiKey?.id ?? null,
        file_name: upload.fileName,
        mime_type: upload.mimeType,
        size: upload.size,
        checksum: upload.checksum,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await write.finish('commit');
    return row.id;
  } catch (error) {
    await write.finish('rollback').catch(() => undefined);
    throw error;
  }
}
