import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type TestApp } from '../support/app';
import { addMember, createOrganization, createSession, createUser, TEST_PASSWORD } from '../support/factories';
import { createKysely, withTenant } from '../../src/db/database';
import { PROJECT_ROOT } from '../../src/paths';
import { NO_ORGANIZATION } from '../../src/graphql/auth-checker';

const ORGANIZATIONS = '{ viewer { organizations { id slug name role status isActive maySignIn current } } }';
const LOGIN =
  'mutation ($i: LoginInput!) { login(input: $i) { accessToken refreshToken refreshTokenExpiresAt user { id } organization { slug } } }';

interface Choice {
  id: string;
  slug: string;
  name: string;
  role: string;
  status: string;
  isActive: boolean;
  maySignIn: boolean;
  current: boolean;
}

const db = ownerDb();
const appDb = createKysely(testPool('app', 2));
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
  await closeTestPools();
});

describe('viewer.organizations', () => {
  /** A user in four organizations: active, suspended, deactivated, ended (not listed). */
  async function personInFour() {
    const user = await createUser(db);
    const [active, suspended, deactivated, ended] = await Promise.all([0, 1, 2, 3].map(() => createOrganization(db)));
    await addMember(db, active!.id, user.id, { role: 'admin', joinedAt: new Date(Date.now() - 4000) });
    await addMember(db, suspended!.id, user.id, { status: 'suspended', joinedAt: new Date(Date.now() - 3000) });
    await addMember(db, deactivated!.id, user.id, { role: 'owner', joinedAt: new Date(Date.now() - 2000) });
    await addMember(db, ended!.id, user.id, {
      joinedAt: new Date(Date.now() - 5000),
      endedAt: new Date(Date.now() - 1000),
    });
    await withTenant(db, { organizationId: deactivated!.id, userId: null }, (trx) =>
      trx.updateTable('organizations').set({ is_active: false }).where('id', '=', deactivated!.id).execute(),
    );
    // Someone else in the same organizations: none of their memberships may show.
    const other = await createUser(db);
    for (const org of [active!, suspended!, deactivated!]) await addMember(db, org.id, other.id);
    return { user, other, active: active!, suspended: suspended!, deactivated: deactivated!, ended: ended! };
  }

  it('lists every live membership with role, statuses and whether it admits, in one statement', async () => {
    const { user, active, suspended, deactivated } = await personInFour();
    const token = await app.login(user.email, TEST_PASSWORD, active.slug);
    const res = await app.gql<{ viewer: { organizations: Choice[] } }>(ORGANIZATIONS, { token });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.viewer.organizations).toEqual([
      {
        id: active.id,
        slug: active.slug,
        name: active.name,
        role: 'ADMIN',
        status: 'ACTIVE',
        isActive: true,
        maySignIn: true,
        current: true,
      },
      {
        id: suspended.id,
        slug: suspended.slug,
        name: suspended.name,
        role: 'MEMBER',
        status: 'SUSPENDED',
        isActive: true,
        maySignIn: false,
        current: false,
      },
      {
        id: deactivated.id,
        slug: deactivated.slug,
        name: deactivated.name,
        role: 'OWNER',
        status: 'ACTIVE',
        isActive: false,
        maySignIn: false,
        current: false,
      },
    ]);
    // BEGIN with the session check, the one function call, COMMIT: no statement per organization.
    expect(app.requests.at(-1)!.statements).toBe(3);
  });

  it('switchOrganization takes an id it lists (maySignIn) and refuses the others', async () => {
    const { user, active, suspended } = await personInFour();
    const second = await createOrganization(db);
    await addMember(db, second.id, user.id);
    const token = await app.login(user.email, TEST_PASSWORD, active.slug);
    const choices = (await app.gql<{ viewer: { organizations: Choice[] } }>(ORGANIZATIONS, { token })).body.data!.viewer
      .organizations;
    const target = choices.find((c) => c.maySignIn && !c.current)!;
    expect(target.id).toBe(second.id);
    const SWITCH =
      'mutation ($id: UUID!) { switchOrganization(input: { organizationId: $id }) { organization { slug } } }';
    const switched = await app.gql<{ switchOrganization: { organization: { slug: string } } }>(SWITCH, {
      token,
      variables: { id: target.id },
    });
    expect(switched.body.data?.switchOrganization.organization.slug).toBe(second.slug);
    expect(codeOf(await app.gql(SWITCH, { token, variables: { id: suspended.id } }))).toBe('FORBIDDEN');
  });

  describe('the SECURITY DEFINER function behind it', () => {
    it("returns only the current user's own memberships, only with a valid session, though RLS hides the other tenants' rows", async () => {
      const { user, other, active, suspended } = await personInFour();
      const session = await createSession(db, active.id, user.id);
      const as = async (userId: string, sessionId: string | null) =>
        withTenant(appDb, { organizationId: active.id, userId, sessionId }, async (trx) => ({
          visible: (
            await trx.selectFrom('memberships').select('organization_id').where('user_id', '=', userId).execute()
          ).map((r) => r.organization_id),
          listed: (
            await sql<{
              organization_id: string;
            }>`select organization_id from app.current_user_organizations()`.execute(trx)
          ).rows.map((r) => r.organization_id),
        }));
      const mine = await as(user.id, session);
      expect(mine.visible).toEqual([active.id]); // RLS: only the current tenant's
      expect(mine.listed).toEqual(expect.arrayContaining([active.id, suspended.id]));
      expect(mine.listed).toHaveLength(3);
      // Another user's context lists nothing of this user's; without a valid session, nothing at all.
      expect((await as(other.id, session)).listed).toEqual([]);
      expect((await as(user.id, null)).listed).toEqual([]);
    });

    it('is SECURITY DEFINER with an empty search_path, owned by tenantql_auth, executable by the app role only', async () => {
      const { rows } = await sql<{
        prosecdef: boolean;
        proconfig: string[];
        owner: string;
        app: boolean;
        public: boolean;
      }>`
        select p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner) as owner,
               has_function_privilege('tenantql_app', p.oid, 'execute') as app,
               exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0) as public
          from pg_proc p where p.oid in ('app.current_user_organizations()'::regprocedure, 'app.current_user_is_unaffiliated()'::regprocedure)`.execute(
        db,
      );
      expect(rows).toEqual(
        [0, 1].map(() => ({
          prosecdef: true,
          proconfig: ['search_path=""'],
          owner: 'tenantql_auth',
          app: true,
          public: false,
        })),
      );
    });
  });

  it('the curl example of docs/api.md (sign in, refresh, list, switch, sign out) works when run as written', async () => {
    const doc = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/api.md'), 'utf8');
    const block = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.includes('switchOrganization'));
    expect(block).toBeDefined();
    const script = block!.replace(/^API=.*$/m, `API=${app.url}`);
    expect(script).not.toBe(block);
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { timeout: 30_000 });
    expect(stdout).toMatch(
      /"switchOrganization":\{"accessToken":"[^"]+","refreshToken":"rt_[^"]+","organization":\{"slug":"acme"\}\}/,
    );
    expect(stdout).toContain('{"data":{"logout":{"sessionsEnded":1}}}');
  });
});

describe('a user who signed up without an organization', () => {
  async function signUp() {
    const email = `solo-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
    const res = await app.gql<{ signUp: { user: { id: string }; session: unknown } }>(
      'mutation ($i: SignUpInput!) { signUp(input: $i) { user { id } session { accessToken } } }',
      {
        variables: { i: { email, username: email.split('@')[0]!.replace(/[^a-z0-9]/g, '_'), password: TEST_PASSWORD } },
      },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.signUp.session).toBeNull();
    return { email, userId: res.body.data!.signUp.user.id };
  }
  const login = (email: string, organizationSlug?: string) =>
    app.gql<{
      login: {
        accessToken: string;
        refreshToken: string | null;
        refreshTokenExpiresAt: string | null;
        user: { id: string };
        organization: { slug: string } | null;
      };
    }>(LOGIN, { variables: { i: { email, password: TEST_PASSWORD, organizationSlug } } });

  it('signs in to a session without an organization, sees who they are, and creates an organization', async () => {
    const { email, userId } = await signUp();
    const signedIn = await login(email);
    expect(signedIn.body.errors).toBeUndefined();
    expect(signedIn.body.data!.login).toMatchObject({
      refreshToken: null,
      refreshTokenExpiresAt: null,
      user: { id: userId },
      organization: null,
    });
    const token = signedIn.body.data!.login.accessToken;

    const viewer = await app.gql(
      '{ viewer { user { id } organization { id } membership { id } permissions organizations { id } } }',
      { token },
    );
    expect(viewer.body).toEqual({
      data: {
        viewer: { user: { id: userId }, organization: null, membership: null, permissions: [], organizations: [] },
      },
    });

    const created = await app.gql<{
      createOrganization: { accessToken: string; refreshToken: string; organization: { slug: string } };
    }>(
      'mutation { createOrganization(input: { name: "Solo Works" }) { accessToken refreshToken organization { slug } } }',
      { token },
    );
    expect(created.body.errors).toBeUndefined();
    const { accessToken, refreshToken, organization } = created.body.data!.createOrganization;
    expect(refreshToken).toMatch(/^rt_/);
    const inside = await app.gql<{
      viewer: { membership: { role: string }; organizations: { slug: string; current: boolean }[] };
    }>('{ viewer { membership { role } organizations { slug current } } }', { token: accessToken });
    expect(inside.body.data!.viewer).toEqual({
      membership: { role: 'OWNER' },
      organizations: [{ slug: organization.slug, current: true }],
    });
    // From now on an ordinary sign-in enters the organization.
    expect((await login(email)).body.data!.login.organization).toEqual({ slug: organization.slug });
  });

  it('is refused everything tenant-scoped, cleanly (FORBIDDEN naming what is missing)', async () => {
    const { email } = await signUp();
    const token = (await login(email)).body.data!.login.accessToken;
    const refused = async (document: string) => {
      const res = await app.gql(document, { token });
      expect({
        document,
        status: res.status,
        error: res.body.errors?.[0]?.extensions?.code,
        message: res.body.errors?.[0]?.message,
      }).toEqual({ document, status: 200, error: 'FORBIDDEN', message: NO_ORGANIZATION });
      return res;
    };
    expect((await refused('{ projects(first: 5) { totalCount } }')).body.errors![0]!.extensions).toEqual({
      code: 'FORBIDDEN',
      permission: 'projects:read',
    });
    await refused('{ organization { name } }');
    await refused('{ permissions { key } }');
    await refused('mutation { updateProfile(input: { firstName: "X" }) { user { id } } }');
    await refused('mutation { createProject(input: { name: "Nope" }) { project { id } } }');
    // Signing out ends nothing (there is no refresh token), and the token stays limited.
    expect((await app.gql('mutation { logout { sessionsEnded } }', { token })).body).toEqual({
      data: { logout: { sessionsEnded: 0 } },
    });
  });

  it('accepts an invitation (with the token of the session without an organization in the header) and lands in the organization', async () => {
    const { email, userId } = await signUp();
    const token = (await login(email)).body.data!.login.accessToken;
    const org = await createOrganization(db);
    const owner = await createUser(db);
    await addMember(db, org.id, owner.id, { role: 'owner' });
    const ownerToken = await app.login(owner.email, TEST_PASSWORD, org.slug);
    const invited = await app.gql(
      'mutation ($e: String!) { inviteMember(input: { email: $e, role: MEMBER }) { invitation { id } } }',
      { token: ownerToken, variables: { e: email } },
    );
    expect(invited.body.errors).toBeUndefined();
    const superuser = testPool('superuser', 1);
    const mail = (
      await superuser.query(
        "select payload->>'token' as t from outbox where lower(to_address) = lower($1) and template = 'membership.invitation'",
        [email],
      )
    ).rows;
    const accepted = await app.gql<{ acceptInvitation: { accessToken: string; organization: { slug: string } } }>(
      'mutation ($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { accessToken organization { slug } } }',
      { token, variables: { i: { token: mail[0].t, password: TEST_PASSWORD } } },
    );
    expect(accepted.body.errors).toBeUndefined();
    expect(accepted.body.data!.acceptInvitation.organization.slug).toBe(org.slug);
    const viewer = await app.gql('{ viewer { user { id } membership { role } } }', {
      token: accepted.body.data!.acceptInvitation.accessToken,
    });
    expect(viewer.body).toEqual({ data: { viewer: { user: { id: userId }, membership: { role: 'MEMBER' } } } });
  });

  it('ends when the account is disabled', async () => {
    const { email, userId } = await signUp();
    const token = (await login(email)).body.data!.login.accessToken;
    await withTenant(db, { organizationId: null, userId }, (trx) =>
      trx.updateTable('users').set({ status: 'inactive' }).where('id', '=', userId).execute(),
    );
    const res = await app.gql('{ viewer { user { id } } }', { token });
    expect([res.status, codeOf(res)]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('is only for accounts that never had an organization: an ended membership, or a slug, still fails', async () => {
    const left = await createUser(db);
    const org = await createOrganization(db);
    await addMember(db, org.id, left.id, { joinedAt: new Date(Date.now() - 86_400_000), endedAt: new Date() });
    expect(codeOf(await login(left.email))).toBe('UNAUTHENTICATED');
    const { email } = await signUp();
    expect(codeOf(await login(email, org.slug))).toBe('UNAUTHENTICATED');
  });
});
