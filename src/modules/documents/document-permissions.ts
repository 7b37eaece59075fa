import { registerEnumType } from 'type-graphql';
import { DOCUMENT_PERMISSION_LEVELS, MEMBERSHIP_ROLES } from '../../db/schema';
import { enumOf } from '../../graphql/enums';
import { col, defineResource, external, parent } from '../../resources';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import { MembershipRoleEnum } from '../tenancy/tenancy.enums';
import { teams } from '../teams/teams';
import { documents } from './documents';
import { folders } from './folders';

export const DocumentPermissionLevelEnum = enumOf(DOCUMENT_PERMISSION_LEVELS);
registerEnumType(DocumentPermissionLevelEnum, {
  name: 'DocumentPermissionLevel',
  description:
    'VIEW reads and downloads; EDIT also adds versions and changes metadata; MANAGE also changes permissions, shares and deletes.',
});

const userRef = external({ typeName: 'User', type: () => User, table: 'users', byId: userById, label: 'User' });
const TARGET = 'Give folderId or documentId.';
const GRANTEE = 'Give one of userId, teamId and role.';

/**
 * Document permissions (seed 003): a grant on a folder or on one document, to a user, a team or a
 * built-in role. The nearest grants up the tree decide who sees and changes what (RLS and a
 * trigger, migration 0025; docs/security.md, "Document permissions").
 */
export const documentPermissions = defineResource({
  name: 'DocumentPermission',
  table: 'document_permissions',
  description:
    'A grant on a folder (inherited by what is in it, unless that has grants of its own) or on a document, to a user, a team or a role.',
  relations: {
    folder: parent(() => folders, {
      column: 'folder_id',
      field: 'folder',
      nullable: true,
      input: { create: 'optional', description: TARGET },
      mustExist: true,
      inverse: {
        field: 'permissions',
        description: 'The grants on this folder.',
        args: 'page',
        loaderName: 'permissionsOfFolder',
      },
    }),
    document: parent(() => documents, {
      column: 'document_id',
      field: 'document',
      nullable: true,
      input: { create: 'optional', description: TARGET },
      mustExist: true,
      inverse: {
        field: 'permissions',
        description: 'The grants on this document.',
        args: 'page',
        loaderName: 'permissionsOfDocument',
      },
    }),
    user: parent(userRef, {
      column: 'user_id',
      field: 'user',
      nullable: true,
      input: { create: 'optional', description: GRANTEE },
    }),
    team: parent(() => teams, {
      column: 'team_id',
      field: 'team',
      nullable: true,
      input: { create: 'optional', description: GRANTEE },
      mustExist: true,
    }),
  },
  columns: {
    role: col.enum(MEMBERSHIP_ROLES, MembershipRoleEnum, {
      nullable: true,
      create: { required: false, description: `Everyone with this built-in role. ${GRANTEE}` },
    }),
    level: col.enum(DOCUMENT_PERMISSION_LEVELS, DocumentPermissionLevelEnum, {
      dbDefault: true,
      create: { required: true, defaultValue: 'view' },
      update: true,
    }),
  },
  // The grant's key: 'user:<id>', 'team:<id>' or 'role:<role>' (one grant per target and grantee).
  generatedColumns: { grantee: col.text() },
  timestamps: { createdAt: true },
  permissions: {
    read: 'documents:read',
    create: 'documents:write',
    update: 'documents:write',
    delete: 'documents:write',
  },
  lists: { orders: { created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' } } },
  mutations: {
    create: {
      description: 'Grants a level on a folder or a document (needs MANAGE there, or documents:manage).',
      order: ['folderId', 'documentId', 'userId', 'teamId', 'role', 'level'],
    },
    update: { description: 'Changes the level of a grant (needs MANAGE on its folder or document).' },
    delete: { mode: 'hard', description: 'Removes a grant (needs MANAGE on its folder or document).' },
  },
  violations: {
    document_permissions_one_target: ['folderId', TARGET],
    document_permissions_one_grantee: ['userId', GRANTEE],
    document_permissions_key: ['level', 'That grantee already has a grant there; change its level'],
    document_permissions_team_fkey: ['teamId', 'There is no such team'],
    document_permissions_user_is_member: ['userId', 'The user must be a member of the organization'],
  },
  // On a folder, for a role (the other target and grantees stay empty).
  example: () => ({
    role: 'member',
    level: 'view',
    folder_id: undefined,
    document_id: null,
    user_id: null,
    team_id: null,
  }),
});
