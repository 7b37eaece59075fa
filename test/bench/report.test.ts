import { isDeepStrictEqual } from 'node:util';
import { median, serverOrder, SERVER_NAMES, summarize, table, type Measurement } from '../../bench/report';
import { comparableAnswer } from '../../bench/scenarios';

/**
 * The benchmark's bookkeeping, without running it: the rotation of the servers' order, the
 * medians and ratios it reports, and the answer check that must tell the PostGraphile peer's
 * rows from tenantql's when they differ.
 */

const run = (server: Measurement['server'], runIndex: number, requestsPerSecond: number, p99: number): Measurement => ({
  scenario: 'taskPage',
  dataset: '10,000 tasks',
  server,
  run: runIndex,
  requestsPerSecond,
  latencyMs: { p50: p99 / 2, p90: p99 * 0.8, p99, max: p99 * 2 },
  requests: requestsPerSecond * 12,
  errors: 0,
  statementsPerRequest: 4,
  statementCounts: null,
  peakRssMb: 100 + runIndex,
});

describe('bench report', () => {
  it('rotates the servers so that each goes first once in as many runs as there are servers', () => {
    const orders = [0, 1, 2].map((r) => serverOrder(SERVER_NAMES, r));
    expect(orders).toEqual([
      ['tenantql', 'raw', 'postgraphile'],
      ['raw', 'postgraphile', 'tenantql'],
      ['postgraphile', 'tenantql', 'raw'],
    ]);
    expect(serverOrder(SERVER_NAMES, 3)).toEqual(orders[0]);
  });

  it('takes medians over the runs and gives tenantql over PostGraphile and over raw', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const [summary] = summarize([
      run('tenantql', 0, 400, 90),
      run('tenantql', 1, 300, 120),
      run('tenantql', 2, 500, 80),
      run('postgraphile', 0, 600, 70),
      run('postgraphile', 1, 650, 60),
      run('postgraphile', 2, 500, 100),
      run('raw', 0, 800, 50),
    ]);
    expect(summary!.servers.tenantql).toMatchObject({
      requestsPerSecond: 400,
      p99Ms: 90,
      runsRequestsPerSecond: [400, 300, 500],
      peakRssMb: 102,
    });
    expect(summary!.servers.postgraphile!.requestsPerSecond).toBe(600);
    expect(summary!.ratioToPostgraphile).toBe(0.67);
    expect(summary!.ratioToRaw).toBe(0.5);
    expect(table([summary!], ['tenantql', 'postgraphile', 'raw'])).toMatch(
      /^taskPage +10,000 tasks +400 +600 +800 +0\.67 +0\.50 /m,
    );
  });

  it('reports no ratio for a server that was not measured (the peer skipped)', () => {
    const [summary] = summarize([run('tenantql', 0, 400, 90), run('raw', 0, 800, 50)]);
    expect(summary!.ratioToPostgraphile).toBeNull();
    expect(table([summary!], ['tenantql', 'raw'])).not.toContain('PostGraphile');
  });
});

describe('comparableAnswer (the peer answers the same rows as tenantql)', () => {
  const tenantql = {
    tasks: {
      edges: [
        {
          cursor: 'tenantql-cursor-1',
          node: {
            id: 't1',
            title: 'Task 1',
            status: 'IN_PROGRESS',
            priority: 'HIGH',
            dueDate: '2026-12-18T17:32:21.950Z',
            assignee: { name: 'User4 Org1' },
          },
        },
        {
          cursor: 'tenantql-cursor-2',
          node: { id: 't2', title: 'Task 2', status: 'TODO', priority: 'URGENT', dueDate: null, assignee: null },
        },
      ],
      pageInfo: { hasNextPage: true, endCursor: 'tenantql-cursor-2' },
    },
  };
  const postgraphile = () => ({
    tasks: {
      edges: [
        {
          cursor: 'WyJkYzQy',
          node: {
            id: 't1',
            title: 'Task 1',
            status: 'in_progress',
            priority: 'high',
            dueDate: '2026-12-18T17:32:21.950523+00:00',
            assignee: { name: 'User4 Org1' },
          },
        },
        {
          cursor: 'WyJkYzQz',
          node: { id: 't2', title: 'Task 2', status: 'todo', priority: 'urgent', dueDate: null, assignee: null },
        },
      ],
      pageInfo: { hasNextPage: true, endCursor: 'WyJkYzQz' },
    },
  });
  const same = (peer: unknown) => isDeepStrictEqual(comparableAnswer(tenantql), comparableAnswer(peer));

  it('holds the two schemas’ spellings of the same rows equal', () => {
    expect(same(postgraphile())).toBe(true);
  });

  it('tells rows in another order, another title, another assignee or a short page apart', () => {
    const swapped = postgraphile();
    swapped.tasks.edges.reverse();
    const retitled = postgraphile();
    retitled.tasks.edges[1]!.node.title = 'Task 3';
    const reassigned = postgraphile();
    reassigned.tasks.edges[0]!.node.assignee!.name = 'User4 Org2';
    const short = postgraphile();
    short.tasks.edges.pop();
    const lastPage = postgraphile();
    lastPage.tasks.pageInfo.hasNextPage = false;
    for (const peer of [swapped, retitled, reassigned, short, lastPage]) expect(same(peer)).toBe(false);
  });
});
