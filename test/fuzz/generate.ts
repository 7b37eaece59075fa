import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import '../../src/modules';
import { registry } from '../../src/resources';
import { LEGACY_TABLES } from '../support/legacy-tables';
import type { Random } from './random';

/** Where generated arguments get their ids, texts and tags (own, foreign or made up: the caller decides). */
export interface ValueSource {
  /** An id for an argument or input field named `name` (e.g. projectId, assigneeId, id of `task`). */
  id(name: string): string;
  text(): string;
  tag(): string;
}

/**
 * Name -> table, for every id argument: the resources' (registry.idArguments()) and the tables not
 * moved yet (legacy-tables.ts). Built at the first call, when every module has registered.
 */
let idTables: Readonly<Record<string, string>> | undefined;
function idTablesOf(): Readonly<Record<string, string>> {
  const legacy = Object.entries(LEGACY_TABLES).flatMap(([table, names]) => names.map((name) => [name, table]));
  return (idTables ??= { ...Object.fromEntries(legacy), ...registry.idArguments() });
}

/**
 * The table an id argument points at, from its name (and, for a bare `id`, the field it belongs
 * to: `sprint(id:)`, or the input type holding it, `DeleteSprintInput.id`).
 */
export function tableOf(name: string, owner = ''): string | undefined {
  const key = name === 'id' || name === 'eq' || name === 'in' ? owner : name;
  return idTablesOf()[key];
}

/** Limits that keep documents well inside the server's query limits (depth 10, 15 aliases, 2000 tokens). */
const MAX_DEPTH = 6;
const MAX_OBJECT_FIELDS = 2;

export class DocumentGenerator {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly random: Random,
    private readonly values: ValueSource,
  ) {}

  /** A query of 1-3 aliased root fields with random arguments and nested selections. */
  query(): string {
    const fields = Object.values(this.schema.getQueryType()!.getFields());
    const roots = this.random.sample(fields, this.random.int(1, 3));
    return `query Fuzz {\n${roots.map((field, i) => `  r${i}: ${this.field(field, 2)}`).join('\n')}\n}`;
  }

  /** `name(args) { selection }` for one field, `depth` being the level of its selection set. */
  field(field: GraphQLField<unknown, unknown>, depth: number): string {
    const args = this.arguments(field.args, field.name);
    const type = getNamedType(field.type);
    const head = `${field.name}${args}`;
    return isObjectType(type) ? `${head} ${this.selection(type, depth)}` : head;
  }

  /** A selection set of an object type: always its id, a few leaves, maybe nested objects and connections. */
  selection(type: GraphQLObjectType, depth: number): string {
    const fields = Object.values(type.getFields());
    if (isConnection(type)) {
      const node = getNamedType(type.getFields().edges!.type) as GraphQLObjectType;
      const parts = [
        `edges { cursor node ${this.selection(getNamedType(node.getFields().node!.type) as GraphQLObjectType, depth + 2)} }`,
      ];
      if (this.random.chance(0.5)) parts.push('pageInfo { hasNextPage hasPreviousPage startCursor endCursor }');
      if (this.random.chance(0.5)) parts.push('totalCount');
      return `{ ${this.random.sample(parts, parts.length).join(' ')} }`;
    }
    const leaves = fields.filter(
      (f) =>
        !isObjectType(getNamedType(f.type)) &&
        f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined),
    );
    const objects = fields.filter((f) => isObjectType(getNamedType(f.type)));
    const chosen = this.random.sample(
      leaves.filter((f) => f.name !== 'id'),
      this.random.int(1, 4),
    );
    if (leaves.some((f) => f.name === 'id')) chosen.unshift(type.getFields().id!);
    const parts = chosen.map((f) => f.name);
    // A nested connection costs three levels (field, edges, node): only where they still fit.
    const fitting = objects.filter(
      (f) => depth + (isConnection(getNamedType(f.type) as GraphQLObjectType) ? 3 : 1) <= MAX_DEPTH,
    );
    if (fitting.length && (depth <= 2 || this.random.chance(0.6))) {
      for (const f of this.random.sample(fitting, this.random.int(1, MAX_OBJECT_FIELDS)))
        parts.push(this.field(f, depth + 1));
    }
    if (!parts.length) parts.push('__typename');
    return `{ ${parts.join(' ')} }`;
  }

  /** Arguments: the required ones always, `first` (1-5) on every list, the others sometimes. */
  arguments(args: readonly GraphQLArgument[], fieldName: string): string {
    const out: string[] = [];
    const backwards = args.some((a) => a.name === 'last') && this.random.chance(0.15);
    for (const arg of args) {
      let value: string | undefined;
      if (arg.name === 'first') value = backwards ? undefined : String(this.random.int(1, 5));
      else if (arg.name === 'last') value = backwards ? String(this.random.int(1, 5)) : undefined;
      else if (arg.name === 'after' || arg.name === 'before') value = undefined;
      else if (
        (isNonNullType(arg.type) && arg.defaultValue === undefined) ||
        this.random.chance(arg.name === 'filter' ? 0.6 : 0.35)
      ) {
        value = this.value(arg.type, arg.name, arg.name === 'id' ? fieldName : arg.name, 0);
      }
      if (value !== undefined) out.push(`${arg.name}: ${value}`);
    }
    return out.length ? `(${out.join(', ')})` : '';
  }

  /**
   * A GraphQL literal of this input type. `name` is the argument or input field it is for;
   * `hint` names what an id there points at (projectId, task, DeleteSprintInput).
   */
  value(type: GraphQLInputType, name: string, hint: string, level: number): string {
    if (isNonNullType(type)) return this.value(type.ofType, name, hint, level);
    if (isListType(type)) {
      const inner = type.ofType as GraphQLInputType;
      const named = getNamedType(inner);
      if (isEnumType(named))
        return `[${this.random
          .sample(named.getValues(), this.random.int(1, 3))
          .map((v) => v.name)
          .join(', ')}]`;
      return `[${Array.from({ length: this.random.int(1, 3) }, () => this.value(inner, name, hint, level)).join(', ')}]`;
    }
    if (isEnumType(type)) return this.random.pick(type.getValues()).name;
    if (isInputObjectType(type)) {
      const fields = Object.values(type.getFields());
      // The required fields and one or two others: more conditions would rarely match anything.
      const required = (f: GraphQLInputField) => isNonNullType(f.type) && f.defaultValue === undefined;
      const chosen = [
        ...fields.filter(required),
        ...this.random.sample(
          fields.filter((f) => !required(f)),
          level < 2 ? this.random.int(1, 2) : 1,
        ),
      ];
      // An IdFilter's eq/in point where the field holding it does (projectId: {eq}); a bare id, at the input's entity.
      const childHint = (f: GraphQLInputField) =>
        type.name === 'IdFilter' ? hint : f.name === 'id' ? type.name : f.name;
      return `{${chosen.map((f) => `${f.name}: ${this.value(f.type, f.name, childHint(f), level + 1)}`).join(', ')}}`;
    }
    if (isScalarType(type)) return JSON.stringify(scalarValue(this.random, this.values, type.name, name, hint));
    throw new Error(`no value for ${String(type)}`);
  }
}

/** A valid JSON value of a scalar for an argument or input field named `name`. */
export function scalarValue(r: Random, values: ValueSource, scalar: string, name: string, hint: string): unknown {
  switch (scalar) {
    case 'UUID':
      return values.id(hint);
    case 'Int':
      return name === 'storyPoints' || hint === 'storyPoints' ? r.pick([1, 2, 3, 5, 8, 13]) : r.int(-1, 10);
    case 'Float':
      return r.next();
    case 'Boolean':
      return r.chance(0.5);
    case 'DateTime':
      return new Date(Date.UTC(2025, 6, 1) + r.int(0, 730) * 86_400_000).toISOString();
    case 'LocalDate':
      return new Date(Date.UTC(2026, 0, 1) + r.int(0, 365) * 86_400_000).toISOString().slice(0, 10);
    case 'JSONObject':
      return {};
    case 'EmailAddress':
      return `fz-${r.token()}@example.test`;
    case 'String': {
      if (name === 'tags' || name === 'containsAll' || name === 'containsAny') return values.tag();
      const text = values.text();
      if (name !== 'contains') return text;
      const start = r.int(0, Math.max(0, text.length - 4));
      return text.slice(start, start + r.int(3, 10));
    }
    default:
      throw new Error(`no value for scalar ${scalar}`);
  }
}

/** A Relay connection: edges { node } plus pageInfo. */
export function isConnection(type: GraphQLObjectType): boolean {
  const fields = type.getFields();
  return Boolean(fields.edges && fields.pageInfo);
}
