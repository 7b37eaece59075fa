import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from '../graphql/context';
import type { ConnectionShape } from '../graphql/connection';
import { ForbiddenError } from '../errors';
import { selects } from '../graphql/selection';
import type { RelationModel } from './model';

type Node = Record<string, unknown>;

/**
 * For each `prefetch: true` relation a list's selection asks for, loads the parents of every row
 * with every other list of the level (one shared answer, one batch; see `loadJoined`) and sets
 * `node[field]`, so the field answers synchronously (answerPrefetched) instead of one promise per
 * row: the same statements, far less work. The general form of the hand-written withAssignees Task lists had.
 *
 * @example
 * return withRelated(ctx, info, connection, resource.model.relations);
 */
export async function withRelated<C extends ConnectionShape<Node>>(
  ctx: Context,
  info: GraphQLResolveInfo,
  connection: C,
  relations: readonly RelationModel[],
): Promise<C> {
  for (const { relation: r, field, path } of prefetchedOf(relations)) {
    if (!selects(info, path)) continue;
    const ids = new Set<string>();
    for (const { node } of connection.edges) if (node[r.idProperty]) ids.add(node[r.idProperty] as string);
    if (!ids.size) {
      for (const { node } of connection.edges) node[field] = null;
      continue;
    }
    // A failed batch fails the list; a refused one leaves each field to its own resolver, as everywhere else.
    const found = await ctx.loaders.loadJoined(r.target().byId, ids).catch((error: unknown) => {
      if (error instanceof ForbiddenError) return null;
      throw error;
    });
    if (!found) continue;
    for (const { node } of connection.edges) {
      const id = node[r.idProperty] as string | null;
      node[field] = id ? (found.get(id) ?? null) : null;
    }
  }
  return connection;
}

type Prefetched = readonly { relation: RelationModel; field: string; path: readonly string[] }[];
const prefetched = new WeakMap<readonly RelationModel[], Prefetched>();

/** The `prefetch: true` relations of a resource and the selection path of each, worked out once. */
function prefetchedOf(relations: readonly RelationModel[]): Prefetched {
  let found = prefetched.get(relations);
  if (!found) {
    const list: Prefetched[number][] = [];
    for (const r of relations)
      if (r.prefetch && r.field) list.push({ relation: r, field: r.field, path: ['edges', 'node', r.field] });
    prefetched.set(relations, (found = list));
  }
  return found;
}
