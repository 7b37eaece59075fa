import crypto from 'node:crypto';

/** Thrown for ciphertext that cannot be decrypted; never carries the plaintext or the key. */
export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt value: ${reason}`);
  }
}

const FORMAT = 'v1';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * AES-256-GCM under a ring of keys with ids, so keys can rotate: the first (newest) key
 * encrypts, every listed key decrypts. A ciphertext is `v1.<keyId>.<iv>.<data>.<tag>`
 * (base64url parts). The associated data binds a ciphertext to where it belongs (table, column,
 * row id): copied to another row, it fails to decrypt.
 *
 * @example
 * const ring = KeyRing.parse(process.env.ENCRYPTION_KEYS!); // "k2:base64key,k1:base64key"
 * const stored = ring.encrypt('+15551234567', `users.phone_number:${userId}`);
 * ring.decrypt(stored, `users.phone_number:${userId}`); // '+15551234567'
 */
export class KeyRing {
  private constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    readonly currentKeyId: string,
  ) {}

  /** Parses `keyId:base64key` entries, comma separated, newest first; each key is 32 bytes. */
  static parse(spec: string): KeyRing {
    const keys = new Map<string, Buffer>();
    let current: string | undefined;
    for (const entry of spec
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const colon = entry.indexOf(':');
      const id = entry.slice(0, colon);
      const key = Buffer.from(entry.slice(colon + 1), 'base64');
      if (colon < 1 || !KEY_ID.test(id))
        throw new Error('ENCRYPTION_KEYS: each entry must be keyId:base64key with a keyId of letters, digits, _ or -');
      if (key.length !== 32) throw new Error(`ENCRYPTION_KEYS: key ${id} must be 32 bytes (base64 of 32 random bytes)`);
      if (keys.has(id)) throw new Error(`ENCRYPTION_KEYS: key id ${id} is listed twice`);
      keys.set(id, key);
      current ??= id;
    }
    if (!current) throw new Error('ENCRYPTION_KEYS: at least one key is needed');
    return new KeyRing(keys, current);
  }

  /** A new random key entry for ENCRYPTION_KEYS. */
  static generateEntry(keyId: string): string {
    return `${keyId}:${crypto.randomBytes(32).toString('base64')}`;
  }

  encrypt(plaintext: string, associatedData: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, this.currentKeyId, iv, data, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  decrypt(stored: string, associatedData: string): string {
    const parts = stored.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT) throw new DecryptionError('unknown format');
    const [, keyId, iv, data, tag] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new DecryptionError(`key ${keyId} is not in the key ring`);
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('the ciphertext was altered, moved, or encrypted under another key');
    }
  }

  /** The key id a stored value was encrypted under (for rotation). */
  static keyIdOf(stored: string): string | undefined {
    return stored.split('.')[1];
  }
}
