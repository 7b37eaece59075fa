import { sql, type Kysely } from 'kysely';
import { withTenant } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import { fixedStatement } from '../../src/db/statements';
import { closeTestPools, ownerDb } from '../support/db';
import { createOrganization } from '../support/factories';

/** fixedStatement: built once, then run from its SQL with each call's arguments. */
describe('fixedStatement', () => {
  const db = ownerDb();
  afterAll(closeTestPools);

  it('runs the statement built on first use with each later call’s own arguments', async () => {
    const a = await createOrganization(db);
    const b = await createOrganization(db);
    let builds = 0;
    const namesOf = fixedStatement((d: Kysely<Database>, ids: readonly string[]) => {
      builds++;
      return d
        .selectFrom('organizations')
        .select(['id', 'name'])
        .where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`)
        .orderBy('name');
    });
    const as = <T>(org: { id: string }, fn: (trx: Kysely<Database>) => Promise<T>) =>
      withTenant(db, { organizationId: org.id, userId: null }, fn);
    expect(await as(a, (trx) => namesOf(trx, [a.id]))).toEqual([{ id: a.id, name: a.name }]);
    expect(await as(b, (trx) => namesOf(trx, [b.id]))).toEqual([{ id: b.id, name: b.name }]);
    expect(await as(b, (trx) => namesOf(trx, [a.id, b.id]))).toEqual([{ id: b.id, name: b.name }]);
    expect(await as(a, (trx) => namesOf(trx, []))).toEqual([]);
    expect(builds).toBe(1);
  });

  it('refuses a statement with a value of its own, which a later call could not change', async () => {
    const live = fixedStatement((d: Kysely<Database>, ids: readonly string[]) =>
      d
        .selectFrom('organizations')
        .select('id')
        .where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`)
        .where('slug', '=', 'acme'),
    );
    await expect(live(db, [])).rejects.toThrow(/exactly its arguments/);
  });
});
