import { sql } from 'kysely';
import type { AnyDb, AnyQuery } from '../db/pagination';
import { fixedStatement } from '../db/statements';
import { defineParentConnection, type NodeColumns } from '../graphql/connection';
import { byKey, defineLoader, type LoaderDefinition } from '../graphql/loaders';
import type { ResourceModel } from './model';

export type ParentConnection = ReturnType<
  typeof defineParentConnection<Record<string, unknown>, Record<string, unknown>>
>;
type Row = Record<string, unknown>;

/**
 * `fromRow`: the per-row hot path of a 1,000-row page. Compiled once per resource into straight
 * assignments (`node["title"] = row["title"]`), as PostGraphile and graphql-jit compile theirs:
 * constant keys are monomorphic property stores, where a loop over (property, column) pairs
 * makes every store a megamorphic keyed one. Names come from the definition, never from a
 * request, and are quoted with JSON.stringify. Hidden FKs (`teamId`) are carried too, for
 * relations and rules.
 */
export function rowMapper(Node: new () => Row, model: ResourceModel): (row: Row) => Row {
  const body = model.nodeFields
    .map((f) => `node[${JSON.stringify(f.field)}] = row[${JSON.stringify(f.column)}];`)
    .join('\n');
  const compile = new Function(
    'Node',
    `return function ${model.typeName}FromRow(row) {\nconst node = new Node();\n${body}\nreturn node;\n}`,
  );
  return compile(Node) as (row: Row) => Row;
}

/**
 * What each field reads, so lists read only the selected columns: columns read themselves,
 * relation fields their FK. Inverse lists (added at registry freeze) read only the id.
 */
export function nodeColumnsOf(model: ResourceModel): NodeColumns & { fields: Record<string, readonly string[]> } {
  const fields: Record<string, readonly string[]> = {};
  for (const f of model.objectFields) fields[f.field] = f.field === 'id' ? [] : [f.column];
  for (const r of model.relations) if (r.field) fields[r.field] = [r.column];
  Object.assign(fields, model.spec.fieldColumns);
  return { always: ['id'], fields };
}

/** `${t}ById`: one statement per batch of ids. */
export function byIdLoader(model: ResourceModel, fromRow: (row: Row) => Row): LoaderDefinition<string, Row | null> {
  // Kysely cannot type a table chosen at run time; rows come back as the spec describes them.
  const rowsByIds = fixedStatement((db: AnyDb, ids: readonly string[]) =>
    db
      .selectFrom(model.table)
      .selectAll()
      .where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`),
  );
  return defineLoader<string, Row | null>(model.names.byIdLoader, async (db, ids) =>
    byKey(ids, (await rowsByIds(db as unknown as AnyDb, ids)) as Row[], (row: Row) => row.id as string, fromRow),
  );
}

/**
 * Rows whose parent is live: organization-wide lists leave out what belongs to a deleted
 * project (a project's own lists still show it).
 */
export const liveParent =
  (alias: string, parentTable: string, fkColumn: string, softDeleted: boolean) =>
  (query: AnyQuery): AnyQuery =>
    query.where(({ exists, selectFrom }) => {
      let parent = selectFrom(`${parentTable} as lp`)
        .select(sql`1`.as('one'))
        .whereRef('lp.organization_id', '=', `${alias}.organization_id`)
        .whereRef('lp.id', '=', `${alias}.${fkColumn}`);
      if (softDeleted) parent = parent.where('lp.deleted_at', 'is', null);
      return exists(parent);
    });

/**
 * The resource's list definitions, each built once (DataLoader batches by a definition's name, so
 * a definition per request would never batch): one per parent column, plus the root list.
 */
export function listsOf(
  model: ResourceModel,
  nodeColumns: NodeColumns,
  filter: (query: AnyQuery, value: Record<string, unknown> | null) => AnyQuery,
  rootScope: () => ((query: AnyQuery) => AnyQuery) | null,
) {
  const built = new Map<string, ParentConnection>();
  const loaderNames = new Map<string, string>();
  const define = (name: string, parentColumn: string, scope: ((query: AnyQuery) => AnyQuery) | null) => {
    const orders = model.orders ?? undefined;
    if (!model.defaultOrder) throw new Error(`${model.typeName}: a list needs lists.orders`);
    return defineParentConnection<Row, Record<string, unknown>>({
      name,
      table: model.table,
      alias: model.alias,
      parentColumn,
      sort: orders![model.defaultOrder]!,
      orders,
      filter: scope ? (q, f) => filter(scope(q), f) : filter,
      nodeColumns,
      softDelete: model.soft,
    });
  };
  return {
    root(): ParentConnection {
      let list = built.get(':root');
      if (!list) built.set(':root', (list = define(model.names.rootLoader, 'organization_id', rootScope())));
      return list;
    },
    by(parentColumn: string, loaderName: string): ParentConnection {
      let list = built.get(parentColumn);
      if (!list) {
        built.set(parentColumn, (list = define(loaderName, parentColumn, null)));
        loaderNames.set(parentColumn, loaderName);
      } else if (loaderNames.get(parentColumn) !== loaderName) {
        throw new Error(`${model.typeName}: two loader names for the lists by ${parentColumn}`);
      }
      return list;
    },
  };
}
