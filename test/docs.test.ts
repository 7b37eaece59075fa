import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { PROJECT_ROOT, SCHEMA_FILE } from '../src/paths';

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

describe('README and Dockerfile', () => {
  const readme = read('README.md');

  it('shows the two quick-start commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm install && npm test');
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });

  it('documents every environment variable the configuration reads', () => {
    const sources = ['src/config.ts', 'src/db/provision.ts'].map(read).join('\n');
    const used = new Set([...sources.matchAll(/env(?:\.|, ')([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used)
      expect({ name, documented: readme.includes(`\`${name}\``) }).toEqual({ name, documented: true });
  });

  it('documents the SQL that creates every database role', () => {
    for (const role of ['tenantql_owner', 'tenantql_app', 'tenantql_auth'])
      expect(readme).toMatch(new RegExp(`create role ${role} `));
  });

  it('builds a multi-stage, production-only, non-root image with a health check', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER (?!root)\w+/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
  });

  it('shows only GraphQL examples that are valid against the schema (docs/api.md)', () => {
    const schema = buildSchema(fs.readFileSync(SCHEMA_FILE, 'utf8'));
    const blocks = [...read('docs/api.md').matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const block of blocks) {
      expect({ block, errors: validate(schema, parse(block)).map((e) => e.message) }).toEqual({ block, errors: [] });
    }
  });
});
