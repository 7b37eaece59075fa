import crypto from 'node:crypto';
import { sql } from 'kysely';
import { MEMBERSHIP_ROLES } from '../../src/db/schema';
import { closeTestPools, ownerDb } from '../support/db';
import { withTenant } from '../../src/db/database';
import { addMember, createOrganization, createUser } from '../support/factories';

/** The data rules of seeds 000 and 004, enforced by the database itself. */
describe('tenancy tables', () => {
  const db = ownerDb();
  afterAll(closeTestPools);

  const violation = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: { code?: string }) => error.code,
    );

  it('ranks the built-in roles in SQL (app.role_rank) as the code lists them, most powerful first', async () => {
    const { rows } = await sql<{
      role: string;
    }>`select role from unnest(${sql.val([...MEMBERSHIP_ROLES])}::text[]) role order by app.role_rank(role) desc`.execute(
      db,
    );
    expect(rows.map((r) => r.role)).toEqual([...MEMBERSHIP_ROLES]);
    const { rows: check } = await sql<{
      definition: string;
    }>`select pg_get_constraintdef(oid) as definition from pg_constraint where conrelid = 'memberships'::regclass and pg_get_constraintdef(oid) like '%role%owner%'`.execute(
      db,
    );
    for (const role of MEMBERSHIP_ROLES) expect(check[0]!.definition).toContain(`'${role}'`);
  });

  it('accepts slugs of lowercase letters, digits and hyphens only, unique', async () => {
    await expect(createOrganization(db, { slug: `ok-slug-${crypto.randomUUID().slice(0, 6)}` })).resolves.toBeDefined();
    for (const slug of ['Upper', 'with space', 'under_score', '-leading', 'trailing-', 'ümlaut', '']) {
      expect({ slug, code: await violation(createOrganization(db, { slug })) }).toEqual({ slug, code: '23514' });
    }
    const taken = await createOrganization(db);
    expect(await violation(createOrganization(db, { slug: taken.slug }))).toBe('23505');
  });

  it('accepts usernames of 3-50 letters, digits and underscores only', async () => {
    await expect(createUser(db, { username: `Ok_${crypto.randomUUID().slice(0, 8)}` })).resolves.toBeDefined();
    for (const username of ['ab', 'x'.repeat(51), 'has space', 'dash-ed', 'dot.ted']) {
      expect({ username, code: await violation(createUser(db, { username })) }).toEqual({ username, code: '23514' });
    }
  });

  it('keeps emails valid and unique regardless of case', async () => {
    const user = await createUser(db);
    expect(await violation(createUser(db, { email: user.email.toUpperCase() }))).toBe('23505');
    for (const email of ['no-at-sign', 'two@@example.test', 'space in@example.test', 'nodot@example']) {
      expect({ email, code: await violation(createUser(db, { email })) }).toEqual({ email, code: '23514' });
    }
  });

  it('allows one live membership per user and organization; an ended one may be followed by a new one', async () => {
    const org = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, org.id, user.id, { joinedAt: new Date(Date.now() - 86_400_000), endedAt: new Date() });
    await addMember(db, org.id, user.id);
    expect(await violation(addMember(db, org.id, user.id))).toBe('23505');
    // the same person may be live in another organization
    await expect(addMember(db, (await createOrganization(db)).id, user.id)).resolves.toBeDefined();
  });

  it('refuses unknown roles and statuses and memberships that end before they start', async () => {
    const org = await createOrganization(db);
    const user = await createUser(db);
    expect(await violation(addMember(db, org.id, user.id, { role: 'superadmin' as never }))).toBe('23514');
    expect(await violation(addMember(db, org.id, user.id, { status: 'undergraduate' as never }))).toBe('23514');
    expect(
      await violation(
        addMember(db, org.id, user.id, { joinedAt: new Date(), endedAt: new Date(Date.now() - 86_400_000) }),
      ),
    ).toBe('23514');
  });

  it('refuses a membership pointing at a user or organization that does not exist', async () => {
    const org = await createOrganization(db);
    expect(await violation(addMember(db, org.id, crypto.randomUUID()))).toBe('23503');
  });

  it('maintains updated_at and updated_by on every change', async () => {
    const org = await createOrganization(db);
    const user = await createUser(db);
    const membership = await addMember(db, org.id, user.id);
    const updated = await withTenant(db, { organizationId: org.id, userId: user.id }, (trx) =>
      trx
        .updateTable('memberships')
        .set({ role: 'officer' })
        .where('id', '=', membership.id)
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    expect(updated.updated_at.getTime()).toBeGreaterThan(membership.updated_at.getTime());
    expect(updated.updated_by).toBe(user.id);
    expect(updated.created_by).toBeNull();
  });
});
