import { isIP } from 'node:net';
import { finished, Transform, type TransformCallback } from 'node:stream';
import express from 'express';
import type pg from 'pg';
import type { Logger } from 'pino';
import { describeFileSizeLimit, FILE_SIZE_LIMITS, type BlobStore } from '../blobs';
import { DomainError, PayloadTooLargeError } from '../errors';
import { RequestTransaction, type TenantContext, type TransactionTimeouts } from '../db/request-transaction';
import type { TokenService } from '../auth/tokens';
import type { ApiKeyPrincipal, Viewer } from '../graphql/context';
import { authenticate } from './authenticate';
import { errorBody, sendHttpGraphQLError } from './error-body';
import { requestKeys, type RateLimiter } from './rate-limit';

/** The permission an upload needs (a user's role, or an API key's own list). */
export const UPLOAD_PERMISSION = 'documents:write';

/** Bytes file-type reads to recognise a format (its `reasonableDetectionSizeInBytes`). */
const DETECTION_BYTES = 4100;
/** The longest file name kept (as most file systems allow). */
const MAX_FILE_NAME_LENGTH = 255;
/** After a refusal, how long the rest of a body is read and dropped so the client can read the answer. */
const LINGER_MS = 2_000;

export interface UploadRoutesOptions {
  appPool: pg.Pool;
  standalonePool: pg.Pool;
  tokens: TokenService;
  blobStore: BlobStore;
  transactionTimeouts?: TransactionTimeouts;
  rateLimiter: RateLimiter | null;
  /** True once the server is shutting down: new uploads are refused with 503. */
  draining: () => boolean;
  logger: Logger;
}

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

/** An answer other than 201, with the GraphQL-shaped body every HTTP error has. */
class UploadRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: Parameters<typeof errorBody>[1],
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
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
      throw new UploadRefusal(400, 'BAD_REQUEST', 'X-File-Name must be percent-encoded UTF-8', { field: 'name' });
    }
  }
  const name = (raw ?? '').split(/[/\\]/).pop()!.trim();
  if (!name || name === '.' || name === '..') {
    throw new UploadRefusal(400, 'BAD_REQUEST', 'Name the file with ?name= or the X-File-Name header', {
      field: 'name',
    });
  }
  const control = [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (control || name.length > MAX_FILE_NAME_LENGTH) {
    throw new UploadRefusal(
      400,
      'BAD_REQUEST',
      `The file name must be at most ${MAX_FILE_NAME_LENGTH} characters, without control characters`,
      { field: 'name' },
    );
  }
  return name;
}

/**
 * The rest of a body the server will not read: Node reads and drops it once the answer is out
 * (keep-alive), for a short while, so the client, still sending, can read the answer (closing a
 * socket with unread data resets it, and the client's kernel may throw the answer away); then
 * the connection is cut, so a refused body of a gigabyte is not read to its end.
 */
function lingerAndClose(req: express.Request, res: express.Response): void {
  res.once('finish', () => {
    if (req.complete) return;
    req.resume();
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
    req.once('end', () => clearTimeout(timer));
  });
}

/** HTTP statuses of the domain errors a request transaction can throw (a session that ended, the database away). */
const STATUS_OF: Partial<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SERVICE_UNAVAILABLE: 503,
};

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
export function uploadRoutes(options: UploadRoutesOptions): express.Router {
  const router = express.Router();

  router.post('/uploads', async (req, res) => {
    try {
      if (options.draining()) {
        res.set('retry-after', '1');
        throw new UploadRefusal(503, 'SHUTTING_DOWN', 'The server is shutting down; retry the upload');
      }
      const { viewer, apiKey } = await authenticate(req.get('authorization'), options.tokens, options.appPool);
      const organizationId = viewer?.organizationId ?? apiKey?.organizationId ?? null;
      if (!viewer && !apiKey) {
        res.set('www-authenticate', 'Bearer');
        throw new UploadRefusal(401, 'UNAUTHENTICATED', 'Send an access token or an API key to upload');
      }
      if (options.rateLimiter) {
        const retryAfter = await options.rateLimiter.take(requestKeys(organizationId, apiKey?.id ?? null, req.ip));
        if (retryAfter > 0) {
          res.set('retry-after', String(retryAfter));
          throw new UploadRefusal(429, 'RATE_LIMITED', `Too many requests; retry in ${retryAfter} s`, {
            retryAfter,
          });
        }
      }
      if (!organizationId) {
        throw new UploadRefusal(
          403,
          'FORBIDDEN',
          'You are signed in without an organization: create one or switch to one of yours',
        );
      }
      const fileName = fileNameOf(req);
      const context: TenantContext = {
        organizationId,
        userId: viewer?.userId ?? null,
        sessionId: viewer?.sessionId ?? null,
        apiKeyId: apiKey?.id ?? null,
      };
      const plan = await checkUploader(options, context);
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

/**
 * The caller may upload (`documents:write`, read with the tenant set as every request does) and
 * its organization's plan, in one read-only transaction, committed before any byte is read.
 */
async function checkUploader(options: UploadRoutesOptions, context: TenantContext) {
  const check = new RequestTransaction(options.appPool, context, options.standalonePool, options.transactionTimeouts);
  check.readOnly = true;
  try {
    const db = await check.get();
    if (!check.permissions?.includes(UPLOAD_PERMISSION)) {
      throw new UploadRefusal(403, 'FORBIDDEN', `Uploading needs the ${UPLOAD_PERMISSION} permission`, {
        permission: UPLOAD_PERMISSION,
      });
    }
    const { plan_tier: plan } = await db
      .selectFrom('organizations')
      .select('plan_tier')
      .where('id', '=', context.organizationId!)
      .executeTakeFirstOrThrow();
    return plan;
  } finally {
    await check.finish('commit');
  }
}

/** Inserts the `uploads` row in one tenant transaction (RLS and the table's rules decide) and returns its id. */
async function recordUpload(
  options: UploadRoutesOptions,
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

/** The answer to a failed upload: its status and code, or a masked 500 (logged). */
function refuse(req: express.Request, res: express.Response, error: unknown, logger: Logger): void {
  // The client went away mid-upload: nobody to answer; the store removed what it had written.
  if (req.destroyed || res.headersSent) return;
  lingerAndClose(req, res);
  if (error instanceof UploadRefusal) {
    res.status(error.status).json(errorBody(error.message, error.code, error.extensions));
  } else if (error instanceof PayloadTooLargeError) {
    res.status(413).json(errorBody(error.message, error.code, { maxBytes: error.limitBytes }));
  } else if (error instanceof DomainError) {
    res.status(STATUS_OF[error.code] ?? 400).json(errorBody(error.message, error.code, { ...error.details }));
  } else if (!sendHttpGraphQLError(res, error)) {
    logger.error({ err: error, requestId: res.locals.requestId }, 'upload failed');
    res.status(500).json(errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
  }
}
