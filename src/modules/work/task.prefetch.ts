import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from '../../graphql/context';
import { ForbiddenError } from '../../errors';
import { selects } from '../../graphql/selection';
import { allowDeleted } from '../../graphql/auth-checker';
import { userById } from '../tenancy/tenancy.loaders';
import type { TaskListArgs } from './task.input';
import { Task, TaskConnection } from './task.type';
import type { tasksOfSprint } from './work.loaders';

const ASSIGNEE = ['edges', 'node', 'assignee'] as const;

/**
 * When a task list's rows will be asked for their assignee, loads them with every other list of
 * the level (one shared answer, one users batch; see `loadJoined`), so `assignee` then resolves
 * synchronously instead of with one promise per row: the same statements, far less work.
 */
export async function withAssignees(
  ctx: Context,
  info: GraphQLResolveInfo,
  connection: TaskConnection,
): Promise<TaskConnection> {
  if (!selects(info, ASSIGNEE)) return connection;
  const ids = new Set<string>();
  for (const { node } of connection.edges) if (node.assigneeId) ids.add(node.assigneeId);
  if (!ids.size) {
    for (const { node } of connection.edges) node.assignee = null;
    return connection;
  }
  // A failed batch fails the list; a refused one (no users:read) fails each assignee field instead, as everywhere else.
  const users = await ctx.loaders.loadJoined(userById, ids).catch((error: unknown) => {
    if (error instanceof ForbiddenError) return null;
    throw error;
  });
  if (!users) return connection;
  for (const { node } of connection.edges)
    node.assignee = node.assigneeId ? (users.get(node.assigneeId) ?? null) : null;
  return connection;
}

type TaskList = typeof tasksOfSprint;

/**
 * One page of a task list under a parent (a sprint's or a milestone's tasks): deleted tasks only
 * with `tasks:delete`, assignees loaded at once.
 *
 * @example
 * return tasksUnder(tasksOfSprint, sprint.id, args, ctx, info);
 */
export async function tasksUnder(
  list: TaskList,
  parentId: string,
  args: TaskListArgs,
  ctx: Context,
  info: GraphQLResolveInfo,
): Promise<TaskConnection> {
  const includeDeleted = await allowDeleted(ctx, args.includeDeleted, 'tasks:delete');
  return withAssignees(
    ctx,
    info,
    await list.load(
      ctx.loaders,
      { parentId, args: { ...args, includeDeleted } },
      new TaskConnection(),
      Task.fromRow,
      info,
    ),
  );
}
