import { KeyRing } from '../../src/auth/keyring';
import { rotateEncryptionKeys } from '../../src/db/encrypted-columns';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { createKysely, createPool } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../db/migrations';
import type { Database } from '../../src/db/schema';
import { createScratchDatabase } from '../support/scratch-database';
import { createUser } from '../support/factories';
import { phoneNumberContext } from '../../src/modules/tenancy/user.service';

// Rotation touches every row of the database: it runs on a database of its own.
describe('db:rotate-keys', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Kysely<Database>;
  let superuser: pg.Pool;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    db = createKysely(createPool(scratch.ownerUrl, { max: 2, applicationName: 'jest-rotate' }));
    await migrateToLatest(db, migrations);
    superuser = new pg.Pool({ connectionString: scratch.superuserUrl, max: 1 });
  });
  afterAll(async () => {
    await db.destroy();
    await superuser.end();
    await scratch.drop();
  });

  const k1entry = KeyRing.generateEntry('r1');
  const k2entry = KeyRing.generateEntry('r2');
  const k1 = KeyRing.parse(k1entry);
  const both = KeyRing.parse(`${k2entry},${k1entry}`);
  const onlyNew = KeyRing.parse(k2entry);

  async function userWithPhone(ring: KeyRing, phone: string) {
    const user = await createUser(db);
    await superuser.query('update users set phone_number = $1 where id = $2', [
      ring.encrypt(phone, phoneNumberContext(user.id)),
      user.id,
    ]);
    return user.id;
  }
  const phoneOf = async (id: string) =>
    (await superuser.query('select phone_number from users where id = $1', [id])).rows[0].phone_number as string;

  it('re-encrypts every value under the newest key, after which the old key can go', async () => {
    const ids = [await userWithPhone(k1, '+15550000001'), await userWithPhone(k1, '+15550000002')];
    const report = await rotateEncryptionKeys(db, both);
    expect(report).toEqual([{ table: 'users', column: 'phone_number', rotated: expect.any(Number) }]);
    expect(report[0]!.rotated).toBe(2);
    for (const [i, id] of ids.entries()) {
      const stored = await phoneOf(id);
      expect(KeyRing.keyIdOf(stored)).toBe('r2');
      expect(onlyNew.decrypt(stored, phoneNumberContext(id))).toBe(`+1555000000${i + 1}`);
    }
    expect((await rotateEncryptionKeys(db, both))[0]!.rotated).toBe(0);
  });

  it('stops on a value that does not decrypt, naming it, and changes nothing', async () => {
    const good = await userWithPhone(k1, '+15550000003');
    const bad = await createUser(db);
    await superuser.query('update users set phone_number = $1 where id = $2', [
      k1.encrypt('+15550000004', phoneNumberContext(good)),
      bad.id,
    ]);
    const before = await phoneOf(good);
    await expect(rotateEncryptionKeys(db, both)).rejects.toThrow(new RegExp(`users.phone_number of row ${bad.id}`));
    expect(await phoneOf(good)).toBe(before);
    await superuser.query('update users set phone_number = null where id = $1', [bad.id]);
  });
});
