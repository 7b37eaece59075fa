import { sql, type Kysely } from 'kysely';
import { KeyRing } from '../auth/keyring';
import type { Database } from './schema';

/**
 * Every column holding application-encrypted secrets, with the associated data its ciphertext
 * is bound to. A module that adds an encrypted column adds it here, so key rotation covers it.
 */
export const ENCRYPTED_COLUMNS = [
  { table: 'users', column: 'phone_number', context: (row: { id: string }) => `users.phone_number:${row.id}` },
] as const;

export interface RotationReport {
  table: string;
  column: string;
  rotated: number;
}

/**
 * Re-encrypts every value not under the ring's newest key (`npm run db:rotate-keys`), in one
 * transaction, as the owner in maintenance mode. Afterwards the older keys can be dropped from
 * ENCRYPTION_KEYS. A value that does not decrypt stops the rotation, naming where it is.
 */
export async function rotateEncryptionKeys(db: Kysely<Database>, keyring: KeyRing): Promise<RotationReport[]> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.maintenance', 'on', true)`.execute(trx);
    const reports: RotationReport[] = [];
    for (const spec of ENCRYPTED_COLUMNS) {
      const table = sql.table(spec.table);
      const column = sql.ref(spec.column);
      const { rows } = await sql<{ id: string; value: string }>`
        select id, ${column} as value from ${table}
         where ${column} is not null and split_part(${column}, '.', 2) <> ${keyring.currentKeyId}
         for update`.execute(trx);
      for (const row of rows) {
        let plaintext: string;
        try {
          plaintext = keyring.decrypt(row.value, spec.context(row));
        } catch (error) {
          throw new Error(`${spec.table}.${spec.column} of row ${row.id}: ${(error as Error).message}`);
        }
        await sql`update ${table} set ${column} = ${keyring.encrypt(plaintext, spec.context(row))} where id = ${row.id}`.execute(
          trx,
        );
      }
      reports.push({ table: spec.table, column: spec.column, rotated: rows.length });
    }
    return reports;
  });
}
