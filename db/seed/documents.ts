import crypto from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../../src/db/schema';
import { setTenant } from '../../src/db/database';

/** A demo file: its name, MIME type and text (the checksum and size are the text's). */
interface DemoFile {
  title: string;
  fileName: string;
  mimeType: string;
  status: 'draft' | 'published' | 'archived';
  /** The texts of its versions, the first one first. */
  versions: string[];
  tags?: string[];
}

interface DemoFolder {
  name: string;
  description?: string;
  documents?: DemoFile[];
  folders?: DemoFolder[];
}

/**
 * The demo organizations' folders and documents (seed 003), written as their owners. Only rows:
 * the bytes are not in the blob store (a download of a demo document finds no object until an
 * upload of the same text puts it there, since blobs are content-addressed).
 */
export const DOCUMENT_DEMO_FOLDERS: Record<string, DemoFolder[]> = {
  acme: [
    {
      name: 'Company',
      description: 'Policies and handbooks for everyone.',
      documents: [
        {
          title: 'Employee handbook',
          fileName: 'handbook.md',
          mimeType: 'text/markdown',
          status: 'published',
          versions: ['# Handbook\n\nWelcome to Acme.\n', '# Handbook\n\nWelcome to Acme. Read the travel policy.\n'],
          tags: ['hr'],
        },
      ],
      folders: [
        {
          name: 'Policies',
          documents: [
            {
              title: 'Travel policy',
              fileName: 'travel.md',
              mimeType: 'text/markdown',
              status: 'published',
              versions: ['# Travel\n\nBook economy; keep receipts.\n'],
              tags: ['hr', 'finance'],
            },
            {
              title: 'Expense policy (2025)',
              fileName: 'expenses-2025.md',
              mimeType: 'text/markdown',
              status: 'archived',
              versions: ['# Expenses 2025\n\nSuperseded.\n'],
            },
          ],
        },
      ],
    },
    {
      name: 'Engineering',
      folders: [
        {
          name: 'Designs',
          documents: [
            {
              title: 'Offline mode design',
              fileName: 'offline-mode.md',
              mimeType: 'text/markdown',
              status: 'draft',
              versions: [
                '# Offline mode\n\nQueue writes locally.\n',
                '# Offline mode\n\nQueue writes; retry uploads.\n',
              ],
              tags: ['mobile'],
            },
          ],
        },
      ],
    },
  ],
  globex: [
    {
      name: 'Operations',
      documents: [
        {
          title: 'Runbook',
          fileName: 'runbook.txt',
          mimeType: 'text/plain',
          status: 'published',
          versions: ['Restart the service, then check the queue.\n'],
        },
      ],
    },
  ],
};

/** The folders and documents of one demo organization, written by its owner; how many of each. */
export async function seedDocumentDemoData(
  trx: Transaction<Database>,
  org: { slug: string; organizationId: string; ownerId: string },
): Promise<{ folders: number; documents: number; versions: number }> {
  const counts = { folders: 0, documents: 0, versions: 0 };
  await setTenant(trx, { organizationId: org.organizationId, userId: org.ownerId });
  const file = (text: string) => ({
    size: Buffer.byteLength(text),
    checksum: crypto.createHash('sha256').update(text).digest('hex'),
  });
  const write = async (folder: DemoFolder, parentId: string | null) => {
    const { id } = await trx
      .insertInto('folders')
      .values({
        organization_id: org.organizationId,
        parent_id: parentId,
        name: folder.name,
        description: folder.description ?? '',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    counts.folders++;
    for (const doc of folder.documents ?? []) {
      const [first, ...later] = doc.versions;
      // The document writes its version 1 (a trigger); later versions are added as addDocumentVersion adds them.
      const row = await trx
        .insertInto('documents')
        .values({
          organization_id: org.organizationId,
          folder_id: id,
          owner_id: org.ownerId,
          title: doc.title,
          file_name: doc.fileName,
          mime_type: doc.mimeType,
          status: doc.status,
          tags: doc.tags ?? [],
          ...file(first!),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (const text of later)
        await trx
          .insertInto('document_versions')
          .values({
            organization_id: org.organizationId,
            document_id: row.id,
            file_name: doc.fileName,
            mime_type: doc.mimeType,
            change_summary: 'Updated',
            ...file(text),
          })
          .execute();
      counts.documents++;
      counts.versions += doc.versions.length;
    }
    for (const child of folder.folders ?? []) await write(child, id);
  };
  for (const folder of DOCUMENT_DEMO_FOLDERS[org.slug] ?? []) await write(folder, null);
  return counts;
}
