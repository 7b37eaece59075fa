import { sql } from 'kysely';
import type pg from 'pg';
import { defineLoader, Loaders } from '../../src/graphql/loaders';
import { RequestTransaction } from '../../src/db/request-transaction';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { addMember, createOrganization, createSession, createUser } from '../support/factories';

/**
 * `Loaders.loadJoined`: the callers of one tick share one batch and one answer; a later caller
 * starts the next join; a failed load fails every caller of its join. Run in a real request
 * transaction; the loader reads its answer from the database (`select upper(key)`).
 */
describe('Loaders.loadJoined', () => {
  const owner = ownerDb();
  let pool: pg.Pool;
  let context: { organizationId: string; userId: string; sessionId: string };

  beforeAll(async () => {
    pool = testPool('app', 2, 'jest-loaders');
    const organizationId = (await createOrganization(owner)).id;
    const userId = (await createUser(owner)).id;
    await addMember(owner, organizationId, userId);
    context = { organizationId, userId, sessionId: await createSession(owner, organizationId, userId) };
  });
  afterAll(closeTestPools);

  /** A loader answering `key -> KEY` from the database, recording each batch; the key 'bad' fails its batch. */
  function upperLoader(batches: string[][]) {
    return defineLoader<string, string>('upper', async (db, keys) => {
      batches.push([...keys]);
      if (keys.includes('bad')) throw new Error('the batch failed');
      const { rows } = await sql<{
        k: string;
        v: string;
      }>`select k, upper(k) as v from unnest(${[...keys]}::text[]) as k`.execute(db);
      return keys.map((key) => rows.find((row) => row.k === key)!.v);
    });
  }

  async function inRequest<T>(fn: (loaders: Loaders) => Promise<T>): Promise<T> {
    const db = new RequestTransaction(pool, context);
    try {
      return await fn(new Loaders(db));
    } finally {
      await db.finish('rollback');
    }
  }

  it('gives the callers of one tick one batch of their distinct keys and the same answer', async () => {
    const batches: string[][] = [];
    const loader = upperLoader(batches);
    const answers = await inRequest((loaders) =>
      Promise.all([
        loaders.loadJoined(loader, ['a', 'b']),
        loaders.loadJoined(loader, new Set(['b', 'c'])),
        loaders.loadJoined(loader, []),
      ]),
    );
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(answers[0]).toBe(answers[1]);
    expect([...answers[2]]).toEqual([
      ['a', 'A'],
      ['b', 'B'],
      ['c', 'C'],
    ]);
  });

  it('starts a new join for a caller after the first answered, reusing what the loader already has', async () => {
    const batches: string[][] = [];
    const loader = upperLoader(batches);
    await inRequest(async (loaders) => {
      const first = await loaders.loadJoined(loader, ['a']);
      const second = await loaders.loadJoined(loader, ['a', 'd']);
      expect(first).not.toBe(second);
      expect(second.get('a')).toBe('A');
      expect(second.get('d')).toBe('D');
    });
    expect(batches).toEqual([['a'], ['d']]);
  });

  it('fails every caller of the join when a load fails, and the next join works', async () => {
    const batches: string[][] = [];
    const loader = upperLoader(batches);
    await inRequest(async (loaders) => {
      const results = await Promise.allSettled([
        loaders.loadJoined(loader, ['x']),
        loaders.loadJoined(loader, ['bad']),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect((await loaders.loadJoined(loader, ['y'])).get('y')).toBe('Y');
    });
  });
});
