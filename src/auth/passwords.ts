import { hash, verify, Algorithm } from '@node-rs/argon2';

/** OWASP's argon2id minimum: 19 MiB of memory, 2 iterations, 1 lane. */
const PARAMETERS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMETERS);
}

/** A real hash of a random password, verified when no account matches so both paths cost the same. */
let decoy: Promise<string> | undefined;

/**
 * Checks a password against a stored hash. With no hash (unknown email, external-identity
 * account) it still runs one verification, so timing does not tell which accounts exist.
 */
export async function verifyPassword(storedHash: string | null | undefined, password: string): Promise<boolean> {
  if (!storedHash) {
    decoy ??= hashPassword(`decoy-${Math.random()}`);
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false; // a malformed stored hash never signs anyone in
  }
}
