import { sql, type Kysely } from 'kysely';
import { replaceAsAuthRole } from './helpers';

/**
 * `app.current_permissions()` and `app.hidden_project_ids()` computed once per transaction
 * instead of once per statement (issue 6). Every statement that reads projects or tasks runs the
 * private-project policy, which asked for the caller's permissions again: about 1.5 ms of
 * PostgreSQL CPU per statement, half of what the benchmark's nested query cost the database.
 *
 * Each answer is kept in a transaction-local setting (`set_config(..., true)`: gone at COMMIT or
 * ROLLBACK, and undone with a rolled-back savepoint), under the context it was computed for
 * (organization, user, API key), so a request that switches context (sign-in) computes again.
 * Writes that can change an answer forget it in the same transaction, by statement triggers:
 * memberships, roles and grants, API keys for the permissions; projects and project members for
 * the hidden projects. Like the context settings themselves, the cache is the server's to set:
 * a role that may run arbitrary SQL can already set `app.current_user_id` (docs/security.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The key a cached answer is kept under: the context it was computed in (unset and empty
    -- settings both count as empty). Not the database role: tenantql_app (the opening round trip)
    -- and tenantql_auth (inside hidden_project_ids) get the same answer, because every query in
    -- these functions filters by the organization and user explicitly.
    -- The two cached functions below check and store their answer inline, with no helper
    -- function per call: per-statement function calls are the cost this migration removes.
    create function app.cache_context() returns text
      language sql stable
      as $$ select format('%s|%s|%s=', coalesce(current_setting('app.current_org_id', true), ''),
                          coalesce(current_setting('app.current_user_id', true), ''),
                          coalesce(current_setting('app.current_api_key_id', true), '')) $$;

    -- Statement trigger: forgets the answers kept in the settings named by its arguments.
    create function app.forget_answers() returns trigger
      language plpgsql
      as $$
        begin
          for i in 0 .. tg_nargs - 1 loop
            perform set_config(tg_argv[i], '', true);
          end loop;
          return null;
        end
      $$;

    create or replace function app.current_permissions() returns text[]
      language plpgsql stable
      as $$
        declare
          context text := app.cache_context();
          cached text := current_setting('app.cached_permissions', true);
          answer text[];
        begin
          if starts_with(cached, context) then
            return substr(cached, length(context) + 1)::text[];
          end if;
          answer := case when app.current_api_key_id() is null
            then app.member_permissions(app.current_org_id(), app.current_user_id())
            else (
              select coalesce(array_agg(distinct p order by p), '{}')
                from public.api_keys k cross join unnest(k.permissions) as p
               where k.organization_id = app.current_org_id() and k.id = app.current_api_key_id()
                 and p = any(app.member_permissions(k.organization_id, k.created_by)))
            end;
          perform set_config('app.cached_permissions', context || answer::text, true);
          return answer;
        end
      $$;

    create trigger memberships_forget_permissions after insert or update or delete or truncate on memberships
      for each statement execute function app.forget_answers('app.cached_permissions', 'app.cached_hidden_project_ids');
    create trigger roles_forget_permissions after insert or update or delete or truncate on roles
      for each statement execute function app.forget_answers('app.cached_permissions', 'app.cached_hidden_project_ids');
    create trigger role_permissions_forget_permissions after insert or update or delete or truncate on role_permissions
      for each statement execute function app.forget_answers('app.cached_permissions', 'app.cached_hidden_project_ids');
    create trigger built_in_role_permissions_forget_permissions after insert or update or delete or truncate on built_in_role_permissions
      for each statement execute function app.forget_answers('app.cached_permissions', 'app.cached_hidden_project_ids');
    create trigger api_keys_forget_permissions after insert or update or delete or truncate on api_keys
      for each statement execute function app.forget_answers('app.cached_permissions', 'app.cached_hidden_project_ids');
    create trigger projects_forget_hidden after insert or update or delete or truncate on projects
      for each statement execute function app.forget_answers('app.cached_hidden_project_ids');
    create trigger project_members_forget_hidden after insert or update or delete or truncate on project_members
      for each statement execute function app.forget_answers('app.cached_hidden_project_ids');
  `.execute(db);
  await replaceAsAuthRole(
    db,
    sql`
    create or replace function app.hidden_project_ids() returns uuid[]
      language plpgsql stable security definer
      set search_path = ''
      as $$
        declare
          context text := app.cache_context();
          cached text := current_setting('app.cached_hidden_project_ids', true);
          answer uuid[];
        begin
          if starts_with(cached, context) then
            return substr(cached, length(context) + 1)::uuid[];
          end if;
          answer := case when 'projects:read_private' = any (app.current_permissions()) then '{}'::uuid[]
            else coalesce((
              select array_agg(p.id) from public.projects p
               where p.organization_id = app.current_org_id() and p.visibility = 'private'
                 and not exists (select 1 from public.project_members m
                                  where m.organization_id = p.organization_id and m.project_id = p.id
                                    and m.user_id = app.current_user_id())), '{}'::uuid[]) end;
          perform set_config('app.cached_hidden_project_ids', context || answer::text, true);
          return answer;
        end
      $$;
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await replaceAsAuthRole(
    db,
    sql`
    create or replace function app.hidden_project_ids() returns uuid[]
      language sql stable security definer
      set search_path = ''
      as $$
        select case when 'projects:read_private' = any (app.current_permissions()) then '{}'::uuid[]
               else coalesce((
                 select array_agg(p.id) from public.projects p
                  where p.organization_id = app.current_org_id() and p.visibility = 'private'
                    and not exists (select 1 from public.project_members m
                                     where m.organization_id = p.organization_id and m.project_id = p.id
                                       and m.user_id = app.current_user_id())), '{}'::uuid[]) end
      $$;
  `,
  );
  await sql`
    drop trigger memberships_forget_permissions on memberships;
    drop trigger roles_forget_permissions on roles;
    drop trigger role_permissions_forget_permissions on role_permissions;
    drop trigger built_in_role_permissions_forget_permissions on built_in_role_permissions;
    drop trigger api_keys_forget_permissions on api_keys;
    drop trigger projects_forget_hidden on projects;
    drop trigger project_members_forget_hidden on project_members;
    drop function app.forget_answers();

    create or replace function app.current_permissions() returns text[]
      language sql stable
      as $$
        select case when app.current_api_key_id() is null
          then app.member_permissions(app.current_org_id(), app.current_user_id())
          else (
            select coalesce(array_agg(distinct p order by p), '{}')
              from public.api_keys k cross join unnest(k.permissions) as p
             where k.organization_id = app.current_org_id() and k.id = app.current_api_key_id()
               and p = any(app.member_permissions(k.organization_id, k.created_by)))
          end
      $$;

    drop function app.cache_context();
  `.execute(db);
}
