import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { SIGN_IN_STATUSES, type Database, type MembershipRole, type MembershipStatus } from '../../src/db/schema';
import { setTenant } from '../../src/db/database';
import { hashPassword } from '../../src/auth/passwords';
import { seedWorkDemoData } from './work';
import { seedDocumentDemoData } from './documents';
import type { DemoAccount } from '../../src/http/graphiql-config';

export const DEMO_PASSWORD = 'DemoPass123';

/** The demo people of the README, by email. */
export const DEMO_USERS = {
  alice: 'alice@acme.test',
  bob: 'bob@globex.test',
  carol: 'carol@acme.test',
  dave: 'dave@acme.test',
} as const;

const organizations = [
  { slug: 'acme', name: 'Acme Corporation', plan_tier: 'professional' as const, seats_total: 25 },
  { slug: 'globex', name: 'Globex Inc.', plan_tier: 'starter' as const, seats_total: 10 },
];

const people = [
  { key: 'alice', username: 'alice', first_name: 'Alice', last_name: 'Anderson' },
  { key: 'bob', username: 'bob', first_name: 'Bob', last_name: 'Brown' },
  { key: 'carol', username: 'carol', first_name: 'Carol', last_name: 'Clark' },
  { key: 'dave', username: 'dave', first_name: 'Dave', last_name: 'Davis' },
] as const;

const memberships: { org: string; person: keyof typeof DEMO_USERS; role: MembershipRole; status: MembershipStatus }[] =
  [
    { org: 'acme', person: 'alice', role: 'owner', status: 'active' },
    { org: 'acme', person: 'carol', role: 'member', status: 'active' },
    // Seed 000: a prospective member (pnm) exists but may not sign in.
    { org: 'acme', person: 'dave', role: 'member', status: 'pnm' },
    { org: 'globex', person: 'bob', role: 'owner', status: 'active' },
    { org: 'globex', person: 'carol', role: 'viewer', status: 'active' },
  ];

/**
 * Every demo account that may sign in, once per organization: GraphiQL lists them in development
 * (src/http/graphiql.ts), derived from the memberships above so the two cannot disagree.
 */
export const DEMO_ACCOUNTS: DemoAccount[] = memberships
  .filter((m) => SIGN_IN_STATUSES.includes(m.status))
  .map((m) => ({ email: DEMO_USERS[m.person], organization: m.org, role: m.role }));

/**
 * Loads the demo organizations and users when the database has no organization yet.
 * Runs as the owner role, which RLS binds too: each insert acts for its own tenant or user.
 * Returns whether anything was loaded.
 */
export async function seedDemoData(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ exists: boolean }>`select app.organizations_exist() as exists`.execute(db);
  if (rows[0]?.exists) return false;

  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await db.transaction().execute(async (trx) => {
    const orgIds = new Map<string, string>();
    for (const org of organizations) {
      const id = crypto.randomUUID();
      orgIds.set(org.slug, id);
      await setTenant(trx, { organizationId: id, userId: null });
      await trx
        .insertInto('organizations')
        .values({ id, ...org, email: `hello@${org.slug}.test` })
        .execute();
    }
    const userIds = new Map<string, string>();
    for (const person of people) {
      const id = crypto.randomUUID();
      userIds.set(person.key, id);
      await setTenant(trx, { organizationId: null, userId: id });
      const { key, ...fields } = person;
      await trx
        .insertInto('users')
        .values({ id, ...fields, email: DEMO_USERS[key], password_hash: passwordHash })
        .execute();
    }
    for (const [index, m] of memberships.entries()) {
      const organizationId = orgIds.get(m.org)!;
      await setTenant(trx, { organizationId, userId: null });
      // Joined a day apart, in list order: "first organization" and member order are stable.
      const joinedAt = new Date(Date.now() - (memberships.length - index) * 86_400_000);
      await trx
        .insertInto('memberships')
        .values({
          organization_id: organizationId,
          user_id: userIds.get(m.person)!,
          role: m.role,
          status: m.status,
          joined_at: joinedAt,
        })
        .execute();
    }
    // Projects, sprints, milestones, tasks and comments, then folders and documents, written by each organization's owner.
    for (const org of organizations) {
      const owner = memberships.find((m) => m.org === org.slug && m.role === 'owner')!;
      const people = memberships
        .filter((m) => m.org === org.slug && SIGN_IN_STATUSES.includes(m.status))
        .map((m) => ({ key: m.person, userId: userIds.get(m.person)!, role: m.role }));
      await seedWorkDemoData(trx, {
        slug: org.slug,
        organizationId: orgIds.get(org.slug)!,
        ownerId: userIds.get(owner.person)!,
        people,
      });
      await seedDocumentDemoData(trx, {
        slug: org.slug,
        organizationId: orgIds.get(org.slug)!,
        ownerId: userIds.get(owner.person)!,
      });
    }
  });
  return true;
}
