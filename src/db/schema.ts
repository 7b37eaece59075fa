import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { ResourceTables } from './generated/resource-rows';

export type {
  AcademicYearsTable,
  MilestonesTable,
  ProjectMembersTable,
  ProjectsTable,
  SprintsTable,
  TaskCommentsTable,
  TasksTable,
  TeamMembersTable,
  TeamsTable,
} from './generated/resource-rows';

/** Columns every table carries; the database fills them (defaults and the updated_at trigger). */
interface Stamped {
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: ColumnType<string | null, string | null | undefined, string | null>;
  updated_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export const PLAN_TIERS = ['trial', 'starter', 'professional', 'enterprise'] as const;
export type PlanTier = (typeof PLAN_TIERS)[number];

export const USER_STATUSES = ['active', 'inactive', 'deleted'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const MEMBERSHIP_ROLES = ['owner', 'admin', 'officer', 'member', 'viewer'] as const;
export type MembershipRole = (typeof MEMBERSHIP_ROLES)[number];

/** Seed 000: the membership status decides whether a person may sign in to the organization. */
export const MEMBERSHIP_STATUSES = [
  'pledge',
  'active',
  'associate',
  'alumni',
  'alumni_active',
  'alumni_lifetime',
  'invited',
  'pnm',
  'inactive',
  'disaffiliated',
  'suspended',
] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];
export const SIGN_IN_STATUSES: readonly MembershipStatus[] = [
  'pledge',
  'active',
  'associate',
  'alumni',
  'alumni_active',
  'alumni_lifetime',
];

export interface OrganizationsTable extends Stamped {
  id: Generated<string>;
  name: string;
  slug: string;
  email: string | null;
  is_active: Generated<boolean>;
  plan_tier: ColumnType<PlanTier, PlanTier | undefined, PlanTier>;
  seats_total: Generated<number>;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** Only operations of the persisted-operations manifest run for this organization. */
  trusted_documents_only: Generated<boolean>;
}

export interface UsersTable extends Stamped {
  id: Generated<string>;
  email: string;
  username: string;
  password_hash: string | null;
  first_name: Generated<string>;
  last_name: Generated<string>;
  status: ColumnType<UserStatus, UserStatus | undefined, UserStatus>;
  identity_provider: string | null;
  identity_subject: string | null;
  last_login_at: Date | null;
  avatar_url: string | null;
  timezone: Generated<string>;
  language: Generated<string>;
  notification_preferences: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** AES-256-GCM ciphertext (src/auth/keyring.ts), bound to `users.phone_number:<id>`. */
  phone_number: string | null;
  email_verified_at: Date | null;
}

export interface MembershipsTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  user_id: string;
  role: Generated<MembershipRole>;
  status: Generated<MembershipStatus>;
  joined_at: Generated<Date>;
  ended_at: Date | null;
  custom_role_id: string | null;
  /** The member's last sign-in to this organization (app.record_sign_in). */
  last_login_at: Date | null;
}

export interface OutboxTable extends Stamped {
  id: Generated<string>;
  to_address: string;
  template: string;
  payload: ColumnType<Record<string, unknown>, string | undefined, string>;
  sent_at: Date | null;
}

export interface RolesTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  name: string;
  description: Generated<string>;
}

export interface RolePermissionsTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  role_id: string;
  permission: string;
}

export interface InvitationsTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  email: string;
  role: MembershipRole;
  token_hash: string;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

export interface ApiKeysTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  name: string;
  prefix: string;
  secret_hash: string;
  permissions: Generated<string[]>;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  /** The key may send query documents of its own (migration 0019). */
  ad_hoc_reads: Generated<boolean>;
}

/** An organization's own operation (migration 0019); `hash` (generated) and `version` (a trigger's) are the database's. */
export interface RegisteredOperationsTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  client_name: string;
  name: string;
  version: Generated<number>;
  operation_type: 'query' | 'mutation';
  document: string;
  hash: ColumnType<string, never, never>;
  deprecated_at: Date | null;
  deleted_at: Date | null;
}

export interface PermissionsTable extends Stamped {
  key: string;
  description: string;
}

export type RefreshTokenRevocation = 'logout' | 'logout_everywhere' | 'reuse' | 'access_lost';

export interface AuthRefreshTokensTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  user_id: string;
  token_hash: string;
  family_id: string;
  previous_token_id: string | null;
  replaced_by_token_id: string | null;
  user_agent: string | null;
  ip: string | null;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: RefreshTokenRevocation | null;
}

/** JSON columns: read as values, written as JSON text (Kysely passes strings through unchanged). */
type Json<T> = ColumnType<T, string | undefined, string>;

export interface AuditLogTable {
  organization_id: string;
  id: Generated<string>;
  created_at: Generated<Date>;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  changes: Json<Record<string, unknown>>;
  severity: Generated<AuditSeverity>;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  operation_name: string | null;
}
export const AUDIT_SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type AuditSeverity = (typeof AUDIT_SEVERITIES)[number];

export const PROJECT_VISIBILITIES = ['public', 'private'] as const;
export type ProjectVisibility = (typeof PROJECT_VISIBILITIES)[number];

export const SPRINT_STATUSES = ['planned', 'active', 'completed', 'cancelled'] as const;
export type SprintStatus = (typeof SPRINT_STATUSES)[number];

export const MILESTONE_STATUSES = ['open', 'in_progress', 'completed', 'cancelled'] as const;
export type MilestoneStatus = (typeof MILESTONE_STATUSES)[number];

export const TASK_TYPES = ['task', 'bug', 'feature', 'epic'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export const TASK_STATUSES = ['backlog', 'todo', 'in_progress', 'in_review', 'done', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

/** Seed 003: a document's status (deleted is the soft delete, deleted_at). */
export const DOCUMENT_STATUSES = ['draft', 'published', 'archived'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
/** Seed 003: what a document permission allows (each level includes the ones before it). */
export const DOCUMENT_PERMISSION_LEVELS = ['view', 'edit', 'manage'] as const;
export type DocumentPermissionLevel = (typeof DOCUMENT_PERMISSION_LEVELS)[number];
/** What document_activity records (app.record_document_activity, app.record_document_share_activity). */
export const DOCUMENT_ACTIVITY_ACTIONS = [
  'created',
  'updated',
  'renamed',
  'moved',
  'status_changed',
  'deleted',
  'restored',
  'new_version',
  'shared',
  'share_revoked',
  'downloaded',
] as const;

/**
 * A file streamed in by POST /uploads (migration 0025), waiting to become a document or a version
 * (used_at, set once). Its bytes are in the blob store under `${organization_id}/${checksum}`.
 * `size` is a bigint, which pg reads as a string.
 */
export interface UploadsTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  /** The API key that uploaded it (created_by is then null). */
  api_key_id: string | null;
  file_name: string;
  mime_type: string;
  size: ColumnType<string, number | string, never>;
  /** SHA-256 of the bytes, lower-case hex. */
  checksum: string;
  used_at: Date | null;
}

export interface TaskActivityTable {
  organization_id: string;
  id: Generated<string>;
  task_id: string;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  action: string;
  changes: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}

/**
 * The Kysely view of the database (schema `app`, on the search_path of every connection): the
 * tables written here, and the resource tables, whose row types `npm run codegen` writes from
 * their definitions (src/db/generated/resource-rows.ts).
 */
export interface Database extends ResourceTables {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  auth_refresh_tokens: AuthRefreshTokensTable;
  outbox: OutboxTable;
  permissions: PermissionsTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  registered_operations: RegisteredOperationsTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  audit_log: AuditLogTable;
  task_activity: TaskActivityTable;
  uploads: UploadsTable;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type UserRow = Selectable<UsersTable>;
/** What the app role may read of a user: everything but the password hash. */
export type UserProfileRow = Omit<UserRow, 'password_hash'>;
export const USER_PROFILE_COLUMNS = [
  'id',
  'email',
  'username',
  'first_name',
  'last_name',
  'status',
  'identity_provider',
  'identity_subject',
  'last_login_at',
  'created_at',
  'updated_at',
  'created_by',
  'updated_by',
  'avatar_url',
  'timezone',
  'language',
  'notification_preferences',
  'phone_number',
  'email_verified_at',
] as const satisfies readonly (keyof UserProfileRow)[];
export type MembershipRow = Selectable<MembershipsTable>;
export type NewUser = Insertable<UsersTable>;
