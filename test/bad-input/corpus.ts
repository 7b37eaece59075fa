/**
 * The bad-input corpus: raw HTTP requests a careless or hostile client might send, each with
 * what the server must answer. The runner (bad-input.test.ts) sends every case anonymously and
 * as the owner of a fresh organization and checks, besides the expectation here, that the answer
 * is JSON with a code (never a 5xx, a stack, SQL or a Postgres error code) and that the database
 * is exactly as it was.
 */

export type Identity = 'anonymous' | 'owner';

export interface RawRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query string; /graphql when not given. */
  path?: string;
  headers?: Record<string, string>;
  /** Sent as it is: a Buffer for bytes that are not valid UTF-8. */
  body?: string | Buffer;
}

export interface Expected {
  /** The exact HTTP status, where it matters (4xx refusals before or at GraphQL's request level). */
  status?: number;
  /** `extensions.code` of the first error (any of these). */
  code: string | readonly string[];
  /** `extensions.field` of the first error: the input field a validation error must name. */
  field?: string;
  /** Text the first error's message must contain (GraphQL's own coercion errors name the input path there). */
  mentions?: string;
}

export interface BadInputCase {
  name: string;
  request: RawRequest;
  /** What the owner of the organization gets. */
  expect: Expected;
  /**
   * What an anonymous caller gets: by default the same when the request is refused before any
   * resolver runs (a status is expected), else UNAUTHENTICATED (operations for members check the
   * caller before their input).
   */
  anonymous?: Expected | 'same';
  /** Who sends it: both by default. */
  as?: readonly Identity[];
}

/** A request that must succeed and match nothing: metacharacters are data, not SQL. */
export interface InertCase {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Reads the number of matches from `data` (which must be 0); not given where any page is fine. */
  count?: (data: Record<string, unknown>) => number;
}

/** Ids of rows of the owner's organization that the cases aim at. */
export interface CorpusIds {
  projectId: string;
  taskId: string;
  sprintId: string;
  milestoneId: string;
  commentId: string;
  memberMembershipId: string;
  teamId: string;
  /** The owner's email, for sign-in cases with an account that exists. */
  ownerEmail: string;
  /** The slug of the owner's organization. */
  orgSlug: string;
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** A POST of a GraphQL request body. */
export const post = (body: unknown, headers: Record<string, string> = JSON_TYPE): RawRequest => ({
  method: 'POST',
  headers,
  body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
});
const gql = (query: string, variables?: Record<string, unknown>) => post(variables ? { query, variables } : { query });
const get = (
  params: Record<string, string>,
  headers: Record<string, string> = { 'apollo-require-preflight': 'true' },
): RawRequest => ({
  method: 'GET',
  path: `/graphql?${new URLSearchParams(params)}`,
  headers,
});

/** Codes of refusals at the HTTP and GraphQL request level. */
const REFUSED = ['BAD_REQUEST', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT'] as const;
/** Refusals by the query limits (src/graphql/limits.ts): the parser's token limit is reported either way. */
const TOO_BIG = ['GRAPHQL_PARSE_FAILED', 'QUERY_TOO_COMPLEX'] as const;
/** What a malformed document may get: refused as a request, or by a query limit first. */
const BAD_DOCUMENT = [...REFUSED, 'QUERY_TOO_COMPLEX'];
const coercion = (path: string): Expected => ({ status: 400, code: 'BAD_USER_INPUT', mentions: path });
const invalid = (field: string): Expected => ({ code: 'BAD_USER_INPUT', field });
const validationFailed: Expected = { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' };

const MB = 1_000_000;
let made = 0;
/** A fresh name, so a case that wrongly wrote cannot make later cases fail on a duplicate instead of their own input. */
const uniq = (prefix: string) => `${prefix} ${++made}`;
/** Long enough to break every length limit, short enough to fit the 1 MB body limit with its JSON around it. */
const NEARLY_1MB = 'x'.repeat(MB - 2_000);
const SQL_STRINGS = [
  "'; drop table tasks; --",
  "' or '1'='1",
  '" union select password_hash from users --',
  '1; delete from projects',
  '$$; truncate audit_log; $$',
  '\\x27; select pg_sleep(10); --',
];
const NUL = '\u0000';
const LONE_SURROGATE = '\ud800';

/** A JSON object `{"a": {"a": ... {"v": 1}}}` nested `depth` deep, as text (JSON.stringify would overflow the stack). */
export const nestedJson = (depth: number) => `${'{"a": '.repeat(depth - 1)}{"v": 1}${'}'.repeat(depth - 1)}`;

const RAW = '\u0001raw\u0001';
/** A GraphQL request whose variables hold `raw` JSON text where the RAW marker is. */
const gqlRaw = (query: string, variables: Record<string, unknown>, raw: string) =>
  post(JSON.stringify({ query, variables }).replace(JSON.stringify(RAW), raw));

/** base64url, as cursors are encoded. */
const cursor = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const A_UUID = '0b9e0c1e-7c4c-4d3c-9a8e-2f1a5b6c7d8e';

const M = {
  createProject: 'mutation ($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }',
  updateProject: 'mutation ($input: UpdateProjectInput!) { updateProject(input: $input) { project { id } } }',
  createTask: 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { task { id } } }',
  updateTask: 'mutation ($input: UpdateTaskInput!) { updateTask(input: $input) { task { id } } }',
  transitionTask: 'mutation ($input: TransitionTaskInput!) { transitionTask(input: $input) { task { id } } }',
  addTaskComment: 'mutation ($input: AddTaskCommentInput!) { addTaskComment(input: $input) { comment { id } } }',
  updateTaskComment:
    'mutation ($input: UpdateTaskCommentInput!) { updateTaskComment(input: $input) { comment { id } } }',
  createSprint: 'mutation ($input: CreateSprintInput!) { createSprint(input: $input) { sprint { id } } }',
  updateSprint: 'mutation ($input: UpdateSprintInput!) { updateSprint(input: $input) { sprint { id } } }',
  createMilestone: 'mutation ($input: CreateMilestoneInput!) { createMilestone(input: $input) { milestone { id } } }',
  inviteMember: 'mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id } } }',
  updateOrganization:
    'mutation ($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { id } } }',
  updateProfile: 'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { user { id } } }',
  createApiKey: 'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
  createRole: 'mutation ($input: CreateRoleInput!) { createRole(input: $input) { role { id } } }',
  createTeam: 'mutation ($input: CreateTeamInput!) { createTeam(input: $input) { team { id } } }',
  changeMembershipStatus:
    'mutation ($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { id } } }',
  login: 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }',
  signUp: 'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }',
  refreshSession: 'mutation ($input: RefreshSessionInput!) { refreshSession(input: $input) { accessToken } }',
  requestPasswordReset:
    'mutation ($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { accepted } }',
  resetPassword: 'mutation ($input: ResetPasswordInput!) { resetPassword(input: $input) { accepted } }',
  acceptInvitation: 'mutation ($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { accessToken } }',
  switchOrganization:
    'mutation ($input: SwitchOrganizationInput!) { switchOrganization(input: $input) { accessToken } }',
} as const;

const PROJECTS =
  'query ($first: Int, $last: Int, $after: String, $before: String, $filter: ProjectFilter, $orderBy: ProjectOrder) { projects(first: $first, last: $last, after: $after, before: $before, filter: $filter, orderBy: $orderBy) { totalCount edges { cursor } } }';
const TASKS =
  'query ($first: Int, $after: String, $filter: TaskFilter, $orderBy: TaskOrder) { tasks(first: $first, after: $after, filter: $filter, orderBy: $orderBy) { totalCount } }';

/** The cases of the HTTP layer: bodies, content types, methods, empty and huge documents. */
function httpCases(): BadInputCase[] {
  const cases: BadInputCase[] = [];
  const add = (name: string, request: RawRequest, expect: Expected) =>
    cases.push({ name, request, expect, anonymous: 'same' });

  // Malformed JSON.
  for (const [name, body] of [
    ['truncated JSON', '{"query": "{ viewer { user { id } } }"'],
    ['unquoted keys', '{query: "{ __typename }"}'],
    ['a trailing comma', '{"query": "{ __typename }",}'],
    ['single quotes', "{'query': '{ __typename }'}"],
    ['a raw control character in a string', '{"query": "{ __typename }\u0001"}'],
    ['a raw NUL byte in a string', '{"query": "{ __typename \u0000 }"}'],
    ['NaN as a number', '{"query": "query ($n: Int) { projects(first: $n) { totalCount } }", "variables": {"n": NaN}}'],
    ['a comment', '{"query": "{ __typename }" /* hi */}'],
    ['two documents back to back', '{"query": "{ __typename }"}{"query": "{ __typename }"}'],
    ['garbage', '\u00ff\u00fe garbage'],
  ] as const)
    add(`malformed JSON: ${name}`, post(body), { status: 400, code: 'BAD_REQUEST' });
  add('malformed JSON: unbalanced 200,000 braces', post('{"a":'.repeat(200_000)), { status: 400, code: 'BAD_REQUEST' });

  // JSON that is not a GraphQL request.
  for (const [name, body] of [
    ['an empty body', ''],
    ['null', 'null'],
    ['a string', '"{ __typename }"'],
    ['a number', '42'],
    ['true', 'true'],
    ['an empty object', '{}'],
    ['a batch (arrays are not accepted)', '[{"query": "{ __typename }"}]'],
    ['an empty array', '[]'],
    ['query null', '{"query": null}'],
    ['query a number', '{"query": 42}'],
    ['query an object', '{"query": {"kind": "Document"}}'],
    ['query a list', '{"query": ["{ __typename }"]}'],
    ['variables a string', '{"query": "{ __typename }", "variables": "{}"}'],
    ['variables a list', '{"query": "{ __typename }", "variables": [1]}'],
    ['operationName a number', '{"query": "{ __typename }", "operationName": 1}'],
    ['extensions a string', '{"query": "{ __typename }", "extensions": "x"}'],
    [
      'a persisted query of an unknown version',
      '{"extensions": {"persistedQuery": {"version": 99, "sha256Hash": "abc"}}}',
    ],
  ] as const)
    add(`not a GraphQL request: ${name}`, post(body), { status: 400, code: REFUSED });
  // Automatic persisted queries: the client is told to send the document (nothing runs).
  add(
    'not a GraphQL request: a persisted query that is not known',
    post('{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}'),
    { status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' },
  );
  add('not a GraphQL request: a documentId that is not registered', post('{"documentId": "sha256:0000"}'), {
    status: 400,
    code: 'PERSISTED_QUERY_NOT_IN_LIST',
  });
  add('not a GraphQL request: a documentId that is not a string', post('{"documentId": {"x": 1}}'), {
    status: 400,
    code: 'PERSISTED_QUERY_NOT_IN_LIST',
  });

  // Wrong content types (anything but JSON is refused before GraphQL runs: CSRF prevention too).
  const doc = JSON.stringify({ query: '{ __typename }' });
  for (const [name, headers, body] of [
    ['text/plain', { 'content-type': 'text/plain' }, doc],
    ['no content type', {}, doc],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'query=%7B__typename%7D'],
    [
      'multipart',
      { 'content-type': 'multipart/form-data; boundary=x' },
      '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--',
    ],
    ['XML', { 'content-type': 'application/xml' }, '<query>{ __typename }</query>'],
    ['application/graphql', { 'content-type': 'application/graphql' }, '{ __typename }'],
    ['a charset JSON is never in', { 'content-type': 'application/json; charset=latin1' }, doc],
    ['a made-up charset', { 'content-type': 'application/json; charset=x-nope' }, doc],
    ['gzip that is not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, doc],
    ['an unknown content encoding', { 'content-type': 'application/json', 'content-encoding': 'br2' }, doc],
  ] as const)
    add(`content type: ${name}`, post(body, headers), { code: REFUSED });

  // Methods.
  add('GET: a mutation', get({ query: 'mutation { logout { sessionsEnded } }' }), { status: 405, code: REFUSED });
  add(
    'GET: a mutation chosen by operationName',
    get({ query: 'query A { __typename } mutation B { logout { sessionsEnded } }', operationName: 'B' }),
    { status: 405, code: REFUSED },
  );
  add('GET: without a query', get({}), { status: 400, code: REFUSED });
  add(
    'GET: variables that are not JSON',
    get({ query: 'query ($n: Int) { projects(first: $n) { totalCount } }', variables: '{n: 1' }),
    { status: 400, code: REFUSED },
  );
  add('GET: without a CSRF preflight header', get({ query: '{ __typename }' }, {}), { status: 400, code: REFUSED });
  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    add(`method: ${method}`, { method, headers: JSON_TYPE, body: doc }, { code: REFUSED.concat() as string[] });
  }

  // Empty and huge documents.
  for (const [name, query] of [
    ['empty', ''],
    ['blank', ' \n\t '],
    ['a comment only', '# nothing here'],
    ['a lone brace', '{'],
    ['a selection of nothing', '{ }'],
    ['a fragment only', 'fragment F on Query { __typename }'],
    ['a string that never ends', '{ project(id: "abc) { id } }'],
    ['nested 5,000 selections deep', `${'{ a '.repeat(5_000)}${'}'.repeat(5_000)}`],
    ['a list literal nested 50,000 deep', `{ project(id: ${'['.repeat(50_000)}${']'.repeat(50_000)}) { id } }`],
    [
      'an object literal nested 20,000 deep',
      `mutation { updateOrganization(input: {settings: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}}) { organization { id } } }`,
    ],
    ['a 990 KB comment', `# ${NEARLY_1MB}`],
    ['a 990 KB name', `{ ${'a'.repeat(MB - 2_000)} }`],
  ] as const)
    add(`document: ${name}`, gql(query), { status: 400, code: BAD_DOCUMENT });
  add('document: two operations without operationName', gql('query A { __typename } query B { __typename }'), {
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  });
  add('document: an operationName that is not there', post({ query: 'query A { __typename }', operationName: 'B' }), {
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  });
  add('document: 10,000 unknown fields', gql(`{ ${Array.from({ length: 10_000 }, (_, i) => `f${i}`).join(' ')} }`), {
    status: 400,
    code: TOO_BIG,
  });
  add(
    'document: 500 unknown fields',
    gql(`{ ${Array.from({ length: 500 }, (_, i) => `f${i}`).join(' ')} }`),
    validationFailed,
  );
  add('document: an unknown directive', gql('{ __typename @nope }'), validationFailed);
  add('document: an undefined variable', gql('{ projects(first: $n) { totalCount } }'), validationFailed);
  add('body over 1 MB', gql(`{ __typename } # ${'x'.repeat(MB + 10)}`), { status: 413, code: 'BAD_REQUEST' });
  add(
    'body over 1 MB of variables',
    post({ query: M.createProject, variables: { input: { name: 'x'.repeat(MB + 10) } } }),
    { status: 413, code: 'BAD_REQUEST' },
  );

  // Bytes that are not UTF-8 (JSON must be UTF-8).
  for (const [name, bytes] of [
    ['0xff 0xfe', [0xff, 0xfe]],
    ['a lone continuation byte', [0x80]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['a UTF-8 encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ] as const) {
    const body = Buffer.concat([
      Buffer.from(`{"query": ${JSON.stringify(M.createProject)}, "variables": {"input": {"name": "Project `),
      Buffer.from(bytes),
      Buffer.from('"}}}'),
    ]);
    add(`invalid UTF-8: ${name} in a project name`, post(body), { status: 400, code: 'BAD_REQUEST' });
  }
  return cases;
}

/** The cases of GraphQL input: scalars, enums, lists, lengths, JSON, pagination. */
function inputCases(ids: CorpusIds): BadInputCase[] {
  const cases: BadInputCase[] = [];
  const add = (
    name: string,
    query: string,
    variables: Record<string, unknown> | undefined,
    expect: Expected,
    more: Partial<BadInputCase> = {},
  ) => cases.push({ name, request: gql(query, variables), expect, ...more });
  const publicOp = { anonymous: 'same' as const };

  // UUIDs.
  for (const bad of [
    'not-a-uuid',
    '',
    ' ',
    `${A_UUID} `,
    A_UUID.replace(/-/g, ''),
    `${A_UUID}x`,
    'g'.repeat(36),
    SQL_STRINGS[0]!,
    `${A_UUID}${NUL}`,
    NEARLY_1MB,
  ]) {
    const label = bad.length > 60 ? `${bad.length} characters` : JSON.stringify(bad);
    add(
      `UUID ${label} as a variable (task)`,
      'query ($id: UUID!) { task(id: $id) { id } }',
      { id: bad },
      coercion('$id'),
      publicOp,
    );
    add(
      `UUID ${label} in an input (createTask.projectId)`,
      M.createTask,
      { input: { projectId: bad, title: 'T' } },
      coercion('input.projectId'),
      publicOp,
    );
  }
  add('UUID as a number', 'query ($id: UUID!) { task(id: $id) { id } }', { id: 42 }, coercion('$id'), publicOp);
  add(
    'UUID as an object',
    'query ($id: UUID!) { task(id: $id) { id } }',
    { id: { id: A_UUID } },
    coercion('$id'),
    publicOp,
  );
  add('UUID inline, not a UUID', '{ project(id: "not-a-uuid") { id } }', undefined, validationFailed, publicOp);
  add('UUID inline, an integer', '{ project(id: 1) { id } }', undefined, validationFailed, publicOp);
  add(
    'UUID list with a bad one (task filter)',
    TASKS,
    { filter: { assigneeId: { in: [A_UUID, 'nope'] } } },
    coercion('filter.assigneeId.in'),
    publicOp,
  );
  add(
    'a required UUID given as null',
    M.updateTask,
    { input: { id: null, title: 'x' } },
    coercion('input.id'),
    publicOp,
  );
  add('a required input missing', 'mutation { createTask { task { id } } }', undefined, validationFailed, publicOp);
  add(
    'an input of the wrong shape (a list)',
    M.createTask,
    { input: [{ projectId: ids.projectId, title: 'T' }] },
    coercion('$input'),
    publicOp,
  );
  add(
    'an input field that does not exist',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', organizationId: A_UUID } },
    coercion('organizationId'),
    publicOp,
  );
  add(
    'an inline input field that does not exist',
    `mutation { createTask(input: {projectId: "${ids.projectId}", title: "T", deletedAt: "2020-01-01"}) { task { id } } }`,
    undefined,
    validationFailed,
    publicOp,
  );

  // Enums.
  add(
    'enum: a task type that does not exist',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', type: 'EPIC_SAGA' } },
    coercion('input.type'),
    publicOp,
  );
  add(
    'enum: lower-case database value',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', type: 'bug' } },
    coercion('input.type'),
    publicOp,
  );
  add(
    'enum: a number',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', priority: 1 } },
    coercion('input.priority'),
    publicOp,
  );
  add(
    'enum: SQL as an enum value',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', status: SQL_STRINGS[0] } },
    coercion('input.status'),
    publicOp,
  );
  add(
    'enum: inline as a string',
    `mutation { createTask(input: {projectId: "${ids.projectId}", title: "T", type: "BUG"}) { task { id } } }`,
    undefined,
    validationFailed,
    publicOp,
  );
  add(
    'enum: inline, unknown',
    `mutation { createTask(input: {projectId: "${ids.projectId}", title: "T", type: SAGA}) { task { id } } }`,
    undefined,
    validationFailed,
    publicOp,
  );
  add(
    'enum: an order that does not exist',
    PROJECTS,
    { orderBy: 'NAME_ASC; drop table projects' },
    coercion('$orderBy'),
    publicOp,
  );
  add(
    'enum: a status filter with an unknown status',
    TASKS,
    { filter: { status: ['DONE', 'FINISHED'] } },
    coercion('filter.status'),
    publicOp,
  );
  add(
    'enum: a membership status that does not exist',
    M.changeMembershipStatus,
    { input: { membershipId: ids.memberMembershipId, status: 'ROOT' } },
    coercion('input.status'),
    publicOp,
  );
  add(
    'enum: a new task that starts DONE',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', status: 'DONE' } },
    invalid('status'),
  );
  add(
    'enum: a transition that skips the status machine',
    M.transitionTask,
    { input: { id: ids.taskId, status: 'DONE' } },
    { code: ['BAD_USER_INPUT', 'CONFLICT'] },
  );

  // Dates and times.
  for (const bad of [
    '2026-13-45',
    '2026-02-30',
    '2026-00-10',
    'yesterday',
    '',
    '2026/01/01',
    '20260101',
    '2026-01-01T00:00:00Z',
    '+275760-09-14',
    '0000-00-00',
  ]) {
    add(
      `LocalDate ${JSON.stringify(bad)} (createSprint.startDate)`,
      M.createSprint,
      { input: { projectId: ids.projectId, name: 'S', startDate: bad, endDate: '2027-03-15' } },
      coercion('input.startDate'),
      publicOp,
    );
  }
  add(
    'LocalDate: a sprint that ends before it starts',
    M.createSprint,
    { input: { projectId: ids.projectId, name: 'S', startDate: '2027-02-01', endDate: '2027-01-01' } },
    invalid('endDate'),
  );
  add(
    'LocalDate: a sprint moved to end before it starts',
    M.updateSprint,
    { input: { id: ids.sprintId, endDate: '1999-01-01' } },
    invalid('endDate'),
  );
  for (const bad of [
    '2026-13-45',
    '2026-13-45T10:00:00Z',
    '2026-02-30T10:00:00Z',
    '2026-01-01T25:61:00Z',
    'not a date',
    '',
    '2026-01-01T00:00:00',
    'Infinity',
    '-1',
  ]) {
    add(
      `DateTime ${JSON.stringify(bad)} (createTask.dueDate)`,
      M.createTask,
      { input: { projectId: ids.projectId, title: 'T', dueDate: bad } },
      coercion('input.dueDate'),
      publicOp,
    );
  }
  add(
    'DateTime as an object (createTask.dueDate)',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', dueDate: { $gt: '' } } },
    coercion('input.dueDate'),
    publicOp,
  );
  add(
    'DateTime in a filter, not a date',
    TASKS,
    { filter: { createdAt: { gt: '2026-13-45T00:00:00Z' } } },
    coercion('filter.createdAt.gt'),
    publicOp,
  );
  add(
    'DateTime: an API key that expired before it was made',
    M.createApiKey,
    { input: { name: 'k', permissions: [], expiresAt: '2001-01-01T00:00:00Z' } },
    invalid('expiresAt'),
  );

  // Emails.
  for (const bad of [
    'not-an-email',
    '',
    'a@',
    '@b.test',
    'a@b',
    'a b@c.test',
    'a@b.test\n',
    `a@b.test${NUL}`,
    "x'@b.test; drop table users",
    `${'a'.repeat(250)}@b.test`,
    `${NEARLY_1MB}@b.test`,
  ]) {
    const label = bad.length > 60 ? `${bad.length} characters` : JSON.stringify(bad);
    add(`email ${label} (inviteMember)`, M.inviteMember, { input: { email: bad } }, invalid('email'));
    add(
      `email ${label} (login)`,
      M.login,
      { input: { email: bad, password: 'Whatever123' } },
      invalid('email'),
      publicOp,
    );
    add(
      `email ${label} (signUp)`,
      M.signUp,
      { input: { email: bad, username: 'bad_input_user', password: 'Str0ng!Passw0rd#' } },
      invalid('email'),
      publicOp,
    );
  }
  add(
    'email: requestPasswordReset with something that is not an email',
    M.requestPasswordReset,
    { input: { email: 'nope' } },
    invalid('email'),
    publicOp,
  );
  add(
    'email: organization contact that is not an email',
    M.updateOrganization,
    { input: { email: 'contact at example' } },
    invalid('email'),
  );

  // Numbers.
  for (const [label, value, expect] of [
    ['-1', -1, invalid('first')],
    ['1e9', 1e9, { ...invalid('first'), code: ['BAD_USER_INPUT', 'QUERY_TOO_COMPLEX'] }],
    ['101 (over the page limit)', 101, { ...invalid('first'), code: ['BAD_USER_INPUT', 'QUERY_TOO_COMPLEX'] }],
    ['2^31', 2 ** 31, { ...coercion('$first'), code: ['BAD_USER_INPUT', 'QUERY_TOO_COMPLEX'] }],
    ['-2^31-1', -(2 ** 31) - 1, coercion('$first')],
    ['1.5', 1.5, coercion('$first')],
    ['"10"', '10', coercion('$first')],
    ['true', true, coercion('$first')],
    ['1e400 (Infinity)', '1e400', coercion('$first')],
  ] as const) {
    const request = label.startsWith('1e400')
      ? post(`{"query": ${JSON.stringify(PROJECTS)}, "variables": {"first": 1e400}}`)
      : gql(PROJECTS, { first: value });
    // The cost limit may refuse a huge page before the resolver asks who is calling.
    const anonymous: Expected = expect.status
      ? expect
      : { code: Array.isArray(expect.code) ? ['UNAUTHENTICATED', 'QUERY_TOO_COMPLEX'] : 'UNAUTHENTICATED' };
    cases.push({ name: `first: ${label}`, request, expect, anonymous });
  }
  add('last: -5', PROJECTS, { last: -5 }, invalid('last'));
  add('first and last together', PROJECTS, { first: 1, last: 1 }, invalid('last'));
  add('first inline 2^31', '{ projects(first: 2147483648) { totalCount } }', undefined, validationFailed, publicOp);
  add('first inline as a float', '{ projects(first: 1.0) { totalCount } }', undefined, validationFailed, publicOp);
  for (const [label, value, expect] of [
    ['4 (not Fibonacci)', 4, invalid('storyPoints')],
    ['0', 0, invalid('storyPoints')],
    ['-1', -1, invalid('storyPoints')],
    ['2^31', 2 ** 31, coercion('input.storyPoints')],
    ['1.5', 1.5, coercion('input.storyPoints')],
    ['"5"', '5', coercion('input.storyPoints')],
  ] as const) {
    add(
      `storyPoints ${label} (updateTask)`,
      M.updateTask,
      { input: { id: ids.taskId, storyPoints: value } },
      expect,
      expect.status ? publicOp : {},
    );
  }
  add(
    'storyPoints filter with 2^31',
    TASKS,
    { filter: { storyPoints: { gt: 2 ** 31 } } },
    coercion('filter.storyPoints.gt'),
    publicOp,
  );

  // Cursors.
  const badCursors: [string, string][] = [
    ['junk', 'junk!!'],
    ['empty', ''],
    ['base64 of not JSON', cursor('hello')],
    ['base64 of JSON that is not a list', cursor({ a: 1 })],
    ['of another order', cursor(['created_at:asc', '2026-01-01 00:00:00+00', A_UUID])],
    ['with a bad id', cursor(['name:asc', 'x', 'not-a-uuid'])],
    ['with a NUL in the value', cursor(['name:asc', `a${NUL}b`, A_UUID])],
    ['with a lone surrogate in the value', cursor(['name:asc', `a${LONE_SURROGATE}b`, A_UUID])],
    ['with too long a value', cursor(['name:asc', 'x'.repeat(5_000), A_UUID])],
    ['of 990 KB', NEARLY_1MB],
  ];
  for (const [label, value] of badCursors)
    add(`projects(after:) a cursor ${label}`, PROJECTS, { after: value }, invalid('after'));
  add('projects(before:) a cursor of junk', PROJECTS, { last: 2, before: 'junk' }, invalid('before'));
  add('projects(after:) and before together', PROJECTS, { after: 'a', before: 'b' }, invalid('before'));
  for (const [label, value] of [
    ['a month 13', '2026-13-45 10:00:00+00'],
    ['February 30', '2026-02-30 10:00:00+00'],
    ['hour 25', '2026-01-01 25:00:00+00'],
    ['year 0', '0000-01-01 00:00:00+00'],
    ['an offset of 99 hours', '2026-01-01 10:00:00+99'],
    ['February 29 of a common year', '2026-02-29 10:00:00+00'],
  ]) {
    add(
      `projects(after:) a timestamp cursor with ${label}`,
      PROJECTS,
      { orderBy: 'CREATED_AT_ASC', after: cursor(['created_at:asc', value, A_UUID]) },
      invalid('after'),
    );
  }
  add(
    'tasks(after:) a cursor of the projects list',
    TASKS,
    { after: cursor(['name:asc', 'x', A_UUID]) },
    invalid('after'),
  );

  // SQL metacharacters where they are not valid.
  for (const bad of SQL_STRINGS) {
    add(
      `SQL ${JSON.stringify(bad)} as a project slug`,
      M.createProject,
      { input: { name: uniq('P'), slug: bad } },
      invalid('slug'),
    );
    add(
      `SQL ${JSON.stringify(bad)} as a task title with a bad story point`,
      M.createTask,
      { input: { projectId: ids.projectId, title: bad, storyPoints: 4 } },
      invalid('storyPoints'),
    );
    add(
      `SQL ${JSON.stringify(bad)} as a permission`,
      M.createApiKey,
      { input: { name: 'k', permissions: [bad] } },
      invalid('permissions'),
    );
    add(
      `SQL ${JSON.stringify(bad)} as an organization slug at login`,
      M.login,
      { input: { email: ids.ownerEmail, password: 'Whatever123', organizationSlug: bad } },
      invalid('organizationSlug'),
      publicOp,
    );
  }

  // NUL characters and lone surrogates (PostgreSQL text holds neither).
  for (const [label, bad] of [
    ['a NUL', `a${NUL}b`],
    ['only NUL', NUL],
    ['a lone surrogate', `a${LONE_SURROGATE}b`],
  ] as const) {
    add(`${label} in createProject.name`, M.createProject, { input: { name: bad } }, invalid('name'));
    add(
      `${label} in createProject.description`,
      M.createProject,
      { input: { name: uniq('P'), description: bad } },
      invalid('description'),
    );
    add(
      `${label} in createTask.title`,
      M.createTask,
      { input: { projectId: ids.projectId, title: bad } },
      invalid('title'),
    );
    add(
      `${label} in createTask.tags`,
      M.createTask,
      { input: { projectId: ids.projectId, title: 'T', tags: ['ok', bad] } },
      invalid('tags'),
    );
    add(
      `${label} in updateTask.description`,
      M.updateTask,
      { input: { id: ids.taskId, description: bad } },
      invalid('description'),
    );
    add(
      `${label} in addTaskComment.body`,
      M.addTaskComment,
      { input: { taskId: ids.taskId, body: bad } },
      invalid('body'),
    );
    add(
      `${label} in updateTaskComment.body`,
      M.updateTaskComment,
      { input: { id: ids.commentId, body: bad } },
      invalid('body'),
    );
    add(
      `${label} in a metadata value`,
      M.createProject,
      { input: { name: uniq('P'), metadata: { k: bad } } },
      invalid('metadata'),
    );
    add(
      `${label} in a metadata key`,
      M.updateProject,
      { input: { id: ids.projectId, metadata: { [bad]: 1 } } },
      invalid('metadata'),
    );
    add(
      `${label} in customFields`,
      M.updateTask,
      { input: { id: ids.taskId, customFields: { list: [1, { deep: bad }] } } },
      invalid('customFields'),
    );
    add(
      `${label} in organization settings`,
      M.updateOrganization,
      { input: { settings: { theme: bad } } },
      invalid('settings'),
    );
    add(
      `${label} in createSprint.goal`,
      M.createSprint,
      { input: { projectId: ids.projectId, name: 'S', goal: bad, startDate: '2027-03-01', endDate: '2027-03-02' } },
      invalid('goal'),
    );
    add(`${label} in createTeam.name`, M.createTeam, { input: { name: bad } }, invalid('name'));
    add(
      `${label} in createRole.description`,
      M.createRole,
      { input: { name: 'R', description: bad, permissions: [] } },
      invalid('description'),
    );
    add(`${label} in updateProfile.firstName`, M.updateProfile, { input: { firstName: bad } }, invalid('firstName'));
    add(
      `${label} in a title filter`,
      TASKS,
      { filter: { title: { contains: bad } } },
      invalid('filter.title.contains'),
    );
    add(
      `${label} in a tags filter`,
      TASKS,
      { filter: { tags: { containsAny: [bad] } } },
      invalid('filter.tags.containsAny'),
    );
    add(
      `${label} in the login password`,
      M.login,
      { input: { email: ids.ownerEmail, password: `Whatever${bad}` } },
      invalid('password'),
      publicOp,
    );
    add(
      `${label} in the login email`,
      M.login,
      { input: { email: `x${bad}@example.test`, password: 'Whatever123' } },
      invalid('email'),
      publicOp,
    );
    add(
      `${label} in a refresh token`,
      M.refreshSession,
      { input: { refreshToken: `rt_${bad}` } },
      invalid('refreshToken'),
      publicOp,
    );
    add(
      `${label} in a reset token`,
      M.resetPassword,
      { input: { token: `t${bad}`, newPassword: 'Str0ng!Passw0rd#' } },
      invalid('token'),
      publicOp,
    );
    add(
      `${label} in signUp.firstName`,
      M.signUp,
      { input: { email: 'nul@example.test', username: 'nul_user', password: 'Str0ng!Passw0rd#', firstName: bad } },
      invalid('firstName'),
      publicOp,
    );
  }
  add(
    'a NUL in an inline string literal',
    `mutation { createProject(input: {name: "a\\u0000b"}) { project { id } } }`,
    undefined,
    invalid('name'),
  );
  add(
    'a NUL in an inline JSON literal',
    'mutation { updateOrganization(input: {settings: {a: "\\u0000"}}) { organization { id } } }',
    undefined,
    invalid('settings'),
  );

  // 1 MB strings and huge lists.
  for (const [name, query, input, field] of [
    ['createProject.name', M.createProject, { name: NEARLY_1MB }, 'name'],
    ['createProject.description', M.createProject, { name: uniq('P'), description: NEARLY_1MB }, 'description'],
    ['createTask.title', M.createTask, { projectId: ids.projectId, title: NEARLY_1MB }, 'title'],
    ['updateTask.description', M.updateTask, { id: ids.taskId, description: NEARLY_1MB }, 'description'],
    ['addTaskComment.body', M.addTaskComment, { taskId: ids.taskId, body: NEARLY_1MB }, 'body'],
    [
      'createSprint.name',
      M.createSprint,
      { projectId: ids.projectId, name: NEARLY_1MB, startDate: '2027-03-01', endDate: '2027-03-02' },
      'name',
    ],
    ['createMilestone.title', M.createMilestone, { projectId: ids.projectId, title: NEARLY_1MB }, 'title'],
    ['updateOrganization.name', M.updateOrganization, { name: NEARLY_1MB }, 'name'],
    ['updateOrganization.settings', M.updateOrganization, { settings: { blob: NEARLY_1MB } }, 'settings'],
    ['createProject.metadata', M.createProject, { name: uniq('P'), metadata: { blob: NEARLY_1MB } }, 'metadata'],
    ['updateTask.customFields', M.updateTask, { id: ids.taskId, customFields: { blob: NEARLY_1MB } }, 'customFields'],
    ['updateProfile.timezone', M.updateProfile, { timezone: NEARLY_1MB }, 'timezone'],
    ['createApiKey.name', M.createApiKey, { name: NEARLY_1MB, permissions: [] }, 'name'],
  ] as const)
    add(`a 1 MB string in ${name}`, query, { input }, invalid(field));
  for (const [name, query, input, field] of [
    ['login.password', M.login, { email: ids.ownerEmail, password: NEARLY_1MB }, 'password'],
    ['refreshSession.refreshToken', M.refreshSession, { refreshToken: NEARLY_1MB }, 'refreshToken'],
    [
      'signUp.username',
      M.signUp,
      { email: 'big@example.test', username: NEARLY_1MB, password: 'Str0ng!Passw0rd#' },
      'username',
    ],
    [
      'signUp.password',
      M.signUp,
      { email: 'big@example.test', username: 'big_user', password: NEARLY_1MB },
      'password',
    ],
    ['acceptInvitation.token', M.acceptInvitation, { token: NEARLY_1MB, password: 'Whatever123' }, 'token'],
  ] as const)
    add(`a 1 MB string in ${name}`, query, { input }, invalid(field), publicOp);
  add('a 1 MB title filter', TASKS, { filter: { title: { contains: NEARLY_1MB } } }, invalid('filter.title.contains'));
  add(
    '100,000 tags',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', tags: Array(100_000).fill('a') } },
    invalid('tags'),
  );
  add(
    '100,000 permissions',
    M.createApiKey,
    { input: { name: 'k', permissions: Array(100_000).fill('a:b') } },
    invalid('permissions'),
  );
  add(
    '100,000 statuses in a filter',
    TASKS,
    { filter: { status: Array(100_000).fill('TODO') } },
    invalid('filter.status'),
  );
  add(
    '100,000 story points in a filter',
    TASKS,
    { filter: { storyPoints: { in: Array(100_000).fill(1) } } },
    invalid('filter.storyPoints.in'),
  );
  add(
    '20,000 ids in a filter',
    TASKS,
    { filter: { assigneeId: { in: Array(20_000).fill(A_UUID) } } },
    invalid('filter.assigneeId.in'),
  );
  add(
    '100,000 project features',
    M.updateProject,
    { input: { id: ids.projectId, settings: { features: Array(100_000).fill('boards') } } },
    invalid('settings.features'),
  );
  add(
    'a 60,000-key metadata object',
    M.createProject,
    {
      input: { name: uniq('P'), metadata: Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, 1])) },
    },
    invalid('metadata'),
  );

  // Deeply nested input objects (JSONObject scalars are the only way to nest without end).
  const addRaw = (
    name: string,
    query: string,
    variables: Record<string, unknown>,
    raw: string,
    expect: Expected,
    more: Partial<BadInputCase> = {},
  ) => cases.push({ name, request: gqlRaw(query, variables, raw), expect, ...more });
  for (const depth of [100, 1_000, 10_000]) {
    const deep = nestedJson(depth);
    addRaw(
      `createProject.metadata nested ${depth} deep`,
      M.createProject,
      { input: { name: uniq('P'), metadata: RAW } },
      deep,
      invalid('metadata'),
    );
    addRaw(
      `updateTask.customFields nested ${depth} deep`,
      M.updateTask,
      { input: { id: ids.taskId, customFields: RAW } },
      deep,
      invalid('customFields'),
    );
    addRaw(
      `updateOrganization.settings nested ${depth} deep`,
      M.updateOrganization,
      { input: { settings: RAW } },
      deep,
      invalid('settings'),
    );
    addRaw(
      `updateProfile.notificationPreferences nested ${depth} deep`,
      M.updateProfile,
      { input: { notificationPreferences: RAW } },
      deep,
      invalid('notificationPreferences'),
    );
  }
  for (const depth of [1_000, 100_000]) {
    addRaw(
      `an array nested ${depth} deep in metadata`,
      M.createProject,
      { input: { name: uniq('P'), metadata: { a: RAW } } },
      `${'['.repeat(depth)}${']'.repeat(depth)}`,
      invalid('metadata'),
    );
  }
  addRaw(
    'a string where an input object goes, nested 100 deep',
    M.createTask,
    { input: { projectId: ids.projectId, title: RAW } },
    nestedJson(100),
    coercion('input.title'),
    publicOp,
  );
  add(
    'JSONObject given a list',
    M.createProject,
    { input: { name: uniq('P'), metadata: [1, 2] } },
    coercion('input.metadata'),
    publicOp,
  );
  add(
    'JSONObject given a string',
    M.createProject,
    { input: { name: uniq('P'), metadata: '{"a":1}' } },
    coercion('input.metadata'),
    publicOp,
  );

  // Other invalid values of real mutations.
  add(
    'createApiKey with a permission that does not exist',
    M.createApiKey,
    { input: { name: 'k', permissions: ['projects:obliterate'] } },
    invalid('permissions'),
  );
  add(
    'createApiKey with a malformed permission',
    M.createApiKey,
    { input: { name: 'k', permissions: ['PROJECTS READ'] } },
    invalid('permissions'),
  );
  add(
    'createRole with a permission that does not exist',
    M.createRole,
    { input: { name: 'R', permissions: ['root:all'] } },
    invalid('permissions'),
  );
  add('createProject with an empty name', M.createProject, { input: { name: '' } }, invalid('name'));
  add('createProject with a name of spaces', M.createProject, { input: { name: '   ' } }, invalid('name'));
  add(
    'createProject with an empty feature',
    M.createProject,
    { input: { name: uniq('P'), settings: { features: [''] } } },
    invalid('settings.features'),
  );
  add(
    'createTask with an empty title',
    M.createTask,
    { input: { projectId: ids.projectId, title: '' } },
    invalid('title'),
  );
  add(
    'createTask with an empty tag',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', tags: [''] } },
    invalid('tags'),
  );
  add(
    'createTask in a project that does not exist',
    M.createTask,
    { input: { projectId: A_UUID, title: 'T' } },
    { code: ['NOT_FOUND', 'BAD_USER_INPUT'] },
  );
  add(
    'createTask with a sprint that does not exist',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', sprintId: A_UUID } },
    invalid('sprintId'),
  );
  add(
    'createTask with an assignee who is not a member',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', assigneeId: A_UUID } },
    invalid('assigneeId'),
  );
  add(
    'createTask as its own parent',
    M.createTask,
    { input: { projectId: ids.projectId, title: 'T', parentTaskId: A_UUID } },
    invalid('parentTaskId'),
  );
  add(
    'addTaskComment with an empty body',
    M.addTaskComment,
    { input: { taskId: ids.taskId, body: '' } },
    invalid('body'),
  );
  add(
    'addTaskComment to a task that does not exist',
    M.addTaskComment,
    { input: { taskId: A_UUID, body: 'hi' } },
    { code: 'NOT_FOUND' },
  );
  add(
    'createSprint with an empty name',
    M.createSprint,
    { input: { projectId: ids.projectId, name: '', startDate: '2027-03-01', endDate: '2027-03-02' } },
    invalid('name'),
  );
  add(
    'createMilestone with a bad due date',
    M.createMilestone,
    { input: { projectId: ids.projectId, title: 'M', dueDate: '2026-13-45' } },
    coercion('input.dueDate'),
    publicOp,
  );
  add(
    'updateProfile with a timezone that does not exist',
    M.updateProfile,
    { input: { timezone: 'Mars/Olympus_Mons' } },
    invalid('timezone'),
  );
  add(
    'updateProfile with a language that is not a tag',
    M.updateProfile,
    { input: { language: 'english please' } },
    invalid('language'),
  );
  add(
    'updateProfile with a javascript: avatar',
    M.updateProfile,
    { input: { avatarUrl: 'javascript:alert(1)' } },
    invalid('avatarUrl'),
  );
  add(
    'updateProfile with a phone number that is not E.164',
    M.updateProfile,
    { input: { phoneNumber: "555-1234'; --" } },
    invalid('phoneNumber'),
  );
  add(
    'inviteMember as OWNER',
    M.inviteMember,
    { input: { email: 'new-owner@example.test', role: 'GOD' } },
    coercion('input.role'),
    publicOp,
  );
  add(
    'signUp with a weak password',
    M.signUp,
    { input: { email: 'weak@example.test', username: 'weak_user', password: 'password' } },
    invalid('password'),
    publicOp,
  );
  add(
    'signUp with a username of SQL',
    M.signUp,
    { input: { email: 'sql@example.test', username: SQL_STRINGS[0], password: 'Str0ng!Passw0rd#' } },
    invalid('username'),
    publicOp,
  );
  add(
    'signUp with an organization slug of SQL',
    M.signUp,
    {
      input: {
        email: 'slug@example.test',
        username: 'slug_user',
        password: 'Str0ng!Passw0rd#',
        organization: { name: 'O', slug: SQL_STRINGS[1] },
      },
    },
    invalid('organization.slug'),
    publicOp,
  );
  for (const junk of ['', 'junk', 'rt_junk', `rt_${'A'.repeat(43)}`, SQL_STRINGS[0]!, 'Bearer x']) {
    add(
      `refreshSession with ${JSON.stringify(junk)}`,
      M.refreshSession,
      { input: { refreshToken: junk } },
      { code: junk === '' ? 'BAD_USER_INPUT' : 'UNAUTHENTICATED' },
      publicOp,
    );
  }
  add(
    'resetPassword with a junk token',
    M.resetPassword,
    { input: { token: 'junk', newPassword: 'Str0ng!Passw0rd#' } },
    { code: ['BAD_USER_INPUT', 'UNAUTHENTICATED'] },
    publicOp,
  );
  add(
    'acceptInvitation with a junk token',
    M.acceptInvitation,
    { input: { token: SQL_STRINGS[0], password: 'Whatever123' } },
    { code: ['BAD_USER_INPUT', 'UNAUTHENTICATED', 'NOT_FOUND'] },
    publicOp,
  );
  add(
    'switchOrganization to an organization that does not exist',
    M.switchOrganization,
    { input: { organizationId: A_UUID } },
    { code: 'FORBIDDEN' },
  );
  add(
    'login to an organization slug that does not exist',
    M.login,
    { input: { email: ids.ownerEmail, password: 'Whatever123', organizationSlug: 'no-such-org' } },
    { code: 'UNAUTHENTICATED' },
    publicOp,
  );
  return cases;
}

/** Headers that are not credentials. */
function headerCases(): BadInputCase[] {
  const doc = JSON.stringify({ query: '{ viewer { user { id } } }' });
  return [
    ['Basic credentials', 'Basic YWxpY2U6cGFzc3dvcmQ='],
    ['a Bearer token that is not a JWT', 'Bearer not.a.jwt'],
    ['a Bearer token with SQL', "Bearer ' or 1=1 --"],
    ['an empty Bearer', 'Bearer '],
    [
      'a JWT signed with "none"',
      `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`,
    ],
    ['an API key of the wrong shape', 'Bearer tq_nothex_short'],
    ['an API key that does not exist', `Bearer tq_00000000_${'A'.repeat(43)}`],
    ['an 8 KB token', `Bearer ${'a'.repeat(8_000)}`],
  ].map(([name, authorization]): BadInputCase => ({
    name: `authorization: ${name}`,
    request: post(doc, { ...JSON_TYPE, authorization: authorization! }),
    expect: { status: 401, code: 'UNAUTHENTICATED' },
    as: ['anonymous'],
  }));
}

/** Every refusal case, for the ids of the owner's organization. */
export function badInputCorpus(ids: CorpusIds): BadInputCase[] {
  return [...httpCases(), ...inputCases(ids), ...headerCases()];
}

/** Reads whose filters hold LIKE and SQL metacharacters: they must match nothing (the organization has no such names). */
export function inertCorpus(): InertCase[] {
  const countProjects = (data: Record<string, unknown>) => (data.projects as { totalCount: number }).totalCount;
  const countTasks = (data: Record<string, unknown>) => (data.tasks as { totalCount: number }).totalCount;
  const cases: InertCase[] = [];
  for (const text of ['%', '_', '\\', '%%', '\\%', "'", ...SQL_STRINGS]) {
    cases.push({
      name: `projects whose name contains ${JSON.stringify(text)}`,
      query: PROJECTS,
      variables: { filter: { name: { contains: text } } },
      count: countProjects,
    });
    cases.push({
      name: `tasks whose title contains ${JSON.stringify(text)}`,
      query: TASKS,
      variables: { filter: { title: { contains: text } } },
      count: countTasks,
    });
  }
  cases.push({
    name: 'projects whose slug is in a list of SQL',
    query: PROJECTS,
    variables: { filter: { slug: { in: SQL_STRINGS } } },
    count: countProjects,
  });
  cases.push({
    name: 'tasks with a tag of SQL',
    query: TASKS,
    variables: { filter: { tags: { containsAll: [SQL_STRINGS[0]] } } },
    count: countTasks,
  });
  for (const text of SQL_STRINGS) {
    cases.push({
      name: `projects after a cursor holding ${JSON.stringify(text)}`,
      query: PROJECTS,
      variables: { after: cursor(['name:asc', text, A_UUID]) },
    });
  }
  return cases;
}
