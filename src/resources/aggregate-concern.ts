import { UUIDResolver } from 'graphql-scalars';
import type { AnyQuery } from '../db/pagination';
import { addAggregateField } from '../graphql/connection';
import {
  defineAggregates,
  type AggregateBucketSpec,
  type AggregateKeySpec,
  type AggregateMeasureSpec,
  type Bucket,
} from './aggregates';
import type { BuiltResource, FieldModel } from './model';

const ALL_UNITS: readonly Bucket[] = ['day', 'week', 'month'];
const NUMBERS = new Set(['int', 'float']);
const ORDERED = new Set(['int', 'float', 'date', 'timestamp']);

/** One column's part: a key, buckets or measures, as its `aggregate` option and its kind allow. */
function columnParts(
  typeName: string,
  f: FieldModel,
): { key?: AggregateKeySpec; bucket?: AggregateBucketSpec; measure?: AggregateMeasureSpec } {
  const option = f.aggregate!;
  const type = f.type;
  const kind = type.kind;
  const what = `${typeName}.${f.field}: aggregate`;
  const parts: ReturnType<typeof columnParts> = {};
  if (option.measures?.length) {
    if (!ORDERED.has(kind)) throw new Error(`${what} measures need an int, float, date or timestamp column`);
    if (!NUMBERS.has(kind) && option.measures.some((op) => op === 'sum' || op === 'avg'))
      throw new Error(`${what} sum and avg need an int or float column`);
    parts.measure = {
      field: f.field,
      column: f.column,
      kind: kind as AggregateMeasureSpec['kind'],
      ops: option.measures,
    };
  }
  if (option.groupBy) {
    if (kind === 'date' || kind === 'timestamp')
      parts.bucket = {
        field: f.field,
        column: f.column,
        kind,
        units: option.groupBy === true ? ALL_UNITS : option.groupBy,
      };
    else if (option.groupBy !== true) throw new Error(`${what} buckets need a date or timestamp column`);
    else if (type.kind === 'enum') parts.key = { field: f.field, column: f.column, type: () => type.graphql };
    else if (kind === 'boolean') parts.key = { field: f.field, column: f.column, type: () => Boolean };
    else if (kind === 'uuid') parts.key = { field: f.field, column: f.column, type: () => UUIDResolver };
    else throw new Error(`${what} groupBy needs an enum, boolean, uuid, date or timestamp column`);
  }
  return parts;
}

/**
 * The aggregates concern: every resource gets `${T}Connection.aggregate` (count always, and the
 * measures its columns declare) on all its lists, and a resource with a root list gets
 * `${rootList}Aggregate(filter, groupBy, includeDeleted)` over exactly the rows that list shows
 * (the caller's organization, the root scope, live rows unless includeDeleted, RLS underneath).
 * Keys come from parents with `aggregateGroupBy` (`projectId`, and `project` loaded by id) and
 * from columns' `aggregate.groupBy`.
 *
 * @example
 * // in defineResource, once the resource's classes exist:
 * Object.assign(resource, { aggregates: buildAggregates(resource) });
 * // registry.resolvers() gives buildSchema resource.aggregates.Resolver when there is a root list
 */
export function buildAggregates(r: BuiltResource): BuiltResource['aggregates'] {
  const { model } = r;
  const keys: AggregateKeySpec[] = [];
  const buckets: AggregateBucketSpec[] = [];
  const measures: AggregateMeasureSpec[] = [];
  for (const rel of model.relations) {
    if (!rel.aggregateGroupBy) continue;
    const field = rel.field;
    keys.push({
      field: rel.idProperty,
      column: rel.column,
      type: () => UUIDResolver,
      relation: field
        ? {
            field,
            type: () => rel.target().type(),
            // The target may be defined after this resource: asked for at request time only.
            get byId() {
              return rel.target().byId;
            },
          }
        : undefined,
    });
  }
  for (const f of model.nodeFields) {
    if (!f.aggregate) continue;
    const { key, bucket, measure } = columnParts(model.typeName, f);
    if (key) keys.push(key);
    if (bucket) buckets.push(bucket);
    if (measure) measures.push(measure);
  }
  // The root list's scope resolves relation targets: first asked at request time, then kept.
  let scope: ((query: AnyQuery) => AnyQuery) | undefined;
  const aggregates = defineAggregates<object>({
    typeName: model.typeName,
    plural: model.names.rootList,
    words: model.names.plural.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`),
    table: model.table,
    alias: model.alias,
    filter: r.Filter && { type: () => r.Filter!, apply: r.applyFilter as (q: AnyQuery, f: object | null) => AnyQuery },
    keys,
    buckets,
    measures,
    rootScope: (query) => (scope ??= r.rootScope() ?? ((q) => q))(query),
    softDelete: model.soft,
    permissions: { read: model.permissions.read, seeDeleted: model.permissions.seeDeleted },
  });
  addAggregateField(r.Connection, aggregates.connection);
  return aggregates;
}
