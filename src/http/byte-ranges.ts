import type { BlobRange } from '../blobs';

/** What a `Range` header asks of a representation of `size` bytes. */
export type RangeRequest =
  /** No header, another unit, several ranges (served whole, as RFC 9110 allows), or one that does not parse. */
  | { kind: 'whole' }
  | { kind: 'partial'; range: BlobRange }
  /** A valid range that starts past the end: 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' };

/**
 * Reads a `Range` header (RFC 9110, section 14): one range of bytes, `start-end`, `start-`
 * (to the end) or `-suffix` (the last bytes), its end clamped to the size. A header this
 * server does not honour (another unit, several ranges, a malformed one) is ignored, and the whole
 * representation is served, as the RFC allows.
 *
 * @example
 * parseRange('bytes=0-99', 1000);  // { kind: 'partial', range: { start: 0, end: 99 } }
 * parseRange('bytes=-100', 1000);  // the last 100 bytes: { start: 900, end: 999 }
 * parseRange('bytes=1000-', 1000); // { kind: 'unsatisfiable' }
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  const match = header === undefined ? null : /^bytes=\s*(\d*)-(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'whole' };
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '') {
    // A suffix: the last n bytes (all of them when n is larger than the size).
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'whole' }; // invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}

/**
 * `Content-Disposition: attachment` with the file name in both forms: an ASCII fallback for old
 * clients (anything else, and quotes and backslashes, become `_`) and the exact UTF-8 name
 * percent-encoded in `filename*` (RFC 6266 and 8187), which every current browser prefers.
 *
 * @example
 * contentDisposition('Élève été.pdf'); // attachment; filename="_l_ve _t_.pdf"; filename*=UTF-8''%C3%89l%C3%A8ve%20%C3%A9t%C3%A9.pdf
 */
export function contentDisposition(fileName: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
