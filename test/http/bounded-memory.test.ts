import { execFile } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';
import { closeTestPools } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';

// The jest worker runs without --expose-gc: turn it on and take the function from a fresh context.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return v8.getHeapStatistics().used_heap_size;
};

const DOCUMENTS = Number(process.env.MEMORY_TEST_DOCUMENTS ?? 10_000);
/**
 * 200 MB of heap for the whole process, counted from what a fresh jest worker holds with the app
 * started (about 56 MB): the worker may have run other test files first and hold more of its own,
 * so the test bounds what the documents add, not the worker's total.
 */
const FRESH_WORKER_HEAP = 56 * 1024 * 1024;
const GROWTH_LIMIT = 200 * 1024 * 1024 - FRESH_WORKER_HEAP;

/**
 * Distinct documents, each sent twice (so each is compiled), as one client changing its text on
 * every request would: all kept documents and compiled queries together must stay within their
 * byte budgets, whatever the documents hold. Every fifth document carries 5,000 comment lines:
 * the parser keeps each as a token, the token limit does not count them, and a document store
 * sized by its documents' JSON counted such a document as a few hundred bytes (it holds about 450 KB).
 */
describe('memory under distinct documents', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ app: { compileQueriesAfter: 2 } });
  });
  afterAll(async () => {
    await app.close();
    await closeTestPools();
  });

  it(`stays below 200 MB of heap after ${DOCUMENTS} distinct documents, each sent twice`, async () => {
    const before = heapAfterGc();
    let highest = before;
    for (let from = 0; from < DOCUMENTS; from += BATCH) {
      // A client in another process (this one's thread serves), checked after each batch: a server
      // that keeps everything fails early instead of running out of memory.
      const sent = await sendBatch(app.url, from, Math.min(DOCUMENTS, from + BATCH));
      expect(sent).toEqual({ answered: 2 * (Math.min(DOCUMENTS, from + BATCH) - from), wrong: [] });
      app.requests.length = 0;
      highest = Math.max(highest, heapAfterGc());
      if (process.env.MEMORY_TEST_LOG)
        console.log(
          from + BATCH,
          Math.round(before / 2 ** 20),
          Math.round(highest / 2 ** 20),
          Math.round(performance.now()),
        );
      if (highest - before > GROWTH_LIMIT) break;
    }
    expect(highest - before).toBeLessThan(GROWTH_LIMIT);
  }, 300_000);
});

const BATCH = 1000;

/** Sends documents `from` to `to` (each twice in a row), eight at a time, from a child process. */
function sendBatch(url: string, from: number, to: number): Promise<{ answered: number; wrong: string[] }> {
  const client = `
    const [url, from, to] = [process.env.URL, Number(process.env.FROM), Number(process.env.TO)];
    const document = (i) => 'query Q' + i + ' { __typename }' + (i % 5 === 0 ? '\\n#'.repeat(5000) : '');
    let next = from, answered = 0; const wrong = [];
    const worker = async () => {
      for (let i = next++; i < to; i = next++) {
        const body = JSON.stringify({ query: document(i) });
        for (let k = 0; k < 2; k++) {
          const text = await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
          if (text === '{"data":{"__typename":"Query"}}\\n' || text === '{"data":{"__typename":"Query"}}') answered++; else wrong.push(text.slice(0, 200));
        }
      }
    };
    Promise.all(Array.from({ length: 8 }, worker)).then(() => process.stdout.write(JSON.stringify({ answered, wrong: wrong.slice(0, 3) })));
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', client],
      { env: { URL: url, FROM: String(from), TO: String(to) }, maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error) reject(error);
        else resolve(JSON.parse(stdout) as { answered: number; wrong: string[] });
      },
    );
  });
}
