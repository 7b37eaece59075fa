import { sql, type Kysely, type Selectable } from 'kysely';
import { NotFoundError } from '../../errors';
import type { Database, UploadsTable } from '../../db/schema';
import { UPLOAD_LIFETIME_HOURS } from '../../db/upload-cleanup';

/** How long an upload waits to be used: the cleanup's (src/db/upload-cleanup.ts), which deletes it after that. */
export const UPLOAD_LIFETIME = `${UPLOAD_LIFETIME_HOURS} hours`;

/**
 * Marks an upload used and answers it, in the caller's transaction: one of the caller's own (the
 * same user, or the same API key), not used before and not older than a day. Anything else (used,
 * expired, another user's or tenant's, made up) is the same NOT_FOUND naming `uploadId`. Two
 * requests racing for one upload: the second waits for the first's row lock and then finds it used.
 *
 * @example
 * const upload = await useUpload(db, input.uploadId as string);
 * values.checksum = upload.checksum;
 */
export async function useUpload(db: Kysely<Database>, id: string): Promise<Selectable<UploadsTable>> {
  const upload = await db
    .updateTable('uploads')
    .set({ used_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('created_at', '>', sql<Date>`now() - ${UPLOAD_LIFETIME}::interval`)
    .where(sql<boolean>`created_by is not distinct from app.current_user_id()`)
    .where(sql<boolean>`api_key_id is not distinct from app.current_api_key_id()`)
    .returningAll()
    .executeTakeFirst();
  if (!upload) throw new NotFoundError('Upload', 'uploadId');
  return upload;
}
