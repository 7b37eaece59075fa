import { sql, type Kysely } from 'kysely';

/**
 * One policy line per plain tenant table (issue 15): `app.tenant_resource(table, resource, options)`
 * does what each policy file used to write out per table, so a new table cannot get half of it.
 *
 * - Grants to `tenantql_app`, after revoking all it had: SELECT and INSERT, DELETE only with
 *   `"delete": true`, and UPDATE of the columns listed in `"update"` only (a column left out stays
 *   read-only, whatever the code tries).
 * - `app.isolate_by_tenant`: ENABLE + FORCE row-level security and the tenant_isolation policy.
 * - "Follows the visibility of its project": with `"follows": "project"` the rows of a private
 *   project are hidden through the table's `project_id`; with `"follows": "<parent table>"` and
 *   `"followsColumn": "<fk column>"` a row is visible only while its parent row (in the same
 *   schema and organization) is, whose own policies apply inside the check. Without `follows`
 *   that policy is dropped, so removing the option removes the rule; a table with a visibility
 *   rule of its own (projects) writes it after its line.
 * - The audit trigger, through `app.audit_table`, with `"audit"` as its options
 *   (`{"ignore": [...], "redact": [...], ...}`).
 *
 * Idempotent and declarative: a second call with other options leaves only what they say. Run by
 * the owner from policies/*.sql, which are re-applied after every migrate; nobody else may call it.
 * Grants to other roles (tenantql_auth) and special policies stay written out beside the line.
 *
 * @example
 * -- policies/work.sql
 * select app.tenant_resource('task_comments', 'task_comment',
 *   '{"update": ["body", "edited_at", "deleted_at"], "follows": "tasks", "followsColumn": "task_id"}');
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function app.tenant_resource(p_table regclass, p_resource text, p_options jsonb default '{}') returns void
      language plpgsql
      set search_path = ''
      as $fn$
      declare
        v_unknown text := (select string_agg(k, ', ' order by k) from jsonb_object_keys(p_options) k
                            where k not in ('delete', 'update', 'follows', 'followsColumn', 'audit'));
        v_delete boolean;
        v_update text;
        v_follows text := p_options ->> 'follows';
        v_parent regclass;
      begin
        -- A mistyped option would otherwise be ignored, and its rule silently missing.
        if v_unknown is not null then
          raise exception 'app.tenant_resource(%): unknown option %', p_table, v_unknown using errcode = '22023';
        end if;
        if jsonb_typeof(coalesce(p_options -> 'delete', 'false')) <> 'boolean' then
          raise exception 'app.tenant_resource(%): "delete" must be true or false', p_table using errcode = '22023';
        end if;
        if jsonb_typeof(coalesce(p_options -> 'update', '[]')) <> 'array' then
          raise exception 'app.tenant_resource(%): "update" must be a list of columns', p_table using errcode = '22023';
        end if;
        if jsonb_typeof(coalesce(p_options -> 'audit', '{}')) <> 'object' then
          raise exception 'app.tenant_resource(%): "audit" must be an object (app.audit_table options)', p_table
            using errcode = '22023';
        end if;
        if v_follows is not null and v_follows <> 'project' and p_options ->> 'followsColumn' is null then
          raise exception 'app.tenant_resource(%): "follows": "%" needs "followsColumn"', p_table, v_follows
            using errcode = '22023';
        end if;
        v_delete := coalesce((p_options ->> 'delete')::boolean, false);
        v_update := (select string_agg(quote_ident(c.value), ', ' order by c.ordinality)
                       from jsonb_array_elements_text(coalesce(p_options -> 'update', '[]')) with ordinality c);

        -- Revoking all on the table also revokes every column grant: only what follows is left.
        execute format('revoke all on %s from tenantql_app', p_table);
        execute format('grant select, insert%s on %s to tenantql_app', case when v_delete then ', delete' else '' end,
                       p_table);
        if v_update is not null then
          execute format('grant update (%s) on %s to tenantql_app', v_update, p_table);
        end if;

        perform app.isolate_by_tenant(p_table);

        execute format('drop policy if exists "private projects only for their members" on %s', p_table);
        if v_follows = 'project' then
          execute format('create policy "private projects only for their members" on %s as restrictive to tenantql_app '
                         'using (project_id <> all ((select app.hidden_project_ids())::uuid[]))', p_table);
        elsif v_follows is not null then
          v_parent := format('%I.%I', (select n.nspname from pg_catalog.pg_class c
                                         join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                                        where c.oid = p_table), v_follows)::regclass;
          execute format('create policy "private projects only for their members" on %1$s as restrictive to tenantql_app '
                         'using (exists (select 1 from %2$s parent '
                         'where parent.organization_id = %1$s.organization_id and parent.id = %1$s.%3$I))',
                         p_table, v_parent, p_options ->> 'followsColumn');
        end if;

        perform app.audit_table(p_table, p_resource, coalesce(p_options -> 'audit', '{}'));
      end
      $fn$;
    revoke execute on function app.tenant_resource(regclass, text, jsonb) from public;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function app.tenant_resource(regclass, text, jsonb)`.execute(db);
}
