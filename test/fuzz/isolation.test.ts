import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  parse,
  validate,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { codeOf, startTestApp, type GqlResponse, type TestApp } from '../support/app';
import { TEST_PASSWORD } from '../support/factories';
import { createSchema } from '../../src/graphql/schema';
import {
  checksum,
  collectMarks,
  findLeaks,
  Marks,
  privateProjectIds,
  seedFuzzWorld,
  tenantTables,
  type FuzzWorld,
  type Leak,
} from './data';
import { DocumentGenerator, scalarValue, tableOf, type ValueSource } from './generate';
import { fuzzCases, fuzzSeed, Random } from './random';

/**
 * Isolation fuzzing: random valid documents built from the schema, run by people and API keys of
 * several organizations; no response may hold an id or a distinctive value of another
 * organization, and every mutation answers another organization's ids exactly as it answers a
 * made-up id, changing nothing there. `FUZZ_SEED` replays a run, `FUZZ_CASES` sizes it
 * (`npm run fuzz` runs thousands).
 */
const SEED = fuzzSeed();
const QUERY_CASES = fuzzCases(300);
/** Rounds over every (mutation, id field) pair: one in `npm test`, more with FUZZ_CASES. */
const MUTATION_ROUNDS = Math.max(1, Math.round(QUERY_CASES / 600));
/** Refusals by the query limits (depth, aliases, tokens, cost) are skipped, not failed. */
const LIMIT_CODE = /^QUERY_TOO_COMPLEX$/;
const CONCURRENCY = 4;
const VERBOSE = Boolean(process.env.FUZZ_VERBOSE);

interface Caller {
  label: string;
  org: string;
  token: string;
  /** Ids of private projects (and their rows) this caller may not see. */
  hidden?: ReadonlySet<string>;
  /** What `viewer.organizations` may show of the caller's own memberships elsewhere (the shared user's). */
  own?: ReadonlySet<string>;
}

interface Failure {
  case: string;
  caller?: string;
  document: string;
  variables?: unknown;
  problem: string;
  response: unknown;
}

/** Ids, texts and tags for a caller of `org`: their own, another organization's, or made up. */
function valueSource(
  r: Random,
  marks: Marks,
  org: string,
  orgs: string[],
  mode: 'mixed' | 'own' = 'mixed',
  exclude = new Set<string>(),
): ValueSource {
  const others = orgs.filter((o) => o !== org);
  const which = () => (mode === 'own' ? 'own' : r.chance(0.5) ? 'own' : r.chance(0.85) ? 'foreign' : 'missing');
  const idsIn = (owner: string, table: string | undefined) => {
    const all = table ? marks.idsOf(owner, table) : [...(marks.ids.get(owner)?.values() ?? [])].flat();
    // Another organization's id only counts as foreign when it is not also the caller's (a shared user).
    return all.filter((id) => !exclude.has(id) && (owner === org || marks.foreignOwners(id, org).length > 0));
  };
  return {
    id(hint) {
      const kind = which();
      if (kind === 'missing') return r.uuid();
      const ids = idsIn(kind === 'own' ? org : r.pick(others), tableOf(hint));
      return ids.length ? r.pick(ids) : r.uuid();
    },
    text() {
      const texts = marks.texts.get(which() === 'own' ? org : r.pick(others)) ?? [];
      return texts.length ? r.pick(texts) : r.token();
    },
    tag() {
      const tags = marks.tags.get(which() === 'own' ? org : r.pick(others)) ?? [];
      return tags.length ? r.pick(tags) : r.token();
    },
  };
}

/** What a mutation's answer says: its data, error code, message and field. */
const shapeOf = (res: GqlResponse) => ({
  data: (res.body.data as { r?: unknown } | null | undefined)?.r ?? null,
  code: codeOf(res),
  message: res.body.errors?.[0]?.message,
  field: res.body.errors?.[0]?.extensions?.field,
});

/** Runs `fn(0)` ... `fn(count - 1)` in order, at most `limit` at a time; `fn` must not throw. */
async function pool(count: number, limit: number, fn: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

/** What is wrong with a response besides leaks: a server error, a stack, SQL. */
function serverProblem(res: GqlResponse): string | undefined {
  if (res.status >= 500) return `HTTP ${res.status}`;
  const internal = res.body.errors?.find(
    (e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED',
  );
  if (internal) return `${internal.extensions?.code}: ${internal.message}`;
  const text = JSON.stringify(res.body);
  if (/\bat .+\.(?:ts|js):\d+|stacktrace|select .+ from /i.test(text)) return 'stack trace or SQL in the response';
  return undefined;
}

describe('isolation fuzzing', () => {
  let app: TestApp;
  let schema: GraphQLSchema;
  let world: FuzzWorld;
  let marks: Marks;
  let tables: string[];
  /** The fuzz organizations and the demo ones, whose values all count as foreign to each other. */
  let orgs: string[];
  const callers: Caller[] = [];
  const superuser = testPool('superuser', 2);
  const db = ownerDb();

  beforeAll(async () => {
    schema = await createSchema();
    app = await startTestApp({ poolMax: 6 });
    world = await seedFuzzWorld(db, 3);
    for (const [i, org] of world.orgs.entries()) {
      for (const role of ['owner', 'member', 'viewer'] as const) {
        callers.push({
          label: `${role} of org ${i}`,
          org: org.id,
          token: await app.login(org[role].email, TEST_PASSWORD, org.slug),
        });
      }
      const owner = callers.find((c) => c.label === `owner of org ${i}`)!;
      const viewer = await app.gql<{ viewer: { permissions: string[] } }>('{ viewer { permissions } }', {
        token: owner.token,
      });
      const key = await app.gql<{ createApiKey: { secret: string } }>(
        'mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }',
        {
          token: owner.token,
          variables: { i: { name: `fuzz key ${i}`, permissions: viewer.body.data!.viewer.permissions } },
        },
      );
      callers.push({ label: `API key of org ${i}`, org: org.id, token: key.body.data!.createApiKey.secret });
    }
    for (const i of [0, 1]) {
      const org = world.orgs[i]!;
      callers.push({
        label: `shared user in org ${i}`,
        org: org.id,
        token: await app.login(world.shared.email, TEST_PASSWORD, org.slug),
      });
    }
    const demo = await superuser.query<{ id: string }>("select id from organizations where slug in ('acme', 'globex')");
    orgs = [...world.orgs.map((o) => o.id), ...demo.rows.map((r) => r.id)];
    tables = await tenantTables(superuser);
    // Marked after the sign-ins and keys above, so their audit entries and sessions are known.
    marks = await collectMarks(superuser, orgs, tables);
    // Viewers and the shared user are in no project and lack projects:read_private: private projects are hidden from them.
    const hidden = await privateProjectIds(superuser, orgs);
    for (const caller of callers) if (/^viewer|^shared/.test(caller.label)) caller.hidden = hidden.get(caller.org);
    const memberships = await superuser.query<{ values: string[] }>(
      `select array[o.id::text, o.slug, o.name, m.id::text] as values
      from memberships m join organizations o on o.id = m.organization_id where m.user_id = $1 and m.ended_at is null`,
      [world.shared.id],
    );
    const own = new Set(memberships.rows.flatMap((r) => r.values));
    for (const caller of callers) if (/^shared/.test(caller.label)) caller.own = own;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await closeTestPools();
  });

  it("flags a planted foreign id, value or cursor in a response, and not the caller's own or a shared user", () => {
    const [a, b] = world.orgs;
    const theirs = marks.idsOf(b!.id, 'projects')[0]!;
    const mine = marks.idsOf(a!.id, 'projects')[0]!;
    // Only B's: a text every organization has (a seeded year's name) is nobody's secret.
    const theirText = marks.texts.get(b!.id)!.find((t) => !t.includes('@') && marks.foreignOwners(t, a!.id).length)!;
    const leaks = (body: unknown) => findLeaks(body, a!.id, marks).map((l: Leak) => l.path);
    expect(leaks({ data: { p: { id: mine, name: marks.texts.get(a!.id)![0] } } })).toEqual([]);
    expect(leaks({ data: { u: { id: world.shared.id, email: world.shared.email } } })).toEqual([]);
    expect(leaks({ data: { p: { id: theirs } } })).toEqual(['data.p.id']);
    // The shared user's own other organization, only where viewer.organizations lists it.
    const shared = new Set([b!.id]);
    expect(
      findLeaks(
        { data: { v: { organizations: [{ id: b!.id }] }, p: { id: b!.id } } },
        a!.id,
        marks,
        new Set(),
        shared,
      ).map((l) => l.path),
    ).toEqual(['data.p.id']);
    expect(leaks({ data: { list: [{ n: 1 }, { n: theirText }] } })).toEqual(['data.list[1].n']);
    expect(leaks({ data: { a: { changes: { after: { project_id: theirs } } } } })).toEqual([
      'data.a.changes.after.project_id',
    ]);
    expect(leaks({ data: { e: { cursor: Buffer.from(JSON.stringify([1, theirs])).toString('base64url') } } })).toEqual([
      'data.e.cursor',
    ]);
    expect(leaks({ errors: [{ message: `Project ${theirs} not visible` }] })).toEqual(['errors[0].message']);
    expect(leaks({ data: { o: { id: b!.id } } })).toEqual(['data.o.id']);
    expect(leaks({ data: { o: { id: b!.viewer.id } } })).toEqual(['data.o.id']);
  });

  it('flags a real answer of another organization, and a private project for a caller who may not see it', async () => {
    const document =
      '{ projects(first: 5) { edges { cursor node { id name owner { id email } tasks(first: 2) { edges { node { id title } } } } } } }';
    const asOwner = (i: number) =>
      app.gql(document, { token: callers.find((c) => c.label === `owner of org ${i}`)!.token });
    const theirs = await asOwner(1);
    expect(theirs.body.errors).toBeUndefined();
    // Org 1's answer, as if org 0 had received it: names, ids, owners and tasks all count.
    const found = findLeaks(theirs.body, world.orgs[0]!.id, marks).map((l) => l.path);
    expect(found).toEqual(
      expect.arrayContaining(['data.projects.edges[0].node.id', 'data.projects.edges[0].node.owner.id']),
    );
    expect(found.filter((path) => path.endsWith('.name')).length).toBeGreaterThan(0);
    const mine = await asOwner(0);
    expect(findLeaks(mine.body, world.orgs[0]!.id, marks)).toEqual([]);
    // The owner sees org 0's private project; to its viewer that would be a leak.
    const viewer = callers.find((c) => c.label === 'viewer of org 0')!;
    expect(viewer.hidden?.size).toBeGreaterThan(3);
    expect(findLeaks(mine.body, world.orgs[0]!.id, marks, viewer.hidden).length).toBeGreaterThan(0);
  });

  it("sees a change to any of the other organization's rows in its checksum", async () => {
    const [a, b] = world.orgs;
    const before = await checksum(superuser, b!.id, tables, a!.id);
    expect(await checksum(superuser, b!.id, tables, a!.id)).toEqual(before);
    const client = await superuser.connect();
    try {
      await client.query('begin');
      await client.query("update tasks set title = title || ' (changed)' where id = $1", [
        marks.idsOf(b!.id, 'tasks')[0],
      ]);
      await client.query("update users set first_name = 'Changed' where id = $1", [b!.viewer.id]);
      const after = await checksum(client, b!.id, tables, a!.id);
      // (the triggers may also record the change in task activity and the audit log)
      expect(Object.keys(after).filter((t) => after[t] !== before[t])).toEqual(
        expect.arrayContaining(['tasks', 'users']),
      );
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it(
    "never answers a random query with another organization's ids or values",
    async () => {
      const r = new Random(SEED);
      // Each case is generated when a worker takes it (synchronously, so case i is always the i-th
      // draw): generating thousands up front would block the event loop past the keep-alive timeout.
      const makeCase = (i: number) => {
        const caller = r.pick(callers);
        const document = new DocumentGenerator(schema, r, valueSource(r, marks, caller.org, orgs)).query();
        return { i, caller, document };
      };
      const failures: Failure[] = [];
      let skipped = 0;
      let answered = 0;
      const codes = new Map<string, number>();
      await pool(QUERY_CASES, CONCURRENCY, async (index) => {
        const { i, caller, document } = makeCase(index);
        const invalid = validate(schema, parse(document));
        if (invalid.length) {
          failures.push({
            case: `query ${i}`,
            document,
            problem: 'the generator made an invalid document',
            response: invalid.map((e) => e.message),
          });
          return;
        }
        let res: GqlResponse;
        try {
          res = await app.gql(document, { token: caller.token });
        } catch (error) {
          // A dropped connection or a body that is not JSON is a finding too, not a reason to stop.
          failures.push({
            case: `query ${i}`,
            caller: caller.label,
            document,
            problem: `request failed: ${String(error)} ${String((error as Error).cause ?? '')}`,
            response: null,
          });
          return;
        }
        if (res.body.errors?.some((e) => LIMIT_CODE.test(e.extensions?.code ?? ''))) {
          skipped++;
          return;
        }
        if (res.body.data && Object.values(res.body.data).some((v) => v !== null)) answered++;
        for (const e of res.body.errors ?? [])
          codes.set(e.extensions?.code ?? '?', (codes.get(e.extensions?.code ?? '?') ?? 0) + 1);
        if (process.env.FUZZ_DUMP && i < 8) console.log(document, JSON.stringify(res.body).slice(0, 1500));
        const problem = serverProblem(res);
        const leaks = findLeaks(res.body, caller.org, marks, caller.hidden, caller.own);
        if (problem || leaks.length) {
          failures.push({
            case: `query ${i}`,
            caller: caller.label,
            document,
            problem: problem ?? `leaked ${JSON.stringify(leaks)}`,
            response: res.body,
          });
        }
      });
      if (failures.length)
        console.error(
          `isolation fuzz failed: FUZZ_SEED=${SEED} FUZZ_CASES=${QUERY_CASES}\n${JSON.stringify(failures.slice(0, 3), null, 2)}`,
        );
      if (skipped || VERBOSE)
        console.info(
          `isolation fuzz (FUZZ_SEED=${SEED}): ${QUERY_CASES} queries, ${answered} with data, ${skipped} refused by the query limits (skipped); errors ${JSON.stringify(Object.fromEntries(codes))}`,
        );
      expect({ seed: SEED, failures: failures.slice(0, 3), failed: failures.length }).toEqual({
        seed: SEED,
        failures: [],
        failed: 0,
      });
      // A harness whose every query fails would pass vacuously: most must come back with data.
      expect(answered).toBeGreaterThan(QUERY_CASES * 0.5);
      expect(skipped).toBeLessThan(QUERY_CASES * 0.1);
    },
    60_000 + QUERY_CASES * 200,
  );

  it(
    "answers every mutation given another organization's id as it answers a made-up id, and changes nothing there",
    async () => {
      const r = new Random(SEED ^ 0x5eed);
      const mutations = Object.values(schema.getMutationType()!.getFields());
      const pairs = mutations.flatMap((field) => {
        const input = field.args.find((a) => a.name === 'input');
        const type = input && getNamedType(input.type);
        if (!type || !isInputObjectType(type)) return [];
        return Object.values(type.getFields())
          .filter((f) => getNamedType(f.type).name === 'UUID')
          .map((f) => ({ field, type, target: f.name }));
      });
      const failures: Failure[] = [];
      const succeeded = new Set<string>();
      let compared = 0;
      for (let round = 0; round < MUTATION_ROUNDS; round++) {
        for (const { field, type, target } of pairs) {
          const [a, b] = r.sample(world.orgs, 2) as [FuzzWorld['orgs'][number], FuzzWorld['orgs'][number]];
          const owner = callers.find((c) => c.org === a.id && c.label.startsWith('owner'))!;
          // Never the caller's own membership or user: a success there could lock the caller out.
          const exclude = new Set([a.owner.id, ...(await ownMembership(a.id, a.owner.id))]);
          const own = valueSource(r, marks, a.id, orgs, 'own', exclude);
          const hint = (name: string) => (name === 'id' ? type.name : name);
          const input = buildInput(r, own, type, target);
          const theirs = marks
            .idsOf(b.id, tableOf(hint(target)) ?? 'projects')
            .filter((id) => marks.foreignOwners(id, a.id).length > 0);
          const foreignId = r.pick(theirs.length ? theirs : [b.id]);
          const selection = new DocumentGenerator(schema, r, own).selection(
            getNamedType(field.type) as GraphQLObjectType,
            2,
          );
          const document = `mutation Fuzz($input: ${type.name}!) { r: ${field.name}(input: $input) ${selection} }`;
          const run = (id: string) =>
            app.gql(document, { token: owner.token, variables: { input: { ...input, [target]: id } } });
          const name = `${field.name}.${target}`;

          const before = await checksum(superuser, b.id, tables, a.id);
          const foreign = await run(foreignId);
          const missing = await run(r.uuid());
          const after = await checksum(superuser, b.id, tables, a.id);
          compared++;
          if (process.env.FUZZ_DUMP)
            console.log(name, JSON.stringify(shapeOf(foreign)), JSON.stringify(shapeOf(missing)));
          const fail = (problem: string, response: unknown, id = foreignId) =>
            failures.push({
              case: `${name} (round ${round})`,
              caller: owner.label,
              document,
              variables: { input: { ...input, [target]: id } },
              problem,
              response,
            });
          if (!foreign.body.errors?.length) fail("succeeded with another organization's id", foreign.body);
          else if (JSON.stringify(shapeOf(foreign)) !== JSON.stringify(shapeOf(missing)))
            fail(
              `answered ${JSON.stringify(shapeOf(foreign))} for another organization's id but ${JSON.stringify(shapeOf(missing))} for a made-up one`,
              foreign.body,
            );
          for (const res of [foreign, missing]) {
            const problem = serverProblem(res);
            if (problem) fail(problem, res.body);
            const leaks = findLeaks(res.body, a.id, marks);
            if (leaks.length) fail(`leaked ${JSON.stringify(leaks)}`, res.body);
          }
          for (const table of Object.keys(before))
            if (before[table] !== after[table]) fail(`changed ${table} of the other organization`, {});

          // The same input with the caller's own id: some must succeed, or the harness proves nothing.
          const ownIds = marks.idsOf(a.id, tableOf(hint(target)) ?? '').filter((id) => !exclude.has(id));
          if (ownIds.length) {
            const ownId = r.pick(ownIds);
            const mine = await run(ownId);
            if (!mine.body.errors?.length) succeeded.add(name);
            const problem = serverProblem(mine);
            if (problem) fail(`${problem} (with the caller's own id)`, mine.body, ownId);
          }
        }
      }
      if (VERBOSE)
        console.info(
          `mutation isolation fuzz (FUZZ_SEED=${SEED}): ${compared} comparisons over ${pairs.length} (mutation, id field) pairs; succeeded with own ids: ${[...succeeded].sort().join(' ')}`,
        );
      if (failures.length)
        console.error(
          `mutation isolation fuzz failed: FUZZ_SEED=${SEED}\n${JSON.stringify(failures.slice(0, 3), null, 2)}`,
        );
      expect({ seed: SEED, failures: failures.slice(0, 3), failed: failures.length }).toEqual({
        seed: SEED,
        failures: [],
        failed: 0,
      });
      expect(compared).toBeGreaterThanOrEqual(pairs.length);
      expect(pairs.length).toBeGreaterThan(20);
      expect(succeeded.size).toBeGreaterThanOrEqual(10);
    },
    120_000 * MUTATION_ROUNDS,
  );

  async function ownMembership(org: string, user: string): Promise<string[]> {
    const { rows } = await superuser.query<{ id: string }>(
      'select id from memberships where organization_id = $1 and user_id = $2',
      [org, user],
    );
    return rows.map((row) => row.id);
  }
});

/** A valid input for a mutation (the target id is filled in per run); optional fields sometimes. */
function buildInput(
  r: Random,
  own: ValueSource,
  type: GraphQLInputObjectType,
  target: string,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const field of Object.values(type.getFields())) {
    if (field.name === target) continue;
    const required = isNonNullType(field.type) && field.defaultValue === undefined;
    const isId = getNamedType(field.type).name === 'UUID';
    // Few optional fields, none with a default: a bad value there would answer before the id is looked at.
    if (required || (field.defaultValue === undefined && r.chance(isId ? 0.25 : 0.2)))
      input[field.name] = inputValue(r, own, field.type, field.name, field.name === 'id' ? type.name : field.name);
  }
  if (typeof input.startDate === 'string') {
    // Sprints of a project never overlap: a week somewhere in a far year, the end after the start.
    const start = Date.UTC(2040 + r.int(0, 50), 0, 1) + r.int(0, 40) * 7 * 86_400_000;
    input.startDate = new Date(start).toISOString().slice(0, 10);
    input.endDate = new Date(start + 6 * 86_400_000).toISOString().slice(0, 10);
  }
  return input;
}

function inputValue(r: Random, own: ValueSource, type: GraphQLInputType, name: string, hint: string): unknown {
  if (isNonNullType(type)) return inputValue(r, own, type.ofType, name, hint);
  if (isListType(type)) {
    if (name === 'permissions') return ['members:read'];
    if (name === 'features') return [];
    const inner = type.ofType as GraphQLInputType;
    const named = getNamedType(inner);
    if (isEnumType(named)) return r.sample(named.getValues(), 2).map((v) => v.name);
    return [inputValue(r, own, inner, name, hint)];
  }
  if (isEnumType(type)) return r.pick(type.getValues()).name;
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
        .map((f) => [f.name, inputValue(r, own, f.type, f.name, f.name)]),
    );
  }
  if (!isScalarType(type)) throw new Error(`no value for ${String(type)}`);
  const tag = r.token();
  if (type.name === 'String') {
    const strings: Record<string, string> = {
      slug: `fz-${tag}`,
      email: `fz-${tag}@example.test`,
      password: TEST_PASSWORD,
      currentPassword: TEST_PASSWORD,
      newPassword: `Fz-${tag}-Pass123`,
      avatarUrl: 'https://example.test/a.png',
      language: 'en',
      timezone: 'UTC',
      phoneNumber: '+15551234567',
      tags: `fz-${tag}`,
    };
    return strings[name] ?? `Fz mut ${tag}`;
  }
  if (type.name === 'DateTime') return new Date(Date.now() + r.int(1, 300) * 86_400_000).toISOString();
  if (type.name === 'LocalDate') return '2031-06-01';
  if (type.name === 'Int') return name === 'storyPoints' ? 3 : 1;
  return scalarValue(r, own, type.name, name, hint);
}
