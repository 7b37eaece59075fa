/**
 * The load test's requests (`npm run loadtest`, bench/loadtest.ts): a mixed workload of reads and
 * writes that always succeeds when the server and its database are healthy, even with many
 * connections writing the same rows at once, and how a response is judged.
 */
import { NESTED_QUERY, TASK_PAGE_QUERY } from './scenarios';

export const VIEWER_QUERY = `query LoadViewer {
  viewer { user { id name } organization { id name } membership { role status } permissions }
}`;

/** Smaller than the benchmark's 50 x 20: the load test is about faults, not the heaviest page. */
export const PROJECTS_QUERY = NESTED_QUERY.replace('BenchNested', 'LoadProjects')
  .replace('first: 50', 'first: 10')
  .replace('first: 20', 'first: 10');
export const TASK_PAGE = TASK_PAGE_QUERY.replace('BenchTaskPage', 'LoadTaskPage');

const CREATE_TASK = `mutation LoadCreateTask($input: CreateTaskInput!) { createTask(input: $input) { task { id title } } }`;
const UPDATE_TASK = `mutation LoadUpdateTask($input: UpdateTaskInput!) { updateTask(input: $input) { task { id title priority } } }`;
const TRANSITION_TASK = `mutation LoadTransitionTask($input: TransitionTaskInput!) { transitionTask(input: $input) { task { id status } } }`;
const ADD_COMMENT = `mutation LoadAddComment($input: AddTaskCommentInput!) { addTaskComment(input: $input) { comment { id } } }`;

/**
 * Three writes in one request, run one after another in its one transaction (mutation fields are
 * serial): two tasks and a comment, each with its triggers' activity rows, all named by `marker`.
 * Either all of it is committed or none.
 */
export const BATCH_MUTATION = `mutation LoadBatch($a: CreateTaskInput!, $b: CreateTaskInput!, $c: AddTaskCommentInput!) {
  a: createTask(input: $a) { task { id } }
  b: createTask(input: $b) { task { id } }
  c: addTaskComment(input: $c) { comment { id } }
}`;

export function batchVariables(marker: string, projectId: string, taskId: string) {
  return {
    a: { projectId, title: `${marker} a`, tags: [marker], priority: 'HIGH' },
    b: { projectId, title: `${marker} b`, tags: [marker] },
    c: { taskId, body: marker },
  };
}

/** What an organization offers the mix: projects to add tasks to, tasks to change, tasks in TODO or IN_PROGRESS. */
export interface LoadTargets {
  projectIds: string[];
  taskIds: string[];
  /** TODO <-> IN_PROGRESS is allowed both ways, so a transition between them never fails, whoever got there first. */
  movableTaskIds: string[];
}

export type LoadKind =
  'viewer' | 'projects' | 'taskPage' | 'createTask' | 'updateTask' | 'transitionTask' | 'addTaskComment';

/** Six reads and four writes in ten. */
export const LOAD_MIX: readonly LoadKind[] = [
  'viewer',
  'projects',
  'taskPage',
  'createTask',
  'taskPage',
  'updateTask',
  'viewer',
  'transitionTask',
  'projects',
  'addTaskComment',
];

/** The n-th request of the mix: its kind and JSON body. `marker` names what a createTask writes. */
export function loadRequest(n: number, targets: LoadTargets, marker: string): { kind: LoadKind; body: string } {
  const kind = LOAD_MIX[n % LOAD_MIX.length]!;
  const pick = <T>(list: T[]) => list[(n * 7919) % list.length]!;
  const body = (query: string, operationName: string, input?: Record<string, unknown>) =>
    JSON.stringify(input ? { query, operationName, variables: { input } } : { query, operationName });
  switch (kind) {
    case 'viewer':
      return { kind, body: body(VIEWER_QUERY, 'LoadViewer') };
    case 'projects':
      return { kind, body: body(PROJECTS_QUERY, 'LoadProjects') };
    case 'taskPage':
      return { kind, body: body(TASK_PAGE, 'LoadTaskPage') };
    case 'createTask':
      return {
        kind,
        body: body(CREATE_TASK, 'LoadCreateTask', {
          projectId: pick(targets.projectIds),
          title: `${marker} ${n}`,
          tags: ['load'],
        }),
      };
    case 'updateTask':
      return {
        kind,
        body: body(UPDATE_TASK, 'LoadUpdateTask', {
          id: pick(targets.taskIds),
          title: `Load update ${n}`,
          priority: ['LOW', 'MEDIUM', 'HIGH', 'URGENT'][n % 4],
        }),
      };
    case 'transitionTask':
      return {
        kind,
        body: body(TRANSITION_TASK, 'LoadTransitionTask', {
          id: pick(targets.movableTaskIds),
          status: n % 20 < 10 ? 'IN_PROGRESS' : 'TODO',
        }),
      };
    case 'addTaskComment':
      return {
        kind,
        body: body(ADD_COMMENT, 'LoadAddComment', { taskId: pick(targets.taskIds), body: `Load comment ${n}` }),
      };
  }
}

/** Error codes a server may answer with while its database is away: masked, or saying so (a commit whose connection was lost: COMMIT_OUTCOME_UNKNOWN). */
export const OUTAGE_CODES = new Set([
  'INTERNAL_SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
  'TIMEOUT',
  'COMMIT_OUTCOME_UNKNOWN',
]);

/**
 * What no response may show: stacks, driver and network error names, Postgres messages and
 * SQLSTATEs, SQL, role names, connection strings.
 */
export const LEAK = new RegExp(
  [
    'stacktrace',
    '\\n\\s+at ',
    '\\.[jt]s:\\d+',
    '\\bE(CONN|PIPE|TIMEDOUT|HOSTUNREACH)',
    'terminating connection',
    'database system',
    'Connection terminated',
    'connection (error|refused|timeout)',
    '\\b(57P0\\d|08\\d{3})\\b',
    '\\bselect\\s',
    '\\binsert into\\b',
    '\\bupdate \\w+ set\\b',
    '\\bpg_',
    'tenantql_(app|owner|auth)',
    'postgres(ql)?://',
  ].join('|'),
  'i',
);

export type Judgement =
  { outcome: 'ok' } | { outcome: 'clean error'; code: string } | { outcome: 'unclean'; why: string };

/**
 * Success: 200, JSON, data and no errors. A clean error: status 200, 500 or 503, JSON errors that
 * each carry an `extensions.code` from `allowed`, and nothing of LEAK anywhere in the body.
 */
export function judge(status: number, text: string, allowed: ReadonlySet<string> = new Set()): Judgement {
  let body: { data?: unknown; errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return { outcome: 'unclean', why: `${status}, not JSON: ${text.slice(0, 120)}` };
  }
  if (status === 200 && !body.errors && body.data && typeof body.data === 'object') return { outcome: 'ok' };
  if (LEAK.test(text)) return { outcome: 'unclean', why: `${status}, leaks: ${text.slice(0, 300)}` };
  if (![200, 500, 503].includes(status)) return { outcome: 'unclean', why: `status ${status}: ${text.slice(0, 200)}` };
  if (!Array.isArray(body.errors) || !body.errors.length)
    return { outcome: 'unclean', why: `${status} without errors: ${text.slice(0, 200)}` };
  const codes = body.errors.map((e) => e.extensions?.code);
  const bad = codes.find((code) => typeof code !== 'string' || !allowed.has(code));
  if (bad !== undefined || codes.length === 0)
    return { outcome: 'unclean', why: `${status}, code ${String(bad)}: ${text.slice(0, 200)}` };
  return { outcome: 'clean error', code: `${status} ${codes[0] as string}` };
}
