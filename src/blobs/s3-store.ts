import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  blobKey,
  parseBlobKey,
  assertOrganizationId,
  isOrganizationId,
  HashingMeter,
  BlobNotFoundError,
} from './blob-store';
import type { BlobInfo, BlobRange, BlobStore, StoredBlob } from './blob-store';
import { checkEndpoint, guardedLookup } from './endpoint-guard';

/** Where the S3 store keeps its blobs (`BLOB_STORE=s3` and the `S3_*` variables). */
export interface S3Settings {
  bucket: string;
  /** Another S3-compatible service (MinIO, R2, Ceph...); AWS's own endpoint when not given. */
  endpoint: string | undefined;
  region: string;
  /** The SDK's default chain (environment, instance role) when not given. */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO and most self-hosted services). */
  forcePathStyle: boolean;
  /** Let the endpoint be a private, loopback or link-local address (a MinIO next door, the tests' server). */
  allowPrivateEndpoint: boolean;
}

/** Objects being written: uploaded here first, then copied to their content address. */
const TEMPORARY_PREFIX = 'tmp/';
/** Multipart parts, and how many go up at once: an upload holds at most about (queue + 1) parts in memory. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

const isNotFound = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 404 ||
  ['NoSuchKey', 'NotFound'].includes((error as { name?: string })?.name ?? '');

/**
 * Blobs in an S3 bucket, any S3-compatible service. The checksum (the object's key) is known only
 * once the last byte has arrived, so an upload streams (multipart, `@aws-sdk/lib-storage`) to
 * `tmp/<random>` while it is hashed and counted, then is copied server-side to
 * `<organization>/<sha256>` and the temporary object deleted: the final key only ever holds the
 * complete bytes. Copying again over bytes already stored writes the same bytes and refreshes
 * their modification time (the cleanup's grace period). Temporary objects an interrupted process
 * left behind are removed by `removeTemporaries` (`npm run db:cleanup-uploads`).
 *
 * Checksums are sent only where S3 requires them (`requestChecksumCalculation: 'WHEN_REQUIRED'`):
 * recent SDKs otherwise send CRC32 trailers that many S3-compatible services refuse; the SHA-256
 * of every blob is its key anyway.
 *
 * @example
 * const store = await S3BlobStore.create({ bucket: 'files', endpoint: 'https://s3.example.com', ... });
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';

  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  /** Checks the endpoint (a private address is refused unless allowed), then builds the client. */
  static async create(settings: S3Settings): Promise<S3BlobStore> {
    if (settings.endpoint && !settings.allowPrivateEndpoint) await checkEndpoint(new URL(settings.endpoint));
    // Every connection resolves through the guard too (a name may resolve elsewhere later).
    const lookup = settings.allowPrivateEndpoint ? undefined : guardedLookup;
    const client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      credentials: settings.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        httpAgent: new http.Agent({ keepAlive: true, lookup }),
        httpsAgent: new https.Agent({ keepAlive: true, lookup }),
      },
    });
    return new S3BlobStore(client, settings.bucket);
  }

  async put(organizationId: string, body: Readable, { maxBytes }: { maxBytes: number }): Promise<StoredBlob> {
    assertOrganizationId(organizationId);
    const temporaryKey = `${TEMPORARY_PREFIX}${crypto.randomUUID()}`;
    const meter = new HashingMeter(maxBytes);
    const metered = new PassThrough();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: temporaryKey, Body: metered },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    // The body's failure (too large, the client gone) fails the upload, which aborts its parts;
    // the upload's failure stops the body (nothing would read it any more).
    const feeding = pipeline(body, meter, metered);
    const uploading = upload.done().catch((error: unknown) => {
      metered.destroy(error as Error);
      throw error;
    });
    const [fed, done] = await Promise.allSettled([feeding, uploading]);
    try {
      // The body's own error first: it is the cause (PayloadTooLargeError) when both failed.
      if (fed.status === 'rejected') throw fed.reason;
      if (done.status === 'rejected') throw done.reason;
      const { checksum, size } = meter.result();
      const key = blobKey(organizationId, checksum);
      const existed = await this.head(key);
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: `${this.bucket}/${temporaryKey}`,
          MetadataDirective: 'REPLACE',
        }),
      );
      return { key, checksum, size, created: existed === null };
    } finally {
      // Deleting a key that was never written is no error: one call whatever happened.
      await this.deleteObject(temporaryKey).catch(() => undefined);
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    parseBlobKey(key);
    try {
      const { Body } = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      return Body as Readable;
    } catch (error) {
      throw isNotFound(error) ? new BlobNotFoundError(key) : error;
    }
  }

  async head(key: string): Promise<BlobInfo | null> {
    parseBlobKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    parseBlobKey(key);
    await this.deleteObject(key);
  }

  async *organizations(): AsyncIterable<string> {
    for await (const page of this.pages({ Delimiter: '/' })) {
      for (const { Prefix } of page.CommonPrefixes ?? []) {
        const organizationId = Prefix?.slice(0, -1) ?? '';
        if (isOrganizationId(organizationId)) yield organizationId;
      }
    }
  }

  async *list(organizationId: string): AsyncIterable<BlobInfo> {
    for await (const object of this.objects(`${assertOrganizationId(organizationId)}/`)) {
      yield object;
    }
  }

  async removeTemporaries(before: Date): Promise<number> {
    let removed = 0;
    for await (const object of this.objects(TEMPORARY_PREFIX)) {
      if (object.modifiedAt < before) {
        await this.deleteObject(object.key);
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async *objects(prefix: string): AsyncIterable<BlobInfo> {
    for await (const page of this.pages({ Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        if (object.Key)
          yield { key: object.Key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
      }
    }
  }

  /** Every page of a listing of the bucket. */
  private async *pages(input: { Prefix?: string; Delimiter?: string }): AsyncIterable<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, ...input, ContinuationToken: token }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async deleteObject(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
