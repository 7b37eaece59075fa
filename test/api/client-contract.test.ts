import 'reflect-metadata';
import { getNullableType, isNonNullType, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { closeTestPools, ownerDb } from '../support/db';
import { startTestApp, TEST_SESSION_SETTINGS, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from '../support/factories';
import { createSchema } from '../../src/graphql/schema';
import { SIGN_IN_FAILED } from '../../src/modules/access/session.service';

const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }';

/** What a client relies on when something is refused: partial data, the missing permission, the 401 challenge, one sign-in message. */
describe('client contract of refusals', () => {
  const db = ownerDb();
  let app: TestApp;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    app = await startTestApp();
    schema = await createSchema();
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  async function memberToken(role: 'member' | 'viewer' = 'member') {
    const org = await createOrganization(db);
    const user = await createUser(db);
    await addMember(db, org.id, user.id, { role });
    return { org, user, token: await app.login(user.email, TEST_PASSWORD, org.slug) };
  }

  describe('a forbidden field does not wipe out the fields the caller may read', () => {
    it('answers a permitted root field and refuses a forbidden one in the same query', async () => {
      const { user, token } = await memberToken();
      const res = await app.gql<{ viewer: { user: { id: string } }; auditLogs: unknown }>(
        '{ viewer { user { id } } auditLogs(first: 1) { totalCount } }',
        { token },
      );
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ viewer: { user: { id: user.id } }, auditLogs: null });
      expect(res.body.errors).toEqual([
        expect.objectContaining({
          path: ['auditLogs'],
          extensions: { code: 'FORBIDDEN', permission: 'audit:read' },
        }),
      ]);
    });

    it('keeps the organization when one of its guarded lists is forbidden', async () => {
      const { org, token } = await memberToken('viewer');
      const res = await app.gql<{ organization: { slug: string; invitations: unknown } }>(
        '{ organization { slug invitations(first: 1) { totalCount } } }',
        { token },
      );
      expect(res.body.data).toEqual({ organization: { slug: org.slug, invitations: null } });
      expect(res.body.errors?.[0]).toMatchObject({
        path: ['organization', 'invitations'],
        extensions: { code: 'FORBIDDEN', permission: 'members:invite' },
      });
    });

    it('every root query field and every field behind @Authorized is nullable (from the resolver metadata)', () => {
      const query = schema.getQueryType()!;
      const nonNull = Object.values(query.getFields())
        .filter((f) => isNonNullType(f.type))
        .map((f) => `Query.${f.name}`);
      const storage = getMetadataStorage();
      for (const authorized of storage.authorizedFields) {
        const resolver = storage.fieldResolvers.find(
          (r) => r.target === authorized.target && r.methodName === authorized.fieldName,
        );
        const parent = resolver?.getObjectType?.();
        const typeName = parent ? storage.objectTypes.find((t) => t.target === parent)?.name : undefined;
        if (!typeName) continue; // a query or mutation: queries are covered above, mutations roll back as a whole
        const field = (
          schema.getType(typeName) as { getFields?: () => Record<string, { type: unknown }> }
        ).getFields?.()[resolver!.schemaName];
        if (field && isNonNullType(field.type))
          nonNull.push(`${typeName}.${resolver!.schemaName}: ${String(getNullableType(field.type as never))}!`);
      }
      expect(nonNull).toEqual([]);
    });
  });

  describe('FORBIDDEN names the missing permission', () => {
    it('in extensions.permission, from @Authorized and from checks inside resolvers', async () => {
      const org = await createOrganization(db);
      const user = await createUser(db);
      await addMember(db, org.id, user.id, { role: 'viewer' });
      const token = await app.login(user.email, TEST_PASSWORD, org.slug);
      const guarded = await app.gql('mutation { createProject(input: { name: "Nope" }) { project { id } } }', {
        token,
      });
      expect(guarded.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', permission: 'projects:create' });
      const inside = await app.gql('{ projects(first: 1, includeDeleted: true) { totalCount } }', { token });
      expect(inside.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', permission: 'projects:delete' });
    });

    it('for an API key that may read members but not people (users:read)', async () => {
      const org = await createOrganization(db);
      const owner = await createUser(db);
      await addMember(db, org.id, owner.id, { role: 'owner' });
      const ownerToken = await app.login(owner.email, TEST_PASSWORD, org.slug);
      const created = await app.gql<{ createApiKey: { secret: string } }>(
        'mutation { createApiKey(input: { name: "crm", permissions: ["organizations:read", "members:read"] }) { secret } }',
        { token: ownerToken },
      );
      const res = await app.gql<{ organization: { members: unknown } }>(
        '{ organization { slug members(first: 5) { edges { node { role user { name } } } } } }',
        { token: created.body.data!.createApiKey.secret },
      );
      expect(res.body.data?.organization).toMatchObject({ slug: org.slug });
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', permission: 'users:read' });
    });
  });

  describe('401 answers carry WWW-Authenticate (RFC 6750)', () => {
    it('error="invalid_token" for a token or key that does not verify', async () => {
      for (const token of ['not-a-jwt', 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln', `tq_00000000_${'a'.repeat(43)}`]) {
        const res = await app.gql('{ __typename }', { token });
        expect([token, res.status, res.headers.get('www-authenticate')]).toEqual([
          token,
          401,
          'Bearer error="invalid_token"',
        ]);
      }
    });

    it('a bare challenge for a header that is not a bearer token', async () => {
      const res = await app.gql('{ __typename }', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect([res.status, res.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    });

    it('error="invalid_token" for a session that ended, and a bare challenge for anonymous introspection in production', async () => {
      const { token } = await memberToken();
      await app.gql('mutation { logout { sessionsEnded } }', { token });
      const ended = await app.gql('{ __typename }', { token });
      expect([ended.status, ended.headers.get('www-authenticate')]).toEqual([401, 'Bearer error="invalid_token"']);
      const production = await startTestApp({ production: true });
      try {
        const anonymous = await production.gql('{ __schema { queryType { name } } }');
        expect([anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
      } finally {
        await production.close();
      }
    });
  });

  describe('the sign-in failure message', () => {
    it('mentions the pause and is the same for an unknown email, a wrong password and a paused account', async () => {
      expect(SIGN_IN_FAILED).toMatch(/paused for a while/);
      const strict = await startTestApp({
        sessions: {
          ...TEST_SESSION_SETTINGS,
          throttle: { ...TEST_SESSION_SETTINGS.throttle, perAccount: 1, lockSeconds: 600 },
        },
      });
      try {
        const user = await createUser(db);
        const org = await createOrganization(db);
        await addMember(db, org.id, user.id);
        const message = async (email: string, password: string) =>
          (await strict.gql(LOGIN, { variables: { i: { email, password } } })).body.errors?.[0]?.message;
        const unknown = await message(`nobody-${user.id}@example.test`, TEST_PASSWORD);
        const wrong = await message(user.email, 'WrongPass123');
        const paused = await message(user.email, TEST_PASSWORD); // locked after one failure: refused though right
        expect({ unknown, wrong, paused }).toEqual({
          unknown: SIGN_IN_FAILED,
          wrong: SIGN_IN_FAILED,
          paused: SIGN_IN_FAILED,
        });
      } finally {
        await strict.close();
      }
    });
  });
});
