import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The `type` of the error `rejectInvalidUtf8` throws, for the error handler. */
export const INVALID_UTF8 = 'encoding.invalid.utf8';

/**
 * `express.json({ verify })`: JSON must be UTF-8 (RFC 8259). body-parser would decode invalid
 * bytes to U+FFFD and the request would store text the client never sent; refused with 400.
 *
 * @example
 * app.use(express.json({ verify: rejectInvalidUtf8 }));
 */
export function rejectInvalidUtf8(_req: IncomingMessage, _res: ServerResponse, body: Buffer): void {
  if (!isUtf8(body))
    throw Object.assign(new Error('The request body is not valid UTF-8'), { status: 400, type: INVALID_UTF8 });
}
