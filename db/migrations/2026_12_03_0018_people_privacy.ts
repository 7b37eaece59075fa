import { sql, type Kysely } from 'kysely';
import { handToAuthRole, replaceAsAuthRole } from './helpers';

/**
 * What one tenant may learn about a person shared with other tenants (issue 13, items 6, 9, 12).
 *
 * - **Self-only columns, declared once.** A column whose comment starts with `self-only:` is shown
 *   by the API only to the user it belongs to; `app.self_only_columns(table)` reads them from the
 *   catalog. `app.audit_table` now leaves those columns out of every audit entry (not even
 *   "[redacted]": a redacted value that stays null still told auditors whether a phone number was
 *   added), and the GraphQL `User` type's self-only fields are tested against the same list.
 * - **Sign-ins per organization.** `memberships.last_login_at` is stamped by
 *   `app.record_sign_in()` for the organization signed in to; `users.last_login_at` (any
 *   organization) becomes self-only. Existing data: the membership whose session started in the
 *   very transaction that stamped `users.last_login_at` gets that time; others stay unknown (null).
 * - **Bookkeeping is not an edit.** Stamping a sign-in no longer moves `updated_at`/`updated_by`
 *   of the (global) user row, which would otherwise tell every tenant when a shared member signed
 *   in elsewhere.
 *
 * The people of an organization are visible only with `users:read`: that policy lives in
 * policies/tenancy.sql; `down` puts back its earlier form, which did not depend on
 * `app.current_permissions()` (so migration 0005 can be rolled back).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function app.self_only_columns(p_table regclass) returns text[]
      language sql stable
      set search_path = ''
      as $$
        select coalesce(array_agg(a.attname::text order by a.attnum), '{}')
          from pg_catalog.pg_attribute a
         where a.attrelid = p_table and a.attnum > 0 and not a.attisdropped
           and pg_catalog.col_description(p_table, a.attnum) like 'self-only:%'
      $$;

    comment on column users.notification_preferences is 'self-only: what the user wants to be told, and how';
    comment on column users.phone_number is 'self-only: encrypted; the API says only to the user whether one is on file';
    comment on column users.last_login_at is 'self-only: the last sign-in to any organization (memberships.last_login_at is per organization)';

    -- Self-only columns are left out of audit entries, as ignored columns are.
    create or replace function app.audit_table(p_table regclass, p_resource text, p_options jsonb default '{}') returns void
      language plpgsql
      as $fn$
      begin
        execute format('drop trigger if exists audit on %s', p_table);
        execute format('create trigger audit after insert or update or delete on %s for each row '
                       'execute function app.audit_row(%L, %L, %L, %L, %L, %L)',
          p_table, p_resource,
          coalesce(p_options ->> 'organizationColumn', 'organization_id'),
          coalesce(array(select jsonb_array_elements_text(p_options -> 'redact')), '{}')::text,
          (coalesce(array(select jsonb_array_elements_text(p_options -> 'ignore')), '{}') || app.self_only_columns(p_table))::text,
          coalesce(p_options ->> 'actorColumn', ''),
          coalesce(p_options ->> 'severity', 'info'));
      end
      $fn$;

    alter table memberships add column last_login_at timestamptz;
    comment on column memberships.last_login_at is 'The member''s last sign-in to this organization (app.record_sign_in).';

    drop trigger users_touch on users;
    create trigger users_touch before update on users for each row
      when ((to_jsonb(old) - 'last_login_at') is distinct from (to_jsonb(new) - 'last_login_at'))
      execute function app.touch();
    drop trigger memberships_touch on memberships;
    create trigger memberships_touch before update on memberships for each row
      when ((to_jsonb(old) - 'last_login_at') is distinct from (to_jsonb(new) - 'last_login_at'))
      execute function app.touch();
  `.execute(db);
  await replaceAsAuthRole(
    db,
    sql`
    -- Stamps the sign-in of the user the transaction now acts for, once that session is valid:
    -- their membership of this organization, and their own last sign-in anywhere.
    create or replace function app.record_sign_in() returns void
      language sql volatile security definer set search_path = ''
      as $$
        update public.users set last_login_at = now() where id = app.current_user_id() and app.session_is_valid();
        update public.memberships set last_login_at = now()
         where organization_id = app.current_org_id() and user_id = app.current_user_id() and ended_at is null
           and app.session_is_valid();
      $$;
  `,
  );

  // The sign-in rule needs one fact about the account (is it active?) also where the caller may
  // not read people: an API key's request checks that its creator may still sign in.
  await sql`
    create function app.account_is_active(p_user_id uuid) returns boolean
      language sql stable security definer set search_path = ''
      as $$ select exists (select 1 from public.users where id = p_user_id and status = 'active') $$;
  `.execute(db);
  await handToAuthRole(db, { 'app.account_is_active(uuid)': ['tenantql_app', 'session_user'] });
  await sql`
    create or replace function app.member_may_sign_in(p_organization_id uuid, p_user_id uuid) returns boolean
      language sql stable
      as $$
        select exists (
          select 1
            from public.memberships m
            join public.organizations o on o.id = m.organization_id
           where m.organization_id = p_organization_id
             and m.user_id = p_user_id
             and m.ended_at is null
             and app.membership_grants_access(m.status)
             and o.is_active
             and app.account_is_active(m.user_id))
      $$;
  `.execute(db);

  // The owner has no BYPASSRLS: it reads these rows for the backfill with FORCE lifted for this
  // transaction only (policies/*.sql force it again after every migrate, and so does this).
  await sql`
    alter table memberships no force row level security;
    alter table auth_refresh_tokens no force row level security;
    alter table users no force row level security;
    update memberships m set last_login_at = u.last_login_at
      from users u
     where u.id = m.user_id and u.last_login_at is not null
       and exists (select 1 from auth_refresh_tokens t
                    where t.organization_id = m.organization_id and t.user_id = m.user_id
                      and t.previous_token_id is null and t.created_at = u.last_login_at);
    alter table memberships force row level security;
    alter table auth_refresh_tokens force row level security;
    alter table users force row level security;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await replaceAsAuthRole(
    db,
    sql`
    create or replace function app.record_sign_in() returns void
      language sql volatile security definer set search_path = ''
      as $$ update public.users set last_login_at = now() where id = app.current_user_id() and app.session_is_valid() $$;
  `,
  );
  await sql`
    create or replace function app.member_may_sign_in(p_organization_id uuid, p_user_id uuid) returns boolean
      language sql stable
      as $$
        select exists (
          select 1
            from public.memberships m
            join public.organizations o on o.id = m.organization_id
            join public.users u on u.id = m.user_id
           where m.organization_id = p_organization_id
             and m.user_id = p_user_id
             and m.ended_at is null
             and app.membership_grants_access(m.status)
             and o.is_active
             and u.status = 'active')
      $$;
    drop function app.account_is_active(uuid);

    drop policy if exists "members see the people of their organization" on users;
    create policy "members see the people of their organization" on users
      for select using (exists (
        select 1 from memberships m
         where m.organization_id = (select app.current_org_id()) and m.user_id = users.id));

    drop trigger memberships_touch on memberships;
    create trigger memberships_touch before update on memberships for each row execute function app.touch();
    drop trigger users_touch on users;
    create trigger users_touch before update on users for each row execute function app.touch();

    alter table memberships drop column last_login_at;

    create or replace function app.audit_table(p_table regclass, p_resource text, p_options jsonb default '{}') returns void
      language plpgsql
      as $fn$
      begin
        execute format('drop trigger if exists audit on %s', p_table);
        execute format('create trigger audit after insert or update or delete on %s for each row '
                       'execute function app.audit_row(%L, %L, %L, %L, %L, %L)',
          p_table, p_resource,
          coalesce(p_options ->> 'organizationColumn', 'organization_id'),
          coalesce(array(select jsonb_array_elements_text(p_options -> 'redact')), '{}')::text,
          coalesce(array(select jsonb_array_elements_text(p_options -> 'ignore')), '{}')::text,
          coalesce(p_options ->> 'actorColumn', ''),
          coalesce(p_options ->> 'severity', 'info'));
      end
      $fn$;

    comment on column users.notification_preferences is null;
    comment on column users.phone_number is null;
    comment on column users.last_login_at is null;
    drop function app.self_only_columns(regclass);
  `.execute(db);
}
