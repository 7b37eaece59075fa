import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the operation selects `path` below the field being resolved (through fragments and
 * inline fragments; a field under @skip/@include counts as selected). Lets a list resolver
 * prefetch what its rows will be asked for, in the same batch.
 *
 * @example
 * if (selects(info, ['edges', 'node', 'assignee'])) await prefetchAssignees(ctx, connection);
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  return info.fieldNodes.some((field) => selectsIn(field.selectionSet, path, info, new Set()));
}

function selectsIn(set: SelectionSetNode | undefined, path: readonly string[], info: GraphQLResolveInfo, seen: Set<string>): boolean {
  if (!set) return false;
  if (!path.length) return true;
  const [name, ...rest] = path;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if ((selection as FieldNode).name.value === name && (!rest.length || selectsIn(selection.selectionSet, rest, info, seen))) return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (selectsIn(selection.selectionSet, path, info, seen)) return true;
    } else {
      const fragmentName = selection.name.value;
      if (seen.has(fragmentName)) continue;
      seen.add(fragmentName);
      if (selectsIn(info.fragments[fragmentName]?.selectionSet, path, info, seen)) return true;
    }
  }
  return false;
}
