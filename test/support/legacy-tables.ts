/**
 * The tables that are not resources yet, each with the names of the arguments and input fields
 * whose ids point at it (an input type's name stands for its `id`). Together with
 * `registry.idArguments()` this is the isolation fuzzer's table map; the tenant tables with no id
 * argument are listed too, so every tenant table is either a resource or here.
 * test/resources/registry.test.ts fails for an entry whose table is a resource, and for a tenant
 * table in neither place: this file only shrinks, one entry per table moved onto the layer.
 */
export const LEGACY_TABLES: Readonly<Record<string, readonly string[]>> = {
  // Not tenant tables (no organization_id): the tenant itself and the people, global rows.
  organizations: ['organizationId', 'toOrganizationId'],
  users: ['userId', 'assigneeId', 'reporterId', 'ownerId', 'actor', 'actorUserId'],
  memberships: ['membershipId'],
  roles: ['roleId', 'UpdateRoleInput', 'DeleteRoleInput'],
  role_permissions: [],
  invitations: ['invitationId'],
  api_keys: ['apiKeyId', 'actorApiKey', 'actorApiKeyId', 'RevokeApiKeyInput'],
  auth_refresh_tokens: [],
  registered_operations: ['RegisteredOperationIdInput'],
  audit_log: [],
  task_activity: [],
  // Written by POST /uploads, used by createDocument and addDocumentVersion; no GraphQL type.
  uploads: ['uploadId'],
};
