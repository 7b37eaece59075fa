import {
  type ClassType,
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Info,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { UUIDResolver } from 'graphql-scalars';
import { allowDeleted } from '../graphql/auth-checker';
import { ConnectionArgs, type ConnectionShape } from '../graphql/connection';
import { organizationOf, type Context } from '../graphql/context';
import { NotFoundError } from '../errors';
import { defineMethod, defined, named, type AnyClass } from './decorate';
import type { BuiltResource, RelationModel } from './model';

type Node = Record<string, unknown>;
type ListArgs = {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: Record<string, unknown> | null;
  orderBy?: string | null;
  includeDeleted?: boolean;
};

/** Loads one page of a resource's list and prefetches what its selection asks for. */
async function loadList(
  r: BuiltResource,
  list: ReturnType<BuiltResource['lists']['root']>,
  parentId: string,
  args: ListArgs,
  ctx: Context,
  info: GraphQLResolveInfo,
): Promise<ConnectionShape<Node>> {
  const includeDeleted = r.soft ? await allowDeleted(ctx, args.includeDeleted, r.model.permissions.seeDeleted) : false;
  const connection = await list.load(
    ctx.loaders,
    { parentId, args: { ...args, includeDeleted } },
    new r.Connection(),
    r.fromRow,
    info,
  );
  return r.prefetch(ctx, info, connection);
}

/**
 * The resource's base resolver (type-graphql's resolver inheritance): the root list and by-id
 * queries, one field resolver per parent relation, and the mutations, each the "same three-line
 * body" once. A subclass adds what is special and is passed to `useResolver`.
 */
export function createBaseResolver(r: BuiltResource): abstract new () => object {
  const { model } = r;
  const { names, spec, permissions } = model;
  const Base = named(`${model.typeName}BaseResolver`, class {});
  const lists = spec.lists ?? {};

  if (lists.root) {
    defineMethod(
      Base,
      names.rootList,
      (args: ListArgs, ctx: Context, info: GraphQLResolveInfo) =>
        loadList(r, r.lists.root(), organizationOf(ctx), args, ctx, info),
      [
        Authorized(permissions.read),
        Query(() => r.Connection, defined({ nullable: true, description: lists.root.description })),
      ],
      [Args(() => r.ListArgs), Ctx(), Info()],
    );
  }

  if (lists.byId) {
    const soft = model.soft;
    defineMethod(
      Base,
      names.byId,
      async (...a: unknown[]) => {
        const [id, includeDeleted, ctx] = (soft ? a : [a[0], false, a[1]]) as [string, boolean, Context];
        const node = await ctx.loaders.use(r.loaders.byId).load(id);
        if (!node) return null;
        if (soft && node.deletedAt && !(await allowDeleted(ctx, includeDeleted, permissions.seeDeleted))) return null;
        return (await r.parentsLive(ctx, node)) ? node : null;
      },
      [
        Authorized(permissions.read),
        Query(() => r.Node, defined({ nullable: true, description: lists.byId.description })),
      ],
      [
        Arg('id', () => UUIDResolver),
        ...(soft
          ? [
              Arg('includeDeleted', () => Boolean, {
                defaultValue: false,
                description: `Answer a deleted ${model.label.replace(/(?<!^)[A-Z]/g, (c) => ` ${c}`).toLowerCase()} too (needs ${permissions.seeDeleted}).`,
              }),
            ]
          : []),
        Ctx(),
      ],
    );
  }

  for (const rel of model.relations) if (rel.field) parentField(Base, rel, rel.field);

  const m = spec.mutations ?? {};
  const payload = (node: object) => Object.assign(new r.Payload(), { [names.payloadField]: node });
  const mutation = (
    key: string,
    permission: string | undefined,
    description: string | undefined,
    returns: () => object,
    Input: () => object,
    run: (input: Node, ctx: Context) => Promise<object>,
  ) => {
    if (!permission) throw new Error(`${model.typeName}.${key}: a mutation needs a permission`);
    defineMethod(
      Base,
      key,
      run,
      [Authorized(permission), Mutation(returns, defined({ description }))],
      [Arg('input', Input), Ctx()],
    );
  };
  if (m.create)
    mutation(
      names.create,
      m.create.permission ?? permissions.create,
      m.create.description,
      () => r.Payload,
      () => r.inputs.Create!,
      async (input, ctx) => payload(await r.service.create(ctx, input)),
    );
  if (m.update)
    mutation(
      names.update,
      m.update.permission ?? permissions.update,
      m.update.description,
      () => r.Payload,
      () => r.inputs.Update!,
      async (input, ctx) => payload(await r.service.update(ctx, input)),
    );
  if (m.delete) {
    const hard = m.delete.mode === 'hard';
    mutation(
      names.delete,
      m.delete.permission ?? permissions.delete,
      m.delete.description,
      () => (hard ? r.DeletePayload! : r.Payload),
      () => r.inputs.Delete!,
      async (input, ctx) =>
        hard
          ? Object.assign(new r.DeletePayload!(), { [names.deletedIdField]: await r.service.remove(ctx, input) })
          : payload(await r.service.setDeleted(ctx, input.id as string, true)),
    );
  }
  if (m.restore)
    mutation(
      names.restore,
      m.restore.permission ?? permissions.delete,
      m.restore.description,
      () => r.Payload,
      () => r.inputs.Restore!,
      async (input, ctx) => payload(await r.service.setDeleted(ctx, input.id as string, false)),
    );

  Resolver(() => r.Node)(Base);
  return Base;
}

/** `TeamMember.team`: one batched by-id load per level; a prefetched value answers without it. */
function parentField(Base: AnyClass, rel: RelationModel, field: string): void {
  defineMethod(
    Base,
    field,
    (node: Node, ctx: Context) => {
      const prefetched = rel.prefetch ? node[field] : undefined;
      if (prefetched !== undefined) return prefetched;
      const id = node[rel.idProperty] as string | null;
      if (id == null) return null;
      const target = rel.target();
      return ctx.loaders
        .use(target.byId)
        .load(id)
        .then((found) => {
          if (!found && !rel.nullable) throw new NotFoundError(target.label);
          return found;
        });
    },
    [
      FieldResolver(
        () => rel.target().type(),
        defined({ nullable: rel.nullable || undefined, description: rel.description }),
      ),
    ],
    [Root(), Ctx()],
  );
}

/** An inverse list on a parent type: which child, through which relation. */
export interface InverseModel {
  child: BuiltResource;
  relation: RelationModel;
}

/**
 * One resolver class per parent type holding every inverse list pointing at it (Team.members,
 * Organization.teams), the shape of a hand `@Resolver(() => Organization) class OrganizationTeamsResolver`.
 * Two children claiming one field name fail here (defineMethod), not as a silent overwrite.
 */
export function inverseResolver(
  parentTypeName: string,
  parentType: () => ClassType<object>,
  inverses: readonly InverseModel[],
): AnyClass {
  const Relations = named(`${parentTypeName}Relations`, class {});
  for (const { child, relation } of inverses) {
    const inv = relation.inverse!;
    const list = child.lists.by(relation.column, inv.loaderName ?? `${child.model.names.plural}Of${parentTypeName}`);
    defineMethod(
      Relations,
      inv.field,
      (parent: { id: string }, args: ListArgs, ctx: Context, info: GraphQLResolveInfo) =>
        loadList(child, list, parent.id, args, ctx, info),
      [
        ...(inv.read ? [Authorized(inv.read)] : []),
        FieldResolver(
          () => child.Connection,
          defined({ nullable: inv.read ? true : undefined, description: inv.description }),
        ),
      ],
      [Root(), Args(() => ((inv.args ?? 'list') === 'page' ? ConnectionArgs : child.ListArgs)), Ctx(), Info()],
    );
  }
  Resolver(parentType)(Relations);
  return Relations;
}
