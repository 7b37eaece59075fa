/**
 * A GraphQL enum for a checked text column: `ALUMNI_ACTIVE` <-> 'alumni_active'. Register it with
 * type-graphql's `registerEnumType` next to the type that uses it.
 *
 * @example
 * export const TaskStatusEnum = enumOf(TASK_STATUSES);
 * registerEnumType(TaskStatusEnum, { name: 'TaskStatus' });
 */
export function enumOf<T extends string>(values: readonly T[]): Record<Uppercase<T>, T> {
  return Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as Record<Uppercase<T>, T>;
}
