import crypto from 'node:crypto';
import { Migrator, sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { createKysely, createPool, withTenant } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../db/migrations';
import { TOKEN_TABLES } from '../../db/migrations/2026_12_03_0023_token_directory';
import { closeTestPools, ownerDb, testPool, testUrls } from '../support/db';
import { addMember, createOrganization, createTenant, createUser } from '../support/factories';
import { createScratchDatabase } from '../support/scratch-database';

type Kind = (typeof TOKEN_TABLES)[number]['kind'];
interface Token {
  kind: Kind;
  organizationId: string;
  id: string;
  hash: string;
}

const newHash = () => crypto.randomBytes(32).toString('hex');
const tableOf = (kind: Kind) => TOKEN_TABLES.find((t) => t.kind === kind)!;

/** One row of each kind of token in the organization, made by its member `userId` (who may invite and sign in). */
async function insertToken(db: Kysely<Database>, kind: Kind, organizationId: string, userId: string, hash = newHash()) {
  const id = await withTenant(db, { organizationId, userId }, async (trx) => {
    if (kind === 'invitation') {
      return trx
        .insertInto('invitations')
        .values({
          organization_id: organizationId,
          email: `invitee_${hash.slice(0, 8)}@example.test`,
          role: 'member',
          token_hash: hash,
          expires_at: new Date(Date.now() + 86_400_000),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
    }
    if (kind === 'api_key') {
      return trx
        .insertInto('api_keys')
        .values({
          organization_id: organizationId,
          name: 'directory key',
          prefix: `tq_${hash.slice(0, 8)}`,
          secret_hash: hash,
          permissions: ['members:read'],
        })
        .returning('id')
        .executeTakeFirstOrThrow();
    }
    return trx
      .insertInto('auth_refresh_tokens')
      .values({
        organization_id: organizationId,
        user_id: userId,
        family_id: crypto.randomUUID(),
        token_hash: hash,
        expires_at: new Date(Date.now() + 3_600_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  });
  return { kind, organizationId, id: id.id, hash } satisfies Token;
}

/** What the directory says about a hash (read as the owner, who owns the table). */
async function directoryEntry(db: Kysely<Database>, hash: string) {
  const { rows } = await sql<{ kind: string; organization_id: string; id: string }>`
    select kind, organization_id, id from app.token_directory where token_hash = ${hash}`.execute(db);
  return rows[0] ?? null;
}

/** The row each lookup finds for a hash, as the app role before any tenant is set; null when none. */
async function lookUp(app: pg.Pool, kind: Kind, hash: string, email?: string) {
  if (kind === 'invitation') {
    const { rows } = await app.query<{ organization_id: string; invitation_id: string }>(
      'select organization_id, invitation_id from app.invitation_by_token($1)',
      [hash],
    );
    return rows[0] ? { organizationId: rows[0].organization_id, id: rows[0].invitation_id } : null;
  }
  if (kind === 'api_key') {
    const { rows } = await app.query<{ organization_id: string; api_key_id: string }>(
      'select organization_id, api_key_id from app.authenticate_api_key_for($1, null)',
      [hash],
    );
    return rows[0] ? { organizationId: rows[0].organization_id, id: rows[0].api_key_id } : null;
  }
  // Spends nothing: the session a live refresh token belongs to.
  const { rows } = await app.query<{ family_id: string | null }>(
    'select app.live_session_family($1, $2) as family_id',
    [email, hash],
  );
  return rows[0]!.family_id;
}

async function rotate(app: pg.Pool, hash: string, newTokenHash = newHash()) {
  const { rows } = await app.query<{ outcome: string; organization_id: string | null }>(
    "select outcome, organization_id from app.rotate_refresh_token($1, $2, interval '1 hour', null, null)",
    [hash, newTokenHash],
  );
  return rows[0]!;
}

const sqlState = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: { code?: string; constraint?: string }) => ({ code: error.code, constraint: error.constraint }),
  );

const KINDS = TOKEN_TABLES.map((t) => t.kind);

describe('the token directory (a row found before its tenant is known)', () => {
  const db = ownerDb();
  let app: pg.Pool;
  let orgA: string;
  let orgB: string;
  let userA: { id: string; email: string };
  let userB: string;
  beforeAll(async () => {
    app = testPool('app');
    const a = await createTenant(db);
    const b = await createTenant(db);
    orgA = a.organization.id;
    orgB = b.organization.id;
    userA = a.owner;
    userB = b.owner.id;
  });
  afterAll(closeTestPools);

  it.each(KINDS)(
    'keeps an entry per %s row: added on insert, moved by a hash change, removed on delete',
    async (kind) => {
      const { table, column } = tableOf(kind);
      const token = await insertToken(db, kind, orgA, userA.id);
      expect(await directoryEntry(db, token.hash)).toEqual({ kind, organization_id: orgA, id: token.id });

      const changed = newHash();
      await withTenant(db, { organizationId: orgA, userId: null }, (trx) =>
        sql`update ${sql.table(table)} set ${sql.ref(column)} = ${changed} where id = ${token.id}`.execute(trx),
      );
      expect(await directoryEntry(db, token.hash)).toBeNull();
      expect(await directoryEntry(db, changed)).toEqual({ kind, organization_id: orgA, id: token.id });

      // An update that leaves the hash alone (a revocation) keeps the entry.
      await withTenant(db, { organizationId: orgA, userId: null }, (trx) =>
        sql`update ${sql.table(table)} set revoked_at = now(), ${sql.ref(column)} = ${changed}
           ${sql.raw(kind === 'refresh_token' ? ", revoked_reason = 'logout'" : '')} where id = ${token.id}`.execute(
          trx,
        ),
      );
      expect(await directoryEntry(db, changed)).toEqual({ kind, organization_id: orgA, id: token.id });

      await withTenant(db, { organizationId: orgA, userId: null }, (trx) =>
        sql`delete from ${sql.table(table)} where id = ${token.id}`.execute(trx),
      );
      expect(await directoryEntry(db, changed)).toBeNull();
    },
  );

  it('rotation adds the successor; a rotated or revoked token keeps its entry, so its reuse is still detected', async () => {
    const first = await insertToken(db, 'refresh_token', orgA, userA.id);
    const second = newHash();
    expect(await rotate(app, first.hash, second)).toEqual({ outcome: 'rotated', organization_id: orgA });
    const successor = await directoryEntry(db, second);
    expect(successor).toMatchObject({ kind: 'refresh_token', organization_id: orgA });
    const previous = await withTenant(db, { organizationId: orgA, userId: null }, (trx) =>
      trx
        .selectFrom('auth_refresh_tokens')
        .select('previous_token_id')
        .where('id', '=', successor!.id)
        .executeTakeFirstOrThrow(),
    );
    expect(previous.previous_token_id).toBe(first.id);
    expect(await lookUp(app, 'refresh_token', second, userA.email)).not.toBeNull();

    // The first token, presented again: found through the directory, and its family revoked.
    expect(await directoryEntry(db, first.hash)).toEqual({
      kind: 'refresh_token',
      organization_id: orgA,
      id: first.id,
    });
    expect(await rotate(app, first.hash)).toEqual({ outcome: 'reused', organization_id: orgA });
    expect(await lookUp(app, 'refresh_token', second, userA.email)).toBeNull();
    expect(await rotate(app, second)).toEqual({ outcome: 'reused', organization_id: orgA });
    expect(await directoryEntry(db, second)).toEqual(successor);
  });

  it('keeps a hash unique across every tenant and kind, as the global indexes did', async () => {
    for (const kind of KINDS) {
      const taken = await insertToken(db, kind, orgA, userA.id);
      for (const other of KINDS) {
        expect({ kind, other, error: await sqlState(insertToken(db, other, orgB, userB, taken.hash)) }).toEqual({
          kind,
          other,
          error: { code: '23505', constraint: 'token_directory_pkey' },
        });
      }
      // Rotation to a hash already handed out fails too, and leaves the token as it was.
      const refresh = await insertToken(db, 'refresh_token', orgB, userB);
      expect(await sqlState(rotate(app, refresh.hash, taken.hash))).toEqual({
        code: '23505',
        constraint: 'token_directory_pkey',
      });
      expect(await rotate(app, refresh.hash)).toEqual({ outcome: 'rotated', organization_id: orgB });
    }
  });

  it('is out of the app role’s reach, with or without a tenant', async () => {
    const token = await insertToken(db, 'api_key', orgA, userA.id);
    const client = await app.connect();
    try {
      for (const organizationId of ['', orgA]) {
        await client.query('begin');
        await client.query("select set_config('app.current_org_id', $1, true)", [organizationId]);
        for (const statement of [
          'select * from app.token_directory',
          `delete from app.token_directory where token_hash = '${token.hash}'`,
          `insert into app.token_directory values ('${newHash()}', 'api_key', '${orgA}', '${crypto.randomUUID()}')`,
          `update app.token_directory set organization_id = '${orgB}'`,
        ]) {
          await client.query('savepoint attempt');
          const error = await client.query(statement).then(
            () => null,
            (e: { code?: string }) => e.code,
          );
          await client.query('rollback to savepoint attempt');
          expect({ statement, error }).toEqual({ statement, error: '42501' });
        }
        await client.query('rollback');
      }
    } finally {
      client.release();
    }
    expect(await directoryEntry(db, token.hash)).toEqual({ kind: 'api_key', organization_id: orgA, id: token.id });
  });

  it('a token of organization A never finds a row for organization B', async () => {
    const tokens = await Promise.all(KINDS.map((kind) => insertToken(db, kind, orgA, userA.id)));
    const refresh = tokens.find((t) => t.kind === 'refresh_token')!;
    const found = async () =>
      Object.fromEntries(
        await Promise.all(tokens.map(async (t) => [t.kind, await lookUp(app, t.kind, t.hash, userA.email)])),
      );
    const familyId = await lookUp(app, 'refresh_token', refresh.hash, userA.email);
    expect(await found()).toEqual({
      invitation: { organizationId: orgA, id: tokens[0]!.id },
      api_key: { organizationId: orgA, id: tokens[1]!.id },
      refresh_token: familyId,
    });
    expect(familyId).toEqual(expect.any(String));

    // Acting for B, A's rows are not there to be found by their hash.
    const client = await app.connect();
    try {
      await client.query('begin');
      await client.query("select set_config('app.current_org_id', $1, true)", [orgB]);
      const { rows } = await client.query('select id from invitations where token_hash = $1', [tokens[0]!.hash]);
      expect(rows).toEqual([]);
      await client.query('rollback');
    } finally {
      client.release();
    }

    // The lookups read the row by the directory's (organization_id, id): an entry naming B finds
    // nothing, though the row with that hash exists in A; nor does a hash the directory lacks.
    const point = (organizationId: string) =>
      sql`update app.token_directory set organization_id = ${organizationId}
           where token_hash = any(${tokens.map((t) => t.hash)})`.execute(db);
    await point(orgB);
    expect(await found()).toEqual({ invitation: null, api_key: null, refresh_token: null });
    expect(await rotate(app, refresh.hash)).toEqual({ outcome: 'invalid', organization_id: null });
    await sql`delete from app.token_directory where token_hash = any(${tokens.map((t) => t.hash)})`.execute(db);
    expect(await found()).toEqual({ invitation: null, api_key: null, refresh_token: null });
    await sql`insert into app.token_directory (token_hash, kind, organization_id, id)
              select * from unnest(${tokens.map((t) => t.hash)}::text[], ${tokens.map((t) => t.kind)}::text[],
                                   ${tokens.map((t) => t.organizationId)}::uuid[], ${tokens.map((t) => t.id)}::uuid[])`.execute(
      db,
    );
    expect(await found()).toEqual({
      invitation: { organizationId: orgA, id: tokens[0]!.id },
      api_key: { organizationId: orgA, id: tokens[1]!.id },
      refresh_token: familyId,
    });
  });

  it('is filled from the rows that existed before the migration, and its down finds tokens as before', async () => {
    const scratch = await createScratchDatabase();
    const pool = createPool(scratch.ownerUrl, { max: 1, applicationName: 'jest-token-directory' });
    const owner = createKysely(pool);
    const appPool = createPool(roleUrl(testUrls.superuser, ROLES.app, 'test-app', scratch.name), {
      max: 1,
      applicationName: 'jest-token-directory-app',
    });
    const migrator = new Migrator({ db: owner, provider: { getMigrations: async () => migrations } });
    const names = Object.keys(migrations).sort();
    const before = names[names.indexOf('2026_12_03_0023_token_directory') - 1]!;
    const entries = async () =>
      (
        await sql<{ token_hash: string; kind: string; organization_id: string; id: string }>`
          select token_hash, kind, organization_id, id from app.token_directory order by token_hash`.execute(owner)
      ).rows;
    const expected = (tokens: Token[]) =>
      tokens
        .map((t) => ({ token_hash: t.hash, kind: t.kind, organization_id: t.organizationId, id: t.id }))
        .sort((x, y) => x.token_hash.localeCompare(y.token_hash));
    const allFound = async (tokens: Token[], email: string) =>
      Promise.all(
        tokens.map(async (t) => ({ kind: t.kind, found: (await lookUp(appPool, t.kind, t.hash, email)) !== null })),
      );
    try {
      expect((await migrator.migrateTo(before)).error).toBeUndefined();
      // Two tenants with one token of each kind, written before the directory exists.
      const tokens: Token[] = [];
      const people: { email: string }[] = [];
      for (let i = 0; i < 2; i++) {
        const organization = await createOrganization(owner);
        const user = await createUser(owner);
        await addMember(owner, organization.id, user.id, { role: 'owner' });
        people.push(user);
        for (const kind of KINDS) tokens.push(await insertToken(owner, kind, organization.id, user.id));
      }

      await migrateToLatest(owner, migrations);
      expect(await entries()).toEqual(expected(tokens));
      for (const [i, person] of people.entries()) {
        expect(await allFound(tokens.slice(3 * i, 3 * i + 3), person.email)).toEqual(
          KINDS.map((kind) => ({ kind, found: true })),
        );
      }

      // Down: the global indexes and the lookups by hash come back, and find the same rows.
      expect((await migrator.migrateTo(before)).error).toBeUndefined();
      const { rows: indexes } = await sql<{ definition: string }>`
        select indexdef as definition from pg_indexes
         where indexname in (${sql.join(TOKEN_TABLES.map((t) => t.index))}) order by indexname`.execute(owner);
      expect(indexes.map((r) => r.definition)).toEqual([
        'CREATE UNIQUE INDEX api_keys_secret_key ON public.api_keys USING btree (secret_hash)',
        'CREATE UNIQUE INDEX auth_refresh_tokens_hash_key ON public.auth_refresh_tokens USING btree (token_hash)',
        'CREATE UNIQUE INDEX invitations_token_key ON public.invitations USING btree (token_hash)',
      ]);
      const { rows: leftovers } = await sql`
        select 1 from pg_class where relname = 'token_directory'
        union all select 1 from pg_proc where prosrc like '%token_directory%'`.execute(owner);
      expect(leftovers).toEqual([]);
      expect(await allFound(tokens.slice(0, 3), people[0]!.email)).toEqual(
        KINDS.map((kind) => ({ kind, found: true })),
      );

      // A token written while down is there after the next up.
      const organization = await createOrganization(owner);
      const user = await createUser(owner);
      await addMember(owner, organization.id, user.id, { role: 'owner' });
      tokens.push(await insertToken(owner, 'api_key', organization.id, user.id));
      await migrateToLatest(owner, migrations);
      expect(await entries()).toEqual(expected(tokens));
    } finally {
      await owner.destroy();
      await appPool.end();
      await scratch.drop();
    }
  });
});
