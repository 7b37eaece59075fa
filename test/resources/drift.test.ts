import 'reflect-metadata';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { createSchema } from '../../src/graphql/schema';
import { registry, type BuiltResource } from '../../src/resources';
import type { ColumnKind } from '../../src/resources/spec';
import { snake } from '../../src/resources/inflect';
import { closeTestPools, testPool } from '../support/db';

/**
 * Each resource's definition against the database catalog and the built schema (plan §7.1, 7.2,
 * 7.5): what the spec says a column is, may be written or is resolved must be what the table,
 * its grants and the schema say. Every resource is checked, none is named.
 */

/** The catalog's `data_type`s a column kind may have. */
const DATA_TYPES: Record<ColumnKind['kind'], readonly string[]> = {
  uuid: ['uuid'],
  text: ['text', 'character varying'],
  int: ['integer', 'smallint', 'bigint'],
  // A bigint too: sizes in bytes pass 2^31, GraphQL's Int (pg reads bigint as text, which Float serializes).
  float: ['double precision', 'real', 'numeric', 'bigint'],
  boolean: ['boolean'],
  date: ['date'],
  timestamp: ['timestamp with time zone'],
  enum: ['text'],
  tags: ['ARRAY'],
  json: ['jsonb'],
};

interface SpecColumn {
  column: string;
  kind: ColumnKind['kind'];
  nullable: boolean;
}

/** Every column the spec declares: id, the domain columns, the parents' keys and the standard timestamps. */
function specColumns(r: BuiltResource): SpecColumn[] {
  const { spec, model } = r;
  const timestamps = spec.timestamps ?? {};
  return [
    { column: 'id', kind: 'uuid', nullable: false },
    ...Object.entries(spec.columns).map(([name, c]) => ({
      column: c.column ?? snake(name),
      kind: c.type.kind,
      nullable: !!c.nullable,
    })),
    ...model.relations.map((rel) => ({ column: rel.column, kind: 'uuid' as const, nullable: rel.nullable })),
    ...(timestamps.createdAt ? [{ column: 'created_at', kind: 'timestamp' as const, nullable: false }] : []),
    ...(timestamps.updatedAt ? [{ column: 'updated_at', kind: 'timestamp' as const, nullable: false }] : []),
    ...(r.soft || timestamps.deletedAt ? [{ column: 'deleted_at', kind: 'timestamp' as const, nullable: true }] : []),
  ];
}

/** The columns the app role must be able to update: the update input's, the service's, deleted_at if soft. */
function updatableColumns(r: BuiltResource): string[] {
  const { spec, model } = r;
  const service = Object.entries(spec.columns)
    .filter(([, c]) => c.serviceWrites)
    .map(([name, c]) => c.column ?? snake(name));
  for (const rel of Object.values(spec.relations ?? {})) if (rel.serviceWrites) service.push(rel.column);
  return [
    ...new Set([...model.updateFields.map((f) => f.column), ...service, ...(r.soft ? ['deleted_at'] : [])]),
  ].sort();
}

describe('each resource and the database catalog', () => {
  const owner = testPool('owner', 1);
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await createSchema();
  });
  afterAll(closeTestPools);

  const resources = () => registry.resources();

  it('grants the app role UPDATE on exactly the updatable columns, DELETE iff hard delete, INSERT iff create', async () => {
    expect(resources().length).toBeGreaterThanOrEqual(3);
    const wrong: Record<string, unknown> = {};
    for (const r of resources()) {
      const { rows } = await owner.query<{ column: string; updates: boolean }>(
        `select column_name::text as column, has_column_privilege('tenantql_app', format('%I', table_name)::regclass, column_name::text, 'UPDATE') as updates
           from information_schema.columns where table_schema = 'public' and table_name = $1 order by 1`,
        [r.table],
      );
      const {
        rows: [table],
      } = await owner.query<{ inserts: boolean; deletes: boolean }>(
        `select has_table_privilege('tenantql_app', $1::regclass, 'INSERT') as inserts,
                has_table_privilege('tenantql_app', $1::regclass, 'DELETE') as deletes`,
        [r.table],
      );
      const m = r.spec.mutations ?? {};
      const granted = {
        update: rows.filter((row) => row.updates).map((row) => row.column),
        insert: table!.inserts,
        delete: table!.deletes,
      };
      const declared = {
        update: updatableColumns(r),
        insert: !!m.create || !!r.spec.serviceInserts,
        delete: !!m.delete && m.delete.mode === 'hard',
      };
      if (JSON.stringify(granted) !== JSON.stringify(declared)) wrong[r.table] = { granted, declared };
    }
    expect(wrong).toEqual({});
  });

  it('declares only columns the table has, with their nullability and a type of their kind', async () => {
    const wrong: string[] = [];
    for (const r of resources()) {
      const { rows } = await owner.query<{ column: string; type: string; nullable: boolean }>(
        `select column_name::text as column, data_type::text as type, is_nullable = 'YES' as nullable
           from information_schema.columns where table_schema = 'public' and table_name = $1`,
        [r.table],
      );
      for (const c of specColumns(r)) {
        const found = rows.find((row) => row.column === c.column);
        if (!found) wrong.push(`${r.table}.${c.column}: declared, but not in the table`);
        else if (found.nullable !== c.nullable)
          wrong.push(`${r.table}.${c.column}: ${c.nullable ? 'nullable' : 'not null'} in the spec, not in the table`);
        else if (!DATA_TYPES[c.kind].includes(found.type))
          wrong.push(`${r.table}.${c.column}: ${c.kind} in the spec, ${found.type} in the table`);
      }
    }
    expect(wrong).toEqual([]);
  });

  // test/db/drift.test.ts compares each GraphQL enum with its SQL check; this closes the triangle.
  it("has each enum column's values equal its GraphQL enum's", () => {
    const wrong = resources().flatMap((r) =>
      Object.entries(r.spec.columns).flatMap(([name, c]) => {
        if (c.type.kind !== 'enum') return [];
        const spec = [...c.type.values].sort();
        const graphql = Object.values(c.type.graphql as Record<string, string>).sort();
        return JSON.stringify(spec) === JSON.stringify(graphql) ? [] : [`${r.typeName}.${name}: ${spec} vs ${graphql}`];
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('reads column fields without a resolver and resolves every relation and inverse list', () => {
    const wrong: string[] = [];
    const fieldOf = (typeName: string, field: string) => {
      const type = schema.getType(typeName);
      return isObjectType(type) ? type.getFields()[field] : undefined;
    };
    let columns = 0;
    for (const r of resources()) {
      for (const f of r.model.objectFields) {
        const field = fieldOf(r.typeName, f.field);
        if (!field) wrong.push(`${r.typeName}.${f.field}: not in the schema`);
        else if (field.resolve) wrong.push(`${r.typeName}.${f.field}: a column, but resolved`);
        columns++;
      }
      for (const rel of r.model.relations) {
        const target = rel.target().typeName;
        const links = [
          ...(rel.field ? [[r.typeName, rel.field]] : []),
          ...(rel.inverse ? [[target, rel.inverse.field]] : []),
        ] as [string, string][];
        for (const [typeName, name] of links)
          if (!fieldOf(typeName, name)?.resolve) wrong.push(`${typeName}.${name}: a relation, but not resolved`);
      }
    }
    expect(columns).toBeGreaterThan(10);
    expect(wrong).toEqual([]);
  });
});
