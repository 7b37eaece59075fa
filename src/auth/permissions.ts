/**
 * The permission catalog as a type: a copy of `select key from permissions` (the migrations hold
 * the keys and are frozen; test/resources/permissions.test.ts keeps the two equal), so a resource
 * definition that names a permission with a typo does not compile.
 *
 * @example
 * const manage: Permission = 'teams:manage';
 */
export const PERMISSIONS = [
  'organizations:read',
  'organizations:update',
  'organizations:deactivate',
  'members:read',
  'members:invite',
  'members:update',
  'members:remove',
  'users:read',
  'roles:read',
  'roles:manage',
  'teams:read',
  'teams:manage',
  'api_keys:read',
  'api_keys:manage',
  'projects:read',
  'projects:read_private',
  'projects:create',
  'projects:update',
  'projects:delete',
  'tasks:create',
  'tasks:update',
  'tasks:delete',
  'sprints:manage',
  'comments:create',
  'comments:moderate',
  'audit:read',
  'operations:manage',
  'academics:read',
  'academics:manage',
  'documents:read',
  'documents:write',
  'documents:manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];
