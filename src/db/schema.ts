import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

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
  'pledge', 'active', 'associate', 'alumni', 'alumni_active', 'alumni_lifetime',
  'invited', 'pnm', 'inactive', 'disaffiliated', 'suspended',
] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];
export const SIGN_IN_STATUSES: readonly MembershipStatus[] = [
  'pledge', 'active', 'associate', 'alumni', 'alumni_active', 'alumni_lifetime',
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
}

export interface UsersTable extends Stamped {
  id: Generated<string>;
  email: string;
  username: string;
  password_hash: string | null;
  first_name: string;
  last_name: string;
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
  role: MembershipRole;
  status: MembershipStatus;
  joined_at: Generated<Date>;
  ended_at: Date | null;
  custom_role_id: string | null;
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
  permissions: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface TeamsTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  name: string;
  description: Generated<string>;
}

export type TeamMemberRole = 'lead' | 'member';

export interface TeamMembersTable extends Stamped {
  organization_id: string;
  id: Generated<string>;
  team_id: string;
  user_id: string;
  role: ColumnType<TeamMemberRole, TeamMemberRole | undefined, TeamMemberRole>;
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

/** The Kysely view of the database (schema `app`, on the search_path of every connection). */
export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  auth_refresh_tokens: AuthRefreshTokensTable;
  outbox: OutboxTable;
  permissions: PermissionsTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type UserRow = Selectable<UsersTable>;
/** What the app role may read of a user: everything but the password hash. */
export type UserProfileRow = Omit<UserRow, 'password_hash'>;
export const USER_PROFILE_COLUMNS = [
  'id', 'email', 'username', 'first_name', 'last_name', 'status', 'identity_provider', 'identity_subject',
  'last_login_at', 'created_at', 'updated_at', 'created_by', 'updated_by',
  'avatar_url', 'timezone', 'language', 'notification_preferences', 'phone_number', 'email_verified_at',
] as const satisfies readonly (keyof UserProfileRow)[];
export type MembershipRow = Selectable<MembershipsTable>;
export type NewUser = Insertable<UsersTable>;
