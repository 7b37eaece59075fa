import path from 'node:path';
import { ConfigError } from '../errors';
import { loadOrCreateSecrets } from '../secrets';
import { bootstrapDatabase, roleUrl, ROLES } from './bootstrap';
import { startEmbeddedPostgres } from './embedded';

export const DATABASE_NAME = 'tenantql';

/** Where the database comes from: an embedded cluster we run ourselves, or one the operator runs. */
export type DatabaseSource =
  | { kind: 'embedded'; dataDir: string; port: number }
  | { kind: 'external'; appUrl: string; ownerUrl: string | undefined };

/** What provisioning reads of the configuration (src/config.ts's `Config` has both). */
export interface ProvisionSettings {
  database: DatabaseSource;
  secrets: { jwtSecret: string | undefined; encryptionKeys: string | undefined };
}

/** Where to connect, whichever way the database came to be. */
export interface ProvisionedDatabase {
  kind: 'embedded' | 'external';
  appUrl: string;
  /** Missing for an external database without DATABASE_OWNER_URL: migrations are then the operator's. */
  ownerUrl: string | undefined;
  jwtSecret: string;
  /** Required to serve and to rotate keys; migrations do without. */
  encryptionKeys: string | undefined;
  stop(): Promise<void>;
}

/**
 * Embedded mode: starts (or reuses) the cluster in DATA_DIR, creates the roles and database
 * and generates the secrets once (`onProgress` hears what takes time). External mode: uses DATABASE_URL / DATABASE_OWNER_URL and
 * requires JWT_SECRET from the environment.
 */
export async function provisionDatabase(
  config: ProvisionSettings,
  onProgress?: (message: string) => void,
): Promise<ProvisionedDatabase> {
  const source = config.database;
  if (source.kind === 'external') {
    if (!config.secrets.jwtSecret) {
      throw new ConfigError(
        'JWT_SECRET is required with DATABASE_URL (at least 32 bytes, e.g. `openssl rand -base64 48`)',
      );
    }
    return {
      kind: 'external',
      appUrl: source.appUrl,
      ownerUrl: source.ownerUrl,
      jwtSecret: config.secrets.jwtSecret,
      encryptionKeys: config.secrets.encryptionKeys,
      stop: async () => undefined,
    };
  }

  const secrets = loadOrCreateSecrets(source.dataDir);
  const server = await startEmbeddedPostgres({
    dir: path.join(source.dataDir, 'pg'),
    port: source.port,
    superuserPassword: secrets.superuserPassword,
    onProgress,
  });
  try {
    const superuserUrl = server.superuserUrl('postgres');
    await bootstrapDatabase({
      superuserUrl,
      database: DATABASE_NAME,
      ownerPassword: secrets.ownerPassword,
      appPassword: secrets.appPassword,
    });
    return {
      kind: 'embedded',
      appUrl: roleUrl(superuserUrl, ROLES.app, secrets.appPassword, DATABASE_NAME),
      ownerUrl: roleUrl(superuserUrl, ROLES.owner, secrets.ownerPassword, DATABASE_NAME),
      jwtSecret: config.secrets.jwtSecret ?? secrets.jwtSecret,
      encryptionKeys: config.secrets.encryptionKeys ?? secrets.encryptionKeys,
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
