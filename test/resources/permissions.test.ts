import { closeTestPools, testPool } from '../support/db';
import { PERMISSIONS } from '../../src/auth/permissions';

describe('the permission catalog in TypeScript', () => {
  const superuser = testPool('superuser', 1);
  afterAll(closeTestPools);

  it('equals the keys of the permissions table', async () => {
    const { rows } = await superuser.query<{ key: string }>('select key from permissions order by key');
    expect([...PERMISSIONS].sort()).toEqual(rows.map((row) => row.key));
  });
});
