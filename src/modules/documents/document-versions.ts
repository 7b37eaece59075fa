import { Arg, Authorized, Ctx, Field, InputType, Mutation, ObjectType, Resolver } from 'type-graphql';
import { UUIDResolver } from 'graphql-scalars';
import type { Context } from '../../graphql/context';
import { OptionalText } from '../../graphql/text';
import { findRow } from '../../db/rows';
import { col, defineResource, parent } from '../../resources';
import { documents } from './documents';
import { useUpload } from './uploads';

/**
 * Versions of a document (seed 003): immutable, numbered by the database (migration 0025: the
 * next number under the document's row lock, so gap-free under concurrent uploads). Version 1 is
 * written with the document; addDocumentVersion adds the next from an upload.
 */
export const documentVersions = defineResource({
  name: 'DocumentVersion',
  table: 'document_versions',
  description: 'One version of a document’s file; versions never change.',
  relations: {
    document: parent(() => documents, {
      column: 'document_id',
      field: 'document',
      inverse: {
        field: 'versions',
        description: 'Every version, the newest first.',
        args: 'page',
        loaderName: 'versionsOfDocument',
      },
    }),
  },
  columns: {
    versionNumber: col.int({ dbDefault: true, description: '1, 2, 3, … per document, without gaps.' }),
    fileName: col.text(),
    size: col.float({ description: 'Bytes.' }),
    mimeType: col.text(),
    checksum: col.text({ description: 'SHA-256 of the bytes, lower-case hex.' }),
    changeSummary: col.text({ dbDefault: true }),
  },
  timestamps: { createdAt: true },
  permissions: { read: 'documents:read' },
  serviceInserts: true,
  lists: {
    orders: { version_number_desc: { column: 'version_number', direction: 'desc', type: 'number' } },
    alias: 'dv',
  },
  example: (n) => ({
    file_name: `version-${n}.txt`,
    size: 200 + n,
    mime_type: 'text/plain',
    checksum: (n.toString(16).padStart(8, '0') + 'b'.repeat(56)).slice(0, 64),
    change_summary: `Change ${n}`,
  }),
});

@InputType()
export class AddDocumentVersionInput {
  @Field(() => UUIDResolver)
  documentId!: string;

  @Field(() => UUIDResolver, {
    description: 'An upload of the caller’s, used at most once and within a day of its upload.',
  })
  uploadId!: string;

  @OptionalText({ max: 10000, description: 'What changed.' })
  changeSummary?: string | null;
}

@ObjectType()
export class AddDocumentVersionPayload {
  @Field(() => documents.Node)
  document!: Record<string, unknown>;

  @Field(() => documentVersions.Node, {
    description: 'The new version, or the current one when the upload was the same file (deduplicated).',
  })
  version!: Record<string, unknown>;

  @Field({
    description:
      'True when the upload had the current version’s checksum and file name: no version was added (the upload is used up all the same).',
  })
  deduplicated!: boolean;
}

/** addDocumentVersion: the one way to add a version, from an upload. */
@Resolver(() => documentVersions.Node)
export class DocumentVersionResolver extends documentVersions.BaseResolver {
  @Authorized('documents:write')
  @Mutation(() => AddDocumentVersionPayload, {
    description:
      'Adds the next version of a document from an upload; the same file as the current version adds nothing (deduplicated).',
  })
  async addDocumentVersion(
    @Arg('input', () => AddDocumentVersionInput) input: AddDocumentVersionInput,
    @Ctx() ctx: Context,
  ): Promise<AddDocumentVersionPayload> {
    const db = await ctx.db.get();
    // The document's row lock orders concurrent versions (the numbering trigger takes it too).
    const document = await findRow(db, 'documents', input.documentId, 'Document', { forUpdate: true });
    const upload = await useUpload(db, input.uploadId);
    const same = upload.checksum === document.checksum && upload.file_name === document.file_name;
    const version = same
      ? await db
          .selectFrom('document_versions')
          .selectAll()
          .where('document_id', '=', document.id)
          .where('version_number', '=', document.current_version)
          .executeTakeFirstOrThrow()
      : await db
          .insertInto('document_versions')
          .values({
            organization_id: document.organization_id,
            document_id: document.id,
            file_name: upload.file_name,
            size: Number(upload.size),
            mime_type: upload.mime_type,
            checksum: upload.checksum,
            change_summary: input.changeSummary?.trim() ?? '',
          })
          .returningAll()
          .executeTakeFirstOrThrow();
    const current = same ? document : await findRow(db, 'documents', document.id, 'Document');
    return Object.assign(new AddDocumentVersionPayload(), {
      document: documents.fromRow(current),
      version: documentVersions.fromRow(version),
      deduplicated: same,
    });
  }
}
documentVersions.useResolver(DocumentVersionResolver);
