import { sql } from 'kysely';
import { ForbiddenError } from '../../errors';
import { hasPermission } from '../../graphql/auth-checker';
import { col, defineResource, external, parent } from '../../resources';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import { tasks } from './tasks';

const userRef = external({ typeName: 'User', type: () => User, table: 'users', byId: userById, label: 'User' });

export const comments = defineResource({
  name: 'TaskComment',
  // Names the inverse's loader and its includeDeleted text ('Include deleted comments').
  plural: 'Comments',
  table: 'task_comments',
  description: 'A comment on a task.',
  label: 'Comment',
  relations: {
    task: parent(() => tasks, {
      column: 'task_id',
      input: { create: 'required' },
      // The comments of a deleted task wait for its restore: NOT_FOUND 'Comment' on edit and delete.
      requireLive: true,
      inverse: { field: 'comments', description: 'Comments, oldest first.', loaderName: 'commentsOfTask' },
    }),
    author: parent(userRef, { column: 'author_id', field: 'author', nullable: true }),
  },
  columns: {
    body: col.text({ length: { min: 1, max: 10000 }, create: 'required', update: { required: true } }),
    editedAt: col.timestamp({
      nullable: true,
      description: 'When the author last changed the body.',
      serviceWrites: true,
    }),
  },
  timestamps: { createdAt: true, deletedAt: true },
  permissions: {
    read: 'projects:read',
    create: 'comments:create',
    update: 'comments:create',
    delete: 'comments:create',
    seeDeleted: 'comments:moderate',
  },
  lists: { orders: { created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' } }, alias: 'c' },
  mutations: {
    create: { name: 'addTaskComment', inputName: 'AddTaskCommentInput', order: ['taskId', 'body'] },
    update: { description: 'Only the author edits a comment.' },
    delete: { mode: 'soft', description: 'The author, or anyone with comments:moderate, soft-deletes a comment.' },
    payload: { name: 'TaskCommentPayload', field: 'comment' },
  },
  violations: { task_comments_body_check: ['body', 'The body must be 1 to 10000 characters, not only spaces'] },
  rules: {
    beforeCreate(ctx, values) {
      values.author_id = ctx.viewer?.userId ?? null;
    },
    beforeUpdate(ctx, current, changes) {
      if (!ctx.viewer || current.author_id !== ctx.viewer.userId)
        throw new ForbiddenError('Only its author can edit a comment');
      if (changes.body === current.body) delete changes.body;
      else changes.edited_at = sql<Date>`now()`;
    },
    async beforeDelete(ctx, current) {
      const isAuthor = !!ctx.viewer && current.author_id === ctx.viewer.userId;
      if (!isAuthor && !(await hasPermission(ctx, 'comments:moderate')))
        throw new ForbiddenError('Only its author or a moderator can delete a comment', 'comments:moderate');
    },
  },
  example: (n) => ({ body: `Comment ${n}` }),
});
