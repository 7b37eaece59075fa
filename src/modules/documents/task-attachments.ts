import { defineResource, parent } from '../../resources';
import { tasks } from '../work/tasks';
import { documents } from './documents';

/**
 * Task attachments (seed 003, project management): a document attached to a task. Seen while both
 * the task (its project's visibility) and the document (its permissions) are.
 */
export const taskAttachments = defineResource({
  name: 'TaskAttachment',
  table: 'task_attachments',
  description: 'A document attached to a task.',
  relations: {
    task: parent(() => tasks, {
      column: 'task_id',
      field: 'task',
      input: { create: 'required' },
      mustExist: true,
      inverse: {
        field: 'attachments',
        description: 'Documents attached to the task.',
        args: 'page',
        read: 'documents:read',
        loaderName: 'attachmentsOfTask',
      },
    }),
    document: parent(() => documents, {
      column: 'document_id',
      field: 'document',
      input: { create: 'required' },
      mustExist: true,
      inverse: {
        field: 'taskAttachments',
        description: 'The tasks this document is attached to.',
        args: 'page',
        loaderName: 'taskAttachmentsOfDocument',
      },
    }),
  },
  columns: {},
  timestamps: { createdAt: true },
  permissions: { read: 'documents:read', create: 'tasks:update', delete: 'tasks:update' },
  lists: { orders: { created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' } } },
  mutations: {
    create: { name: 'attachDocument', inputName: 'AttachDocumentInput', description: 'Attaches a document to a task.' },
    delete: { mode: 'hard', name: 'detachDocument', inputName: 'DetachDocumentInput', by: ['taskId', 'documentId'] },
  },
  violations: {
    task_attachments_key: ['documentId', 'The document is attached to the task already'],
  },
  example: () => ({}),
});
