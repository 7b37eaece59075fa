import type { BlobStore } from './blob-store';
import { LocalBlobStore } from './local-store';
import { S3BlobStore, type S3Settings } from './s3-store';

export * from './blob-store';
export { FILE_SIZE_LIMITS, describeFileSizeLimit } from './plan-limits';
export { LocalBlobStore } from './local-store';
export { S3BlobStore, type S3Settings } from './s3-store';

/** Where file bytes go (`BLOB_STORE`): a directory of this machine, or an S3-compatible bucket. */
export type BlobStoreSettings = { kind: 'local'; dir: string } | ({ kind: 's3' } & S3Settings);

/**
 * The configured store. An S3 endpoint that resolves to a private, loopback or link-local address
 * is refused here, at start-up, unless `allowPrivateEndpoint` says otherwise.
 *
 * @example
 * const store = await createBlobStore(config.blobStore); // LocalBlobStore under DATA_DIR/blobs by default
 */
export async function createBlobStore(settings: BlobStoreSettings): Promise<BlobStore> {
  return settings.kind === 'local' ? new LocalBlobStore(settings.dir) : S3BlobStore.create(settings);
}
