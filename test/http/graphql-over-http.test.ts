import fs from 'node:fs';
import path from 'node:path';
import { serverAudits, type AuditResult } from 'graphql-http';
import { PROJECT_ROOT } from '../../src/paths';
import { closeTestPools } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';

/**
 * The GraphQL over HTTP audit suite of graphql-http against the real server: every MUST passes,
 * and the SHOULD/MAY audits that do not are exactly the ones docs/graphql-over-http.md explains.
 */

const DOC = 'docs/graphql-over-http.md';

interface Documented {
  id: string;
  name: string;
  result: string;
}

/** The rows of the doc's table: `| \`5A70\` | MAY accept … | notice | why |`. */
function documentedExceptions(): Documented[] {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, DOC), 'utf8');
  return [...text.matchAll(/^\| `([0-9A-Z]{4})` \| (.+?) \| (\w+) \|/gm)].map(([, id, name, result]) => ({
    id: id!,
    name: name!,
    result: result!,
  }));
}

let app: TestApp;
// Audits read their URL when they run, so the list exists before the server does.
const audits = serverAudits({ url: () => app.url });
const results = new Map<string, AuditResult>();

/** A failure's reason, for messages: graphql-http puts it on every non-ok result. */
const reasonOf = (result: AuditResult) => (result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`);

beforeAll(async () => {
  app = await startTestApp();
  // One at a time: some audits send many requests, and the machine is shared.
  for (const audit of audits) results.set(audit.id, await audit.fn());
});
afterAll(async () => {
  await app.close();
  await closeTestPools();
});

describe('GraphQL over HTTP (graphql-http serverAudits)', () => {
  it('has the audit suite the doc was written against', () => {
    expect(audits.length).toBe(61);
    expect(new Set(audits.map((a) => a.id)).size).toBe(audits.length);
    expect(audits.filter((a) => a.name.startsWith('MUST ')).length).toBe(13);
  });

  it.each(audits.filter((a) => a.name.startsWith('MUST ')).map((a) => [a.id, a.name] as const))(
    'passes MUST audit %s: %s',
    (id) => {
      const result = results.get(id)!;
      expect({ id, result: reasonOf(result) }).toEqual({ id, result: 'ok' });
    },
  );

  it('fails no audit with an error, whatever its level', () => {
    const errors = audits
      .filter((a) => results.get(a.id)!.status === 'error')
      .map((a) => `${a.id} ${a.name}: ${reasonOf(results.get(a.id)!)}`);
    expect(errors).toEqual([]);
  });

  it(`leaves exactly the SHOULD/MAY results documented in ${DOC}`, () => {
    const documented = documentedExceptions();
    expect(documented.length).toBeGreaterThan(0);
    const actual = audits
      .filter((a) => results.get(a.id)!.status !== 'ok')
      .map((a) => ({ id: a.id, name: a.name, result: results.get(a.id)!.status }));
    const byId = (x: Documented, y: Documented) => x.id.localeCompare(y.id);
    expect(actual.sort(byId)).toEqual([...documented].sort(byId));
  });

  it('refuses plain GET queries only for CSRF prevention: with a preflight header they pass', async () => {
    const csrfAudits = ['5A70', 'D6D5', '6A70'];
    for (const id of csrfAudits) {
      const result = results.get(id)!;
      expect(result.status).toBe('notice');
      if (result.status !== 'ok')
        expect(await result.response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    }
    const withPreflight = (input: string | URL | Request, init: RequestInit = {}) =>
      fetch(input, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), 'apollo-require-preflight': 'true' },
      });
    const again = serverAudits({ url: app.url, fetchFn: withPreflight }).filter((a) => csrfAudits.includes(a.id));
    expect(again.map((a) => a.id).sort()).toEqual([...csrfAudits].sort());
    for (const audit of again) {
      const result = await audit.fn();
      expect({ id: audit.id, result: reasonOf(result) }).toEqual({ id: audit.id, result: 'ok' });
    }
  });

  it('still refuses a plain cross-site-style GET and any mutation over GET', async () => {
    const query = (q: string) => `${app.url}?query=${encodeURIComponent(q)}`;
    const plain = await fetch(query('{ viewer { user { id } } }'));
    expect(plain.status).toBe(400);
    expect(await plain.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    const before = app.requests.length;
    const mutation = await fetch(query('mutation { logout { __typename } }'), {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(mutation.status).toBe(405);
    // Refused before execution: no SQL statement was sent for it.
    expect(app.requests.slice(before)).toEqual([expect.objectContaining({ statements: 0, outcome: 'error' })]);
  });
});
