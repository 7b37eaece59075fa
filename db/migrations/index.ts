import type { Migration } from 'kysely';
import * as tenancy from './2026_11_21_0001_tenancy';
import * as sessions from './2026_11_21_0002_sessions';
import * as profiles from './2026_11_21_0003_profiles';
import * as accounts from './2026_11_21_0004_accounts';
import * as roles from './2026_11_21_0005_roles';
import * as organizationLifecycle from './2026_11_21_0006_organization_lifecycle';
import * as invitations from './2026_11_21_0007_invitations';
import * as apiKeys from './2026_11_21_0008_api_keys';
import * as teams from './2026_11_21_0009_teams';
import * as audit from './2026_11_22_0010_audit';
import * as work from './2026_11_22_0011_work';
import * as trustedDocuments from './2026_11_22_0012_trusted_documents';
import * as readiness from './2026_11_22_0013_readiness';
import * as plannerStatistics from './2026_11_22_0014_planner_statistics';
import * as transactionCaches from './2026_12_02_0015_transaction_caches';
import * as signInThrottle from './2026_12_03_0016_sign_in_throttle';
import * as grantsDieWithGrantor from './2026_12_03_0017_grants_die_with_grantor';
import * as peoplePrivacy from './2026_12_03_0018_people_privacy';
import * as registeredOperations from './2026_12_03_0019_registered_operations';
import * as viewerOrganizations from './2026_12_03_0020_viewer_organizations';
import * as rateLimitCounters from './2026_12_03_0021_rate_limit_counters';
import * as tenantResource from './2026_12_03_0022_tenant_resource';
import * as tokenDirectory from './2026_12_03_0023_token_directory';
import * as academicYears from './2026_12_03_0024_academic_years';
import * as documents from './2026_12_04_0025_documents';
import * as documentShares from './2026_12_04_0026_document_shares';
import * as shareActivity from './2026_12_04_0027_share_activity';
import * as attachments from './2026_12_04_0028_attachments';
import * as permissionsSearchPath from './2026_12_04_0029_permissions_search_path';

/**
 * Every migration, in order. Listed explicitly (not read from the folder) so the same code runs
 * from src/ under jest and from dist/ in production.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_21_0001_tenancy': tenancy,
  '2026_11_21_0002_sessions': sessions,
  '2026_11_21_0003_profiles': profiles,
  '2026_11_21_0004_accounts': accounts,
  '2026_11_21_0005_roles': roles,
  '2026_11_21_0006_organization_lifecycle': organizationLifecycle,
  '2026_11_21_0007_invitations': invitations,
  '2026_11_21_0008_api_keys': apiKeys,
  '2026_11_21_0009_teams': teams,
  '2026_11_22_0010_audit': audit,
  '2026_11_22_0011_work': work,
  '2026_11_22_0012_trusted_documents': trustedDocuments,
  '2026_11_22_0013_readiness': readiness,
  '2026_11_22_0014_planner_statistics': plannerStatistics,
  '2026_12_02_0015_transaction_caches': transactionCaches,
  '2026_12_03_0016_sign_in_throttle': signInThrottle,
  '2026_12_03_0017_grants_die_with_grantor': grantsDieWithGrantor,
  '2026_12_03_0018_people_privacy': peoplePrivacy,
  '2026_12_03_0019_registered_operations': registeredOperations,
  '2026_12_03_0020_viewer_organizations': viewerOrganizations,
  '2026_12_03_0021_rate_limit_counters': rateLimitCounters,
  '2026_12_03_0022_tenant_resource': tenantResource,
  '2026_12_03_0023_token_directory': tokenDirectory,
  '2026_12_03_0024_academic_years': academicYears,
  '2026_12_04_0025_documents': documents,
  '2026_12_04_0026_document_shares': documentShares,
  '2026_12_04_0027_share_activity': shareActivity,
  '2026_12_04_0028_attachments': attachments,
  '2026_12_04_0029_permissions_search_path': permissionsSearchPath,
};
