import fs from 'node:fs';
import path from 'node:path';

/** The repository root (the folder holding package.json), whether running from src/ or dist/. */
function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'policies'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the project root above ${start}`);
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
export const POLICIES_DIR = path.join(PROJECT_ROOT, 'policies');
export const SCHEMA_FILE = path.join(PROJECT_ROOT, 'schema', 'schema.graphql');
/** The GraphiQL page's sources (browser code, bundled by scripts/build-graphiql.ts) and its build. */
export const GRAPHIQL_SOURCE_DIR = path.join(PROJECT_ROOT, 'graphiql');
export const GRAPHIQL_DIST_DIR = path.join(PROJECT_ROOT, 'dist', 'graphiql');
/** The persisted-operations manifest written by `npm run codegen` (hash -> registered document). */
export const PERSISTED_DOCUMENTS_FILE = path.join(
  PROJECT_ROOT,
  'schema',
  'generated',
  'operations',
  'persisted-documents.json',
);
