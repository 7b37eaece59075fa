import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { findRow, setDeleted } from '../db/rows';
import { organizationOf, type Context } from '../graphql/context';
import { NotFoundError, onViolation } from '../errors';
import type { FieldModel, RelationModel, ResourceModel } from './model';

type Row = Record<string, unknown>;
type Input = Record<string, unknown>;

export interface ResourceService {
  create(ctx: Context, input: Input): Promise<Row>;
  update(ctx: Context, input: Input): Promise<Row>;
  /** Hard delete by id or by the spec's natural key; answers the deleted id. */
  remove(ctx: Context, input: Input): Promise<string>;
  /** Soft delete (true) or restore (false). */
  setDeleted(ctx: Context, id: string, deleted: boolean): Promise<Row>;
}

// Kysely cannot type a query over a table chosen at run time (as src/db/rows.ts): one boundary.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const untyped = (db: Kysely<Database>) => db as unknown as Kysely<any>;
type FoundTable = Parameters<typeof findRow>[1];
type SoftTable = Parameters<typeof setDeleted>[1];

/**
 * The writes of one resource, in the order of checks the hand services shared: a create finds
 * its parents (NOT_FOUND labelled as the parent), runs `beforeCreate`, inserts; an update finds
 * the row FOR UPDATE and its live parents (labelled as the row), runs `beforeUpdate`, updates only
 * what changed; a delete finds the row and runs `beforeDelete` before the write. Constraint
 * violations become field errors through the spec's `violations`.
 */
export function createService(model: ResourceModel, fromRow: (row: Row) => Row): ResourceService {
  const rules = model.spec.rules ?? {};
  const onRule = onViolation(model.spec.violations ?? {});
  const table = model.table as FoundTable;
  const parentsOnCreate = model.relations.filter((r) => r.mustExist);
  const liveParents = model.relations.filter((r) => r.requireLive);
  const by = (model.spec.mutations?.delete || undefined)?.by;
  const lockable = !!model.spec.mutations?.update || model.soft;
  const byColumns = by?.map((field) => model.nodeFields.find((f) => f.field === field)!.column);

  /** Input -> column values: trim text, map null per clearTo, skip what is absent. */
  const columnsOf = (input: Input, fields: readonly FieldModel[]) => {
    const values: Row = {};
    for (const f of fields) {
      const v = input[f.field];
      if (v === undefined || f.inputOnly) continue;
      if (v === null) {
        if (f.clearTo !== 'unchanged') values[f.column] = f.clearTo;
        continue;
      }
      values[f.column] = f.trim && typeof v === 'string' ? v.trim() : v;
    }
    return values;
  };
  const findParent = (db: Kysely<Database>, r: RelationModel, id: unknown, label: string) =>
    findRow(db, r.target().table as FoundTable, id as string, label);
  const checkLiveParents = async (db: Kysely<Database>, current: Row) => {
    for (const r of liveParents) await findParent(db, r, current[r.column], model.label);
  };

  return {
    async create(ctx, input) {
      const db = await ctx.db.get();
      for (const r of parentsOnCreate) {
        const id = input[r.idProperty];
        if (id != null) await findParent(db, r, id, r.target().label);
      }
      const values: Row = { organization_id: organizationOf(ctx), ...columnsOf(input, model.createFields) };
      await rules.beforeCreate?.(ctx, values, input);
      const row = await (
        rules.insert
          ? rules.insert(ctx, values, input)
          : untyped(db).insertInto(model.table).values(values).returningAll().executeTakeFirstOrThrow()
      ).catch(onRule);
      return fromRow(row as Row);
    },

    async update(ctx, input) {
      const db = await ctx.db.get();
      const current = (await findRow(db, table, input.id as string, model.label, { forUpdate: true })) as Row;
      await checkLiveParents(db, current);
      const changes = columnsOf(input, model.updateFields);
      await rules.beforeUpdate?.(ctx, current, changes, input);
      if (!Object.keys(changes).length) return fromRow(current);
      const row = await untyped(db)
        .updateTable(model.table)
        .set(changes)
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch(onRule);
      return fromRow(row as Row);
    },

    async remove(ctx, input) {
      const db = await ctx.db.get();
      // By a natural key naming a live parent: the parent first, labelled as itself (NOT_FOUND 'Project').
      const parentsFirst = by ? liveParents.filter((r) => by.includes(r.idProperty)) : [];
      for (const r of parentsFirst) await findParent(db, r, input[r.idProperty], r.target().label);
      const where = byColumns
        ? byColumns.map((column, i) => [column, input[by![i]!]] as const)
        : [['id', input.id] as const];
      // Without rules to consult, one statement: delete what matches, NOT_FOUND when nothing did.
      if (!rules.beforeDelete && !liveParents.length) {
        let query = untyped(db).deleteFrom(model.table);
        for (const [column, value] of where) query = query.where(column, '=', value);
        const row = (await query.returning('id').executeTakeFirst().catch(onRule)) as Row | undefined;
        if (!row) throw new NotFoundError(model.label);
        return row.id as string;
      }
      let find = untyped(db).selectFrom(model.table).selectAll();
      for (const [column, value] of where) find = find.where(column, '=', value);
      // FOR UPDATE needs an UPDATE grant, which a table without updates (project_members) lacks.
      if (lockable) find = find.forUpdate();
      const current = (await find.executeTakeFirst()) as Row | undefined;
      if (!current) throw new NotFoundError(model.label);
      for (const r of liveParents)
        if (!parentsFirst.includes(r)) await findParent(db, r, current[r.column], model.label);
      await rules.beforeDelete?.(ctx, current);
      await untyped(db).deleteFrom(model.table).where('id', '=', current.id).execute().catch(onRule);
      return current.id as string;
    },

    async setDeleted(ctx, id, deleted) {
      const db = await ctx.db.get();
      const current = (await findRow(db, table, id, model.label, {
        deleted: deleted ? 'exclude' : 'only',
        forUpdate: true,
      })) as Row;
      await checkLiveParents(db, current);
      if (deleted) await rules.beforeDelete?.(ctx, current);
      await rules.beforeSetDeleted?.(ctx, current, deleted);
      const row = (await setDeleted(db, model.table as SoftTable, id, model.label, deleted).catch(onRule)) as Row;
      await rules.afterSetDeleted?.(ctx, row, deleted);
      return fromRow(row);
    },
  };
}
