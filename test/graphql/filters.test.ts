import { sql } from 'kysely';
import { applyRange, applyString } from '../../src/graphql/filters';
import type { AnyQuery } from '../../src/db/pagination';
import { closeTestPools, ownerDb } from '../support/db';

describe('filter building blocks', () => {
  const db = ownerDb();
  afterAll(closeTestPools);

  const values = (query: (q: AnyQuery) => AnyQuery) =>
    query(
      db
        .selectFrom(
          sql`(values ('a%b', 1, timestamptz '2026-01-01'), ('axb', 2, timestamptz '2026-02-01'), ('A_B', 3, timestamptz '2026-03-01'), ('plain', 4, timestamptz '2026-04-01'))`.as(
            sql`t(v, n, at)`,
          ) as never,
        )
        .select(sql<string>`t.v`.as('v'))
        .orderBy(sql`t.n`) as AnyQuery,
    )
      .execute()
      .then((rows) => (rows as { v: string }[]).map((r) => r.v));

  it('matches contains literally (LIKE wildcards are escaped) and ignoring case', async () => {
    expect(await values((q) => applyString(q, 't.v', { contains: '%' }))).toEqual(['a%b']);
    expect(await values((q) => applyString(q, 't.v', { contains: '_' }))).toEqual(['A_B']);
    expect(await values((q) => applyString(q, 't.v', { contains: 'B' }))).toEqual(['a%b', 'axb', 'A_B']);
  });

  it('combines eq and in, and an empty in matches nothing', async () => {
    expect(await values((q) => applyString(q, 't.v', { in: ['axb', 'plain'], eq: 'plain' }))).toEqual(['plain']);
    expect(await values((q) => applyString(q, 't.v', { in: [] }))).toEqual([]);
    expect(await values((q) => applyString(q, 't.v', null))).toHaveLength(4);
  });

  it('applies every bound of a range', async () => {
    expect(await values((q) => applyRange(q, 't.n', { gt: 1, lte: 3 }))).toEqual(['axb', 'A_B']);
    expect(
      await values((q) =>
        applyRange(q, 't.at', { gte: new Date('2026-02-01T00:00:00Z'), lt: new Date('2026-04-01T00:00:00Z') }),
      ),
    ).toEqual(['axb', 'A_B']);
  });
});
