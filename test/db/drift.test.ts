import 'reflect-metadata';
import { getNamedType, isEnumType, isObjectType, type GraphQLEnumType, type GraphQLSchema } from 'graphql';
import { closeTestPools, testPool } from '../support/db';
import { createSchema } from '../../src/graphql/schema';
import { SOFT_DELETED } from '../../src/db/rows';

/**
 * Lists the API keeps that the database also holds, compared with the catalog so that neither
 * side can change alone. Every table and column comes from the catalog: a new table is covered
 * without touching this file. (Every tenant table's ENABLE + FORCE row-level security and
 * tenant_isolation policy are checked the same way in rls.test.ts.)
 */

/** `audit_log` -> `AuditLog`, `team_members` -> `TeamMember`, `activities` -> `Activity`. */
function typeNameOf(table: string): string {
  const singular = table.endsWith('ies') ? `${table.slice(0, -3)}y` : table.replace(/s$/, '');
  return pascal(singular);
}
const pascal = (snake: string) => snake.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Checked text columns whose GraphQL enum the naming rule cannot find: the enum the API uses for
 * them. Each entry must still be a checked column.
 */
const ENUM_OF: Readonly<Record<string, string>> = {
  // Its rows are AuditLogEntry objects.
  'audit_log.severity': 'AuditSeverity',
  // The permissions each built-in role holds: no GraphQL type of its own, its roles are members' roles.
  'built_in_role_permissions.role': 'MembershipRole',
  // A grant to everyone with a built-in role: members' roles.
  'document_permissions.role': 'MembershipRole',
};

/**
 * Checked text columns the API does not expose as an enum, and why. Each entry must still be a
 * checked column without an enum, or the test fails: an entry leaves this list when its reason does.
 */
const NOT_AN_ENUM: Readonly<Record<string, string>> = {
  'auth_refresh_tokens.revoked_reason': 'not exposed: the API lists no sessions',
  'user_tokens.purpose': 'not exposed: a token is mailed and redeemed, never listed',
  'registered_operations.operation_type': 'exposed as String (operationType); an enum would change the SDL',
};

interface CheckedColumn {
  table: string;
  column: string;
  values: string[];
}

/** Checks that list text values in another shape (`col is null or col in (...)`, a cast): read by no rule here. */
const unreadChecks: string[] = [];

/** Every check `col = ANY (ARRAY['a'::text, ...])` (how PostgreSQL prints `col in ('a', ...)`) on a public table. */
async function checkedTextColumns(): Promise<CheckedColumn[]> {
  const { rows } = await testPool('owner', 1).query<{ table: string; definition: string }>(`
    select c.conrelid::regclass::text as table, pg_get_constraintdef(c.oid) as definition
      from pg_constraint c join pg_class r on r.oid = c.conrelid
     where r.relnamespace = 'public'::regnamespace and c.contype = 'c'
     order by 1, c.conname`);
  const checked: CheckedColumn[] = [];
  for (const { table, definition } of rows) {
    const match = /^CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)$/.exec(definition);
    // Lists of numbers (story points) are no enum; only lists of text literals are.
    if (!match || !/^'[^']*'::text(, '[^']*'::text)*$/.test(match[2]!)) {
      if (/ANY \(\(?ARRAY\['/.test(definition)) unreadChecks.push(`${table}: ${definition}`);
      continue;
    }
    const values = [...match[2]!.matchAll(/'([^']*)'::text/g)].map((m) => m[1]!);
    checked.push({ table, column: match[1]!, values });
  }
  return checked;
}

/** The enum the API uses for a column: the type of its field on its table's object type, else one named `<Type><Column>`. */
function enumFor(schema: GraphQLSchema, table: string, column: string): GraphQLEnumType | undefined {
  const key = `${table}.${column}`;
  if (ENUM_OF[key]) {
    const named = schema.getType(ENUM_OF[key]);
    return isEnumType(named) ? named : undefined;
  }
  const type = schema.getType(typeNameOf(table));
  const field = isObjectType(type) ? type.getFields()[camel(column)] : undefined;
  const fieldType = field && getNamedType(field.type);
  if (isEnumType(fieldType)) return fieldType;
  const named = schema.getType(typeNameOf(table) + pascal(column));
  return isEnumType(named) ? named : undefined;
}

describe('the API and the database catalog agree', () => {
  let schema: GraphQLSchema;
  let checked: CheckedColumn[];

  beforeAll(async () => {
    schema = await createSchema();
    checked = await checkedTextColumns();
  });
  afterAll(closeTestPools);

  it('finds the checked columns in the catalog', () => {
    expect(checked.map((c) => `${c.table}.${c.column}`)).toEqual(
      expect.arrayContaining(['tasks.status', 'team_members.role', 'organizations.plan_tier']),
    );
  });

  it('reads every check that lists text values (one column, `col in (...)`), so none escapes the comparison', () => {
    expect(unreadChecks).toEqual([]);
  });

  it('has each GraphQL enum hold exactly the values its column check allows', () => {
    const differences: string[] = [];
    for (const { table, column, values } of checked) {
      const key = `${table}.${column}`;
      const found = enumFor(schema, table, column);
      if (!found) {
        if (!NOT_AN_ENUM[key]) differences.push(`${key}: checked in SQL, but no GraphQL enum found for it`);
        continue;
      }
      if (NOT_AN_ENUM[key]) differences.push(`${key}: listed as not an enum, but ${found.name} is its enum`);
      const internal = found.getValues().map((v) => v.value as string);
      const sqlOnly = values.filter((v) => !internal.includes(v));
      const graphqlOnly = internal.filter((v) => !values.includes(v));
      if (sqlOnly.length || graphqlOnly.length)
        differences.push(
          `${key} vs ${found.name}: only in SQL [${sqlOnly.join(', ')}], only in GraphQL [${graphqlOnly.join(', ')}]`,
        );
    }
    expect(differences).toEqual([]);
  });

  it('lists no exemption or alias that matches no checked column', () => {
    const columns = new Set(checked.map((c) => `${c.table}.${c.column}`));
    const stale = [...Object.keys(ENUM_OF), ...Object.keys(NOT_AN_ENUM)].filter((key) => !columns.has(key));
    expect(stale).toEqual([]);
  });

  it('treats as soft-deleted (SOFT_DELETED) exactly the tables with a deleted_at column', async () => {
    const { rows } = await testPool('owner', 1).query<{ table_name: string }>(`
      select c.table_name from information_schema.columns c
        join information_schema.tables t using (table_schema, table_name)
       where c.table_schema = 'public' and c.column_name = 'deleted_at' and t.table_type = 'BASE TABLE'
       order by 1`);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect([...SOFT_DELETED].sort()).toEqual(rows.map((r) => r.table_name));
  });

  it('lets the app role set deleted_at on a soft-deleted table and never delete its rows', async () => {
    const { rows } = await testPool('owner', 1).query<{ table: string; sets: boolean; deletes: boolean }>(
      `select t as table,
              has_column_privilege('tenantql_app', t, 'deleted_at', 'UPDATE') as sets,
              has_table_privilege('tenantql_app', t, 'DELETE') as deletes
         from unnest($1::text[]) t order by 1`,
      [[...SOFT_DELETED]],
    );
    expect(rows).toEqual(rows.map(({ table }) => ({ table, sets: true, deletes: false })));
  });
});
