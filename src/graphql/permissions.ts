import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { RequestTransaction } from '../db/request-transaction';
import { defineLoader } from './loaders';

/** The key of the caller's own permissions (there is one caller per request). */
export const CURRENT = 'current';

/**
 * What the caller may do in the current organization (roles of a user, or an API key's scope), once per request.
 *
 * @example
 * const granted = await ctx.loaders.use(viewerPermissions).load(CURRENT);
 */
export const viewerPermissions = defineLoader<string, string[]>('viewerPermissions', async (db, keys, request) => {
  const permissions = await currentPermissions(db, request);
  return keys.map(() => permissions);
});

/**
 * The caller's permissions inside a loader's batch: usually read with BEGIN already (see
 * RequestTransaction.permissions), asked for otherwise.
 *
 * @example
 * if (!(await currentPermissions(db, request)).includes('users:read')) ...
 */
export async function currentPermissions(db: Kysely<Database>, request: RequestTransaction): Promise<string[]> {
  return (
    request.permissions ??
    (await sql<{ permissions: string[] }>`select app.current_permissions() as permissions`.execute(db)).rows[0]!
      .permissions
  );
}
