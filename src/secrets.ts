import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Secrets of an embedded installation, generated once and kept (mode 0600) in the data directory. */
export interface LocalSecrets {
  superuserPassword: string;
  ownerPassword: string;
  appPassword: string;
  jwtSecret: string;
  /** Key ring for encrypted columns: `keyId:base64key` entries, comma separated, newest first. */
  encryptionKeys: string;
}

const random = (bytes: number) => crypto.randomBytes(bytes).toString('base64url');

export function generateSecrets(): LocalSecrets {
  return {
    superuserPassword: random(24),
    ownerPassword: random(24),
    appPassword: random(24),
    jwtSecret: random(48),
    encryptionKeys: `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}:${crypto.randomBytes(32).toString('base64')}`,
  };
}

/** Reads `secrets.json` from the data directory, creating it on first use. */
export function loadOrCreateSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  // 0711: the postgres system user (embedded mode as root) must traverse it to reach pg/.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  const stored = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : {};
  const secrets = { ...generateSecrets(), ...stored };
  if (Object.keys(stored).length === Object.keys(secrets).length) return secrets;
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}
