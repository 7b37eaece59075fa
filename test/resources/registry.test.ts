import {
  getNamedType,
  isInputObjectType,
  isIntrospectionType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLInputField,
} from 'graphql';
import { createSchema } from '../../src/graphql/schema';
import { registry } from '../../src/resources';
import { closeTestPools, testPool } from '../support/db';
import { LEGACY_TABLES } from '../support/legacy-tables';
import { tableOf } from '../fuzz/generate';

/**
 * The lists that used to be kept by hand come from the registry; what is not a resource yet is
 * in legacy-tables.ts, which may only shrink. A new resource is covered with no edit here.
 */
/** UUID arguments that may name a row of any table, and why. */
const ANY_TABLE: Record<string, string> = {
  resourceId: 'an audit entry names a row of any kind',
};

describe('the registry and the tables not moved yet', () => {
  const superuser = testPool('superuser', 1);
  afterAll(closeTestPools);

  it('lists in legacy-tables.ts no table that is a resource', () => {
    const resources: string[] = registry.resources().map((r) => r.table);
    expect(resources.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(LEGACY_TABLES).filter((table) => resources.includes(table))).toEqual([]);
  });

  it('has every tenant table (a public table with organization_id) a resource or listed in legacy-tables.ts', async () => {
    const { rows } = await superuser.query<{ table_name: string }>(`
      select c.table_name from information_schema.columns c
        join information_schema.tables t using (table_schema, table_name)
       where c.table_schema = 'public' and c.column_name = 'organization_id' and t.table_type = 'BASE TABLE'
       order by 1`);
    expect(rows.length).toBeGreaterThan(10);
    const missing = rows.map((r) => r.table_name).filter((t) => !registry.byTable(t) && !(t in LEGACY_TABLES));
    expect(missing).toEqual([]);
    const { rows: all } = await superuser.query<{ name: string }>(
      "select tablename as name from pg_tables where schemaname = 'public'",
    );
    const stale = Object.keys(LEGACY_TABLES).filter((t) => !all.some((row) => row.name === t));
    expect(stale).toEqual([]);
  });

  it("gives the fuzzer each resource's id arguments, and legacy names never point elsewhere", () => {
    const ids = registry.idArguments();
    for (const r of registry.resources()) {
      const { names, spec } = r.model;
      if (spec.lists?.byId)
        expect({ field: names.byId, table: tableOf('id', names.byId) }).toEqual({
          field: names.byId,
          table: r.table,
        });
      if (spec.mutations?.update)
        expect({ input: names.updateInput, table: tableOf('id', names.updateInput) }).toEqual({
          input: names.updateInput,
          table: r.table,
        });
      for (const relation of r.model.relations)
        expect({ id: relation.idProperty, table: tableOf(relation.idProperty) }).toEqual({
          id: relation.idProperty,
          table: relation.target().table,
        });
    }
    const disagree = Object.entries(LEGACY_TABLES).flatMap(([table, names]) =>
      names.filter((name) => ids[name] && ids[name] !== table).map((name) => `${name}: ${table} or ${ids[name]}`),
    );
    expect(disagree).toEqual([]);
    expect(ids).toMatchObject({ teamId: 'teams', UpdateSprintInput: 'sprints', sprint: 'sprints' });
  });

  it('gives every UUID argument and input field of the schema the table its ids come from', async () => {
    const schema = await createSchema();
    const unmapped: string[] = [];
    const check = (where: string, f: GraphQLArgument | GraphQLInputField, owner: string) => {
      const named = getNamedType(f.type).name;
      if (named !== 'UUID' || f.name in ANY_TABLE) return;
      // How the fuzzer names it (generate.ts): a bare id by its field or input type.
      if (!tableOf(f.name, owner)) unmapped.push(`${where}.${f.name}`);
    };
    for (const type of Object.values(schema.getTypeMap())) {
      if (isIntrospectionType(type)) continue;
      if (isObjectType(type))
        for (const field of Object.values(type.getFields()))
          for (const arg of field.args) check(`${type.name}.${field.name}`, arg, field.name);
      if (isInputObjectType(type) && type.name !== 'IdFilter')
        for (const field of Object.values(type.getFields())) check(type.name, field, type.name);
    }
    // An IdFilter's eq/in take the table of the field holding it.
    for (const type of Object.values(schema.getTypeMap()))
      if (isInputObjectType(type))
        for (const field of Object.values(type.getFields()))
          if (getNamedType(field.type).name === 'IdFilter' && !tableOf(field.name))
            unmapped.push(`${type.name}.${field.name}`);
    expect(unmapped).toEqual([]);
  });
});
