import { guardedLookup, isPublicAddress, PrivateEndpointError } from '../../src/blobs/endpoint-guard';

describe('S3 endpoint addresses', () => {
  it.each([
    ['52.216.8.11', true],
    ['8.8.8.8', true],
    ['2600:1f18::1', true],
    ['::ffff:8.8.8.8', true],
    ['127.0.0.1', false],
    ['10.0.0.5', false],
    ['172.20.1.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.100.100.200', false],
    ['0.0.0.0', false],
    ['::', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd00:ec2::254', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:a9fe:a9fe', false],
    ['64:ff9b::a9fe:a9fe', false],
    ['not an address', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('refuses, on every connection, a name that resolves to a private address (DNS rebinding)', async () => {
    const error = await new Promise<Error | null>((resolve) =>
      guardedLookup('localhost', {}, (err) => resolve(err as Error | null)),
    );
    expect(error).toBeInstanceOf(PrivateEndpointError);
  });
});
