import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/**
 * A statement of fixed text whose only values are its arguments, built with Kysely on first use
 * and then run from its compiled SQL: a loader's `where id = any($1)` costs one Kysely build and
 * compile per process instead of one per batch. The build must put each argument into the SQL as
 * one parameter, in order (checked on the first build, which otherwise throws).
 *
 * @example
 * const usersByIds = fixedStatement((db: Kysely<Database>, ids: readonly string[]) =>
 *   db.selectFrom('users').select(['id', 'email']).where('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`),
 * );
 * const rows = await usersByIds(db, ids);
 */
export function fixedStatement<DB, Args extends unknown[], Row>(
  build: (db: Kysely<DB>, ...args: Args) => Compilable<Row>,
): (db: Kysely<DB>, ...args: Args) => Promise<Row[]> {
  let text: string | undefined;
  return async (db, ...args) => {
    if (text === undefined) {
      const compiled = build(db, ...args).compile();
      if (compiled.parameters.length !== args.length || compiled.parameters.some((value, i) => value !== args[i]))
        throw new Error('fixedStatement: the statement must take exactly its arguments as parameters, in order');
      text = compiled.sql;
    }
    return (await db.executeQuery<Row>(CompiledQuery.raw(text, args))).rows;
  };
}
