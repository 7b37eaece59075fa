import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import type { S3Settings } from '../../src/blobs';

export interface S3TestServer {
  /** Settings that reach it (its endpoint is on loopback: `allowPrivateEndpoint` is the caller's to set). */
  settings: S3Settings;
  close(): Promise<void>;
}

/**
 * A local S3-compatible server (s3rver, in this process, on a random loopback port) with one
 * empty bucket, its objects in a temporary directory removed on close.
 *
 * @example
 * const s3 = await startS3Server();
 * const store = await S3BlobStore.create({ ...s3.settings, allowPrivateEndpoint: true });
 */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-s3rver-'));
  const bucket = 'tenantql-test';
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = (await server.run()) as AddressInfo;
  return {
    settings: {
      bucket,
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      // s3rver's one account.
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
      allowPrivateEndpoint: false,
    },
    async close() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
