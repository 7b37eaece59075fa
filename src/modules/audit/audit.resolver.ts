import { Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Selectable } from 'kysely';
import type { AuditLogTable } from '../../db/schema';
import { organizationOf, type Context } from '../../graphql/context';
import { defineParentConnection } from '../../graphql/connection';
import { applyIn, applyRange } from '../../graphql/filters';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import { AUDIT_ORDERS, AuditLogArgs, type AuditLogFilter } from './audit.input';
import { AuditLogConnection, AuditLogEntry } from './audit.type';

/** `auditLogs(...)`: the organization's audit log (RLS: the current tenant's entries only). */
export const auditLogsOfOrganization = defineParentConnection<Selectable<AuditLogTable>, AuditLogFilter>({
  name: 'auditLogsOfOrganization',
  table: 'audit_log',
  alias: 'al',
  parentColumn: 'organization_id',
  sort: AUDIT_ORDERS.created_at_desc,
  orders: AUDIT_ORDERS,
  filter: (query, filter) => {
    if (!filter) return query;
    let q = query;
    if (filter.actor) q = q.where('al.actor_user_id', '=', filter.actor);
    if (filter.actorApiKey) q = q.where('al.actor_api_key_id', '=', filter.actorApiKey);
    if (filter.resourceType) q = q.where('al.resource_type', '=', filter.resourceType);
    if (filter.resourceId) q = q.where('al.resource_id', '=', filter.resourceId);
    if (filter.action) q = q.where('al.action', '=', filter.action);
    q = applyIn(q, 'al.severity', filter.severity);
    return applyRange(q, 'al.created_at', { gte: filter.from, lt: filter.to });
  },
});

@Resolver(() => AuditLogEntry)
export class AuditLogResolver {
  @Authorized('audit:read')
  @Query(() => AuditLogConnection, {
    nullable: true,
    description: 'The audit log of the organization, newest first (needs audit:read).',
  })
  auditLogs(@Args() args: AuditLogArgs, @Ctx() ctx: Context): Promise<AuditLogConnection> {
    return auditLogsOfOrganization.load(
      ctx.loaders,
      { parentId: organizationOf(ctx), args: { ...args } },
      new AuditLogConnection(),
      AuditLogEntry.fromRow,
    );
  }

  @FieldResolver(() => User, {
    nullable: true,
    description: 'The user who made the change, when they are still visible to the organization.',
  })
  async actor(@Root() entry: AuditLogEntry, @Ctx() ctx: Context): Promise<User | null> {
    return entry.actorUserId ? ctx.loaders.use(userById).load(entry.actorUserId) : null;
  }
}
