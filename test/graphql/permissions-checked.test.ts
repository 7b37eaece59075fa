import fs from 'node:fs';
import path from 'node:path';
import 'reflect-metadata';
import { getMetadataStorage } from 'type-graphql';
import { closeTestPools, testPool } from '../support/db';
import { createSchema } from '../../src/graphql/schema';
import { registry } from '../../src/resources';

const SRC = path.join(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * A permission that can be granted (to a role or an API key) must be checked somewhere, or holding
 * it, or lacking it, changes nothing: `users:read` was granted and never checked, so a key without
 * it still read members' emails (issue 13, item 6). The permissions come from the database's
 * catalog, the checks from the places a check can live: `@Authorized` (type-graphql's metadata),
 * `assertPermission`/`hasPermission`/`allowDeleted` calls in src/, the resource layer's checks of
 * each resource's permissions, and policies and functions in the database.
 */
describe('the permission catalog', () => {
  const superuser = testPool('superuser', 1);
  afterAll(closeTestPools);

  it('has no permission that nothing checks', async () => {
    await createSchema(); // completes type-graphql's metadata
    const storage = getMetadataStorage();
    const checked = new Map<string, string>();
    for (const field of storage.authorizedFields)
      for (const role of field.roles) checked.set(role, `@Authorized on ${field.fieldName}`);
    for (const resolver of storage.authorizedResolver)
      for (const role of resolver.roles) checked.set(role, '@Authorized on a resolver class');

    const call = /\b(?:assertPermission|hasPermission|allowDeleted)\([^;]*?'([a-z_]+:[a-z_]+)'/g;
    for (const file of sourceFiles(SRC)) {
      for (const match of fs.readFileSync(file, 'utf8').matchAll(call))
        checked.set(match[1]!, `a call in ${path.relative(SRC, file)}`);
    }

    // The layer checks includeDeleted with the resource's permission as a value (allowDeleted), which no regex sees.
    for (const r of registry.resources())
      if (r.soft) checked.set(r.model.permissions.seeDeleted, `includeDeleted of ${r.typeName} (resource layer)`);

    const { rows: sqlChecks } = await superuser.query<{ source: string; text: string }>(`
      select format('policy %s on %s', polname, polrelid::regclass) as source,
             concat_ws(' ', pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)) as text
        from pg_policy
      union all
      select format('function %s', p.oid::regprocedure), p.prosrc
        from pg_proc p where p.pronamespace = 'app'::regnamespace`);
    const { rows: catalog } = await superuser.query<{ key: string }>('select key from permissions order by key');
    for (const { key } of catalog) {
      const inSql = sqlChecks.find((row) => row.text.includes(`'${key}'`));
      if (inSql) checked.set(key, inSql.source);
    }

    const unchecked = catalog.map((row) => row.key).filter((key) => !checked.has(key));
    expect(unchecked).toEqual([]);
    expect(catalog.length).toBeGreaterThan(20);
    // users:read is checked by the database itself (the policy that shows the people of an organization).
    expect(checked.get('users:read')).toBe('policy members see the people of their organization on users');
  });

  it("guards each generated root field, mutation and guarded inverse list with the resource's permission", async () => {
    await createSchema();
    const guarded = getMetadataStorage().authorizedFields;
    const declared = registry.resources().flatMap((r) => {
      const { names, spec, permissions } = r.model;
      return [
        ...(spec.lists?.root ? [{ field: names.rootList, permission: permissions.read }] : []),
        ...(spec.lists?.byId ? [{ field: names.byId, permission: permissions.read }] : []),
        ...registry
          .mutations()
          .filter((m) => m.resource === r)
          .map((m) => ({ field: m.field, permission: m.permission })),
        ...r.model.relations.flatMap((rel) =>
          rel.inverse?.read ? [{ field: rel.inverse.field, permission: rel.inverse.read }] : [],
        ),
      ];
    });
    expect(declared.length).toBeGreaterThan(10);
    const unguarded = declared.filter(
      ({ field, permission }) => !guarded.some((g) => g.fieldName === field && g.roles.includes(permission)),
    );
    expect(unguarded).toEqual([]);
  });
});
