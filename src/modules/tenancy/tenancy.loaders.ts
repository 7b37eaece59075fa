import { sql, type Selectable } from 'kysely';
import { byKey, defineLoader } from '../../graphql/loaders';
import { defineParentConnection } from '../../graphql/connection';
import { applyRange } from '../../graphql/filters';
import type { KeysetSort } from '../../db/pagination';
import type { InvitationsTable, MembershipRow } from '../../db/schema';
import { findLiveMembershipsByUserIds, findOrganizationsByIds, findUsersByIds } from './tenancy.repository';
import type { MemberFilter } from './membership.input';
import { Organization } from './organization.type';
import { User } from './user.type';
import { Membership } from './membership.type';
import { ForbiddenError } from '../../errors';
import { currentPermissions } from '../../graphql/permissions';

/** Reading people needs users:read (the caller themselves excepted); see `userById`. */
export const PEOPLE_PERMISSION = 'users:read';

/**
 * Users by id, as RLS shows them: the caller, and the people of the organization only with
 * users:read. A user the caller may not read is a FORBIDDEN error on the field that asked for
 * them (never a null, which would read as "nobody"); the permission is looked at once per batch,
 * and only when a row is missing, so pages of visible people pay nothing for it.
 */
export const userById = defineLoader<string, User | null>('userById', async (db, ids, request) => {
  const users = byKey(ids, await findUsersByIds(db, ids), (row) => row.id, User.fromRow);
  if (!users.includes(null)) return users;
  if ((await currentPermissions(db, request)).includes(PEOPLE_PERMISSION)) return users;
  // DataLoader rejects the load of a key whose value is an Error.
  return users.map(
    (user) =>
      user ?? ForbiddenError.missing(PEOPLE_PERMISSION, `Reading people needs the ${PEOPLE_PERMISSION} permission`),
  ) as (User | null)[];
});

export const organizationById = defineLoader<string, Organization | null>('organizationById', async (db, ids) =>
  byKey(ids, await findOrganizationsByIds(db, ids), (row) => row.id, Organization.fromRow),
);

/** A user's live membership in the organization the request acts for. */
export const liveMembershipByUserId = defineLoader<string, Membership | null>(
  'liveMembershipByUserId',
  async (db, ids) => byKey(ids, await findLiveMembershipsByUserIds(db, ids), (row) => row.user_id, Membership.fromRow),
);

export const MEMBER_ORDERS = {
  joined_at_asc: { column: 'joined_at', direction: 'asc', type: 'timestamp' },
  joined_at_desc: { column: 'joined_at', direction: 'desc', type: 'timestamp' },
} as const satisfies Record<string, KeysetSort>;

/** `organization.members(...)`: oldest members first by default, `id` breaking ties. */
export const membersOfOrganization = defineParentConnection<MembershipRow, MemberFilter>({
  name: 'membersOfOrganization',
  table: 'memberships',
  alias: 'm',
  parentColumn: 'organization_id',
  sort: MEMBER_ORDERS.joined_at_asc,
  orders: MEMBER_ORDERS,
  filter: (query, filter) => {
    let q = applyRange(query, 'm.joined_at', filter?.joinedAt);
    if (filter?.status?.length) q = q.where('m.status', 'in', filter.status);
    if (filter?.role?.length) q = q.where('m.role', 'in', filter.role);
    if (filter?.live === true) q = q.where('m.ended_at', 'is', null);
    if (filter?.live === false) q = q.where('m.ended_at', 'is not', null);
    return q;
  },
});

/**
 * `organization.invitations(...)`: the pending ones (open, unexpired, and still backed by an
 * inviter who may give their role), oldest first. The token's hash is never read.
 */
export const invitationsOfOrganization = defineParentConnection<Selectable<InvitationsTable>, null>({
  name: 'invitationsOfOrganization',
  table: 'invitations',
  alias: 'i',
  parentColumn: 'organization_id',
  sort: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  columns: [
    'organization_id',
    'id',
    'email',
    'role',
    'expires_at',
    'accepted_at',
    'revoked_at',
    'created_at',
    'updated_at',
    'created_by',
    'updated_by',
  ],
  filter: (query) =>
    query
      .where('i.accepted_at', 'is', null)
      .where('i.revoked_at', 'is', null)
      .where('i.expires_at', '>', sql<Date>`now()`)
      .where(sql<boolean>`app.inviter_may_give(i.organization_id, i.created_by, i.role)`),
});
