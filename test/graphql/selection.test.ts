import { buildSchema, graphql, type GraphQLResolveInfo } from 'graphql';
import { selects } from '../../src/graphql/selection';

/** Runs `query` against a tiny schema and reports what `selects` said inside `tasks`. */
async function selectedIn(query: string, path: string[]): Promise<boolean> {
  const schema = buildSchema(`
    type User { name: String }
    type Task { id: ID, assignee: User }
    type Edge { node: Task }
    type TaskConnection { edges: [Edge] }
    type Query { tasks: TaskConnection }
  `);
  let answer: boolean | undefined;
  const result = await graphql({
    schema,
    source: query,
    rootValue: {
      tasks: (_args: unknown, _ctx: unknown, info: GraphQLResolveInfo) => {
        answer = selects(info, path);
        return { edges: [] };
      },
    },
  });
  if (result.errors) throw result.errors[0];
  return answer!;
}

describe('selects', () => {
  const path = ['edges', 'node', 'assignee'];

  it('finds a field selected directly', async () => {
    expect(await selectedIn('{ tasks { edges { node { id assignee { name } } } } }', path)).toBe(true);
  });

  it('is false when the path stops short or names another field', async () => {
    expect(await selectedIn('{ tasks { edges { node { id } } } }', path)).toBe(false);
    expect(await selectedIn('{ tasks { edges { __typename } } }', path)).toBe(false);
  });

  it('looks through named and inline fragments, at any level', async () => {
    expect(
      await selectedIn(
        '{ tasks { ...Page } } fragment Page on TaskConnection { edges { node { ...Row } } } fragment Row on Task { assignee { name } }',
        path,
      ),
    ).toBe(true);
    expect(await selectedIn('{ tasks { edges { node { ... on Task { assignee { name } } } } } }', path)).toBe(true);
    expect(
      await selectedIn('{ tasks { ...Page } } fragment Page on TaskConnection { edges { node { id } } }', path),
    ).toBe(false);
  });

  it('does not follow an alias to another field', async () => {
    expect(await selectedIn('{ tasks { edges { node { assignee: id } } } }', path)).toBe(false);
  });
});
