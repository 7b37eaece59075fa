import { InvalidTokenError, TokenService } from '../../src/auth/tokens';

describe('access tokens', () => {
  const settings = {
    secret: 'a-test-secret-that-is-at-least-32-bytes-long',
    issuer: 'tenantql',
    audience: 'tenantql-api',
    accessTokenTtlSeconds: 60,
  };
  const claims = {
    userId: '5b6f1c2e-8f44-4c1a-9d3e-0a1b2c3d4e5f',
    organizationId: '6c7a2d3f-9a55-4d2b-8e4f-1b2c3d4e5f60',
    sessionId: '7d8b3e4a-0b66-4e3c-9f5a-2c3d4e5f6071',
  };

  afterEach(() => jest.useRealTimers());

  it('verifies its own tokens, again and again, with the same claims', async () => {
    const tokens = new TokenService(settings);
    const { token } = await tokens.issueAccessToken(claims);
    expect(await tokens.verifyAccessToken(token)).toEqual(claims);
    expect(await tokens.verifyAccessToken(token)).toEqual(claims);
  });

  it('refuses a token with another signature, payload, secret, issuer or audience', async () => {
    const tokens = new TokenService(settings);
    const { token } = await tokens.issueAccessToken(claims);
    await tokens.verifyAccessToken(token); // remembered as verified: the variants below must not match it
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), org: claims.userId }),
    ).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    const others = [
      `${header}.${payload}.${flipped}`,
      `${header}.${otherPayload}.${signature}`,
      (
        await new TokenService({ ...settings, secret: 'another-secret-that-is-at-least-32-bytes' }).issueAccessToken(
          claims,
        )
      ).token,
      (await new TokenService({ ...settings, issuer: 'someone-else' }).issueAccessToken(claims)).token,
      (await new TokenService({ ...settings, audience: 'another-api' }).issueAccessToken(claims)).token,
    ];
    for (const other of others) await expect(tokens.verifyAccessToken(other)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses a token once it has expired, though it was verified while valid', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'],
      now: new Date('2026-12-02T12:00:00Z'),
    });
    const tokens = new TokenService(settings);
    const { token } = await tokens.issueAccessToken(claims);
    expect(await tokens.verifyAccessToken(token)).toEqual(claims);
    jest.setSystemTime(new Date('2026-12-02T12:00:59Z'));
    expect(await tokens.verifyAccessToken(token)).toEqual(claims);
    jest.setSystemTime(new Date('2026-12-02T12:01:00Z'));
    await expect(tokens.verifyAccessToken(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('one spelling per access token', () => {
  const settings = {
    secret: 'a-test-secret-that-is-at-least-32-bytes-long',
    issuer: 'tenantql',
    audience: 'tenantql-api',
    accessTokenTtlSeconds: 60,
  };
  const claims = {
    userId: '5b6f1c2e-8f44-4c1a-9d3e-0a1b2c3d4e5f',
    organizationId: '6c7a2d3f-9a55-4d2b-8e4f-1b2c3d4e5f60',
    sessionId: '7d8b3e4a-0b66-4e3c-9f5a-2c3d4e5f6071',
  };

  it('refuses padding and other spellings of the same bytes, which jose would decode to the same token', async () => {
    const tokens = new TokenService(settings);
    const { token } = await tokens.issueAccessToken(claims);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // A 32-byte signature is 43 characters: the last one carries 2 bits that decoding ignores.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1)!);
    const strayBits = `${signature.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(strayBits, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    const spellings = [
      `${token}=`,
      `${token}==`,
      `${header}=.${payload}.${signature}`,
      `${header}.${payload}=.${signature}`,
      `${header}.${payload}.${strayBits}`,
    ];
    for (const spelling of spellings)
      await expect(tokens.verifyAccessToken(spelling)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(await tokens.verifyAccessToken(token)).toEqual(claims);
  });

  it('remembers verified tokens up to a number of bytes, not of tokens', async () => {
    const tokens = new TokenService({ ...settings, verifiedTokenCacheBytes: 4096 });
    const issued = await Promise.all(Array.from({ length: 20 }, () => tokens.issueAccessToken(claims)));
    for (const { token } of issued) await tokens.verifyAccessToken(token);
    const remembered = (tokens as unknown as { verified: { size: number; bytes: number } }).verified;
    expect(remembered.bytes).toBeLessThanOrEqual(4096);
    expect(remembered.size).toBeGreaterThan(0);
    expect(remembered.size).toBeLessThan(20);
  });
});
