import type { MembershipRole } from '../db/schema';

/**
 * Default grants of the built-in roles, as `<entity>:<action>`. The permission catalog and
 * custom roles move into the database with the access module; this table stays the source of
 * the built-in defaults.
 */
const READ = ['organizations:read', 'members:read', 'users:read'];
export const BUILT_IN_ROLE_PERMISSIONS: Record<MembershipRole, readonly string[]> = {
  owner: [...READ, 'organizations:update', 'organizations:deactivate', 'members:invite', 'members:update', 'members:remove'],
  admin: [...READ, 'organizations:update', 'members:invite', 'members:update', 'members:remove'],
  officer: [...READ, 'members:invite'],
  member: READ,
  viewer: READ,
};

export function permissionsOfRole(role: MembershipRole): readonly string[] {
  return BUILT_IN_ROLE_PERMISSIONS[role];
}
