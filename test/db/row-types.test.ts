import path from 'node:path';
import ts from 'typescript';
import { closeTestPools, testPool } from '../support/db';
import { PROJECT_ROOT } from '../../src/paths';

/**
 * The row types Kysely checks queries against (`Database` in src/db/schema.ts) as the TypeScript
 * compiler sees them after `Selectable`: each table's columns and whether each may be null.
 */
function declaredTables(): Map<string, Map<string, { nullable: boolean }>> {
  const probe = path.join(PROJECT_ROOT, 'src', 'db', '__row-types-probe.ts');
  const text = [
    "import type { Selectable } from 'kysely';",
    "import type { Database } from './schema';",
    'export type Rows = { [K in keyof Database]: Selectable<Database[K]> };',
  ].join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => (path.resolve(file) === probe ? text : readFile(file));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => path.resolve(file) === probe || fileExists(file);
  const program = ts.createProgram([probe], options, host);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(probe)!;
  const alias = source.statements.find(ts.isTypeAliasDeclaration)!;
  const rows = checker.getTypeAtLocation(alias.name);
  const tables = new Map<string, Map<string, { nullable: boolean }>>();
  for (const table of rows.getProperties()) {
    const columns = new Map<string, { nullable: boolean }>();
    for (const column of checker.getTypeOfSymbolAtLocation(table, alias).getProperties()) {
      const type = checker.getTypeOfSymbolAtLocation(column, alias);
      const parts = type.isUnion() ? type.types : [type];
      columns.set(column.name, { nullable: parts.some((t) => (t.flags & ts.TypeFlags.Null) !== 0) });
    }
    tables.set(table.name, columns);
  }
  return tables;
}

afterAll(closeTestPools);

describe('src/db/schema.ts and the database catalog', () => {
  const declared = declaredTables();

  it('reads the row types (the probe sees every table and its columns)', () => {
    expect(declared.size).toBeGreaterThan(15);
    expect(declared.get('tasks')?.get('organization_id')).toEqual({ nullable: false });
    expect(declared.get('tasks')?.get('deleted_at')).toEqual({ nullable: true });
  });

  it('declares each table as the database has it: the same columns, nullable exactly where the database allows null', async () => {
    const { rows } = await testPool('owner').query<{ table_name: string; column_name: string; nullable: boolean }>(
      `select table_name, column_name, is_nullable = 'YES' as nullable
         from information_schema.columns
        where table_schema = 'public' and table_name = any($1::text[])
        order by table_name, ordinal_position`,
      [[...declared.keys()]],
    );
    const catalog = new Map<string, Map<string, { nullable: boolean }>>();
    for (const row of rows) {
      if (!catalog.has(row.table_name)) catalog.set(row.table_name, new Map());
      catalog.get(row.table_name)!.set(row.column_name, { nullable: row.nullable });
    }
    const differences: string[] = [];
    for (const [table, columns] of declared) {
      const actual = catalog.get(table);
      if (!actual) {
        differences.push(`${table}: declared, but no such table`);
        continue;
      }
      for (const [column, { nullable }] of columns) {
        const real = actual.get(column);
        if (!real) differences.push(`${table}.${column}: declared, but no such column`);
        else if (real.nullable !== nullable)
          differences.push(
            `${table}.${column}: declared ${nullable ? 'nullable' : 'not null'}, is ${real.nullable ? 'nullable' : 'not null'}`,
          );
      }
      for (const column of actual.keys()) {
        if (!columns.has(column)) differences.push(`${table}.${column}: in the database, not declared`);
      }
    }
    expect(differences).toEqual([]);
  });
});
