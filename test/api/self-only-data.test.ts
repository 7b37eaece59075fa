import crypto from 'node:crypto';
import pg from 'pg';
import { Migrator } from 'kysely';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import { createScratchDatabase } from '../support/scratch-database';
import { SELF_ONLY_FIELDS } from '../../src/modules/tenancy/user.type';
import { createKysely, createPool } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../db/migrations';

/**
 * Self-only data (issue 13, items 9 and 12): what the API shows only to the user themselves never
 * reaches other members, API keys or the organization's auditors; it is declared once, in the
 * database (a `self-only:` column comment), and the GraphQL User type and the audit log follow.
 * A shared member's sign-in to one organization is not visible in another.
 */
describe('self-only data', () => {
  let app: TestApp;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);
  const selfOnlyColumns = async (table: string): Promise<string[]> =>
    (await superuser.query('select app.self_only_columns($1::regclass) as c', [table])).rows[0].c;
  const SELF_ONLY_SELECTION = Object.keys(SELF_ONLY_FIELDS).join(' ');

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  async function people() {
    const a = await createOrganization(db);
    const b = await createOrganization(db);
    const [ownerA, ownerB, shared] = [await createUser(db), await createUser(db), await createUser(db)];
    await addMember(db, a.id, ownerA.id, { role: 'owner' });
    await addMember(db, b.id, ownerB.id, { role: 'owner' });
    await addMember(db, a.id, shared.id);
    await addMember(db, b.id, shared.id);
    return { a, b, ownerA, ownerB, shared };
  }

  it("are declared once: the database's self-only columns of users are the User type's self-only fields", async () => {
    expect((await selfOnlyColumns('users')).sort()).toEqual(Object.values(SELF_ONLY_FIELDS).sort());
  });

  it('are shown only to the user: null to another member of the same organization', async () => {
    const { a, ownerA, shared } = await people();
    const own = await app.login(shared.email, TEST_PASSWORD, a.slug);
    const set = await app.gql(
      'mutation { updateProfile(input: {phoneNumber: "+15550001111", notificationPreferences: {digest: true}}) { user { id } } }',
      { token: own },
    );
    expect(set.body.errors).toBeUndefined();
    const mine = await app.gql<{ viewer: { user: Record<string, unknown> } }>(
      `{ viewer { user { ${SELF_ONLY_SELECTION} } } }`,
      { token: own },
    );
    for (const field of Object.keys(SELF_ONLY_FIELDS))
      expect({ field, value: mine.body.data!.viewer.user[field] ?? null }).not.toEqual({ field, value: null });

    const admin = await app.login(ownerA.email, TEST_PASSWORD, a.slug);
    const seen = await app.gql<{ organization: { members: { edges: { node: { user: Record<string, unknown> } }[] } } }>(
      `{ organization { members { edges { node { user { id ${SELF_ONLY_SELECTION} } } } } } }`,
      { token: admin },
    );
    expect(seen.body.errors).toBeUndefined();
    const theirs = seen.body.data!.organization.members.edges.map((e) => e.node.user).find((u) => u.id === shared.id)!;
    expect(theirs).toEqual({
      id: shared.id,
      ...Object.fromEntries(Object.keys(SELF_ONLY_FIELDS).map((f) => [f, null])),
    });
  });

  it("never reach the organization's audit log", async () => {
    const { a, ownerA, shared } = await people();
    const own = await app.login(shared.email, TEST_PASSWORD, a.slug); // stamps last_login_at
    const changed = await app.gql(
      'mutation { updateProfile(input: {firstName: "Quinn", phoneNumber: "+15550002222", notificationPreferences: {mentions: false}}) { user { id } } }',
      { token: own },
    );
    expect(changed.body.errors).toBeUndefined();
    // a change of self-only columns alone writes no entry at all
    expect(
      (await app.gql('mutation { updateProfile(input: {phoneNumber: null}) { user { id } } }', { token: own })).body
        .errors,
    ).toBeUndefined();

    const admin = await app.login(ownerA.email, TEST_PASSWORD, a.slug);
    const log = await app.gql<{
      auditLogs: { edges: { node: { action: string; changes: { before?: object; after?: object } } }[] };
    }>(`{ auditLogs(first: 100, filter: {resourceId: "${shared.id}"}) { edges { node { action changes } } } }`, {
      token: admin,
    });
    expect(log.body.errors).toBeUndefined();
    const entries = log.body.data!.auditLogs.edges.map((e) => e.node);
    expect(entries).toEqual([
      {
        action: 'user.update',
        changes: { before: { first_name: expect.any(String) }, after: { first_name: 'Quinn' } },
      },
    ]);
    const columns = await selfOnlyColumns('users');
    for (const entry of entries) {
      for (const side of [entry.changes.before, entry.changes.after])
        expect(Object.keys(side ?? {}).filter((k) => columns.includes(k))).toEqual([]);
    }
  });

  it('are left out by the audit trigger of every table, and declaring a new one is enough', async () => {
    // Every audit trigger ignores its table's self-only columns (its 4th argument).
    const { rows: triggers } = await superuser.query<{ table: string; args: string[] }>(`
      select t.tgrelid::regclass::text as table,
             string_to_array(rtrim(encode(t.tgargs, 'escape'), '\\000'), '\\000') as args
        from pg_trigger t where t.tgname = 'audit' and not t.tgisinternal`);
    expect(triggers.length).toBeGreaterThan(10);
    for (const { table, args } of triggers) {
      const ignored = args[3]!
        .replace(/^\{|\}$/g, '')
        .split(',')
        .filter(Boolean);
      for (const column of await selfOnlyColumns(table))
        expect({ table, column, ignored: ignored.includes(column) }).toEqual({ table, column, ignored: true });
    }

    // A column declared self-only later (here users.timezone, in a transaction rolled back) is left out too.
    const { a, shared } = await people();
    const client = new pg.Client({ connectionString: process.env.TEST_SUPERUSER_URL });
    await client.connect();
    try {
      await client.query('begin');
      await client.query("comment on column users.timezone is 'self-only: a test declaration'");
      await client.query(
        `select app.audit_table('users', 'user', '{"organizationColumn": "", "redact": ["password_hash"]}')`,
      );
      await client.query(
        "select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true)",
        [a.id, shared.id],
      );
      await client.query("update users set timezone = 'Europe/Lisbon', first_name = 'Tess' where id = $1", [shared.id]);
      const { rows } = await client.query(
        "select changes from audit_log where organization_id = $1 and resource_id = $2 and action = 'user.update'",
        [a.id, shared.id],
      );
      expect(rows.map((r) => r.changes)).toEqual([
        { before: { first_name: expect.any(String) }, after: { first_name: 'Tess' } },
      ]);
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });

  describe('sign-ins', () => {
    it('are kept per membership: signing in to one organization shows in no other', async () => {
      const { a, b, ownerA, ownerB, shared } = await people();
      const updatedAt = async () =>
        (await superuser.query('select updated_at from users where id = $1', [shared.id])).rows[0].updated_at as Date;
      const before = await updatedAt();
      await app.login(shared.email, TEST_PASSWORD, b.slug);
      // the global row's own metadata does not move either
      expect(await updatedAt()).toEqual(before);

      const members = async (token: string) => {
        const res = await app.gql<{
          organization: {
            members: {
              edges: { node: { lastLoginAt: string | null; user: { id: string; lastLoginAt: string | null } } }[];
            };
          };
        }>('{ organization { members { edges { node { lastLoginAt user { id lastLoginAt } } } } } }', { token });
        expect(res.body.errors).toBeUndefined();
        return res.body.data!.organization.members.edges.map((e) => e.node).find((n) => n.user.id === shared.id)!;
      };
      const inA = await members(await app.login(ownerA.email, TEST_PASSWORD, a.slug));
      expect(inA).toEqual({ lastLoginAt: null, user: { id: shared.id, lastLoginAt: null } });
      const inB = await members(await app.login(ownerB.email, TEST_PASSWORD, b.slug));
      expect(inB.user.lastLoginAt).toBeNull();
      expect(Date.now() - Date.parse(inB.lastLoginAt!)).toBeLessThan(60_000);

      // the user themselves still sees their last sign-in anywhere
      const own = await app.login(shared.email, TEST_PASSWORD, a.slug);
      const mine = await app.gql<{ viewer: { user: { lastLoginAt: string } } }>('{ viewer { user { lastLoginAt } } }', {
        token: own,
      });
      expect(Date.now() - Date.parse(mine.body.data!.viewer.user.lastLoginAt)).toBeLessThan(60_000);
    });

    it('are moved to the membership signed in to by migration 0018, and only to that one', async () => {
      const names = Object.keys(migrations);
      const ours = names.indexOf('2026_12_03_0018_people_privacy');
      const scratch = await createScratchDatabase();
      const owner = createKysely(createPool(scratch.ownerUrl, { max: 1, applicationName: 'jest-backfill' }));
      const su = new pg.Client({ connectionString: scratch.superuserUrl });
      try {
        const migrator = new Migrator({ db: owner, provider: { getMigrations: async () => migrations } });
        expect((await migrator.migrateTo(names[ours - 1]!)).error).toBeUndefined();
        await su.connect();
        const [orgA, orgB, user] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
        const signedIn = new Date('2026-11-30T12:00:00.123Z');
        await su.query("insert into organizations (id, name, slug) values ($1, 'A', $3), ($2, 'B', $4)", [
          orgA,
          orgB,
          `a-${orgA.slice(0, 8)}`,
          `b-${orgB.slice(0, 8)}`,
        ]);
        await su.query(
          "insert into users (id, email, username, last_login_at) values ($1, 'backfill@example.test', 'backfill', $2)",
          [user, signedIn],
        );
        await su.query('insert into memberships (organization_id, user_id) values ($1, $3), ($2, $3)', [
          orgA,
          orgB,
          user,
        ]);
        // a session started in A earlier, and the one whose login stamped last_login_at, in B
        await su.query(
          `insert into auth_refresh_tokens (organization_id, user_id, family_id, token_hash, expires_at, created_at)
                        values ($1, $3, gen_random_uuid(), $5, now() + interval '1 day', $4::timestamptz - interval '1 hour'),
                               ($2, $3, gen_random_uuid(), $6, now() + interval '1 day', $4)`,
          [orgA, orgB, user, signedIn, crypto.randomBytes(32).toString('hex'), crypto.randomBytes(32).toString('hex')],
        );

        await migrateToLatest(owner, migrations);
        const { rows } = await su.query('select organization_id, last_login_at from memberships where user_id = $1', [
          user,
        ]);
        expect(Object.fromEntries(rows.map((r) => [r.organization_id, r.last_login_at]))).toEqual({
          [orgA]: null,
          [orgB]: signedIn,
        });
        // and FORCE row-level security is back on
        const { rows: forced } = await su.query(
          "select bool_and(relforcerowsecurity) as ok from pg_class where relname in ('memberships', 'users', 'auth_refresh_tokens')",
        );
        expect(forced[0].ok).toBe(true);
      } finally {
        await su.end().catch(() => undefined);
        await owner.destroy();
        await scratch.drop();
      }
    });
  });
});
