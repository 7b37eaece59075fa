/**
 * The measured requests, as GraphQL documents for tenantql and as the names the raw-SQL server
 * answers to. Both servers answer the same JSON for the same request (run.ts checks it).
 */

/** (a) The standard nested query: 50 projects x 20 tasks x assignee, 1,000 tasks per response. */
export const NESTED_QUERY = `query BenchNested {
  projects(first: 50) {
    edges { node { id name tasks(first: 20) { edges { node { id title assignee { name } } } } } }
  }
}`;

/** (b) A filtered, sorted page of the organization's tasks: open and urgent work, newest first. */
export const TASK_PAGE_QUERY = `query BenchTaskPage {
  tasks(first: 50, filter: {status: [TODO, IN_PROGRESS], priority: [HIGH, URGENT]}, orderBy: CREATED_AT_DESC) {
    edges { cursor node { id title status priority dueDate assignee { name } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** (c) The mutation mix: one of three writes, in turn. */
export const CREATE_TASK = `mutation BenchCreateTask($input: CreateTaskInput!) {
  createTask(input: $input) { task { id title status priority } }
}`;
export const UPDATE_TASK = `mutation BenchUpdateTask($input: UpdateTaskInput!) {
  updateTask(input: $input) { task { id title status priority } }
}`;
export const ADD_COMMENT = `mutation BenchAddComment($input: AddTaskCommentInput!) {
  addTaskComment(input: $input) { comment { id body } }
}`;

export const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] as const;

/** What an organization offers the mutation mix: projects to create tasks in, tasks to change. */
export interface MutationTargets {
  projectIds: string[];
  taskIds: string[];
}

export type MutationKind = 'createTask' | 'updateTask' | 'addTaskComment';
export const MUTATION_KINDS: readonly MutationKind[] = ['createTask', 'updateTask', 'addTaskComment'];

/** The n-th mutation of a connection: kind and variables, deterministic in n. */
export function mutationFor(
  n: number,
  targets: MutationTargets,
): { kind: MutationKind; input: Record<string, string> } {
  const kind = MUTATION_KINDS[n % MUTATION_KINDS.length]!;
  const pick = <T>(list: T[]) => list[(n * 7919) % list.length]!;
  switch (kind) {
    case 'createTask':
      return { kind, input: { projectId: pick(targets.projectIds), title: `Bench task ${n}` } };
    case 'updateTask':
      return { kind, input: { id: pick(targets.taskIds), title: `Bench update ${n}`, priority: PRIORITIES[n % 4]! } };
    case 'addTaskComment':
      return { kind, input: { taskId: pick(targets.taskIds), body: `Bench comment ${n}` } };
  }
}

export const MUTATION_DOCUMENTS: Record<MutationKind, string> = {
  createTask: CREATE_TASK,
  updateTask: UPDATE_TASK,
  addTaskComment: ADD_COMMENT,
};

/**
 * (a) and (b) as PostGraphile v5 (Amber preset, connection filter) names them, with aliases to
 * tenantql's names: `rowId` is the table's id (PostGraphile's `id` is its global node id),
 * relations are named after their keys, and `User.name` is the peer's own field computed as
 * tenantql computes it (bench/peers/postgraphile-server.mjs). Same filters (soft-deleted rows
 * left out, as tenantql leaves them out), same order with the id as tie-break, same page sizes.
 */
export const POSTGRAPHILE_NESTED_QUERY = `query BenchNestedPeer {
  projects: allProjects(first: 50, filter: {deletedAt: {isNull: true}}, orderBy: [NAME_ASC, ROW_ID_ASC]) {
    edges { node { id: rowId name
      tasks: tasksByOrganizationIdAndProjectId(first: 20, filter: {deletedAt: {isNull: true}}, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) {
        edges { node { id: rowId title assignee: userByAssigneeId { name } } }
      } } }
  }
}`;

export const POSTGRAPHILE_TASK_PAGE_QUERY = `query BenchTaskPagePeer {
  tasks: allTasks(
    first: 50
    filter: {status: {in: ["todo", "in_progress"]}, priority: {in: ["high", "urgent"]}, deletedAt: {isNull: true}}
    orderBy: [CREATED_AT_DESC, ROW_ID_DESC]
  ) {
    edges { cursor node { id: rowId title status priority dueDate assignee: userByAssigneeId { name } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** The read scenarios every server answers, with the document and operation name each one is sent. */
export const READ_SCENARIOS = {
  nested: {
    tenantql: { query: NESTED_QUERY, operationName: 'BenchNested' },
    postgraphile: { query: POSTGRAPHILE_NESTED_QUERY, operationName: 'BenchNestedPeer' },
  },
  taskPage: {
    tenantql: { query: TASK_PAGE_QUERY, operationName: 'BenchTaskPage' },
    postgraphile: { query: POSTGRAPHILE_TASK_PAGE_QUERY, operationName: 'BenchTaskPagePeer' },
  },
} as const;

/**
 * What two servers' answers to (a) or (b) must share, whatever their schema: the same rows in the
 * same order with the same values. Cursors are dropped (each server encodes its own), `status`
 * and `priority` are compared upper-case (tenantql's enums; PostGraphile gives the column's text)
 * and `dueDate` as an ISO string in milliseconds (what tenantql's DateTime writes). Keys keep
 * their order.
 *
 * @example
 * isDeepStrictEqual(comparableAnswer(tenantqlData), comparableAnswer(postgraphileData)) // same rows
 */
export function comparableAnswer(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparableAnswer);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === 'cursor' || key === 'endCursor') continue;
    if ((key === 'status' || key === 'priority') && typeof field === 'string') out[key] = field.toUpperCase();
    else if (key === 'dueDate' && typeof field === 'string') out[key] = new Date(field).toISOString();
    else out[key] = comparableAnswer(field);
  }
  return out;
}
