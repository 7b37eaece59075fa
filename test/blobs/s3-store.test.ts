import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore, type S3Settings } from '../../src/blobs';
import { describeBlobStore } from './conformance';
import { startS3Server } from '../support/s3-server';

describeBlobStore('S3-compatible (a local S3 server)', async () => {
  const server = await startS3Server();
  const settings: S3Settings = { ...server.settings, allowPrivateEndpoint: true };
  const store = await S3BlobStore.create(settings);
  const raw = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: true,
    credentials: settings.credentials,
  });
  return {
    store,
    async leaveTemporary() {
      await raw.send(
        new PutObjectCommand({ Bucket: settings.bucket, Key: `tmp/${crypto.randomUUID()}`, Body: 'half a file' }),
      );
    },
    async close() {
      raw.destroy();
      await store.close();
      await server.close();
    },
  };
});

describe('S3 endpoint guard', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-s3-guard-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const settings = (endpoint: string, allowPrivateEndpoint = false): S3Settings => ({
    bucket: 'files',
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
    forcePathStyle: true,
    allowPrivateEndpoint,
  });

  it.each([
    'http://169.254.169.254/',
    'http://127.0.0.1:9000',
    'http://localhost:9000',
    'http://10.1.2.3',
    'http://[::1]:9000',
    'http://[::ffff:169.254.169.254]/',
    'http://[fd00:ec2::254]/',
    'http://100.100.100.200/',
  ])('refuses %s unless S3_ALLOW_PRIVATE_ENDPOINT is set', async (endpoint) => {
    await expect(S3BlobStore.create(settings(endpoint))).rejects.toThrow(/S3_ALLOW_PRIVATE_ENDPOINT/);
    const allowed = await S3BlobStore.create(settings(endpoint, true));
    await allowed.close();
  });
});
