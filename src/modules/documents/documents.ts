import { ArrayMaxSize, Length } from 'class-validator';
import { BadUserInputError, NotFoundError } from '../../errors';
import { findRow } from '../../db/rows';
import { DOCUMENT_STATUSES } from '../../db/schema';
import type { KeysetSort } from '../../db/pagination';
import { col, defineAttachmentTarget, defineResource, external, parent } from '../../resources';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import { projects } from '../work/projects';
import { DocumentStatusEnum } from './documents.enums';
import { folders, liveFolder } from './folders';
import { useUpload } from './uploads';

const userRef = external({ typeName: 'User', type: () => User, table: 'users', byId: userById, label: 'User' });
const normalizeTags = (tags: readonly string[]) => [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
const FILE = 'Of the current version, from its upload.';

export const DOCUMENT_ORDERS = {
  updated_at_desc: { column: 'updated_at', direction: 'desc', type: 'timestamp' },
  created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
  title_asc: { column: 'title', direction: 'asc', type: 'text' },
} as const satisfies Record<string, KeysetSort>;

/**
 * Documents (seed 003): a file with versions, in a folder or at the top level, optionally of a
 * project (a private project's documents are its members'). The file columns are the current
 * version's, kept by the database (migration 0025); createDocument takes them from an upload.
 */
export const documents = defineResource({
  name: 'Document',
  table: 'documents',
  description: 'A file with its versions; fileName, size, mimeType and checksum are the current version’s.',
  relations: {
    folder: parent(() => folders, {
      column: 'folder_id',
      field: 'folder',
      nullable: true,
      input: {
        create: 'optional',
        update: true,
        description: 'The folder it is in (null: the top level); changing it moves the document.',
      },
      filter: { description: 'isNull: true for documents at the top level.' },
      mustExist: true,
      aggregateGroupBy: true,
      inverse: {
        field: 'documents',
        description: 'The documents directly in this folder.',
        loaderName: 'documentsOfFolder',
      },
    }),
    project: parent(() => projects, {
      column: 'project_id',
      field: 'project',
      nullable: true,
      input: { create: 'optional', update: true, description: 'The project it belongs to, if any.' },
      filter: true,
      mustExist: true,
      aggregateGroupBy: true,
      inverse: { field: 'documents', read: 'documents:read', loaderName: 'documentsOfProject' },
    }),
    owner: parent(userRef, {
      column: 'owner_id',
      field: 'owner',
      nullable: true,
      description: 'Who created it (null for an API key’s).',
      filter: true,
    }),
  },
  columns: {
    title: col.text({
      length: { min: 1, max: 500 },
      create: 'required',
      update: true,
      filter: { kind: 'string', description: 'On the title (contains: ignoring case).' },
    }),
    description: col.text({ dbDefault: true, length: { max: 100000 }, create: 'optional', update: true }),
    fileName: col.text({ description: FILE }),
    size: col.float({ description: `Bytes. ${FILE}`, aggregate: { measures: ['sum', 'min', 'max'] } }),
    mimeType: col.text({ description: `Detected from the bytes. ${FILE}` }),
    checksum: col.text({ description: `SHA-256 of the bytes, lower-case hex. ${FILE}` }),
    currentVersion: col.int({
      dbDefault: true,
      description: 'The number of the current version (1 for a new document).',
    }),
    status: col.enum(DOCUMENT_STATUSES, DocumentStatusEnum, {
      dbDefault: true,
      create: { required: true, defaultValue: 'draft' },
      update: true,
      filter: 'enumList',
      aggregate: { groupBy: true },
    }),
    tags: col.tags({
      dbDefault: true,
      create: 'optional',
      update: true,
      filter: 'tags',
      clearTo: [],
      validate: () => [ArrayMaxSize(50), Length(1, 50, { each: true, message: 'each tag must be 1 to 50 characters' })],
    }),
    metadata: col.json({
      dbDefault: true,
      create: 'optional',
      update: { description: 'Replaces the metadata.' },
      clearTo: {},
    }),
  },
  timestamps: {
    createdAt: true,
    updatedAt: true,
    deletedAt: { description: 'Set when the document is deleted (restoreDocument brings it back).' },
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
    orders: DOCUMENT_ORDERS,
    root: { description: 'Documents the caller can see, the last changed first.' },
    byId: { description: 'A document by id; null when there is none the caller can see.' },
    alias: 'd',
  },
  mutations: {
    create: {
      description: 'Creates a document, and its version 1, from an upload (POST /uploads) of the caller’s.',
      inputs: {
        uploadId: col.uuid({
          create: 'required',
          description: 'An upload of the caller’s, used at most once and within a day of its upload.',
        }),
      },
      order: ['uploadId', 'folderId', 'projectId', 'title', 'description', 'status', 'tags', 'metadata'],
    },
    update: { inputDescription: 'The fields to change; folderId moves the document (null: to the top level).' },
    delete: { mode: 'soft' },
    restore: {},
  },
  violations: {
    documents_title_check: ['title', 'The title must be 1 to 500 characters, not only spaces'],
    documents_tags_check: ['tags', 'At most 50 tags'],
    documents_metadata_check: ['metadata', 'The metadata must be an object of at most 64 KiB'],
    documents_folder_fkey: ['folderId', 'There is no such live folder you can see'],
    documents_project_fkey: ['projectId', 'There is no such project you can see'],
  },
  rules: {
    async beforeCreate(ctx, values, input) {
      const upload = await useUpload(await ctx.db.get(), input.uploadId as string);
      Object.assign(values, {
        file_name: upload.file_name,
        size: upload.size,
        mime_type: upload.mime_type,
        checksum: upload.checksum,
        owner_id: ctx.viewer?.userId ?? null,
        tags: normalizeTags((input.tags as string[] | null | undefined) ?? []),
        metadata: JSON.stringify(input.metadata ?? {}),
      });
    },
    async beforeUpdate(ctx, current, changes) {
      if (changes.tags) changes.tags = normalizeTags(changes.tags as string[]);
      if (changes.metadata) changes.metadata = JSON.stringify(changes.metadata);
      const folderId = changes.folder_id as string | null | undefined;
      if (folderId && folderId !== current.folder_id) await liveFolder(await ctx.db.get(), folderId, 'folderId');
      // The foreign key would take a project the caller cannot see (it checks without RLS).
      const projectId = changes.project_id as string | null | undefined;
      if (projectId && projectId !== current.project_id)
        await findRow(await ctx.db.get(), 'projects', projectId, 'Project').catch((error: unknown) => {
          throw error instanceof NotFoundError
            ? new BadUserInputError('projectId', 'There is no such project you can see')
            : error;
        });
    },
    // A document of a deleted folder waits for the folder.
    async beforeSetDeleted(ctx, current, deleted) {
      const folderId = current.folder_id as string | null;
      if (deleted || !folderId) return;
      const folder = await findRow(await ctx.db.get(), 'folders', folderId, 'Document', { deleted: 'include' });
      if (folder.deleted_at) throw new BadUserInputError('id', 'Its folder is deleted; restore the folder first');
    },
  },
  example: (n) => ({
    title: `Document ${n}`,
    file_name: `document-${n}.txt`,
    size: 100 + n,
    mime_type: 'text/plain',
    checksum: (n.toString(16).padStart(8, '0') + 'a'.repeat(56)).slice(0, 64),
  }),
});

// What `attachments: { table }` links a resource's rows to (tasks, projects; later photos and
// assessment attachments): listed with documents:read, each link seen while its document is.
defineAttachmentTarget(documents, { read: 'documents:read' });
