import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { sql, type Kysely } from 'kysely';
import type { Context } from '../../graphql/context';
import { BadUserInputError, NotFoundError } from '../../errors';
import { findRow } from '../../db/rows';
import type { Database } from '../../db/schema';
import { col, defineResource, parent, type BuiltResource } from '../../resources';

// Folder.parent and Folder.children point at folders themselves: a declared type ends the inference cycle.
const self = (): BuiltResource => folders;

/** The ids of a folder and every folder under it, live or not (its path is a prefix of theirs). */
export const folderSubtree = (db: Kysely<Database>, id: string) =>
  db
    .selectFrom('folders')
    .select('id')
    .where(sql<boolean>`path @> array[${id}::uuid]`);

/** A folder named in an input: a missing or deleted one is a bad value of that field. */
export async function liveFolder(db: Kysely<Database>, id: string, field: string) {
  return findRow(db, 'folders', id, 'Folder').catch((error: unknown) => {
    throw error instanceof NotFoundError
      ? new BadUserInputError(field, 'There is no such live folder you can see')
      : error;
  });
}

export const folders = defineResource({
  name: 'Folder',
  table: 'folders',
  description:
    'A folder of documents. Folders nest at most 10 levels deep; names are unique among the live folders of one parent.',
  relations: {
    parent: parent(self, {
      column: 'parent_id',
      field: 'parent',
      nullable: true,
      description: 'The folder this one is in; null at the top level.',
      input: {
        create: 'optional',
        update: true,
        description: 'The folder to put it in (null: the top level); moving takes its sub-folders and documents along.',
      },
      filter: { description: 'isNull: true for top-level folders.' },
      mustExist: true,
      inverse: { field: 'children', description: 'The folders directly in this one.', loaderName: 'childrenOfFolder' },
    }),
  },
  columns: {
    name: col.text({ length: { min: 1, max: 255 }, create: 'required', update: true, filter: 'string' }),
    description: col.text({ dbDefault: true, length: { max: 10000 }, create: 'optional', update: true }),
    // The ids from the top folder down to this one, kept by the database (app.folder_tree): Folder.path and depth read it.
    path: col.tags({ dbDefault: true, expose: false }),
  },
  timestamps: {
    createdAt: true,
    updatedAt: true,
    deletedAt: { description: 'Set when the folder is deleted, with everything in it (restoreFolder brings it back).' },
  },
  permissions: {
    read: 'documents:read',
    create: 'documents:write',
    update: 'documents:write',
    // MANAGE on it (or documents:manage where no grant decides): the database checks (app.document_write_allowed).
    delete: 'documents:write',
    seeDeleted: 'documents:manage',
  },
  lists: {
    orders: {
      name_asc: { column: 'name', direction: 'asc', type: 'text' },
      created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
    },
    root: { description: 'Folders of the organization, at every level (filter parentId: {isNull: true} for the top).' },
    byId: { description: 'A folder by id; null when there is none the caller can see.' },
    alias: 'f',
  },
  mutations: {
    create: {},
    update: { inputDescription: 'The fields to change; parentId moves the folder (null: to the top level).' },
    delete: {
      mode: 'soft',
      description: 'Soft-deletes a folder with its sub-folders and their documents; restoreFolder brings them back.',
    },
    restore: {},
  },
  violations: {
    folders_name_key: ['name', 'The folder already holds a folder with that name'],
    folders_name_check: ['name', 'The name must be 1 to 255 characters, not only spaces'],
    folders_depth: ['parentId', 'Folders nest at most 10 levels deep'],
    folders_no_cycle: ['parentId', 'A folder cannot be moved into itself or one of its own sub-folders'],
    folders_not_own_parent: ['parentId', 'A folder cannot be moved into itself or one of its own sub-folders'],
    folders_parent_fkey: ['parentId', 'There is no such live folder you can see'],
  },
  fieldColumns: { path: ['path'], depth: ['path'] },
  rules: {
    // A move goes into a live folder (the database refuses cycles and depth); the path follows.
    async beforeUpdate(ctx, current, changes) {
      const parentId = changes.parent_id as string | null | undefined;
      if (parentId && parentId !== current.parent_id) await liveFolder(await ctx.db.get(), parentId, 'parentId');
    },
    // Everything under it goes with it, at the same instant (now() is the transaction's), so a
    // restore can tell what this delete took from what was deleted before.
    async afterSetDeleted(ctx, row, deleted) {
      if (!deleted) return;
      const db = await ctx.db.get();
      const id = row.id as string;
      await db
        .updateTable('folders')
        .set({ deleted_at: sql<Date>`now()` })
        .where('id', 'in', folderSubtree(db, id))
        .where('deleted_at', 'is', null)
        .execute();
      await db
        .updateTable('documents')
        .set({ deleted_at: sql<Date>`now()` })
        .where('folder_id', 'in', folderSubtree(db, id))
        .where('deleted_at', 'is', null)
        .execute();
    },
    // A folder in a deleted folder waits for it; what its delete took comes back with it.
    async beforeSetDeleted(ctx, current, deleted) {
      if (deleted) return;
      const db = await ctx.db.get();
      const parentId = current.parent_id as string | null;
      if (parentId) {
        const found = await findRow(db, 'folders', parentId, 'Folder', { deleted: 'include' });
        if (found.deleted_at) throw new BadUserInputError('id', 'Its folder is deleted; restore that folder first');
      }
      const id = current.id as string;
      // The instant of this folder's delete, read in SQL (a Date would lose the microseconds).
      const when = db.selectFrom('folders').select('deleted_at').where('id', '=', id);
      await db
        .updateTable('folders')
        .set({ deleted_at: null })
        .where('id', 'in', folderSubtree(db, id))
        .where('id', '<>', id)
        .where('deleted_at', '=', when)
        .execute();
      await db
        .updateTable('documents')
        .set({ deleted_at: null })
        .where('folder_id', 'in', folderSubtree(db, id))
        .where('deleted_at', '=', when)
        .execute();
    },
  },
  example: (n) => ({ name: `Folder ${n}` }),
});

type FolderNode = Record<string, unknown> & { id: string; path: string[] };

/** What the generic resolver cannot say: the path from the top and the depth. */
@Resolver(() => folders.Node)
export class FolderResolver extends folders.BaseResolver {
  @FieldResolver(() => [folders.Node], {
    description: 'The folders from the top level down to this one (itself last).',
  })
  async path(@Root() folder: FolderNode, @Ctx() ctx: Context): Promise<Record<string, unknown>[]> {
    const found = await ctx.loaders.use(folders.loaders.byId).loadMany(folder.path);
    // An ancestor the caller may not see (document permissions) is left out of the path.
    return found.filter((f): f is Record<string, unknown> => !!f && !(f instanceof Error));
  }

  @FieldResolver(() => Int, { description: '1 for a top-level folder, at most 10.' })
  depth(@Root() folder: FolderNode): number {
    return folder.path.length;
  }
}
folders.useResolver(FolderResolver);
