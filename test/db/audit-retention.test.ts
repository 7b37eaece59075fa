import crypto from 'node:crypto';
import { sql } from 'kysely';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { createKysely } from '../../src/db/database';
import { purgeAuditLog } from '../../src/db/audit-retention';
import { createOrganization } from '../support/factories';

/** `npm run db:purge-audit`: the one way audit-log entries leave the database. */
describe('audit-log retention', () => {
  const db = ownerDb();
  afterAll(closeTestPools);

  /**
   * Entries as only the audit trigger's role may write them, dated `daysAgo` days back; returns
   * their ids in the same order. Committed, so the purge (another connection) sees them.
   */
  async function entriesAged(organizationId: string, daysAgo: number[]): Promise<string[]> {
    const client = await testPool('superuser', 1).connect();
    const ids = daysAgo.map(() => crypto.randomUUID());
    try {
      await client.query('begin');
      await client.query('set local role tenantql_auth');
      await client.query(
        `insert into audit_log (organization_id, id, created_at, action, resource_type)
                          select $1, id, now() - make_interval(days => age), 'task.create', 'task'
                            from unnest($2::uuid[], $3::int[]) as e(id, age)`,
        [organizationId, ids, daysAgo],
      );
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
    return ids;
  }

  /** Which of these entries are still there (read as the superuser, past RLS). */
  const remaining = async (ids: string[]) =>
    (
      await testPool('superuser', 1).query<{ id: string }>('select id from audit_log where id = any($1::uuid[])', [ids])
    ).rows
      .map((r) => r.id)
      .sort();

  it('removes the entries older than the retention, in every organization, and keeps the younger ones', async () => {
    const orgA = (await createOrganization(db)).id;
    const orgB = (await createOrganization(db)).id;
    const [a400, a366, a364, a1] = await entriesAged(orgA, [400, 366, 364, 1]);
    const [b400, b10] = await entriesAged(orgB, [400, 10]);

    // A global job: other test files' old entries (if any) go too, so count at least ours.
    expect(await purgeAuditLog(db, 365)).toBeGreaterThanOrEqual(3);
    expect(await remaining([a400!, a366!, a364!, a1!, b400!, b10!])).toEqual([a364!, a1!, b10!].sort());

    // A shorter retention takes more; running it again finds nothing more of ours.
    await purgeAuditLog(db, 5);
    expect(await remaining([a364!, a1!, b10!])).toEqual([a1!]);
  });

  it('refuses a retention that is not a whole number of days, at least 1, before touching anything', async () => {
    const [young] = await entriesAged((await createOrganization(db)).id, [0]);
    for (const days of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(purgeAuditLog(db, days)).rejects.toThrow(RangeError);
    }
    expect(await remaining([young!])).toEqual([young]);
  });

  it('leaves no maintenance setting behind on the connection', async () => {
    const single = createKysely(testPool('owner', 1));
    await purgeAuditLog(single, 365);
    const { rows } = await sql<{ maintenance: string | null; cutoff: string | null }>`
      select current_setting('app.maintenance', true) as maintenance, current_setting('app.audit_purge_before', true) as cutoff`.execute(
      single,
    );
    expect([rows[0]!.maintenance ?? '', rows[0]!.cutoff ?? '']).toEqual(['', '']);
  });
});
