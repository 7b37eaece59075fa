import { sql, type Kysely, type RawBuilder } from 'kysely';
import { assertTenantKeys, handToAuthRole, replaceAsAuthRole } from './helpers';

/**
 * Every key of a tenant table includes organization_id (issue 15), and one approved way to find a
 * row before the tenant is known: the token directory.
 *
 * Three tokens are presented before any tenant is set: an invitation's, an API key and a refresh
 * token. Each was found by a global unique index on its hash, the only keys of tenant tables that
 * left out organization_id (a table sharded by organization cannot enforce those). Now
 * `app.token_directory` maps a hash to its kind, organization and row; the three indexes become
 * (organization_id, hash); and the functions that look a token up read the directory first, then
 * the row by (organization_id, id). The directory's primary key on the hash keeps a hash unique
 * across every tenant and kind, as the old indexes did. It holds hashes only, which the three
 * tables already store; the app role cannot read it. Triggers on the three tables keep it, as
 * tenantql_auth; this migration fills it with the rows already there.
 *
 * A new kind of token carries its organization instead (docs/security.md, "Looking a row up
 * before the tenant is known").
 */
export const TOKEN_TABLES = [
  { kind: 'invitation', table: 'invitations', column: 'token_hash', index: 'invitations_token_key' },
  { kind: 'api_key', table: 'api_keys', column: 'secret_hash', index: 'api_keys_secret_key' },
  { kind: 'refresh_token', table: 'auth_refresh_tokens', column: 'token_hash', index: 'auth_refresh_tokens_hash_key' },
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table app.token_directory (
      token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
      kind text not null check (kind in (${sql.join(TOKEN_TABLES.map((t) => sql.lit(t.kind)))})),
      organization_id uuid not null,
      id uuid not null,
      unique (kind, organization_id, id)
    );
    comment on table app.token_directory is 'Hash of a presented token -> its row: read by the lookups before any tenant is set, kept by triggers';
    -- Granted here, not in policies/: the triggers below write it on every login, invitation and
    -- new key, so the grant must come in the same transaction as they do. Nobody else reads it.
    revoke all on app.token_directory from public;
    grant select, insert, delete on app.token_directory to tenantql_auth;

    -- Keeps the directory in step with one table (trigger arguments: kind, hash column). A hash
    -- already there, of any tenant and kind, fails the write (the primary key).
    create function app.keep_token_directory() returns trigger
      language plpgsql security definer set search_path = ''
      as $$
      declare
        v_kind text := tg_argv[0];
        v_old text;
        v_new text;
      begin
        if tg_op = 'TRUNCATE' then
          delete from app.token_directory where kind = v_kind;
          return null;
        end if;
        if tg_op <> 'INSERT' then
          v_old := pg_catalog.to_jsonb(old) ->> tg_argv[1];
        end if;
        if tg_op <> 'DELETE' then
          v_new := pg_catalog.to_jsonb(new) ->> tg_argv[1];
        end if;
        if tg_op = 'UPDATE' and v_old = v_new and old.organization_id = new.organization_id and old.id = new.id then
          return null;
        end if;
        if v_old is not null then
          delete from app.token_directory d
           where d.token_hash = v_old and d.kind = v_kind and d.organization_id = old.organization_id and d.id = old.id;
        end if;
        if v_new is not null then
          insert into app.token_directory (token_hash, kind, organization_id, id)
          values (v_new, v_kind, new.organization_id, new.id);
        end if;
        return null;
      end
      $$;
  `.execute(db);

  for (const t of TOKEN_TABLES) {
    const table = sql.table(t.table);
    // The owner has no BYPASSRLS: FORCE is lifted for this transaction only, to read every
    // tenant's rows for the backfill (policies/*.sql force it again after every migrate, and so
    // does this). The lock it takes keeps writers out until the triggers exist.
    await sql`
      alter table ${table} no force row level security;
      insert into app.token_directory (token_hash, kind, organization_id, id)
      select ${sql.ref(t.column)}, ${sql.lit(t.kind)}, organization_id, id from ${table};
      alter table ${table} force row level security;
      create trigger ${sql.id(`${t.table}_token_directory`)}
        after insert or delete or update of ${sql.ref(t.column)}, organization_id, id on ${table}
        for each row execute function app.keep_token_directory(${sql.lit(t.kind)}, ${sql.lit(t.column)});
      create trigger ${sql.id(`${t.table}_token_directory_truncate`)} after truncate on ${table}
        for each statement execute function app.keep_token_directory(${sql.lit(t.kind)}, ${sql.lit(t.column)});
      drop index ${sql.id(t.index)};
      create unique index ${sql.id(t.index)} on ${table} (organization_id, ${sql.ref(t.column)});
    `.execute(db);
    await assertTenantKeys(db, t.table);
  }
  // After the triggers: creating one needs EXECUTE on its function, which the hand-over takes away.
  await handToAuthRole(db, { 'app.keep_token_directory()': [] });

  // The directory first, then the row by its key (one shard under Citus). The row's own hash is
  // compared too, so a directory entry that pointed elsewhere would find nothing.
  const fromDirectory = (kind: string, alias: string, column: string, hash = 'p_hash') =>
    sql.raw(`(${alias}.organization_id, ${alias}.id) = (select d.organization_id, d.id from app.token_directory d
                                where d.token_hash = ${hash} and d.kind = '${kind}')
           and ${alias}.${column} = ${hash}`);
  await replaceAsAuthRole(db, invitationByToken(fromDirectory('invitation', 'i', 'token_hash')));
  await replaceAsAuthRole(db, authenticateApiKey(fromDirectory('api_key', 'k', 'secret_hash')));
  await replaceAsAuthRole(db, rotateRefreshToken(fromDirectory('refresh_token', 'r', 'token_hash')));
  await replaceAsAuthRole(db, liveSessionFamily(fromDirectory('refresh_token', 't', 'token_hash', 'p_token_hash')));
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await replaceAsAuthRole(db, invitationByToken(sql.raw('i.token_hash = p_hash')));
  await replaceAsAuthRole(db, authenticateApiKey(sql.raw('k.secret_hash = p_hash')));
  await replaceAsAuthRole(db, rotateRefreshToken(sql.raw('r.token_hash = p_hash')));
  await replaceAsAuthRole(db, liveSessionFamily(sql.raw('t.token_hash = p_token_hash')));
  for (const t of TOKEN_TABLES) {
    const table = sql.table(t.table);
    await sql`
      drop trigger ${sql.id(`${t.table}_token_directory`)} on ${table};
      drop trigger ${sql.id(`${t.table}_token_directory_truncate`)} on ${table};
      drop index ${sql.id(t.index)};
      create unique index ${sql.id(t.index)} on ${table} (${sql.ref(t.column)});
    `.execute(db);
  }
  await sql`
    drop function app.keep_token_directory();
    drop table app.token_directory;
  `.execute(db);
}

// The four lookups by hash, as migrations 0002, 0016 and 0017 left them except for `found`, the
// condition that finds the row by its hash. (app.authenticate_api_key_for of migration 0019 calls
// app.authenticate_api_key.)

/** The open, unexpired invitation behind a token, while its inviter may still give its role (migration 0017). */
function invitationByToken(found: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    create or replace function app.invitation_by_token(p_hash text)
      returns table (organization_id uuid, invitation_id uuid, email text, role text)
      language sql stable security definer set search_path = ''
      as $$
        select i.organization_id, i.id, i.email, i.role
          from public.invitations i join public.organizations o on o.id = i.organization_id
         where ${found} and i.accepted_at is null and i.revoked_at is null
           and i.expires_at > now() and o.is_active and app.inviter_may_give(i.organization_id, i.created_by, i.role)
      $$`;
}

/** A live key's organization, id and permissions; stamps last_used_at unless the row is locked (migration 0016). */
function authenticateApiKey(found: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    create or replace function app.authenticate_api_key(p_hash text)
      returns table (organization_id uuid, api_key_id uuid, permissions text[])
      language sql volatile security definer set search_path = ''
      as $$
        with found as (
          select k.organization_id, k.id, k.permissions, k.last_used_at
            from public.api_keys k
           where ${found} and app.api_key_is_live(k.organization_id, k.created_by, k.revoked_at, k.expires_at)
        ), free as (
          select l.organization_id, l.id
            from public.api_keys l join found f on l.organization_id = f.organization_id and l.id = f.id
           where f.last_used_at is null or f.last_used_at < now() - interval '1 minute'
             for update of l skip locked
        ), stamped as (
          update public.api_keys k set last_used_at = now()
            from free
           where k.organization_id = free.organization_id and k.id = free.id
        )
        select organization_id, id, permissions from found
      $$`;
}

/** Rotation with reuse detection (migration 0002). */
function rotateRefreshToken(found: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    create or replace function app.rotate_refresh_token(p_hash text, p_new_hash text, p_ttl interval, p_user_agent text, p_ip text)
      returns table (outcome text, user_id uuid, organization_id uuid, family_id uuid)
      language plpgsql volatile security definer set search_path = ''
      as $$
      declare
        t public.auth_refresh_tokens;
        successor uuid;
      begin
        select * into t from public.auth_refresh_tokens r where ${found} for update;
        if not found then
          return query select 'invalid', null::uuid, null::uuid, null::uuid;
          return;
        end if;
        if t.revoked_at is not null or t.replaced_by_token_id is not null then
          update public.auth_refresh_tokens r set revoked_at = now(), revoked_reason = 'reuse'
           where r.organization_id = t.organization_id and r.family_id = t.family_id and r.revoked_at is null;
          return query select 'reused', t.user_id, t.organization_id, t.family_id;
          return;
        end if;
        if t.expires_at <= now() then
          return query select 'expired', t.user_id, t.organization_id, t.family_id;
          return;
        end if;
        if not app.member_may_sign_in(t.organization_id, t.user_id) then
          update public.auth_refresh_tokens r set revoked_at = now(), revoked_reason = 'access_lost'
           where r.organization_id = t.organization_id and r.family_id = t.family_id and r.revoked_at is null;
          return query select 'denied', t.user_id, t.organization_id, t.family_id;
          return;
        end if;
        insert into public.auth_refresh_tokens
               (organization_id, user_id, token_hash, family_id, previous_token_id, user_agent, ip, expires_at, created_by, updated_by)
        values (t.organization_id, t.user_id, p_new_hash, t.family_id, t.id, p_user_agent, p_ip, now() + p_ttl, t.user_id, t.user_id)
        returning id into successor;
        update public.auth_refresh_tokens r set replaced_by_token_id = successor
         where r.organization_id = t.organization_id and r.id = t.id;
        return query select 'rotated', t.user_id, t.organization_id, t.family_id;
      end
      $$`;
}

/** The session a live refresh token of the active account with this email belongs to (migration 0016). */
function liveSessionFamily(found: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    create or replace function app.live_session_family(p_email text, p_token_hash text) returns uuid
      language sql stable security definer set search_path = ''
      as $$
        select t.family_id
          from public.auth_refresh_tokens t
          join public.users u on u.id = t.user_id
         where ${found} and t.revoked_at is null and t.replaced_by_token_id is null
           and t.expires_at > now() and lower(u.email) = lower(p_email) and u.status = 'active'
      $$`;
}
