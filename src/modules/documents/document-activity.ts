import { registerEnumType } from 'type-graphql';
import { DOCUMENT_ACTIVITY_ACTIONS } from '../../db/schema';
import { enumOf } from '../../graphql/enums';
import { col, defineResource, external, parent } from '../../resources';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import { documents } from './documents';

const userRef = external({ typeName: 'User', type: () => User, table: 'users', byId: userById, label: 'User' });

export const DocumentActivityActionEnum = enumOf(DOCUMENT_ACTIVITY_ACTIONS);
registerEnumType(DocumentActivityActionEnum, { name: 'DocumentActivityAction' });

/**
 * What happened to a document (seed 003), written by the database's triggers (migration 0025:
 * app.record_document_activity; 0027: app.record_document_share_activity, share links created,
 * revoked and used) and only read: Document.activity, the newest first.
 */
export const documentActivity = defineResource({
  name: 'DocumentActivity',
  plural: 'DocumentActivities',
  table: 'document_activity',
  description: 'One change to a document, recorded by the database.',
  relations: {
    document: parent(() => documents, {
      column: 'document_id',
      field: 'document',
      inverse: {
        field: 'activity',
        description: 'Every change to the document, the newest first.',
        args: 'page',
        loaderName: 'activityOfDocument',
      },
    }),
    actor: parent(userRef, {
      column: 'actor_user_id',
      field: 'actor',
      nullable: true,
      description: 'Who made the change (null for an API key, and for a download through a share link).',
    }),
  },
  columns: {
    action: col.enum(DOCUMENT_ACTIVITY_ACTIONS, DocumentActivityActionEnum),
    changes: col.json({
      dbDefault: true,
      description:
        'The changed fields before and after, the new version, or the share link (shareId, access; downloadCount for a download).',
    }),
    actorApiKeyId: col.uuid({ nullable: true, description: 'The API key that made the change, if one did.' }),
  },
  timestamps: { createdAt: true },
  permissions: { read: 'documents:read' },
  // Written by triggers acting as the writer (the app role), never by a mutation.
  serviceInserts: true,
  lists: { orders: { created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' } } },
  example: () => ({ action: 'updated', changes: JSON.stringify({ after: { title: 'Seeded' } }) }),
});
