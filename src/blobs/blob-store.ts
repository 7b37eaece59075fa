import crypto from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { PayloadTooLargeError } from '../errors';

/** Bytes `start` to `end` of a blob, both included (as HTTP's `Range: bytes=start-end`). */
export interface BlobRange {
  start: number;
  end: number;
}

/** What `put` stored: the content address and what it was computed from. */
export interface StoredBlob {
  /** `${organizationId}/${checksum}` */
  key: string;
  /** SHA-256 of the bytes, lowercase hex. */
  checksum: string;
  size: number;
  /** False when the organization already held the same bytes: nothing new was written. */
  created: boolean;
}

export interface BlobInfo {
  key: string;
  size: number;
  /** When the blob was last written or re-uploaded (the cleanup's grace period counts from it). */
  modifiedAt: Date;
}

/**
 * A content-addressed store of file bytes, one namespace per organization: the key of a blob is
 * `${organizationId}/${sha256 hex}`, so the same bytes uploaded twice by one organization are
 * stored once, and two organizations never share a blob (deleting one tenant's never touches
 * another's). Two implementations: the local file system (local-store.ts) and any S3-compatible
 * service (s3-store.ts); test/blobs/ runs one conformance suite against both.
 *
 * `put` streams: memory stays flat whatever the size, the limit is checked as the bytes arrive,
 * and a blob appears under its final key only complete (written elsewhere first, then moved).
 *
 * @example
 * const blob = await store.put(organizationId, request, { maxBytes: 10 * 1024 * 1024 });
 * const body = await store.get(blob.key, { start: 0, end: 99 }); // the first 100 bytes
 */
export interface BlobStore {
  readonly kind: 'local' | 's3';
  /**
   * Streams `body` in while hashing it; rejects with PayloadTooLargeError the moment it passes
   * `maxBytes` (nothing stays behind), or with the stream's own error when it fails.
   */
  put(organizationId: string, body: Readable, options: { maxBytes: number }): Promise<StoredBlob>;
  /** The bytes, or a range of them; rejects with BlobNotFoundError for a key not stored. */
  get(key: string, range?: BlobRange): Promise<Readable>;
  head(key: string): Promise<BlobInfo | null>;
  /** Removes the blob; a key not stored is not an error. */
  delete(key: string): Promise<void>;
  /** The organizations that have blobs (the cleanup visits each, with its tenant set). */
  organizations(): AsyncIterable<string>;
  /** Every blob of one organization (for the cleanup of blobs nothing refers to). */
  list(organizationId: string): AsyncIterable<BlobInfo>;
  /** Removes what interrupted writes left (temporary files or objects) older than `before`; returns how many. */
  removeTemporaries(before: Date): Promise<number>;
  /** Releases connections (the S3 client's sockets); the store is not used afterwards. */
  close(): Promise<void>;
}

/** `get` of a key that is not stored. */
export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob ${key} is not stored`);
    this.name = 'BlobNotFoundError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The key of an organization's blob: only a lowercase UUID and a SHA-256 in hex ever become a
 * path or an object key, so no caller-controlled text can reach the file system or the bucket.
 *
 * @example
 * blobKey('7c9e6679-7425-40de-944b-e07fc1f90ae7', sha256Hex); // '7c9e…/e3b0…'
 */
export function blobKey(organizationId: string, checksum: string): string {
  return `${assertOrganizationId(organizationId)}/${assertChecksum(checksum)}`;
}

/** The two parts of a blob key; throws for anything that is not one. */
export function parseBlobKey(key: string): { organizationId: string; checksum: string } {
  const [organizationId = '', checksum = '', ...rest] = key.split('/');
  if (rest.length) throw new Error(`not a blob key: ${JSON.stringify(key)}`);
  return { organizationId: assertOrganizationId(organizationId), checksum: assertChecksum(checksum) };
}

/** Whether `name` is an organization id as keys hold them (lowercase UUID). */
export function isOrganizationId(name: string): boolean {
  return UUID.test(name);
}

export function assertOrganizationId(organizationId: string): string {
  if (!UUID.test(organizationId)) throw new Error(`not a lowercase organization id: ${JSON.stringify(organizationId)}`);
  return organizationId;
}

function assertChecksum(checksum: string): string {
  if (!SHA256_HEX.test(checksum)) throw new Error(`not a SHA-256 in lowercase hex: ${JSON.stringify(checksum)}`);
  return checksum;
}

/**
 * A pass-through that hashes (SHA-256) and counts the bytes, and fails with
 * PayloadTooLargeError on the chunk that passes `maxBytes`, before that chunk goes on: both
 * stores put it between the body and where it is written.
 *
 * @example
 * const meter = new HashingMeter(maxBytes);
 * await pipeline(body, meter, fs.createWriteStream(file));
 * meter.result(); // { checksum, size }
 */
export class HashingMeter extends Transform {
  private readonly hash = crypto.createHash('sha256');
  private bytes = 0;
  private digest: string | undefined;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return done(new PayloadTooLargeError(this.maxBytes));
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    done();
  }

  /** The checksum and size, once the stream has ended. */
  result(): { checksum: string; size: number } {
    if (this.digest === undefined) throw new Error('the stream has not ended');
    return { checksum: this.digest, size: this.bytes };
  }
}

/** Whether a range is valid for a blob of `size` bytes (HTTP answers 416 otherwise). */
export function rangeFits(range: BlobRange, size: number): boolean {
  return (
    Number.isSafeInteger(range.start) &&
    Number.isSafeInteger(range.end) &&
    range.start >= 0 &&
    range.start <= range.end &&
    range.end < size
  );
}
