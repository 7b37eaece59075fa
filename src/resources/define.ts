import type { ClassType } from 'type-graphql';
import type { AnyQuery } from '../db/pagination';
import type { ConnectionShape } from '../graphql/connection';
import { markSoftDeleted, softDeletedTables, type SoftDeletedTable } from '../db/rows';
import { buildModel, type BuiltResource } from './model';
import { buildConnection, buildNode, buildPayloads } from './types';
import { buildCreateInput, buildDeleteInput, buildRestoreInput, buildUpdateInput } from './inputs';
import { buildFilter, buildListArgs } from './filters';
import { buildOrder } from './orders';
import { byIdLoader, listsOf, liveParent, nodeColumnsOf, rowMapper } from './lists';
import { createService } from './service';
import { createBaseResolver } from './resolver';
import { withRelated } from './prefetch';
import { buildAggregates } from './aggregate-concern';
import { assertOpen, registerResource } from './registry';
import type { ResourceSpec } from './spec';
import { linkWhenAttachable, setAttachmentTarget, type AttachmentTarget } from './attachments';

/**
 * Turns one definition of a table into its GraphQL types, inputs, filter, order, loaders, lists,
 * service and base resolver, built once when the module is imported (type-graphql's metadata is
 * global), and registers it (src/resources/registry.ts derives every list from the resources).
 *
 * @example
 * export const teams = defineResource({
 *   name: 'Team', table: 'teams',
 *   columns: { name: col.text({ length: { min: 1, max: 255 }, create: 'required', update: true }) },
 *   permissions: { read: 'teams:read', create: 'teams:manage', update: 'teams:manage', delete: 'teams:manage' },
 *   mutations: { create: {}, update: {}, delete: { mode: 'hard' } },
 *   example: (n) => ({ name: `team ${n}` }),
 * });
 */
export function defineResource<S extends ResourceSpec>(spec: S): BuiltResource<S> {
  const model = buildModel(spec);
  const Node = buildNode(model);
  const Connection = buildConnection(model, Node) as unknown as new () => ConnectionShape<Record<string, unknown>>;
  const { Payload, DeletePayload } = buildPayloads(model, Node);
  const { Filter, apply } = buildFilter(model);
  const Order = buildOrder(model);
  const ListArgs = buildListArgs(model, Filter, Order);
  const m = spec.mutations ?? {};
  const inputs = {
    Create: m.create ? buildCreateInput(model) : undefined,
    Update: m.update ? buildUpdateInput(model) : undefined,
    Delete: m.delete ? buildDeleteInput(model) : undefined,
    Restore: m.restore ? buildRestoreInput(model) : undefined,
  } as BuiltResource['inputs'];
  if (m.restore && !model.soft) throw new Error(`${spec.name}: restore needs a soft delete`);
  if (model.soft) markSoftDeleted(spec.table as SoftDeletedTable);

  const fromRow = rowMapper(Node, model);
  const nodeColumns = nodeColumnsOf(model);
  const live = model.relations.filter((r) => r.requireLive);
  const rootScope = (): ((query: AnyQuery) => AnyQuery) | null => {
    const scopes = live.map((r) => {
      const target = r.target();
      return liveParent(model.alias, target.table, r.column, softDeletedTables().has(target.table));
    });
    const extra = spec.lists?.rootScope;
    if (extra) scopes.push((q) => extra(q, model.alias));
    return scopes.length ? (q) => scopes.reduce((acc, scope) => scope(acc), q) : null;
  };
  let leaf: (abstract new () => object) | null = null;
  const resource: BuiltResource<S> = {
    spec,
    model,
    typeName: model.typeName,
    table: model.table,
    soft: model.soft,
    Node,
    Connection,
    Payload: Payload as ClassType<object>,
    DeletePayload: DeletePayload as ClassType<object> | undefined,
    ListArgs: ListArgs as ClassType<object>,
    Filter: Filter as ClassType<object> | undefined,
    applyFilter: apply,
    Order,
    inputs,
    fromRow,
    nodeColumns,
    loaders: { byId: byIdLoader(model, fromRow) },
    rootScope,
    lists: listsOf(model, nodeColumns, apply, rootScope),
    service: createService(model, fromRow),
    aggregates: undefined as unknown as BuiltResource['aggregates'],
    BaseResolver: undefined as unknown as abstract new () => object,
    useResolver(Leaf) {
      if (Object.getPrototypeOf(Leaf) !== resource.BaseResolver)
        throw new Error(`${spec.name}: useResolver takes a direct subclass of ${spec.name}'s BaseResolver`);
      if (leaf) throw new Error(`${spec.name}: useResolver is called once (two leaves of one base lose fields)`);
      assertOpen(`${spec.name}.useResolver called`);
      leaf = Leaf;
    },
    leafResolver: () => leaf ?? resource.BaseResolver,
    prefetch: (ctx, info, connection) => withRelated(ctx, info, connection, model.relations),
    async parentsLive(ctx, node) {
      for (const r of live) {
        const id = node[r.idProperty] as string | null;
        if (id == null) continue;
        // A soft-deleted parent (its node's deletedAt) counts as gone, as findRow has it for writes.
        const found = (await ctx.loaders.use(r.target().byId).load(id)) as { deletedAt?: unknown } | null;
        if (!found || found.deletedAt) return false;
      }
      return true;
    },
  };
  Object.assign(resource, { BaseResolver: createBaseResolver(resource as unknown as BuiltResource) });
  Object.assign(resource, { aggregates: buildAggregates(resource as unknown as BuiltResource) });
  registerResource(resource as unknown as BuiltResource);
  if (spec.attachments) linkWhenAttachable(resource as unknown as BuiltResource, defineResource);
  return resource;
}

/**
 * Names the resource that attachments point at (every `attachments: { table }` declaration links
 * to it), and the permission that lists them; owners defined before it are linked now.
 *
 * @example
 * defineAttachmentTarget(documents, { read: 'documents:read' });
 */
export function defineAttachmentTarget(resource: BuiltResource, options: Omit<AttachmentTarget, 'resource'>): void {
  setAttachmentTarget({ resource, ...options }, defineResource);
}
