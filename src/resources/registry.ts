import { getMetadataStorage, type BuildSchemaOptions, type ClassType } from 'type-graphql';
import { softDeletedTables } from '../db/rows';
import type { BuiltResource } from './model';
import { lowerFirst } from './inflect';
import { inverseResolver, type InverseModel } from './resolver';
import { assertAttachmentsLinked } from './attachments';

type ResolverClass = abstract new () => object;

/** A mutation the layer generated, for tests that must cover every mutation. */
export interface GeneratedMutation {
  field: string;
  resource: BuiltResource;
  kind: 'create' | 'update' | 'delete' | 'restore';
  permission: string;
  inputType: string;
}

const resources: BuiltResource[] = [];
const handResolvers: ResolverClass[] = [];
const handPrefetched: Record<string, string[]> = {};
let frozen: BuildSchemaOptions['resolvers'] | null = null;

/** Throws when the schema was built already: what `what` describes would be left out of it. */
export function assertOpen(what: string): void {
  if (frozen) throw new Error(`${what} after the schema was built: import its module from src/modules/index.ts`);
}

/** Called by defineResource. */
export function registerResource(resource: BuiltResource): void {
  assertOpen(`resource ${resource.typeName} defined`);
  const taken = resources.find((r) => r.typeName === resource.typeName || r.table === resource.table);
  if (taken) throw new Error(`resource ${resource.typeName} (${resource.table}) is defined twice`);
  resources.push(resource);
}

/**
 * A module's hand-written resolvers (those no resource generates), from its index.ts.
 *
 * @example
 * registerResolvers(ViewerResolver, OrganizationResolver);
 */
export function registerResolvers(...classes: ResolverClass[]): void {
  assertOpen('resolvers registered');
  handResolvers.push(...classes);
}

/**
 * Fields of a hand-written type that its lists prefetch (answered from the node, see answerPrefetched).
 *
 * @example
 * registerPrefetched('Task', ['assignee']);
 */
export function registerPrefetched(typeName: string, fields: readonly string[]): void {
  assertOpen('prefetched fields registered');
  (handPrefetched[typeName] ??= []).push(...fields);
}

/** Inverse lists, one resolver class per parent type, in definition order. */
function buildRelations(): ResolverClass[] {
  const byParent = new Map<string, { type: () => ClassType<object>; inverses: InverseModel[] }>();
  for (const child of resources) {
    for (const relation of child.model.relations) {
      if (!relation.inverse) continue;
      const target = relation.target();
      const entry = byParent.get(target.typeName) ?? { type: target.type, inverses: [] };
      entry.inverses.push({ child, relation });
      byParent.set(target.typeName, entry);
      // A list of the parent resource reads only its id for this field.
      const parent = resources.find((r) => r.typeName === target.typeName);
      if (parent) (parent.nodeColumns.fields as Record<string, readonly string[]>)[relation.inverse.field] = [];
    }
  }
  return [...byParent].map(([name, { type, inverses }]) => inverseResolver(name, type, inverses));
}

/** Every generated type name must be generated once: a hand class of the same name would shadow it. */
function checkNames(): void {
  const storage = getMetadataStorage();
  const count = new Map<string, number>();
  for (const t of [...storage.objectTypes, ...storage.inputTypes]) count.set(t.name, (count.get(t.name) ?? 0) + 1);
  for (const e of storage.enums) count.set(e.name, (count.get(e.name) ?? 0) + 1);
  for (const r of resources) {
    const { names } = r.model;
    for (const name of [
      names.type,
      names.connection,
      names.payload,
      names.filter,
      names.order,
      names.createInput,
      names.updateInput,
      names.deleteInput,
      names.restoreInput,
      names.deletePayload,
    ])
      if ((count.get(name) ?? 0) > 1) throw new Error(`${r.typeName}: the type name ${name} is taken twice`);
  }
}

/** What the resources imply for every list that was kept by hand. */
export const registry = {
  /** The resources, in definition order. */
  resources: (): readonly BuiltResource[] => resources,
  byTable: (table: string): BuiltResource | undefined => resources.find((r) => r.table === table),
  /**
   * The resolver classes for buildSchema: the registered hand ones, each resource's leaf, and the
   * inverse-list classes. The first call freezes the registry (a later definition is an error).
   */
  resolvers(): BuildSchemaOptions['resolvers'] {
    if (!frozen) {
      if (!resources.length && !handResolvers.length)
        throw new Error('no resolvers registered: import src/modules first');
      assertAttachmentsLinked();
      const relations = buildRelations();
      // Every list definition exists before the first request (the inverse ones were built just now).
      for (const r of resources) if (r.spec.lists?.root) r.lists.root();
      checkNames();
      // `${rootList}Aggregate` goes with the root list (a resource without one has only Connection.aggregate).
      const aggregates = resources.filter((r) => r.spec.lists?.root).map((r) => r.aggregates.Resolver);
      const all = [...handResolvers, ...resources.map((r) => r.leafResolver()), ...relations, ...aggregates];
      frozen = [all[0]!, ...all.slice(1)];
    }
    return frozen;
  },
  /** The fields lists prefetch, per type: `prefetch: true` relations plus the registered hand ones. */
  prefetched(): Record<string, string[]> {
    const map: Record<string, string[]> = structuredClone(handPrefetched);
    for (const r of resources) {
      const fields = r.model.relations.filter((rel) => rel.prefetch && rel.field).map((rel) => rel.field as string);
      if (fields.length) (map[r.typeName] ??= []).push(...fields);
    }
    return map;
  },
  softDeletedTables,
  mutations(): readonly GeneratedMutation[] {
    return resources.flatMap((resource) => {
      const { names, spec, permissions } = resource.model;
      const m = spec.mutations ?? {};
      // A restore needs what a delete needs (seeing and bringing back deleted rows).
      const fallback = {
        create: permissions.create,
        update: permissions.update,
        delete: permissions.delete,
        restore: permissions.delete,
      };
      const out: GeneratedMutation[] = [];
      for (const kind of ['create', 'update', 'delete', 'restore'] as const) {
        const mutation = m[kind];
        if (!mutation) continue;
        out.push({
          field: names[kind],
          resource,
          kind,
          permission: mutation.permission ?? fallback[kind]!,
          inputType: names[`${kind}Input`],
        });
      }
      return out;
    });
  },
  /**
   * The table an id argument or input field points at, by its name: each resource's own id
   * elsewhere (`sprintId`), each relation's id property (`projectId`), each root by-id field
   * (`sprint`, for its `id`) and each mutation input whose `id` is a row of the resource
   * (`DeleteSprintInput`). For the isolation fuzzer, which must give
   * every id argument an id of the right table. A name pointing at two tables is an error.
   *
   * @example
   * registry.idArguments().projectId; // 'projects'
   */
  idArguments(): Readonly<Record<string, string>> {
    const out: Record<string, string> = {};
    const add = (name: string, table: string) => {
      if (out[name] && out[name] !== table) throw new Error(`id argument ${name} points at ${out[name]} and ${table}`);
      out[name] = table;
    };
    for (const r of resources) {
      const { names, spec } = r.model;
      const m = spec.mutations ?? {};
      add(`${lowerFirst(r.typeName)}Id`, r.table);
      if (spec.lists?.byId) add(names.byId, r.table);
      if (m.update) add(names.updateInput, r.table);
      if (m.delete && !m.delete.by) add(names.deleteInput, r.table);
      if (m.restore) add(names.restoreInput, r.table);
      for (const input of spec.idInputs ?? []) add(input, r.table);
      for (const rel of r.model.relations) add(rel.idProperty, rel.target().table);
    }
    return out;
  },
  /** Parents before children (for seeding rows). */
  seedOrder(): readonly BuiltResource[] {
    const done = new Set<BuiltResource>();
    const visit = (r: BuiltResource, path: readonly BuiltResource[]) => {
      if (done.has(r)) return;
      if (path.includes(r)) throw new Error(`a cycle of required parents through ${r.typeName}`);
      for (const rel of r.model.relations) {
        const parent = resources.find((p) => p.typeName === rel.target().typeName);
        if (parent && parent !== r) visit(parent, [...path, r]);
      }
      done.add(r);
    };
    for (const r of resources) visit(r, []);
    return [...done];
  },
};
