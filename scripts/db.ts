import 'reflect-metadata';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/schema';
import { loadConfig, loadEnvFile, requireEncryptionKeys, type Config } from '../src/config';
import { ConfigError } from '../src/errors';
import { createKysely, createPool } from '../src/db/database';
import { migrateToLatest, rollback, MigrationFailedError } from '../src/db/migrate';
import { migrations } from '../db/migrations';
import { bootstrapDatabase } from '../src/db/bootstrap';
import { DATABASE_NAME, provisionDatabase } from '../src/db/provision';
import { seedDemoData } from '../db/seed/demo';
import { rotateEncryptionKeys } from '../src/db/encrypted-columns';
import { KeyRing } from '../src/auth/keyring';
import { purgeAuditLog } from '../src/db/audit-retention';
import { cleanupUploads } from '../src/db/upload-cleanup';
import { createBlobStore } from '../src/blobs';

/**
 * `db.js bootstrap`: the three roles and the database, as a superuser of a server we are given
 * (compose's first one-off job); the README's role SQL is the same by hand. Idempotent.
 */
async function bootstrap(): Promise<void> {
  const env = {
    DATABASE_SUPERUSER_URL: process.env.DATABASE_SUPERUSER_URL,
    TENANTQL_OWNER_PASSWORD: process.env.TENANTQL_OWNER_PASSWORD,
    TENANTQL_APP_PASSWORD: process.env.TENANTQL_APP_PASSWORD,
  };
  const missing = Object.entries(env)
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length) throw new ConfigError(`db.js bootstrap needs ${missing.join(', ')}`);
  await bootstrapDatabase({
    superuserUrl: env.DATABASE_SUPERUSER_URL!,
    database: DATABASE_NAME,
    ownerPassword: env.TENANTQL_OWNER_PASSWORD!,
    appPassword: env.TENANTQL_APP_PASSWORD!,
  });
  console.log(`Roles and database ${DATABASE_NAME} are in place.`);
}

/**
 * `db.js cleanup-uploads`: uploads never used within a day, blobs nothing refers to, temporaries of
 * interrupted writes; as the owner, one organization at a time with its tenant set, against the
 * configured blob store.
 */
async function cleanup(db: Kysely<Database>, config: Config): Promise<void> {
  const store = await createBlobStore(config.blobStore);
  try {
    const report = await cleanupUploads(db, store);
    console.log(
      `Removed ${report.uploads} unused upload(s), ${report.blobs} unreferenced blob(s) and ${report.temporaries} temporary file(s) in ${report.organizations} organization(s).`,
    );
  } finally {
    await store.close();
  }
}

/** `npm run db:migrate | db:rollback | db:seed | db:rotate-keys | db:purge-audit | db:cleanup-uploads`, against the embedded or the configured database. */
async function main(command: string | undefined): Promise<void> {
  if (command === 'bootstrap') return bootstrap();
  if (!['migrate', 'rollback', 'seed', 'rotate-keys', 'purge-audit', 'cleanup-uploads'].includes(command ?? '')) {
    throw new ConfigError(
      'usage: db.js bootstrap | migrate | rollback [--all] | seed | rotate-keys | purge-audit | cleanup-uploads',
    );
  }
  loadEnvFile();
  const config = loadConfig();
  const database = await provisionDatabase(config, (message) => console.error(message));
  try {
    if (!database.ownerUrl) throw new ConfigError('DATABASE_OWNER_URL is required to change the schema');
    const db = createKysely(createPool(database.ownerUrl, { max: 1, applicationName: 'tenantql-db' }));
    try {
      if (command === 'migrate') {
        const ran = await migrateToLatest(db, migrations);
        console.log(ran.length ? ran.join('\n') : 'Nothing to migrate.');
        console.log('Policies applied.');
      } else if (command === 'rollback') {
        const ran = await rollback(db, migrations, { toZero: process.argv.includes('--all') });
        console.log(ran.length ? ran.join('\n') : 'Nothing to roll back.');
      } else if (command === 'rotate-keys') {
        const keyring = KeyRing.parse(requireEncryptionKeys(database.encryptionKeys));
        for (const r of await rotateEncryptionKeys(db, keyring)) {
          console.log(`${r.table}.${r.column}: ${r.rotated} value(s) re-encrypted under key ${keyring.currentKeyId}`);
        }
      } else if (command === 'cleanup-uploads') {
        await cleanup(db, config);
      } else if (command === 'purge-audit') {
        const removed = await purgeAuditLog(db, config.auditRetentionDays);
        const days = config.auditRetentionDays;
        console.log(
          `Removed ${removed} audit-log ${removed === 1 ? 'entry' : 'entries'} older than ${days} ${days === 1 ? 'day' : 'days'}.`,
        );
      } else {
        if (config.env === 'production') throw new ConfigError('the demo data is never loaded in production');
        console.log(
          (await seedDemoData(db))
            ? 'Demo data loaded.'
            : 'The database already has organizations; demo data not loaded.',
        );
      }
    } finally {
      await db.destroy();
    }
  } finally {
    await database.stop();
  }
}

main(process.argv[2]).catch((error) => {
  if (error instanceof MigrationFailedError) {
    console.error(
      `Migration failed: ${error.migrationName} (${error.direction.toLowerCase()}): ${error.reason instanceof Error ? error.reason.message : String(error.reason)}`,
    );
  } else {
    console.error(
      error instanceof ConfigError
        ? `Configuration error: ${error.message}`
        : error instanceof Error
          ? error.message
          : error,
    );
  }
  process.exit(1);
});
