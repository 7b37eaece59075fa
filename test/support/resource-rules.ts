import type pg from 'pg';
import type { Kysely } from 'kysely';
import type { Database, MembershipRole } from '../../src/db/schema';
import type { BuiltResource } from '../../src/resources/model';
import { closeTestPools, ownerDb, testPool } from './db';
import { codeOf, startTestApp, type Res, type TestApp } from './app';
import { addMember, createOrganization, createUser, TEST_PASSWORD } from './factories';

type Input = Record<string, unknown>;

export interface RuleKit {
  readonly app: TestApp;
  readonly db: Kysely<Database>;
  /** The superuser pool: reads what RLS would hide, to check what a request wrote. */
  readonly superuser: pg.Pool;
  /** A new organization and one signed-in member of it (an admin unless told). */
  tenant(role?: MembershipRole): Promise<{ orgId: string; userId: string; token: string }>;
  /** The resource's create mutation; the node answers `selection` (default `id`). */
  create(token: string, input: Input, selection?: string): Promise<Res>;
  update(token: string, input: Input, selection?: string): Promise<Res>;
  delete(token: string, id: string, selection?: string): Promise<Res>;
  restore(token: string, id: string, selection?: string): Promise<Res>;
  /** The payload's node of a successful mutation (fails the test on an error). */
  nodeOf<T = Input>(res: Res): T;
  /** `extensions.code` and `extensions.field` of the first error. */
  codeOf(res: Res): string | undefined;
  fieldOf(res: Res): string | undefined;
}

/**
 * What the tests of a resource's own rules (checks, exclusion constraints, triggers) need, so a
 * rule test says only the rule: an app, pools, a tenant with a signed-in admin, and the resource's
 * mutations by their generated names. Call it inside `describe`; it opens and closes what it uses.
 *
 * @example
 * describe('academic years: the rules', () => {
 *   const t = resourceRules(academicYears);
 *   it('refuses a year that ends before it starts', async () => {
 *     const { token } = await t.tenant();
 *     const res = await t.create(token, { name: 'Backwards', startDate: '2027-09-01', endDate: '2027-08-01' });
 *     expect(t.fieldOf(res)).toBe('endDate');
 *   });
 * });
 */
export function resourceRules(resource: BuiltResource): RuleKit {
  const { names } = resource.model;
  let app: TestApp | undefined;
  let db: Kysely<Database> | undefined;
  let superuser: pg.Pool | undefined;
  // Opened here, not at import: another suite of the file may close the pools when it ends.
  beforeAll(async () => {
    db = ownerDb();
    superuser = testPool('superuser', 1);
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
    await closeTestPools();
  });
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('resourceRules: used outside a test (before beforeAll)');
    return value;
  };
  const mutate = (token: string, name: string, inputType: string, input: Input, selection = 'id') =>
    opened(app).gql(`mutation ($i: ${inputType}!) { ${name}(input: $i) { ${names.payloadField} { ${selection} } } }`, {
      token,
      variables: { i: input },
    }) as Promise<Res>;
  return {
    get app() {
      return opened(app);
    },
    get db() {
      return opened(db);
    },
    get superuser() {
      return opened(superuser);
    },
    async tenant(role: MembershipRole = 'admin') {
      const org = await createOrganization(opened(db));
      const user = await createUser(opened(db));
      await addMember(opened(db), org.id, user.id, { role });
      return { orgId: org.id, userId: user.id, token: await opened(app).login(user.email, TEST_PASSWORD) };
    },
    create: (token, input, selection) => mutate(token, names.create, names.createInput, input, selection),
    update: (token, input, selection) => mutate(token, names.update, names.updateInput, input, selection),
    delete: (token, id, selection) => mutate(token, names.delete, names.deleteInput, { id }, selection),
    restore: (token, id, selection) => mutate(token, names.restore, names.restoreInput, { id }, selection),
    nodeOf<T>(res: Res): T {
      expect(res.body.errors).toBeUndefined();
      return Object.values(res.body.data!)[0]![names.payloadField as never] as T;
    },
    codeOf,
    fieldOf: (res) => (res.body.errors?.[0]?.extensions as { field?: string } | undefined)?.field,
  };
}
