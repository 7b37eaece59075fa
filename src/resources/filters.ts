import { ArgsType, Field, InputType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, ValidateNested } from 'class-validator';
import type { AnyQuery } from '../db/pagination';
import { ConnectionArgs } from '../graphql/connection';
import {
  applyId,
  applyIn,
  applyInt,
  applyRange,
  applyString,
  applyTags,
  DateTimeFilter,
  IdFilter,
  IntFilter,
  StringFilter,
  TagsFilter,
} from '../graphql/filters';
import { decorateProperty, defined, named, type AnyClass } from './decorate';
import type { ResourceModel } from './model';
import type { FilterKind } from './spec';

type Apply = (query: AnyQuery, column: string, value: never) => AnyQuery;

// The shared filter inputs and their appliers (src/graphql/filters.ts): every list filters alike.
const INPUTS: Record<Exclude<FilterKind, 'enum' | 'enumList'>, AnyClass> = {
  id: IdFilter,
  string: StringFilter,
  int: IntFilter,
  dateTime: DateTimeFilter,
  tags: TagsFilter,
};
const APPLY: Record<FilterKind, Apply> = {
  id: applyId,
  string: applyString,
  int: applyInt,
  dateTime: applyRange,
  tags: applyTags,
  enumList: applyIn,
  enum: (q, column, value: unknown) => (value == null ? q : q.where(column, '=', value)),
};

/**
 * `${T}Filter` and the function that applies it, from one field list, so the two cannot disagree.
 * The list's alias qualifies each column (`t.status`).
 */
export function buildFilter(model: ResourceModel): {
  Filter?: AnyClass;
  apply: (query: AnyQuery, value: Record<string, unknown> | null) => AnyQuery;
} {
  const fields = model.hasFilter ? model.filterFields : [];
  const columns = fields.map((f) => `${model.alias}.${f.column}`);
  const apply = (query: AnyQuery, value: Record<string, unknown> | null): AnyQuery => {
    if (!value) return query;
    let q = query;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      q = APPLY[f.kind](q, columns[i]!, value[f.name] as never);
    }
    return q;
  };
  if (!fields.length) return { apply };
  const Filter = named(model.names.filter, class {});
  for (const f of fields) {
    const options = defined({ nullable: true, description: f.description });
    decorateProperty(
      Filter,
      f.name,
      f.kind === 'enumList'
        ? // At most one of each value (as the hand filters had it): longer lists are a mistake.
          [Field(() => [f.enum!], options), IsOptional(), ArrayMaxSize(10)]
        : f.kind === 'enum'
          ? [Field(() => f.enum!, options)]
          : [Field(() => INPUTS[f.kind as keyof typeof INPUTS], options), ValidateNested()],
    );
  }
  InputType(model.names.filter, { description: model.names.filterDescription })(Filter);
  return { Filter, apply };
}

/**
 * The arguments of the resource's lists: `first/after/last/before` (inherited, so they come
 * first), then `filter`, `orderBy` and `includeDeleted` as the resource has them.
 */
export function buildListArgs(model: ResourceModel, Filter: AnyClass | undefined, Order: object | undefined): AnyClass {
  if (!Filter && !Order && !model.soft) return ConnectionArgs;
  const Args = named(model.names.listArgs, class extends ConnectionArgs {});
  if (Filter) decorateProperty(Args, 'filter', [Field(() => Filter, { nullable: true }), ValidateNested()]);
  if (Order)
    decorateProperty(Args, 'orderBy', [
      Field(() => Order, { nullable: true, description: `Default ${model.defaultOrder!.toUpperCase()}.` }),
    ]);
  if (model.soft)
    decorateProperty(Args, 'includeDeleted', [
      Field(() => Boolean, { defaultValue: false, description: model.names.includeDeletedDescription }),
    ]);
  ArgsType()(Args);
  return Args;
}
