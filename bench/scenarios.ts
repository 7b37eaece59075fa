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
