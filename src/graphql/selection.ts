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
  return remembered(info, keyOf('selects', path), () =>
    info.fieldNodes.some((field) => selectsIn(field.selectionSet, path, info, new Set())),
  );
}

/**
 * Answers computed from a field's nodes alone (the document's AST, which never changes), kept per
 * `info.fieldNodes`: both graphql-js and the compiled executor hand every item of a list the same
 * array, so `project.tasks` under 50 projects walks its selection once, not 50 times.
 */
const answers = new WeakMap<readonly FieldNode[], Map<string, unknown>>();

/** The key of a question, kept per path array: callers pass constant paths, so a list load builds no string. */
const keys = { selects: new WeakMap<readonly string[], string>(), names: new WeakMap<readonly string[], string>() };

function keyOf(kind: keyof typeof keys, path: readonly string[]): string {
  let key = keys[kind].get(path);
  if (key === undefined) keys[kind].set(path, (key = `${kind}:${path.join('.')}`));
  return key;
}

function remembered<T>(info: GraphQLResolveInfo, key: string, compute: () => T): T {
  let byKey = answers.get(info.fieldNodes);
  if (!byKey) answers.set(info.fieldNodes, (byKey = new Map()));
  if (byKey.has(key)) return byKey.get(key) as T;
  const answer = compute();
  byKey.set(key, answer);
  return answer;
}

function selectsIn(
  set: SelectionSetNode | undefined,
  path: readonly string[],
  info: GraphQLResolveInfo,
  seen: Set<string>,
): boolean {
  if (!set) return false;
  if (!path.length) return true;
  const [name, ...rest] = path;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (
        (selection as FieldNode).name.value === name &&
        (!rest.length || selectsIn(selection.selectionSet, rest, info, seen))
      )
        return true;
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

/**
 * The names of the fields the operation selects at `path` below the field being resolved
 * (through named and inline fragments, whatever their type condition; fields under @skip or
 * @include count), so a list can read only what its nodes will be asked for.
 *
 * @example
 * selectedFieldNames(info, ['edges', 'node']) // Set { 'id', 'title', 'assignee' }
 */
export function selectedFieldNames(info: GraphQLResolveInfo, path: readonly string[]): ReadonlySet<string> {
  return remembered(info, keyOf('names', path), () => collectFieldNames(info, path));
}

function collectFieldNames(info: GraphQLResolveInfo, path: readonly string[]): ReadonlySet<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const collect = (set: SelectionSetNode | undefined, rest: readonly string[]): void => {
    if (!set) return;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (!rest.length) names.add(name);
        else if (name === rest[0]) collect(selection.selectionSet, rest.slice(1));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet, rest);
      } else {
        // A fragment spread twice on the same level adds nothing new; on different levels it is walked per level.
        const key = `${rest.length}:${selection.name.value}`;
        if (seen.has(key)) continue;
        seen.add(key);
        collect(info.fragments[selection.name.value]?.selectionSet, rest);
      }
    }
  };
  for (const field of info.fieldNodes) collect(field.selectionSet, path);
  return names;
}
