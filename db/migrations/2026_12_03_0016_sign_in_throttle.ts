import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/**
 * The sign-in throttle, second version (issue 13, items 1 and 10).
 *
 * Before, an attempt was counted before the password was checked and a success took it back
 * inside the request transaction: the request then held the counter rows' locks until it
 * committed, so a second password check in the same request waited for itself on another
 * connection; attempts of correct passwords locked the account; and anyone who knew an email
 * could keep its account locked.
 *
 * Now a check is two short transactions of its own, and neither holds a lock past its COMMIT:
 * `app.reserve_sign_in_attempt` takes a slot (checks run at most `limit - failures` at once, so
 * parallel guesses cannot overtake the count) and `app.finish_sign_in_attempt` gives it back,
 * counting a failure or, for an account, clearing its failures on success. Only failures count.
 * Past `limit` failures a key is locked for a time that doubles with each further failure (1 s,
 * 2 s, 4 s, ... up to the lock setting), so a typo costs seconds and guessing slows to one try
 * per lock. Failures are forgotten after a quiet window. The caller decides which keys a check
 * counts against: a client holding a live session of the account (`app.live_session_family`)
 * is counted under that session's key instead of the account's, so a stranger's failures do not
 * lock it out.
 *
 * The same shape elsewhere: `app.authenticate_api_key` stamped a key's last use in an autocommit
 * statement that waited for any request transaction holding the key's row; it now skips the
 * stamp when the row is locked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sign_in_throttle
      add column in_flight integer not null default 0 check (in_flight >= 0),
      add column in_flight_since timestamptz,
      add column last_failure_at timestamptz,
      add constraint sign_in_throttle_failures check (failures >= 0);
    -- Every email tried, known or not, gets a row: the oldest are forgotten (app.reserve_sign_in_attempt).
    create index sign_in_throttle_updated_at on sign_in_throttle (updated_at);

    drop function app.begin_sign_in_attempt(text[], integer[], interval, interval);
    drop function app.end_sign_in_attempt(text[]);

    -- Takes a check slot on every key, or on none: false while any key is locked or has as many
    -- checks running as it has failures left (at least one). Slots of a key whose last check began
    -- over a minute ago belong to checks that never finished (a crashed process) and are dropped.
    create function app.reserve_sign_in_attempt(p_keys text[], p_limits integer[], p_window interval)
      returns boolean
      language plpgsql volatile security definer set search_path = ''
      as $$
      declare
        k record;
        t public.sign_in_throttle;
      begin
        -- Lock and check every key first (in key order, so two checks never wait for each other
        -- crosswise), then take the slots: all or nothing.
        for k in select * from unnest(p_keys, p_limits) as u(key, lim) order by 1 loop
          insert into public.sign_in_throttle (key) values (k.key) on conflict (key) do nothing;
          select * into t from public.sign_in_throttle where key = k.key for update;
          if t.in_flight_since < now() - interval '1 minute' then
            t.in_flight := 0;
          end if;
          if greatest(t.last_failure_at, t.locked_until) < now() - p_window then
            t.failures := 0;
          end if;
          if t.locked_until > now() or t.in_flight >= greatest(1, k.lim - t.failures) then
            return false;
          end if;
        end loop;
        update public.sign_in_throttle r
           set in_flight = case when r.in_flight_since < now() - interval '1 minute' then 1 else r.in_flight + 1 end,
               in_flight_since = now(),
               failures = case when greatest(r.last_failure_at, r.locked_until) < now() - p_window then 0 else r.failures end
         where r.key = any(p_keys);
        -- Forgets a few keys nobody has tried for a whole window, so made-up emails cannot pile
        -- up: such a row would start from nothing anyway (its failures and lock have lapsed, and a
        -- check still in flight after a minute counts as gone). Last, with this check's own keys
        -- held, and skipping locked rows: it never waits, so it cannot join a deadlock.
        delete from public.sign_in_throttle d
         where d.key in (select s.key from public.sign_in_throttle s
                          where s.updated_at < now() - p_window - interval '1 minute'
                            and coalesce(s.locked_until, '-infinity') < now() - p_window
                          order by s.updated_at limit 10 for update skip locked);
        return true;
      end
      $$;

    -- Gives the slots back. A failure (p_failed true) counts against every key and, past a key's
    -- limit, locks it for 2^(failures - limit) seconds, at most p_lock. A success (false) clears
    -- an account's (or a session's) failures; an address keeps its count. Null only gives the
    -- slots back (the check itself failed, e.g. the database was unavailable).
    create function app.finish_sign_in_attempt(p_keys text[], p_limits integer[], p_failed boolean, p_lock interval)
      returns void
      language plpgsql volatile security definer set search_path = ''
      as $$
      declare
        k record;
      begin
        for k in select * from unnest(p_keys, p_limits) as u(key, lim) order by 1 loop
          update public.sign_in_throttle t
             set in_flight = greatest(t.in_flight - 1, 0),
                 failures = case when p_failed then t.failures + 1
                                 when p_failed is false and k.key not like 'ip:%' then 0
                                 else t.failures end,
                 last_failure_at = case when p_failed then now() else t.last_failure_at end,
                 locked_until = case
                   when p_failed and t.failures + 1 >= k.lim
                     then now() + least(p_lock, make_interval(secs => power(2, least(t.failures + 1 - k.lim, 30))))
                   when p_failed is false and k.key not like 'ip:%' then null
                   else t.locked_until end
           where t.key = k.key;
        end loop;
      end
      $$;

    -- The session (refresh-token family) a live refresh token of the active account with this
    -- email belongs to; null for anything else. Spends nothing: it only proves the client holds it.
    create function app.live_session_family(p_email text, p_token_hash text) returns uuid
      language sql stable security definer set search_path = ''
      as $$
        select t.family_id
          from public.auth_refresh_tokens t
          join public.users u on u.id = t.user_id
         where t.token_hash = p_token_hash and t.revoked_at is null and t.replaced_by_token_id is null
           and t.expires_at > now() and lower(u.email) = lower(p_email) and u.status = 'active'
      $$;

    -- The same shape outside sign-in: authenticating an API key stamped last_used_at in an
    -- autocommit statement on a request connection, and waited for any request transaction
    -- holding the key's row (one updating or revoking it). The stamp is once-a-minute
    -- bookkeeping: a locked row now skips it instead of holding the connection. (Only its owner
    -- may replace it.)
    grant create on schema app to tenantql_auth;
    set local role tenantql_auth;
    create or replace function app.authenticate_api_key(p_hash text)
      returns table (organization_id uuid, api_key_id uuid, permissions text[])
      language sql volatile security definer set search_path = ''
      as $$
        with found as (
          select k.organization_id, k.id, k.permissions, k.last_used_at
            from public.api_keys k
           where k.secret_hash = p_hash and app.api_key_is_live(k.organization_id, k.created_by, k.revoked_at, k.expires_at)
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
      $$;
    reset role;
    revoke create on schema app from tenantql_auth;
  `.execute(db);
  await handToAuthRole(db, {
    'app.reserve_sign_in_attempt(text[], integer[], interval)': ['tenantql_app'],
    'app.finish_sign_in_attempt(text[], integer[], boolean, interval)': ['tenantql_app'],
    'app.live_session_family(text, text)': ['tenantql_app'],
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function app.reserve_sign_in_attempt(text[], integer[], interval);
    drop function app.finish_sign_in_attempt(text[], integer[], boolean, interval);
    drop function app.live_session_family(text, text);
    alter table sign_in_throttle
      drop constraint sign_in_throttle_failures,
      drop column in_flight, drop column in_flight_since, drop column last_failure_at;
    drop index sign_in_throttle_updated_at;

    -- Migration 0008's, as it was.
    grant create on schema app to tenantql_auth;
    set local role tenantql_auth;
    create or replace function app.authenticate_api_key(p_hash text)
      returns table (organization_id uuid, api_key_id uuid, permissions text[])
      language sql volatile security definer set search_path = ''
      as $$
        with found as (
          select k.organization_id, k.id, k.permissions, k.last_used_at
            from public.api_keys k
           where k.secret_hash = p_hash and app.api_key_is_live(k.organization_id, k.created_by, k.revoked_at, k.expires_at)
        ), stamped as (
          update public.api_keys k set last_used_at = now()
            from found f
           where k.organization_id = f.organization_id and k.id = f.id
             and (f.last_used_at is null or f.last_used_at < now() - interval '1 minute')
        )
        select organization_id, id, permissions from found
      $$;
    reset role;
    revoke create on schema app from tenantql_auth;

    -- Migration 0004's functions, as they were.
    create function app.begin_sign_in_attempt(p_keys text[], p_limits integer[], p_window interval, p_lock interval)
      returns boolean
      language plpgsql volatile security definer set search_path = ''
      as $$
      declare
        k record;
        t public.sign_in_throttle;
        allowed boolean := true;
      begin
        for k in select * from unnest(p_keys, p_limits) as u(key, lim) order by 1 loop
          insert into public.sign_in_throttle (key) values (k.key) on conflict (key) do nothing;
          select * into t from public.sign_in_throttle where key = k.key for update;
          if t.locked_until > now() then
            allowed := false;
            continue;
          end if;
          if t.window_started_at < now() - p_window then
            t.failures := 0;
            t.window_started_at := now();
          end if;
          t.failures := t.failures + 1;
          if t.failures >= k.lim then
            t.locked_until := now() + p_lock;
            t.failures := 0;
            t.window_started_at := now();
          end if;
          update public.sign_in_throttle
             set failures = t.failures, window_started_at = t.window_started_at, locked_until = t.locked_until
           where key = k.key;
        end loop;
        return allowed;
      end
      $$;

    create function app.end_sign_in_attempt(p_keys text[]) returns void
      language sql volatile security definer set search_path = ''
      as $$
        update public.sign_in_throttle
           set failures = case when key like 'account:%' then 0 else greatest(failures - 1, 0) end
         where key = any(p_keys) and (locked_until is null or locked_until <= now())
      $$;
  `.execute(db);
  await handToAuthRole(db, {
    'app.begin_sign_in_attempt(text[], integer[], interval, interval)': ['tenantql_app'],
    'app.end_sign_in_attempt(text[])': ['tenantql_app'],
  });
}
