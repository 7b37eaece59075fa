import { closeTestPools, ownerDb } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { addMember, createTenant, createUser, TEST_PASSWORD } from '../support/factories';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';

interface MembersPage {
  organization: {
    slug: string;
    members: {
      totalCount?: number;
      pageInfo: {
        hasNextPage: boolean;
        hasPreviousPage: boolean;
        startCursor: string | null;
        endCursor: string | null;
      };
      edges: { cursor: string; node: { role: string; status: string; user: { email: string; name: string } } }[];
    };
  };
}

const MEMBERS = `query Members($first: Int, $after: String, $last: Int, $before: String, $filter: MemberFilter) {
  organization {
    slug
    members(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { role status user { email name } } }
    }
  }
}`;

describe('organization and members', () => {
  let app: TestApp;
  const db = ownerDb();
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    app = await startTestApp();
    alice = await app.login(DEMO_USERS.alice, DEMO_PASSWORD);
    bob = await app.login(DEMO_USERS.bob, DEMO_PASSWORD);
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  const emails = (page: MembersPage) => page.organization.members.edges.map((e) => e.node.user.email);

  it('shows alice acme and its members, and nothing of globex', async () => {
    const res = await app.gql<MembersPage>(MEMBERS, { token: alice });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.organization.slug).toBe('acme');
    expect(emails(res.body.data!)).toEqual([DEMO_USERS.alice, DEMO_USERS.carol, DEMO_USERS.dave]);
    expect(res.body.data!.organization.members.totalCount).toBe(3);
    expect(JSON.stringify(res.body)).not.toContain(DEMO_USERS.bob);
  });

  it('shows bob globex only', async () => {
    const res = await app.gql<MembersPage>(MEMBERS, { token: bob });
    expect(res.body.data!.organization.slug).toBe('globex');
    expect(emails(res.body.data!)).toEqual([DEMO_USERS.bob, DEMO_USERS.carol]);
    expect(JSON.stringify(res.body)).not.toContain(DEMO_USERS.alice);
    expect(JSON.stringify(res.body)).not.toContain(DEMO_USERS.dave);
  });

  it('filters members by status and role', async () => {
    const pnm = await app.gql<MembersPage>(MEMBERS, { token: alice, variables: { filter: { status: ['PNM'] } } });
    expect(emails(pnm.body.data!)).toEqual([DEMO_USERS.dave]);
    expect(pnm.body.data!.organization.members.totalCount).toBe(1);
    const owners = await app.gql<MembersPage>(MEMBERS, {
      token: alice,
      variables: { filter: { role: ['OWNER', 'ADMIN'] } },
    });
    expect(emails(owners.body.data!)).toEqual([DEMO_USERS.alice]);
    const both = await app.gql<MembersPage>(MEMBERS, {
      token: alice,
      variables: { filter: { status: ['ACTIVE'], role: ['MEMBER'] } },
    });
    expect(emails(both.body.data!)).toEqual([DEMO_USERS.carol]);
  });

  describe('pagination', () => {
    let token: string;
    let all: string[];

    beforeAll(async () => {
      const tenant = await createTenant(db, { members: 11 });
      token = await app.login(tenant.owner.email, TEST_PASSWORD);
      const res = await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 100 } });
      all = emails(res.body.data!);
      expect(all).toHaveLength(12);
    });

    it('walks forward with first/after, every member exactly once, in a stable order', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const res: { body: { data?: MembersPage | null } } = await app.gql<MembersPage>(MEMBERS, {
          token,
          variables: { first: 5, after },
        });
        const members = res.body.data!.organization.members;
        seen.push(...members.edges.map((e) => e.node.user.email));
        expect(members.totalCount).toBe(12);
        expect(members.pageInfo.hasPreviousPage).toBe(after !== null);
        pages++;
        if (!members.pageInfo.hasNextPage) break;
        after = members.pageInfo.endCursor;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(all);
    });

    it('walks backward with last/before', async () => {
      const last = await app.gql<MembersPage>(MEMBERS, { token, variables: { last: 5 } });
      expect(emails(last.body.data!)).toEqual(all.slice(7));
      expect(last.body.data!.organization.members.pageInfo.hasPreviousPage).toBe(true);
      const before = await app.gql<MembersPage>(MEMBERS, {
        token,
        variables: { last: 5, before: last.body.data!.organization.members.pageInfo.startCursor },
      });
      expect(emails(before.body.data!)).toEqual(all.slice(2, 7));
      expect(before.body.data!.organization.members.pageInfo.hasNextPage).toBe(true);
    });

    it('keeps cursors stable when members join in between', async () => {
      const first = await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 4 } });
      const tenantOrg = await app.gql<{ viewer: { organization: { id: string } } }>(
        '{ viewer { organization { id } } }',
        { token },
      );
      const newcomer = await createUser(db);
      await addMember(db, tenantOrg.body.data!.viewer.organization.id, newcomer.id);
      const next = await app.gql<MembersPage>(MEMBERS, {
        token,
        variables: { first: 4, after: first.body.data!.organization.members.pageInfo.endCursor },
      });
      expect(emails(next.body.data!)).toEqual(all.slice(4, 8));
    });

    it('orders by newest first when asked, with cursors of that order only', async () => {
      const MEMBERS_DESC = MEMBERS.replace(
        '$filter: MemberFilter)',
        '$filter: MemberFilter, $orderBy: MemberOrder)',
      ).replace('filter: $filter)', 'filter: $filter, orderBy: $orderBy)');
      const page1 = await app.gql<MembersPage>(MEMBERS_DESC, {
        token,
        variables: { first: 5, orderBy: 'JOINED_AT_DESC' },
      });
      const page2 = await app.gql<MembersPage>(MEMBERS_DESC, {
        token,
        variables: {
          first: 5,
          orderBy: 'JOINED_AT_DESC',
          after: page1.body.data!.organization.members.pageInfo.endCursor,
        },
      });
      const desc = [...emails(page1.body.data!), ...emails(page2.body.data!)];
      const ascNow = emails((await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 100 } })).body.data!);
      expect(desc).toEqual([...ascNow].reverse().slice(0, 10));
      // an ascending cursor is refused by the descending order
      const mixed = await app.gql<MembersPage>(MEMBERS_DESC, {
        token,
        variables: {
          first: 5,
          orderBy: 'JOINED_AT_DESC',
          after: (await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 1 } })).body.data!.organization
            .members.pageInfo.endCursor,
        },
      });
      expect(mixed.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    });

    it('filters by a joined-at range', async () => {
      const future = await app.gql<MembersPage>(MEMBERS, {
        token,
        variables: { first: 50, filter: { joinedAt: { gt: new Date(Date.now() + 60_000).toISOString() } } },
      });
      expect(emails(future.body.data!)).toEqual([]);
      const past = await app.gql<MembersPage>(MEMBERS, {
        token,
        variables: { first: 50, filter: { joinedAt: { lte: new Date(Date.now() + 60_000).toISOString() } } },
      });
      expect(emails(past.body.data!).length).toBeGreaterThanOrEqual(12);
    });

    it('defaults to 20 and refuses more than 100 or both first and last, naming the argument', async () => {
      const big = await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 101 } });
      expect(big.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'first' } });
      const negative = await app.gql<MembersPage>(MEMBERS, { token, variables: { last: -1 } });
      expect(negative.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'last' } });
      const both = await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 1, last: 1 } });
      expect(both.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      const cursor = Buffer.from(
        `["joined_at","2026-01-01 00:00:00+00","00000000-0000-4000-8000-000000000000"]`,
      ).toString('base64url');
      const crossed = await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 2, before: cursor } });
      expect(crossed.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'before' } });
      const crossedBack = await app.gql<MembersPage>(MEMBERS, { token, variables: { last: 2, after: cursor } });
      expect(crossedBack.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
    });

    it('refuses cursors that are not ours with BAD_USER_INPUT, before any SQL', async () => {
      for (const after of [
        'garbage',
        Buffer.from('["joined_at","x","not-a-uuid"]').toString('base64url'),
        Buffer.from('["name","a","00000000-0000-4000-8000-000000000000"]').toString('base64url'),
        "'; drop table users; --",
      ]) {
        const res = await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 2, after } });
        expect(res.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
        expect(res.body.data?.organization?.members ?? null).toBeNull();
      }
    });

    it('returns an empty page for first: 0 with the right count', async () => {
      const res = await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 0 } });
      expect(res.body.data!.organization.members.edges).toEqual([]);
      expect(res.body.data!.organization.members.totalCount).toBeGreaterThanOrEqual(12);
    });
  });

  it('sends the same number of SQL statements for 2 members as for 30 (members and their users are batched)', async () => {
    const small = await createTenant(db, { members: 1 });
    const large = await createTenant(db, { members: 29 });
    const statementsFor = async (email: string) => {
      const token = await app.login(email, TEST_PASSWORD);
      const res = await app.gql<MembersPage>(MEMBERS, { token, variables: { first: 50 } });
      expect(res.body.errors).toBeUndefined();
      return { members: res.body.data!.organization.members.edges.length, statements: app.requests.at(-1)!.statements };
    };
    const a = await statementsFor(small.owner.email);
    const b = await statementsFor(large.owner.email);
    expect([a.members, b.members]).toEqual([2, 30]);
    expect(b.statements).toBe(a.statements);
    // BEGIN+settings, organization, membership (permission check), members page, users, count, COMMIT
    expect(a.statements).toBeLessThanOrEqual(7);
  });

  it('does not run the count unless totalCount is selected', async () => {
    const withCount = await app.gql('{ organization { members(first: 5) { totalCount edges { cursor } } } }', {
      token: alice,
    });
    expect(withCount.body.errors).toBeUndefined();
    const counted = app.requests.at(-1)!.statements;
    await app.gql('{ organization { members(first: 5) { edges { cursor } } } }', { token: alice });
    expect(app.requests.at(-1)!.statements).toBe(counted - 1);
  });

  it('never mixes tenants across concurrent requests sharing one pooled connection', async () => {
    const single = await startTestApp({ poolMax: 1 });
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const token = i % 2 ? alice : bob;
          return single
            .gql<MembersPage>(MEMBERS, { token })
            .then((res) => ({ i, slug: res.body.data!.organization.slug, emails: emails(res.body.data!) }));
        }),
      );
      for (const r of results) {
        expect(r.slug).toBe(r.i % 2 ? 'acme' : 'globex');
        expect(r.emails.includes(DEMO_USERS.bob)).toBe(r.slug === 'globex');
        expect(r.emails.includes(DEMO_USERS.alice)).toBe(r.slug === 'acme');
      }
    } finally {
      await single.close();
    }
  });
});
