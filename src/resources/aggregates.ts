import {
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Extensions,
  Field,
  Float,
  Int,
  ObjectType,
  Query,
  Resolver,
  registerEnumType,
  type ClassType,
} from 'type-graphql';
import type { GraphQLScalarType } from 'graphql';
import { DateTimeResolver, LocalDateResolver } from 'graphql-scalars';
import { ArrayMaxSize, ValidateNested } from 'class-validator';
import { sql, type AliasedExpression, type Expression, type Kysely } from 'kysely';
import { BadUserInputError } from '../errors';
import type { AggregateRow, AnyDb, AnyQuery } from '../db/pagination';
import type { Database } from '../db/schema';
import type { ConnectionAggregate } from '../graphql/connection';
import { defineLoader, type LoaderDefinition, type Loaders } from '../graphql/loaders';
import { AGGREGATE_COST, MAX_AGGREGATE_GROUPS } from '../graphql/limits';
import { allowDeleted } from '../graphql/auth-checker';
import { organizationOf, type Context } from '../graphql/context';

/**
 * Aggregates for analysts over one table (docs/api.md, "Aggregates for analysts"): a root
 * `${plural}Aggregate(filter, groupBy, includeDeleted)` answering groups of rows, and the
 * `aggregate` field a connection gets through `addAggregateField`. Which columns take part is
 * the spec's, and only the spec's: a client picks keys from an enum and never names a column.
 */

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max';
export type Bucket = 'day' | 'week' | 'month';

/** A column rows can be grouped by as it is: an enum, a boolean, a reference. */
export interface AggregateKeySpec {
  /** Field of `${T}AggregateKey`; `${T}GroupBy` gets it in CONSTANT_CASE (projectId: PROJECT_ID). */
  field: string;
  column: string;
  /** The key's GraphQL type: a scalar (UUIDResolver, Boolean) or a registered enum. */
  type: () => GraphQLScalarType | object;
  description?: string;
  /** A reference: the key also answers the row it names (`key { project { name } }`), batched by id. */
  relation?: {
    field: string;
    type: () => ClassType;
    byId: LoaderDefinition<string, object | null>;
    description?: string;
  };
}

/** A date or timestamp column rows can be grouped by in buckets: `completedAtWeek`, COMPLETED_AT_WEEK. */
export interface AggregateBucketSpec {
  field: string;
  column: string;
  /** timestamp (timestamptz, DateTime): buckets start at UTC midnight; date (LocalDate): a day. */
  kind: 'timestamp' | 'date';
  units: readonly Bucket[];
}

/** A column measured over each group: sums and averages of numbers, the least and the greatest of anything ordered. */
export interface AggregateMeasureSpec {
  field: string;
  column: string;
  kind: 'int' | 'float' | 'timestamp' | 'date';
  ops: readonly AggregateOp[];
}

/**
 * Everything the aggregates of one table need, so that a resource definition can fill it from
 * its columns (the `aggregate` option of a column spec) and a hand-written module by hand.
 */
export interface AggregatesSpec<F extends object> {
  /** The node type's name: `Task` gives TaskGroupBy, TaskAggregateKey, TaskAggregate, ... */
  typeName: string;
  /** The root list's name: `tasks` gives `Query.tasksAggregate`. */
  plural: string;
  /** The plural in descriptions (default `plural`): 'team members'. */
  words?: string;
  table: keyof Database & string;
  /** The table's alias in the filter's conditions (`t` for `t.status`). */
  alias: string;
  /** The list's filter input and the one function that applies it (as the root list's). */
  filter?: { type: () => ClassType<F>; apply: (query: AnyQuery, filter: F | null) => AnyQuery };
  keys?: readonly AggregateKeySpec[];
  buckets?: readonly AggregateBucketSpec[];
  measures?: readonly AggregateMeasureSpec[];
  /** What the root list adds to "rows of the caller's organization" (e.g. live projects only). */
  rootScope?: (query: AnyQuery) => AnyQuery;
  /** Rows with `deleted_at` are left out unless `includeDeleted` (then `permissions.seeDeleted` is checked). */
  softDelete?: boolean;
  permissions: { read: string; seeDeleted?: string };
}

/** Arguments of the root query, as type-graphql hands them over. */
export interface AggregateArgs<F> {
  filter?: F | null;
  groupBy?: string[] | null;
  includeDeleted?: boolean;
}

/** One grouped statement's key: the organization and the arguments (groupBy deduplicated, in the client's order). */
interface RootKey<F> {
  organizationId: string;
  filter: F | null;
  groupBy: readonly string[];
  includeDeleted: boolean;
}

/** One way to group: its SQL over the table's alias and the GraphQL type of its key field. */
interface Grouping {
  expression: (alias: string) => Expression<unknown>;
  type: () => unknown;
}

/** Where a group's key keeps the request's loaders, which its relations load through. */
const LOADERS = Symbol('loaders');

const UNITS: Record<Bucket, string> = { day: 'Day', week: 'Week', month: 'Month' };
const MEASURE_TYPES = { int: Int, float: Float, timestamp: DateTimeResolver, date: LocalDateResolver } as const;
const OPS: Record<AggregateOp, { suffix: string; description: string }> = {
  sum: { suffix: 'Sums', description: 'Sums over the rows (null when no row has a value).' },
  avg: { suffix: 'Averages', description: 'Averages over the rows that have a value.' },
  min: { suffix: 'Minimums', description: 'The least value among the rows.' },
  max: { suffix: 'Maximums', description: 'The greatest value among the rows.' },
};

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const constantCase = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
const named = (name: string, base?: ClassType): ClassType =>
  // A class of that name (errors and stack traces name the type), optionally extending another.
  ({ [name]: base ? class extends base {} : class {} })[name]!;

/** Decorates a property (or a getter, given its descriptor) as a GraphQL field, as `@Field` in a class body would. */
function field(
  target: ClassType,
  name: string,
  type: () => unknown,
  options: { nullable?: boolean; description?: string },
  descriptor?: PropertyDescriptor,
): void {
  const decorate = Field(type as () => GraphQLScalarType, options);
  if (descriptor) decorate(target.prototype as object, name, descriptor);
  else decorate(target.prototype as object, name);
}

/**
 * Generates the aggregates of one table from its spec: the GraphQL types, the root query (its
 * resolver class, to be given to `buildSchema`), its loader, and the `ConnectionAggregate` that
 * `addAggregateField` gives a connection type.
 *
 * Root statements: one per distinct argument set in a request (a loader keyed by the arguments),
 * in the request transaction as the app role, so RLS applies as to every list. Keys come from the
 * spec only; timestamps are bucketed in UTC (`date_trunc('week', t.completed_at, 'UTC')`, weeks
 * start on Monday); groups come ordered by their keys (nulls last); more than
 * MAX_AGGREGATE_GROUPS groups is a BAD_USER_INPUT on `groupBy`. count is a Number, sum and avg are
 * float8 (a Float, exact up to 2^53 and never an Int overflow).
 *
 * @example
 * export const taskAggregates = defineAggregates({
 *   typeName: 'Task', plural: 'tasks', table: 'tasks', alias: 't',
 *   filter: { type: () => TaskFilter, apply: filterTasks },
 *   keys: [{ field: 'status', column: 'status', type: () => TaskStatusEnum }],
 *   buckets: [{ field: 'completedAt', column: 'completed_at', kind: 'timestamp', units: ['week'] }],
 *   measures: [{ field: 'storyPoints', column: 'story_points', kind: 'int', ops: ['sum', 'avg'] }],
 *   softDelete: true, permissions: { read: 'projects:read', seeDeleted: 'tasks:delete' },
 * });
 * addAggregateField(TaskConnection, taskAggregates.connection);
 * // buildSchema({ resolvers: [..., taskAggregates.Resolver] })
 * // { tasksAggregate(groupBy: [STATUS]) { groups { key { status } count sum { storyPoints } } } }
 */
export function defineAggregates<F extends object>(spec: AggregatesSpec<F>) {
  const T = spec.typeName;
  const words = spec.words ?? spec.plural;
  const keys = spec.keys ?? [];
  const buckets = spec.buckets ?? [];
  const measures = spec.measures ?? [];
  if (spec.softDelete && !spec.permissions.seeDeleted)
    throw new Error(`aggregates: ${T} is soft-deleted, so it needs permissions.seeDeleted`);

  // Every way to group, by its key field: the SQL (from the spec, never from the client) and its GraphQL type.
  const groupings = new Map<string, Grouping>();
  const addGrouping = (name: string, grouping: Grouping) => {
    if (groupings.has(name)) throw new Error(`aggregates: ${T} has two keys named ${name}`);
    groupings.set(name, grouping);
  };
  for (const key of keys)
    addGrouping(key.field, { expression: (alias) => sql.ref(`${alias}.${key.column}`), type: key.type });
  for (const bucket of buckets) {
    for (const unit of bucket.units) {
      const trunc = sql.lit(unit); // one of the three words `Bucket` allows
      addGrouping(`${bucket.field}${UNITS[unit]}`, {
        expression: (alias) => {
          const ref = sql.ref(`${alias}.${bucket.column}`);
          return bucket.kind === 'date'
            ? sql`date_trunc(${trunc}, ${ref}::timestamp)::date`
            : sql`date_trunc(${trunc}, ${ref}, 'UTC')`;
        },
        type: () => (bucket.kind === 'date' ? LocalDateResolver : DateTimeResolver),
      });
    }
  }

  // TaskGroupBy: PROJECT_ID -> 'projectId', COMPLETED_AT_WEEK -> 'completedAtWeek'.
  const GroupBy = Object.fromEntries([...groupings.keys()].map((name) => [constantCase(name), name])) as Record<
    string,
    string
  >;
  if (groupings.size)
    registerEnumType(GroupBy, {
      name: `${T}GroupBy`,
      description: `Ways to group ${words}; date-times are bucketed in UTC (weeks start on Monday).`,
    });

  // Without any key there is no key type (GraphQL has no empty types) and no groupBy: one group.
  const Key = named(`${T}AggregateKey`);
  for (const [name, grouping] of groupings) field(Key, name, grouping.type, { nullable: true });
  for (const key of keys) {
    const { relation } = key;
    if (!relation) continue;
    Object.defineProperty(Key.prototype, relation.field, {
      configurable: true,
      // Loaded by id like any relation (one batch per level); null when the key is not grouped by or empty.
      get(this: Record<string | symbol, unknown>) {
        const id = this[key.field] as string | null;
        return id == null ? null : (this[LOADERS] as Loaders).use(relation.byId).load(id);
      },
    });
    field(
      Key,
      relation.field,
      relation.type,
      { nullable: true, description: relation.description },
      Object.getOwnPropertyDescriptor(Key.prototype, relation.field),
    );
  }
  if (groupings.size)
    ObjectType(`${T}AggregateKey`, { description: 'The values a group shares; a key not grouped by is null.' })(Key);

  // TaskSums, TaskAverages, TaskMinimums, TaskMaximums: only those with a field (GraphQL has no empty types).
  const opTypes = new Map<AggregateOp, ClassType>();
  for (const op of ['sum', 'avg', 'min', 'max'] as const) {
    const measured = measures.filter((m) => m.ops.includes(op));
    if (!measured.length) continue;
    const type = named(`${T}${OPS[op].suffix}`);
    for (const m of measured)
      field(type, m.field, () => (op === 'sum' || op === 'avg' ? Float : MEASURE_TYPES[m.kind]), { nullable: true });
    ObjectType(`${T}${OPS[op].suffix}`, { description: OPS[op].description })(type);
    opTypes.set(op, type);
  }
  const measureAlias = (op: AggregateOp, m: AggregateMeasureSpec) => `${op}_${m.column}`;
  const measureExpressions = (alias: string): AliasedExpression<unknown, string>[] =>
    measures.flatMap((m) =>
      m.ops.map((op) => {
        const ref = sql.ref(`${alias}.${m.column}`);
        const expression =
          op === 'sum'
            ? sql`sum(${ref})::float8`
            : op === 'avg'
              ? sql`avg(${ref})::float8`
              : sql`${sql.raw(op)}(${ref})`;
        return expression.as(measureAlias(op, m));
      }),
    );

  const Aggregate = named(`${T}Aggregate`);
  field(Aggregate, 'count', () => Int, { description: 'Number of rows.' });
  for (const [op, type] of opTypes) field(Aggregate, op, () => type, {});
  ObjectType(`${T}Aggregate`, { description: `Count and measures of ${words}.` })(Aggregate);

  const Group = named(`${T}AggregateGroup`, Aggregate);
  if (groupings.size) field(Group, 'key', () => Key, {});
  ObjectType(`${T}AggregateGroup`, {
    description: `${capitalized(words)} sharing a key, with their count and measures.`,
  })(Group);

  const Aggregates = named(`${T}Aggregates`);
  field(Aggregates, 'groups', () => [Group], {
    description: `The groups, ordered by their keys (nulls last); at most ${MAX_AGGREGATE_GROUPS}.`,
  });
  ObjectType(`${T}Aggregates`, { description: `${capitalized(words)} in groups.` })(Aggregates);

  /** The count and measures of a row (a connection's parent, or a group). */
  const fill = <A extends object>(target: A, row: AggregateRow): A => {
    const values = target as Record<string, unknown>;
    values.count = row.count;
    for (const [op, type] of opTypes) {
      const measured = new type() as Record<string, unknown>;
      for (const m of measures) if (m.ops.includes(op)) measured[m.field] = row[measureAlias(op, m)] ?? null;
      values[op] = measured;
    }
    return target;
  };

  const groupsLoader: LoaderDefinition<RootKey<F>, object> = defineLoader(
    `${spec.plural}Aggregate`,
    (db, rootKeys) =>
      Promise.all(
        rootKeys.map(async (key) => {
          // One more than the cap tells "too many" apart from "exactly the cap".
          const rows = await groupedRows(db, key, MAX_AGGREGATE_GROUPS + 1);
          // DataLoader rejects only this key's load: other aliases of the request keep their answers.
          if (rows.length > MAX_AGGREGATE_GROUPS)
            return new BadUserInputError(
              'groupBy',
              `More than ${MAX_AGGREGATE_GROUPS} groups: narrow the filter or group by fewer keys`,
            );
          return rows;
        }),
      ),
    (key) => JSON.stringify([key.organizationId, key.filter, key.groupBy, key.includeDeleted]),
  );

  async function groupedRows(db: Kysely<Database>, key: RootKey<F>, limit: number): Promise<AggregateRow[]> {
    const { alias } = spec;
    const grouped = key.groupBy.map((name) => groupings.get(name)!.expression(alias));
    let query: AnyQuery = (db as AnyDb)
      .selectFrom(`${spec.table} as ${alias}`)
      .select([
        ...grouped.map((expression, i) => sql`${expression}`.as(`k${i}`)),
        sql<string>`count(*)`.as('count'),
        ...measureExpressions(alias),
      ])
      // The root list's parent: the organization the request acts for (RLS says the same, and more).
      .where(`${alias}.organization_id`, '=', key.organizationId);
    if (spec.softDelete && !key.includeDeleted) query = query.where(`${alias}.deleted_at`, 'is', null);
    if (spec.rootScope) query = spec.rootScope(query);
    if (spec.filter) query = spec.filter.apply(query, key.filter);
    if (grouped.length) {
      // By position: the select's expressions, so `date_trunc` is written (and parameterised) once.
      const positions = grouped.map((_, i) => sql.raw(String(i + 1)));
      query = query.groupBy(positions);
      for (const position of positions) query = query.orderBy(position);
      query = query.limit(limit);
    }
    const rows = (await query.execute()) as ({ count: string } & Record<string, unknown>)[];
    return rows.map((row) => ({ ...row, count: Number(row.count) }));
  }

  const toGroup = (row: AggregateRow, groupBy: readonly string[], loaders: Loaders): object => {
    const group = fill(new Group(), row) as Record<string, unknown>;
    if (!groupings.size) return group;
    const key = new Key() as Record<string | symbol, unknown>;
    for (const name of groupings.keys()) key[name] = null;
    groupBy.forEach((name, i) => (key[name] = row[`k${i}`] ?? null));
    key[LOADERS] = loaders;
    group.key = key;
    return group;
  };

  /** The root query's answer for these arguments, in the caller's organization. */
  async function load(ctx: Context, args: AggregateArgs<F>): Promise<object> {
    const includeDeleted =
      spec.softDelete && spec.permissions.seeDeleted
        ? await allowDeleted(ctx, args.includeDeleted, spec.permissions.seeDeleted)
        : false;
    const groupBy = [...new Set(args.groupBy ?? [])];
    for (const name of groupBy) if (!groupings.has(name)) throw new BadUserInputError('groupBy', `Unknown key ${name}`);
    const rows = (await ctx.loaders.use(groupsLoader).load({
      organizationId: organizationOf(ctx),
      filter: args.filter ?? null,
      groupBy,
      includeDeleted,
    })) as AggregateRow[];
    return Object.assign(new Aggregates(), { groups: rows.map((row) => toGroup(row, groupBy, ctx.loaders)) });
  }

  @ArgsType()
  class RootArgs implements AggregateArgs<F> {
    filter?: F | null;
    groupBy?: string[] | null;
    includeDeleted?: boolean;
  }
  Object.defineProperty(RootArgs, 'name', { value: `${T}AggregateArgs` });
  if (spec.filter) {
    field(RootArgs, 'filter', spec.filter.type, { nullable: true });
    ValidateNested()(RootArgs.prototype, 'filter');
  }
  if (groupings.size) {
    field(RootArgs, 'groupBy', () => [GroupBy], {
      nullable: true,
      description: 'Keys to group by, in the order the groups are sorted; none: one group of every row.',
    });
    ArrayMaxSize(groupings.size)(RootArgs.prototype, 'groupBy');
  }
  if (spec.softDelete)
    Field(() => Boolean, {
      defaultValue: false,
      description: `Count deleted ${words} too (needs ${spec.permissions.seeDeleted}).`,
    })(RootArgs.prototype, 'includeDeleted');

  @Resolver()
  class AggregatesResolver {
    @Authorized(spec.permissions.read)
    // One grouped statement reads every matching row: priced as a count is.
    @Extensions({ cost: AGGREGATE_COST })
    @Query(() => Aggregates, {
      name: `${spec.plural}Aggregate`,
      nullable: true,
      description: `The ${words} the caller can see (as the list ${spec.plural} has them), grouped; at most ${MAX_AGGREGATE_GROUPS} groups.`,
    })
    aggregate(@Args(() => RootArgs) args: RootArgs, @Ctx() ctx: Context): Promise<object> {
      return load(ctx, args);
    }
  }
  Object.defineProperty(AggregatesResolver, 'name', { value: `${T}AggregatesResolver` });

  const connection: ConnectionAggregate = {
    typeName: T,
    type: () => Aggregate,
    measures: measureExpressions,
    fromRow: (row) => fill(new Aggregate(), row),
  };

  return {
    /** The `${T}GroupBy` enum's values: CONSTANT_CASE name -> key field. */
    GroupBy,
    Key,
    Aggregate,
    AggregateGroup: Group,
    Aggregates,
    /** The measure types that exist, by operation. */
    measureTypes: opTypes as ReadonlyMap<AggregateOp, ClassType>,
    /** The root query's arguments. */
    Args: RootArgs,
    /** Holds `Query.${plural}Aggregate`: give it to `buildSchema`. */
    Resolver: AggregatesResolver,
    /** What `addAggregateField` gives a connection type. */
    connection,
    /** The root query's loader (one statement per distinct arguments). */
    loader: groupsLoader,
    load,
  };
}
