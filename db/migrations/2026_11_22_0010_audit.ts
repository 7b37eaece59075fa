import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/**
 * The audit log (seeds 003 and 000): every change to an audited table is recorded, in the same
 * transaction, by a database trigger, so no code path can forget it and no role of the app can
 * forge, change or remove an entry.
 *
 * - `app.row_changes(old, new, ignore, redact)` is the one diff: the changed columns before and
 *   after, secrets replaced by "[redacted]" (task activity uses it too).
 * - `app.audit_row()` writes the entry. It runs as `tenantql_auth` (SECURITY DEFINER), the only
 *   role that may insert into `audit_log`; the app role may only read it (RLS: its tenant).
 * - `app.audit_table(table, resource, options)` installs the trigger; each domain's policy file
 *   calls it for its tables, as it calls `app.isolate_by_tenant`.
 * - Who and where come from the request: `app.current_user_id()`, `app.current_api_key_id()` and
 *   `app.current_request()` (request id, IP, user agent, operation name; set by the request
 *   transaction of a read-write request).
 * - `audit_log` is append-only: UPDATE and TRUNCATE are always refused, even for the owner, and
 *   DELETE only for entries older than the cut-off the retention job (`db:purge-audit`) sets,
 *   and never for entries of the last day.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table audit_log (
      organization_id uuid not null references organizations (id),
      id uuid not null default gen_random_uuid(),
      created_at timestamptz not null default clock_timestamp(),
      actor_user_id uuid references users (id),
      actor_api_key_id uuid,
      action text not null check (action ~ '^[a-z_]+[.][a-z_]+$'),
      resource_type text not null,
      resource_id uuid,
      changes jsonb not null default '{}',
      severity text not null default 'info' check (severity in ('info', 'warning', 'error', 'critical')),
      request_id text check (char_length(request_id) <= 200),
      ip inet,
      user_agent text check (char_length(user_agent) <= 500),
      operation_name text check (char_length(operation_name) <= 200),
      primary key (organization_id, id)
    );
    create index audit_log_created_idx on audit_log (organization_id, created_at, id);
    create index audit_log_actor_idx on audit_log (organization_id, actor_user_id, created_at);
    create index audit_log_resource_idx on audit_log (organization_id, resource_type, resource_id, created_at);
    create index audit_log_action_idx on audit_log (organization_id, action, created_at);
    create index audit_log_severity_idx on audit_log (organization_id, severity, created_at) where severity in ('error', 'critical');

    -- What the request transaction says about the request: base64 of a JSON object, so only
    -- base64 characters ever travel inside the statement that sets it.
    create function app.current_request() returns jsonb
      language plpgsql stable
      as $$
      declare
        v_raw text := nullif(current_setting('app.request', true), '');
      begin
        if v_raw is null then return '{}'; end if;
        return convert_from(decode(v_raw, 'base64'), 'UTF8')::jsonb;
      exception when others then
        return '{}';
      end
      $$;

    -- An address that is not a valid inet is recorded as unknown rather than failing the change.
    create function app.inet_or_null(p_value text) returns inet
      language plpgsql immutable
      as $$
      begin
        return p_value::inet;
      exception when others then
        return null;
      end
      $$;

    -- The changed columns of a row, before and after; null when nothing (but ignored columns) changed.
    create function app.row_changes(p_old jsonb, p_new jsonb, p_ignore text[], p_redact text[]) returns jsonb
      language plpgsql immutable
      as $$
      declare
        v_before jsonb := '{}';
        v_after jsonb := '{}';
        v_key text;
      begin
        if p_old is null then
          v_after := p_new - p_ignore;
        elsif p_new is null then
          v_before := p_old - p_ignore;
        else
          for v_key in select jsonb_object_keys(p_new) loop
            if not (v_key = any (p_ignore)) and (p_new -> v_key) is distinct from (p_old -> v_key) then
              v_before := v_before || jsonb_build_object(v_key, p_old -> v_key);
              v_after := v_after || jsonb_build_object(v_key, p_new -> v_key);
            end if;
          end loop;
          if v_after = '{}' then return null; end if;
        end if;
        foreach v_key in array p_redact loop
          if v_before ? v_key and v_before -> v_key <> 'null' then v_before := jsonb_set(v_before, array[v_key], '"[redacted]"'); end if;
          if v_after ? v_key and v_after -> v_key <> 'null' then v_after := jsonb_set(v_after, array[v_key], '"[redacted]"'); end if;
        end loop;
        -- Not jsonb_strip_nulls: it strips recursively, and a column set to or from null is a change.
        return case when p_old is null then jsonb_build_object('after', v_after)
                    when p_new is null then jsonb_build_object('before', v_before)
                    else jsonb_build_object('before', v_before, 'after', v_after) end;
      end
      $$;

    -- The audit trigger. Arguments (set by app.audit_table): resource type, the column holding
    -- the organization ('' = the current organization), columns to redact, columns to ignore,
    -- the column naming the actor when nobody is signed in yet (''), and the base severity.
    create function app.audit_row() returns trigger
      language plpgsql security definer
      set search_path = ''
      as $$
      declare
        v_old jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) end;
        v_new jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) end;
        v_row jsonb := coalesce(v_new, v_old);
        v_changes jsonb;
        v_action text;
        v_severity text := tg_argv[5];
        v_org uuid;
        v_request jsonb := app.current_request();
      begin
        v_changes := app.row_changes(v_old, v_new,
          tg_argv[3]::text[] || array['updated_at', 'updated_by', 'created_at', 'created_by'], tg_argv[2]::text[]);
        if v_changes is null then return null; end if;
        v_org := case when tg_argv[1] = '' then app.current_org_id() else (v_row ->> tg_argv[1])::uuid end;
        if v_org is null then return null; end if; -- a change outside any organization (an account of its own)
        v_action := case
          when tg_op = 'INSERT' then 'create'
          when tg_op = 'DELETE' then 'delete'
          when v_changes -> 'after' ? 'deleted_at' and v_changes -> 'after' -> 'deleted_at' <> 'null' then 'delete'
          when v_changes -> 'after' ? 'deleted_at' then 'restore'
          else 'update' end;
        if v_action = 'delete' and v_severity = 'info' then v_severity := 'warning'; end if;
        insert into public.audit_log (organization_id, actor_user_id, actor_api_key_id, action, resource_type, resource_id,
                                      changes, severity, request_id, ip, user_agent, operation_name)
        values (v_org,
                coalesce(app.current_user_id(), case when tg_argv[4] <> '' then (v_row ->> tg_argv[4])::uuid end),
                app.current_api_key_id(),
                tg_argv[0] || '.' || v_action, tg_argv[0], (v_row ->> 'id')::uuid, v_changes, v_severity,
                left(v_request ->> 'requestId', 200), app.inet_or_null(v_request ->> 'ip'),
                left(v_request ->> 'userAgent', 500), left(v_request ->> 'operationName', 200));
        return null;
      end
      $$;

    -- Installs (or re-installs) the audit trigger on a table.
    create function app.audit_table(p_table regclass, p_resource text, p_options jsonb default '{}') returns void
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
    revoke execute on function app.audit_table(regclass, text, jsonb) from public;

    -- Append-only: nothing updates an entry, and only the retention job removes old ones.
    create function app.audit_log_is_append_only() returns trigger
      language plpgsql
      as $$
      declare
        v_cutoff timestamptz;
      begin
        -- The retention job keeps at least a day: no setting lets anyone empty the recent log.
        if tg_op = 'DELETE' then
          v_cutoff := nullif(current_setting('app.audit_purge_before', true), '')::timestamptz;
          if v_cutoff is not null and old.created_at < least(v_cutoff, now() - interval '1 day') then
            return old;
          end if;
        end if;
        raise exception 'the audit log is append-only' using errcode = '42501';
      end
      $$;
    create trigger audit_log_append_only before update or delete on audit_log
      for each row execute function app.audit_log_is_append_only();
    create trigger audit_log_no_truncate before truncate on audit_log
      for each statement execute function app.audit_log_is_append_only();
  `.execute(db);
  // The owner creates the triggers (CREATE TRIGGER needs EXECUTE); nobody calls it directly.
  await handToAuthRole(db, { 'app.audit_row()': ['session_user'] });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    select format('drop trigger if exists audit on %s', c.oid::regclass) from pg_trigger t join pg_class c on c.oid = t.tgrelid
     where t.tgname = 'audit' and not t.tgisinternal;
  `
    .execute(db)
    .then(async (result) => {
      for (const row of result.rows as { format: string }[]) await sql.raw(row.format).execute(db);
    });
  await sql`
    drop table audit_log;
    drop function app.audit_log_is_append_only();
    drop function app.audit_table(regclass, text, jsonb);
    drop function app.audit_row();
    drop function app.row_changes(jsonb, jsonb, text[], text[]);
    drop function app.current_request();
    drop function app.inet_or_null(text);
  `.execute(db);
}
