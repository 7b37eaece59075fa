import { Field, InputType } from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { Int } from 'type-graphql';
import { sql, type ComparisonOperatorExpression } from 'kysely';
import type { AnyQuery } from '../db/pagination';
import { OptionalText } from './text';

/**
 * Reusable filter inputs and the one way to apply each of them, so every list filters alike.
 *
 * @example
 * @Field(() => DateTimeFilter, { nullable: true }) joinedAt?: DateTimeFilter | null;
 * query = applyRange(query, 'm.joined_at', filter.joinedAt);
 */
@InputType({ description: 'A range of date-times; every bound given must hold.' })
export class DateTimeFilter {
  @Field(() => DateTimeResolver, { nullable: true }) gt?: Date | null;
  @Field(() => DateTimeResolver, { nullable: true }) gte?: Date | null;
  @Field(() => DateTimeResolver, { nullable: true }) lt?: Date | null;
  @Field(() => DateTimeResolver, { nullable: true }) lte?: Date | null;
}

@InputType({ description: 'Conditions on a text value; every one given must hold.' })
export class StringFilter {
  @OptionalText({ max: 1000 })
  eq?: string | null;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(100)
  in?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Contains this text, ignoring case.' })
  @IsOptional()
  @MaxLength(200)
  contains?: string | null;
}

@InputType({ description: 'Conditions on a reference (an id); every one given must hold.' })
export class IdFilter {
  @Field(() => UUIDResolver, { nullable: true }) eq?: string | null;

  @Field(() => [UUIDResolver], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(100)
  in?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true: no reference; false: any reference.' })
  isNull?: boolean | null;
}

@InputType({ description: 'Conditions on a whole number; every one given must hold.' })
export class IntFilter {
  @Field(() => Int, { nullable: true }) eq?: number | null;

  @Field(() => [Int], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(100)
  in?: number[] | null;

  @Field(() => Int, { nullable: true }) gt?: number | null;
  @Field(() => Int, { nullable: true }) gte?: number | null;
  @Field(() => Int, { nullable: true }) lt?: number | null;
  @Field(() => Int, { nullable: true }) lte?: number | null;
}

@InputType({ description: 'Conditions on a list of tags.' })
export class TagsFilter {
  @Field(() => [String], { nullable: true, description: 'Has every one of these tags.' })
  @IsOptional()
  @ArrayMaxSize(50)
  containsAll?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Has at least one of these tags.' })
  @IsOptional()
  @ArrayMaxSize(50)
  containsAny?: string[] | null;
}

const OPERATORS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** Applies a range filter (dates or numbers) to a column (`alias.column`). */
export function applyRange<V>(
  query: AnyQuery,
  column: string,
  range: Partial<Record<keyof typeof OPERATORS, V | null>> | null | undefined,
): AnyQuery {
  let q = query;
  for (const [bound, op] of Object.entries(OPERATORS) as [keyof typeof OPERATORS, ComparisonOperatorExpression][]) {
    const value = range?.[bound];
    if (value != null) q = q.where(column, op, value);
  }
  return q;
}

/** Applies a text filter; `contains` escapes LIKE wildcards, so `%` and `_` match themselves. */
export function applyString(query: AnyQuery, column: string, filter: StringFilter | null | undefined): AnyQuery {
  let q = query;
  if (filter?.eq != null) q = q.where(column, '=', filter.eq);
  if (filter?.in != null) q = applyIn(q, column, filter.in);
  if (filter?.contains != null) {
    const pattern = `%${filter.contains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<boolean>`${sql.ref(column)} ilike ${pattern}`);
  }
  return q;
}

/** Applies an id filter to a (nullable) reference column. */
export function applyId(query: AnyQuery, column: string, filter: IdFilter | null | undefined): AnyQuery {
  let q = query;
  if (filter?.eq != null) q = q.where(column, '=', filter.eq);
  if (filter?.in != null) q = applyIn(q, column, filter.in);
  if (filter?.isNull != null) q = q.where(column, filter.isNull ? 'is' : 'is not', null);
  return q;
}

/** Applies a number filter: equality, a list, and a range. */
export function applyInt(query: AnyQuery, column: string, filter: IntFilter | null | undefined): AnyQuery {
  let q = applyRange(query, column, filter);
  if (filter?.eq != null) q = q.where(column, '=', filter.eq);
  if (filter?.in != null) q = applyIn(q, column, filter.in);
  return q;
}

/** `column in (values)`; an empty list matches nothing. For enum lists (`status: [TODO, DONE]`) too. */
export function applyIn<V>(query: AnyQuery, column: string, values: readonly V[] | null | undefined): AnyQuery {
  if (values == null) return query;
  return values.length ? query.where(column, 'in', values) : query.where(sql<boolean>`false`);
}

/** Tags (a text[] column with a GIN index): `@>` for all of them, `&&` for any of them. */
export function applyTags(query: AnyQuery, column: string, filter: TagsFilter | null | undefined): AnyQuery {
  let q = query;
  if (filter?.containsAll != null)
    q = q.where(sql<boolean>`${sql.ref(column)} @> ${sql.val(filter.containsAll)}::text[]`);
  if (filter?.containsAny != null)
    q = q.where(sql<boolean>`${sql.ref(column)} && ${sql.val(filter.containsAny)}::text[]`);
  return q;
}
