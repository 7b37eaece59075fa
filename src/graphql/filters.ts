import { Field, InputType } from 'type-graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { sql, type ComparisonOperatorExpression } from 'kysely';
import type { AnyQuery } from '../db/pagination';

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
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(1000)
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

const OPERATORS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** Applies a range filter (dates or numbers) to a column (`alias.column`). */
export function applyRange<V>(query: AnyQuery, column: string, range: Partial<Record<keyof typeof OPERATORS, V | null>> | null | undefined): AnyQuery {
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
  if (filter?.in != null) q = filter.in.length ? q.where(column, 'in', filter.in) : q.where(sql<boolean>`false`);
  if (filter?.contains != null) {
    const pattern = `%${filter.contains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<boolean>`${sql.ref(column)} ilike ${pattern}`);
  }
  return q;
}
