import { DecryptionError, KeyRing } from '../../src/auth/keyring';

const key = (n: number) => Buffer.alloc(32, n).toString('base64');

describe('KeyRing (AES-256-GCM with key ids)', () => {
  const oldRing = KeyRing.parse(`k1:${key(1)}`);
  const ring = KeyRing.parse(`k2:${key(2)}, k1:${key(1)}`);
  const where = 'users.phone_number:0b0b0b0b-0000-4000-8000-000000000001';

  it('round-trips, encrypting under the newest key with a fresh nonce each time', () => {
    const a = ring.encrypt('+15551234567', where);
    const b = ring.encrypt('+15551234567', where);
    expect(a).toMatch(/^v1\.k2\./);
    expect(a).not.toBe(b);
    expect(a).not.toContain('5551234567');
    expect(ring.decrypt(a, where)).toBe('+15551234567');
  });

  it('decrypts values made under an older key still in the ring', () => {
    const old = oldRing.encrypt('secret', where);
    expect(KeyRing.keyIdOf(old)).toBe('k1');
    expect(ring.decrypt(old, where)).toBe('secret');
  });

  it('fails loudly on tampering, on a value moved to another row, and on a key no longer in the ring, never echoing the value', () => {
    const stored = ring.encrypt('+15551234567', where);
    const parts = stored.split('.');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const tampered = [
      [...parts.slice(0, 3), flip(parts[3]!), parts[4]].join('.'),
      [...parts.slice(0, 4), flip(parts[4]!)].join('.'),
      [parts[0], parts[1], flip(parts[2]!), parts[3], parts[4]].join('.'),
      'not a ciphertext',
    ];
    for (const value of tampered) {
      expect(() => ring.decrypt(value, where)).toThrow(DecryptionError);
    }
    expect(() => ring.decrypt(stored, 'users.phone_number:another-row')).toThrow(DecryptionError);
    expect(() => oldRing.decrypt(stored, where)).toThrow(/key k2 is not in the key ring/);
    try {
      ring.decrypt(stored, 'elsewhere');
    } catch (error) {
      expect(String(error)).not.toContain('5551234567');
    }
  });

  it('refuses malformed key specifications', () => {
    expect(() => KeyRing.parse('')).toThrow(/at least one key/);
    expect(() => KeyRing.parse(`k1:${Buffer.alloc(16).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => KeyRing.parse(`k1:${key(1)},k1:${key(2)}`)).toThrow(/listed twice/);
    expect(() => KeyRing.parse(`bad id:${key(1)}`)).toThrow(/keyId/);
    expect(KeyRing.parse(KeyRing.generateEntry('fresh')).currentKeyId).toBe('fresh');
  });
});
