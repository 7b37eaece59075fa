import fs from 'node:fs';
import path from 'node:path';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ERROR_CODES } from '../../src/errors';
import { PROJECT_ROOT } from '../../src/paths';

const registered = new Set(Object.keys(ERROR_CODES));
/**
 * Matched by the scan but not answered to clients: the metrics label for codes outside the code
 * pattern, and Node's system error codes that the embedded PostgreSQL's runner compares.
 */
const NOT_ERROR_CODES = new Set(['OTHER', 'EACCES', 'ENOENT', 'EPERM']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(file) : entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** Codes written in src/: `code: 'X'`, `code === 'X'`, `code = 'X'`, `super('X', …)`, `errorBody(…, 'X')`, `refused('X', …)`, `return 'X'`. */
const CODE_IN_SOURCE =
  /(?:\bcode\s*(?:[:=]|===)\s*|\bsuper\(\s*|\brefused\(\s*|\bErrorCode\b[^;]*?|errorBody\([^)]*?,\s*|return\s+)'([A-Z][A-Z]+(?:_[A-Z]+)*)'/g;

describe('the error codes: one registry, the table in docs/api.md, the code', () => {
  it("docs/api.md's error table lists exactly the registered codes, each once", () => {
    const doc = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/api.md'), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Errors'), doc.indexOf('\n## ', doc.indexOf('\n## Errors') + 1));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!);
    expect(rows.length).toBe(new Set(rows).size);
    expect([...rows].sort()).toEqual([...registered].sort());
  });

  it('every code written in src/ is registered', () => {
    const found = new Map<string, string>();
    for (const file of sourceFiles(path.join(PROJECT_ROOT, 'src'))) {
      for (const match of fs.readFileSync(file, 'utf8').matchAll(CODE_IN_SOURCE))
        found.set(match[1]!, path.relative(PROJECT_ROOT, file));
    }
    // The scan must see the codes it guards (it found none once its pattern was wrong).
    for (const code of [
      'FORBIDDEN',
      'SHUTTING_DOWN',
      'PERSISTED_QUERY_ID_REQUIRED',
      'TIMEOUT',
      'COMMIT_OUTCOME_UNKNOWN',
      'BAD_REQUEST',
    ]) {
      expect({ code, found: found.has(code) }).toEqual({ code, found: true });
    }
    const unregistered = [...found]
      .filter(([code]) => !registered.has(code) && !NOT_ERROR_CODES.has(code))
      .map(([code, file]) => `${code} (${file})`);
    expect(unregistered).toEqual([]);
  });

  it("registers Apollo's own codes that this server can answer with", () => {
    // PERSISTED_QUERY_NOT_SUPPORTED comes only when automatic persisted queries are off; they are on.
    const apollo = Object.values(ApolloServerErrorCode).filter(
      (code) => code !== ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
    );
    expect(apollo.filter((code) => !registered.has(code))).toEqual([]);
  });
});
