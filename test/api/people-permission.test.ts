import { getNamedType, isObjectType } from 'graphql';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { addMember, createOrganization, createUser, seedTenantRows, TEST_PASSWORD } from '../support/factories';
import { createSchema } from '../../src/graphql/schema';

/**
 * `users:read` (issue 13, item 6): the people of an organization are shown only to callers that
 * hold it. An API key with `projects:read` alone used to read members' emails through `owner`,
 * `assignee` and the other user-valued fields. Now RLS hides other people's rows from such a caller
 * and every user-valued field answers FORBIDDEN (never null, which would read as "unassigned").
 */
describe('users:read', () => {
  let app: TestApp;
  const db = ownerDb();
  const superuser = testPool('superuser', 1);
  const appRole = testPool('app', 1);
  let orgId: string;
  let memberEmail: string;
  let ownerToken: string;

  /** Every field whose type is User that returns the caller themselves (no users:read needed). */
  const SELF = ['AuthPayload.user', 'SignUpPayload.user', 'UpdateProfilePayload.user', 'Viewer.user'];
  /** Every other user-valued field, with a query that reaches it as the partner's key can. */
  const PEOPLE: Record<string, string> = {
    'Project.owner': '{ projects { edges { node { owner { email } } } } }',
    'ProjectMember.user': '{ projects { edges { node { members { edges { node { user { email } } } } } } } }',
    'Task.assignee': '{ tasks { edges { node { assignee { email } } } } }',
    'Task.reporter': '{ tasks { edges { node { reporter { email } } } } }',
    'TaskAggregateKey.assignee': '{ tasksAggregate(groupBy: [ASSIGNEE_ID]) { groups { key { assignee { email } } } } }',
    'TaskAggregateKey.reporter': '{ tasksAggregate(groupBy: [REPORTER_ID]) { groups { key { reporter { email } } } } }',
    'TaskComment.author': '{ tasks { edges { node { comments { edges { node { author { email } } } } } } } }',
    'TaskActivity.actor': '{ tasks { edges { node { activity { edges { node { actor { email } } } } } } } }',
    'Membership.user': '{ organization { members { edges { node { user { email } } } } } }',
    'TeamMember.user':
      '{ organization { teams { edges { node { members { edges { node { user { email } } } } } } } } }',
    'AuditLogEntry.actor': '{ auditLogs(first: 100) { edges { node { actor { email } } } } }',
    'Document.owner': '{ documents { edges { node { owner { email } } } } }',
    'DocumentActivity.actor': '{ documents { edges { node { activity { edges { node { actor { email } } } } } } } }',
    'DocumentPermission.user': '{ folders { edges { node { permissions { edges { node { user { email } } } } } } } }',
  };
  // documents:manage: a key has no user, so only it opens the seeded folder (its grant names a role).
  const SCOPE = [
    'organizations:read',
    'members:read',
    'teams:read',
    'projects:read',
    'audit:read',
    'documents:read',
    'documents:manage',
  ];

  beforeAll(async () => {
    app = await startTestApp();
    const org = await createOrganization(db);
    orgId = org.id;
    const owner = await createUser(db);
    await addMember(db, org.id, owner.id, { role: 'owner' });
    ownerToken = await app.login(owner.email, TEST_PASSWORD);
    await seedTenantRows(db, org.id); // a member who owns a project, is assigned, comments, is on a team
    const { rows } = await superuser.query(
      `select u.id, u.email from users u join memberships m on m.user_id = u.id
                                             where m.organization_id = $1 and u.id <> $2`,
      [org.id, owner.id],
    );
    memberEmail = rows[0].email;
    await superuser.query('update tasks set reporter_id = $1 where organization_id = $2', [rows[0].id, org.id]);
    // A grant to that member (the seeded one is to a role).
    await superuser.query(
      `insert into document_permissions (organization_id, folder_id, user_id)
       select organization_id, id, $2 from folders where organization_id = $1 order by created_at limit 1`,
      [org.id, rows[0].id],
    );
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  async function key(permissions: string[]): Promise<{ secret: string; id: string }> {
    const res = await app.gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      'mutation ($p: [String!]!) { createApiKey(input: {name: "partner", permissions: $p}) { secret apiKey { id } } }',
      { token: ownerToken, variables: { p: permissions } },
    );
    expect(res.body.errors).toBeUndefined();
    return { secret: res.body.data!.createApiKey.secret, id: res.body.data!.createApiKey.apiKey.id };
  }

  it('covers every user-valued field of the schema', async () => {
    const schema = await createSchema();
    const userValued = Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .flatMap((type) =>
        Object.values(type.getFields())
          .filter((field) => getNamedType(field.type).name === 'User')
          .map((field) => `${type.name}.${field.name}`),
      );
    expect(userValued.sort()).toEqual([...SELF, ...Object.keys(PEOPLE)].sort());
  });

  it('answers FORBIDDEN on every user-valued field to a key without it, and the people to one with it', async () => {
    const without = await key(SCOPE);
    const withIt = await key([...SCOPE, 'users:read']);
    for (const [field, query] of Object.entries(PEOPLE)) {
      const refused = await app.gql(query, { token: without.secret });
      const name = field.split('.')[1]!;
      expect({ field, codes: [...new Set(refused.body.errors?.map((e) => e.extensions?.code))] }).toEqual({
        field,
        codes: ['FORBIDDEN'],
      });
      expect({ field, paths: refused.body.errors!.every((e) => e.path?.at(-1) === name) }).toEqual({
        field,
        paths: true,
      });
      expect(refused.body.errors![0]!.message).toBe('Reading people needs the users:read permission');
      expect(JSON.stringify(refused.body)).not.toContain(memberEmail);

      const allowed = await app.gql(query, { token: withIt.secret });
      expect({ field, errors: allowed.body.errors }).toEqual({ field, errors: undefined });
      expect({ field, sees: JSON.stringify(allowed.body).includes(memberEmail) }).toEqual({ field, sees: true });
    }
  });

  it('costs no statement: the permission is the one read when the transaction opens', async () => {
    const without = await key(SCOPE);
    const withIt = await key([...SCOPE, 'users:read']);
    const statements = async (token: string): Promise<number> => {
      const res: GqlResponse = await app.gql('{ tasks(first: 50) { edges { node { title assignee { name } } } } }', {
        token,
      });
      expect(res.body.data).toBeDefined();
      return app.requests.at(-1)!.statements;
    };
    expect(await statements(without.secret)).toBe(await statements(withIt.secret));
  });

  it('the same shape elsewhere: a custom role reached through a membership needs roles:read', async () => {
    await superuser.query(
      `with r as (insert into roles (organization_id, name) values ($1, 'Treasurer') returning id)
                           update memberships set custom_role_id = (select id from r) where organization_id = $1 and role = 'member'`,
      [orgId],
    );
    const query = '{ organization { members { edges { node { role customRole { name } } } } } }';
    const without = await key(['organizations:read', 'members:read']);
    const refused = await app.gql(query, { token: without.secret });
    expect(refused.body.errors?.map((e) => [e.extensions?.code, e.path?.at(-1)])).toContainEqual([
      'FORBIDDEN',
      'customRole',
    ]);
    expect(JSON.stringify(refused.body)).not.toContain('Treasurer');
    const allowed = await app.gql(query, {
      token: (await key(['organizations:read', 'members:read', 'roles:read'])).secret,
    });
    expect(allowed.body.errors).toBeUndefined();
    expect(JSON.stringify(allowed.body)).toContain('Treasurer');
  });

  it('is kept by the database: without it a key sees no person in SQL either', async () => {
    const without = await key(['projects:read']);
    const withIt = await key(['projects:read', 'users:read']);
    const count = async (apiKeyId: string): Promise<number> => {
      const client = await appRole.connect();
      try {
        await client.query('begin');
        await client.query(
          "select set_config('app.current_org_id', $1, true), set_config('app.current_api_key_id', $2, true)",
          [orgId, apiKeyId],
        );
        return (await client.query('select count(*)::int as n from users')).rows[0].n;
      } finally {
        await client.query('rollback');
        client.release();
      }
    };
    expect(await count(without.id)).toBe(0);
    expect(await count(withIt.id)).toBe(2);
  });
});
