import type { GraphQLScalarType } from 'graphql';
import type { ClassType } from 'type-graphql';
import type { AnyQuery, KeysetSort } from '../db/pagination';
import type { Database } from '../db/schema';
import type { LoaderDefinition } from '../graphql/loaders';
import type { Context } from '../graphql/context';
import type { Permission } from '../auth/permissions';
import type { AggregateOp, Bucket } from './aggregates';

export type TableName = keyof Database & string;

/** How a column is typed in GraphQL, filtered and compared. */
export type ColumnKind =
  | { kind: 'uuid' }
  | { kind: 'text' }
  | { kind: 'int' }
  | { kind: 'float' }
  | { kind: 'boolean' }
  /** LocalDate ('YYYY-MM-DD' strings). */
  | { kind: 'date' }
  /** DateTime (timestamptz). */
  | { kind: 'timestamp' }
  /** An enum registered with registerEnumType (its values map GraphQL names to the stored text). */
  | { kind: 'enum'; values: readonly string[]; graphql: object }
  | { kind: 'tags' }
  /** JSONObject, or an object type (Project.settings) with its input type for writes. */
  | {
      kind: 'json';
      scalar?: GraphQLScalarType;
      objectType?: () => ClassType<object>;
      inputType?: () => ClassType<object>;
    };

/** A field of `${T}Filter` and the applier behind it (src/graphql/filters.ts). */
export type FilterKind = 'id' | 'enumList' | 'enum' | 'string' | 'int' | 'dateTime' | 'tags';

export interface ColumnSpec<K extends ColumnKind = ColumnKind> {
  type: K;
  /** SQL column; default snake_case of the field name. */
  column?: string;
  /** Nullable in the database, and so in GraphQL output. */
  nullable?: boolean;
  /** The database fills it when absent (default ''/'planned'/now()): optional on create. */
  dbDefault?: boolean;
  /** Description on the object type's field. */
  description?: string;
  /** Field of the object type (default true). false: kept on the node for relations and rules only. */
  expose?: boolean;
  /** In `Create${T}Input`: 'required' (T!), 'optional' (T, nullable), or an object for the irregular ones. */
  create?: false | 'required' | 'optional' | { required: boolean; description?: string; defaultValue?: unknown };
  /** In `Update${T}Input` (nullable there, unless `required`). */
  update?: boolean | { description?: string; required?: boolean };
  /**
   * Written by the service, rule hooks or a subclass's mutation (completed_at, Task.status), or by a
   * trigger's UPDATE as the app role (Task.depth), not by input: the column's update grant.
   */
  serviceWrites?: boolean;
  /** Text length: required text gets @Length(min, max, { message }), optional text OptionalText({ min, max }). */
  length?: { min?: number; max: number };
  /** Trim text on write (default true for text, as every service did by hand). */
  trim?: boolean;
  /**
   * What `null` means in an update (and on create). Default: nullable column -> null (clear); text
   * with dbDefault -> ''; any other NOT NULL column -> 'unchanged' (left out of the write). `[]` or
   * `{}` empty a NOT NULL tags or json column (Task.tags, Task.customFields).
   */
  clearTo?: null | '' | 'unchanged' | readonly never[] | Record<string, never>;
  /**
   * A field of `${T}Filter`: the kind, or with a description. A timestamp column of a resource that
   * has a filter is a `dateTime` field without saying so; false leaves it out.
   */
  filter?: FilterKind | { kind: FilterKind; description?: string } | false;
  /** More validators on the input fields (IsSlug); optional inputs get IsOptional before them. */
  validate?: () => PropertyDecorator[];
  /** Aggregates (docs/api.md, "Aggregates for analysts"): see AggregateOption. */
  aggregate?: AggregateOption;
}

/**
 * What a column adds to the resource's aggregates (`count` is always there). `measures`: sum and
 * avg of int/float columns, min and max of int/float/date/timestamp ones. `groupBy`: true makes an
 * enum, boolean or uuid column a key, and buckets a date or timestamp column by day, week and
 * month; a list of units buckets by those only.
 *
 * @example
 * startDate: col.date({ create: 'required', aggregate: { measures: ['min', 'max'], groupBy: ['week', 'month'] } })
 */
export interface AggregateOption {
  measures?: readonly AggregateOp[];
  groupBy?: true | readonly Bucket[];
}

/** A type the layer does not generate (Organization, User): what relations to it need. */
export interface ExternalRef<T extends object = object> {
  kind: 'external';
  typeName: string;
  type: () => ClassType<T>;
  table: TableName;
  byId: LoaderDefinition<string, T | null>;
  /** NOT_FOUND label ('User'). */
  label: string;
}

/** A relation's target: an external type, or a resource behind a thunk (it may be defined later). */
export type Target = ExternalRef | (() => { readonly spec: ResourceSpec });

/** The inverse of a parent relation: a list field on the parent's type (Team.members). */
export interface InverseSpec {
  field: string;
  description?: string;
  /** @Authorized(read) on the field; the field is then nullable (a refused field is null beside its parent's data). */
  read?: Permission;
  /** 'list': `${T}ListArgs` (filter, orderBy, includeDeleted as the resource has them); 'page': ConnectionArgs only. */
  args?: 'list' | 'page';
  /** Loader name (default `${plural}Of${ParentType}`); stable names keep traces readable. */
  loaderName?: string;
}

export interface ParentSpec {
  kind: 'parent';
  target: Target;
  /** FK column on this table ('team_id'). */
  column: string;
  /** Object field resolving the parent (TeamMember.team); false: none. */
  field?: string | false;
  nullable?: boolean;
  description?: string;
  /** The node property carrying the FK (default camelCase of column: teamId). */
  idProperty?: string;
  /** Input field on create and/or update (named idProperty); the description is the create input's. */
  input?: { create?: 'required' | 'optional'; update?: boolean; description?: string };
  /** `${idProperty}: IdFilter` in the filter. */
  filter?: boolean | { description?: string };
  /** A key of the aggregates' groups (`${idProperty}`, and the parent itself as `${field}`). */
  aggregateGroupBy?: boolean;
  /**
   * The parent must be live: a create finds it first (NOT_FOUND labelled as the parent), update and
   * delete find it after the row (labelled as the row), by-id hides rows under a missing parent,
   * and the root list leaves them out.
   */
  requireLive?: boolean;
  /** A create finds the parent first, NOT_FOUND labelled as the parent (TeamMember.team). */
  mustExist?: boolean;
  /** Lists load the parent of every row at once when the selection asks for it (see withRelated). */
  prefetch?: boolean;
  /** Written by a subclass's mutation (assignTask, moveTask), not by the update input: the column's update grant. */
  serviceWrites?: boolean;
  inverse?: InverseSpec;
}

export interface MutationSpec {
  /** GraphQL field name; default `${verb}${Type}`. */
  name?: string;
  /** Default: the resource's permission for the verb (restore: delete). */
  permission?: Permission;
  description?: string;
  /** Input type name; default `${Verb}${Type}Input`. */
  inputName?: string;
  inputDescription?: string;
  /** Introspection order of the input's fields; default: id, parent ids, then columns in spec order. */
  order?: readonly string[];
}

export interface CreateSpec extends MutationSpec {
  /**
   * Input fields that are no column (createDocument's `uploadId`): typed and validated as columns
   * are, handed to the rule hooks in `input`, never written by the insert. They come after the
   * columns unless `order` says otherwise.
   *
   * @example
   * create: { inputs: { uploadId: col.uuid({ create: 'required', description: 'An upload of yours.' }) } }
   */
  inputs?: Record<string, ColumnSpec>;
}

export interface DeleteSpec extends MutationSpec {
  mode: 'hard' | 'soft';
  /** Hard delete by a natural key instead of id (removeTeamMember: ['teamId', 'userId']). */
  by?: readonly string[];
  /** Hard delete payload field; default `deleted${Type}Id`. */
  payloadField?: string;
  payloadName?: string;
}

export interface RuleHooks {
  /**
   * Writes the row instead of the plain INSERT and answers it (violations map as for the insert):
   * for rows that must be written with others in one statement (a project with its leads).
   */
  insert?(
    ctx: Context,
    values: Record<string, unknown>,
    input: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
  /** Before the insert, after the parents were found: may throw a DomainError, may add values. */
  beforeCreate?(ctx: Context, values: Record<string, unknown>, input: Record<string, unknown>): Promise<void> | void;
  /** `changes` holds the mapped input; add or refuse. With no changes left the UPDATE is skipped. */
  beforeUpdate?(
    ctx: Context,
    current: Record<string, unknown>,
    changes: Record<string, unknown>,
    input: Record<string, unknown>,
  ): Promise<void> | void;
  /** Hard and soft delete: after the row is found, before the write. */
  beforeDelete?(ctx: Context, current: Record<string, unknown>): Promise<void> | void;
  /** Soft delete and restore, same transaction, around the write. */
  beforeSetDeleted?(ctx: Context, current: Record<string, unknown>, deleted: boolean): Promise<void> | void;
  afterSetDeleted?(ctx: Context, row: Record<string, unknown>, deleted: boolean): Promise<void> | void;
}

/**
 * Documents attached to the rows of a resource (seed 003's task attachments, seed 001's `file` for
 * photos and assessment attachments): one link table per owner, made by `createAttachmentTable`
 * (db/migrations/helpers.ts) and given its policies by one `app.attachment_resource(...)` line.
 * The layer generates `${T}Attachment`, `${T}.attachments`, `Document.${t}Attachments`,
 * `attachDocumentTo${T}` and `detachDocumentFrom${T}` (src/resources/attachments.ts).
 *
 * @example
 * attachments: { table: 'project_attachments' }
 */
export interface AttachmentsSpec {
  /** The link table: (organization_id, id, <owner>_id, document_id, created_at, ...). */
  table: TableName;
  /** Description of `${T}.attachments`. */
  description?: string;
}

export interface TimestampSpec {
  description?: string;
  /** Out of the filter (a resource with a filter gets every timestamp but deletedAt). */
  filter?: false;
  aggregate?: AggregateOption;
}

export interface ResourceSpec {
  /** GraphQL type name ('Team'); the class's JS name too. */
  name: string;
  table: TableName;
  /** Plural for names (default name + 's'); lower-cased first for fields. */
  plural?: string;
  description?: string;
  /** NOT_FOUND label (default name). */
  label?: string;
  /** Domain columns in declaration order; id comes first and the timestamps last. */
  columns: Record<string, ColumnSpec>;
  /** Parent relations; their fields come after the columns and timestamps, in this order. */
  relations?: Record<string, ParentSpec>;
  /** Which standard columns become fields. */
  timestamps?: {
    createdAt?: boolean | TimestampSpec;
    updatedAt?: boolean | TimestampSpec;
    deletedAt?: boolean | TimestampSpec;
  };
  /** Object type field order override (introspection order). */
  order?: readonly string[];
  permissions: {
    read: Permission;
    create?: Permission;
    update?: Permission;
    delete?: Permission;
    /** includeDeleted on lists and by-id (soft delete only); default = delete. */
    seeDeleted?: Permission;
  };
  lists?: {
    /** The orders, the first being the default (applyKeyset adds the id tiebreak). */
    orders?: Record<string, KeysetSort>;
    /** Root list field (Query.sprints); false or absent: none. */
    root?: false | { name?: string; description?: string };
    /** Root by-id field (Query.sprint); false or absent: none. */
    byId?: false | { name?: string; description?: string };
    /** Filter input: field order and description override; false: no filter even with filter columns. */
    filter?: false | { order?: readonly string[]; description?: string };
    /** Extra condition on the root list only (besides requireLive). */
    rootScope?: (query: AnyQuery, alias: string) => AnyQuery;
    /** SQL alias in list statements (default the table's initials). */
    alias?: string;
  };
  mutations?: {
    create?: CreateSpec | false;
    update?: MutationSpec | false;
    delete?: DeleteSpec | false;
    restore?: MutationSpec | false;
    /** Payload shared by create/update/soft delete/restore: default `${Type}Payload { ${type} }`. */
    payload?: { name?: string; field?: string };
  };
  /**
   * Rows are inserted by a subclass's mutation or by a trigger acting as the app role
   * (addDocumentVersion, a document's version 1), not by a generated create: the table's INSERT grant.
   */
  serviceInserts?: boolean;
  /** Input types of a subclass's mutations whose `id` is this resource's (TransitionTaskInput): the fuzzer's id map. */
  idInputs?: readonly string[];
  /** Constraint name -> [field, message] (onViolation). */
  violations?: Record<string, [field: string, message: string]>;
  rules?: RuleHooks;
  /**
   * Columns the database computes (GENERATED ALWAYS ... STORED), by SQL name: not fields, never
   * written; only the Kysely row type (npm run codegen) has them, for orders and rules that read them.
   */
  generatedColumns?: Record<string, ColumnSpec>;
  /** Documents may be attached to the rows: see AttachmentsSpec. */
  attachments?: AttachmentsSpec;
  /** Columns read by fields a subclass adds (Project.tasks reads the id only), so lists still read only what is selected. */
  fieldColumns?: Record<string, readonly string[]>;
  /**
   * Column values of one valid row besides its parents (tests, seeds): `n` makes it unique. Seeded
   * rows get every parent that has a row; a nullable parent's column named `null` here stays empty,
   * and one named `undefined` is given in generated inputs even though optional (a grant is on a
   * folder or on a document: `{ folder_id: undefined, document_id: null }`).
   */
  example: (n: number) => Record<string, unknown>;
}

type ColumnOptions = Omit<ColumnSpec, 'type'>;

/**
 * Column builders: short definitions that keep the kind with the options.
 *
 * @example
 * columns: { name: col.text({ length: { min: 1, max: 255 }, create: 'required', update: true }) }
 */
export const col = {
  uuid: (o: ColumnOptions = {}): ColumnSpec => ({ type: { kind: 'uuid' }, ...o }),
  text: (o: ColumnOptions = {}): ColumnSpec => ({ type: { kind: 'text' }, ...o }),
  int: (o: ColumnOptions = {}): ColumnSpec => ({ type: { kind: 'int' }, ...o }),
  float: (o: ColumnOptions = {}): ColumnSpec => ({ type: { kind: 'float' }, ...o }),
  boolean: (o: ColumnOptions = {}): ColumnSpec => ({ type: { kind: 'boolean' }, ...o }),
  date: (o: ColumnOptions = {}): ColumnSpec => ({ type: { kind: 'date' }, ...o }),
  timestamp: (o: ColumnOptions = {}): ColumnSpec => ({ type: { kind: 'timestamp' }, ...o }),
  enum: <V extends string>(values: readonly V[], graphql: Record<string, V>, o: ColumnOptions = {}): ColumnSpec => ({
    type: { kind: 'enum', values, graphql },
    ...o,
  }),
  tags: (o: ColumnOptions = {}): ColumnSpec => ({ type: { kind: 'tags' }, ...o }),
  json: (
    o: ColumnOptions & {
      scalar?: GraphQLScalarType;
      objectType?: () => ClassType<object>;
      inputType?: () => ClassType<object>;
    } = {},
  ): ColumnSpec => {
    const { scalar, objectType, inputType, ...rest } = o;
    return { type: { kind: 'json', scalar, objectType, inputType }, ...rest };
  },
};

/**
 * A parent relation (the FK on this table).
 *
 * @example
 * relations: { team: parent(() => teams, { column: 'team_id', field: 'team', input: { create: 'required' } }) }
 */
export const parent = (target: Target, o: Omit<ParentSpec, 'kind' | 'target'>): ParentSpec => ({
  kind: 'parent',
  target,
  ...o,
});

/**
 * A hand-written type relations may point at.
 *
 * @example
 * const userRef = external({ typeName: 'User', type: () => User, table: 'users', byId: userById, label: 'User' });
 */
export const external = <T extends object>(ref: Omit<ExternalRef<T>, 'kind'>): ExternalRef<T> => ({
  kind: 'external',
  ...ref,
});
