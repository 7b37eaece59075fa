import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/**
 * Organization lifecycle (seed 000): organizations are deactivated, never deleted. A deactivated
 * organization admits nobody, so its owners reactivate it from a session elsewhere, through
 * this function (owned by tenantql_auth).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function app.reactivate_organization(p_organization_id uuid) returns boolean
      language sql volatile security definer set search_path = ''
      as $$
        update public.organizations o set is_active = true, updated_by = app.current_user_id()
         where o.id = p_organization_id
           and not o.is_active
           and app.session_is_valid()
           and exists (
             select 1 from public.memberships m
              where m.organization_id = o.id and m.user_id = app.current_user_id()
                and m.ended_at is null and m.role = 'owner' and app.membership_grants_access(m.status))
        returning true
      $$;
  `.execute(db);
  await handToAuthRole(db, {
    'app.reactivate_organization(uuid)': ['tenantql_app'],
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function app.reactivate_organization(uuid);`.execute(db);
}
