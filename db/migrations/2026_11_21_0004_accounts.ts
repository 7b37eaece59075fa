import { sql, type Kysely } from 'kysely';
import { handToAuthRole } from './helpers';

/**
 * Accounts: sign-up, one-time tokens (password reset, email verification), the mail outbox and
 * sign-in throttling. None of these tables belongs to a tenant; the app role reaches the
 * sensitive ones only through the functions below (owned by tenantql_auth).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table users add column email_verified_at timestamptz;

    -- Mail a sender would drain (seed 003 notifications); tests read it here.
    create table outbox (
      id uuid primary key default gen_random_uuid(),
      to_address text not null check (char_length(to_address) between 3 and 254),
      template text not null check (template ~ '^[a-z][a-z0-9_.]{0,63}$'),
      payload jsonb not null default '{}' check (jsonb_typeof(payload) = 'object'),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      sent_at timestamptz
    );
    create index outbox_unsent_idx on outbox (created_at) where sent_at is null;
    create trigger outbox_touch before update on outbox for each row execute function app.touch();

    -- Random, single-use, expiring tokens; only their SHA-256 is stored.
    create table user_tokens (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      purpose text not null check (purpose in ('password_reset', 'email_verification')),
      token_hash text not null check (token_hash ~ '^[0-9a-f]{64}$'),
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id()
    );
    create unique index user_tokens_hash_key on user_tokens (token_hash);
    create index user_tokens_user_idx on user_tokens (user_id, purpose) where used_at is null;
    create trigger user_tokens_touch before update on user_tokens for each row execute function app.touch();

    -- Failed sign-ins per key ('account:<email>' or 'ip:<address>'), whether or not the account
    -- exists, so a lock never tells.
    create table sign_in_throttle (
      key text primary key check (char_length(key) <= 320),
      failures integer not null default 0,
      window_started_at timestamptz not null default now(),
      locked_until timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id()
    );
    create trigger sign_in_throttle_touch before update on sign_in_throttle for each row execute function app.touch();

    -- Counts a sign-in attempt against each key before the password is checked, atomically (a
    -- row lock per key), so parallel guesses cannot slip past the limit. The attempt that
    -- reaches a key's limit locks it; while any key is locked, attempts are refused (false).
    -- A successful sign-in resets its account's count (app.end_sign_in_attempt).
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
        -- The account's count starts over; the address only gets this attempt back.
        update public.sign_in_throttle
           set failures = case when key like 'account:%' then 0 else greatest(failures - 1, 0) end
         where key = any(p_keys) and (locked_until is null or locked_until <= now())
      $$;

    -- A one-time token for an active account with this email (password reset, anonymous) or for
    -- the signed-in user (email verification), mailed through the outbox. The token is made here
    -- and only its hash is kept: the app role never learns it, so it cannot mint a reset for
    -- anyone. Says nothing about whether the account exists.
    create function app.issue_user_token(p_email text, p_purpose text, p_ttl interval)
      returns void
      language plpgsql volatile security definer set search_path = ''
      as $$
      declare
        u public.users;
        token text;
      begin
        if p_email is null then
          if not app.session_is_valid() then
            return;
          end if;
          select * into u from public.users where id = app.current_user_id() and status = 'active';
        else
          select * into u from public.users where lower(users.email) = lower(p_email) and status = 'active';
        end if;
        if not found then
          return;
        end if;
        token := (case p_purpose when 'password_reset' then 'pr_' else 'ev_' end)
          || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
        -- One live token per purpose: a new request supersedes the old one.
        update public.user_tokens t set used_at = now() where t.user_id = u.id and t.purpose = p_purpose and t.used_at is null;
        insert into public.user_tokens (user_id, purpose, token_hash, expires_at, created_by, updated_by)
        values (u.id, p_purpose, encode(sha256(convert_to(token, 'UTF8')), 'hex'), now() + p_ttl, u.id, u.id);
        insert into public.outbox (to_address, template, payload, created_by, updated_by)
        values (u.email, case p_purpose when 'password_reset' then 'account.password_reset' else 'account.verify_email' end,
                jsonb_build_object('firstName', u.first_name, 'token', token), u.id, u.id);
      end
      $$;

    -- Spends a token: returns its user when it is unused, unexpired and of this purpose.
    create function app.consume_user_token(p_purpose text, p_hash text) returns uuid
      language sql volatile security definer set search_path = ''
      as $$
        update public.user_tokens set used_at = now()
         where token_hash = p_hash and purpose = p_purpose and used_at is null and expires_at > now()
        returning user_id
      $$;

    create function app.reset_password(p_hash text, p_password_hash text) returns uuid
      language plpgsql volatile security definer set search_path = ''
      as $$
      declare
        uid uuid := app.consume_user_token('password_reset', p_hash);
      begin
        if uid is null then
          return null;
        end if;
        update public.users set password_hash = p_password_hash, updated_by = uid where id = uid and status = 'active';
        -- A reset ends every session: whoever knew the old password is out.
        update public.auth_refresh_tokens set revoked_at = now(), revoked_reason = 'logout_everywhere'
         where user_id = uid and revoked_at is null;
        return uid;
      end
      $$;

    create function app.verify_email(p_hash text) returns uuid
      language plpgsql volatile security definer set search_path = ''
      as $$
      declare
        uid uuid := app.consume_user_token('email_verification', p_hash);
      begin
        update public.users set email_verified_at = now(), updated_by = uid where id = uid;
        return uid;
      end
      $$;

    -- changePassword: the signed-in user's current hash, to verify the old password.
    create function app.password_hash_of_current_user() returns text
      language sql stable security definer set search_path = ''
      as $$ select password_hash from public.users where id = app.current_user_id() and app.session_is_valid() $$;

    -- changePassword: sets the hash and ends the user's other sessions.
    create function app.set_password_of_current_user(p_password_hash text) returns boolean
      language plpgsql volatile security definer set search_path = ''
      as $$
      begin
        if not app.session_is_valid() then
          return false;
        end if;
        update public.users set password_hash = p_password_hash where id = app.current_user_id();
        update public.auth_refresh_tokens set revoked_at = now(), revoked_reason = 'logout_everywhere'
         where user_id = app.current_user_id() and revoked_at is null and family_id <> app.current_session_id();
        return true;
      end
      $$;

  `.execute(db);
  await handToAuthRole(db, {
    'app.begin_sign_in_attempt(text[], integer[], interval, interval)': ['tenantql_app'],
    'app.end_sign_in_attempt(text[])': ['tenantql_app'],
    'app.issue_user_token(text, text, interval)': ['tenantql_app'],
    'app.consume_user_token(text, text)': [],
    'app.reset_password(text, text)': ['tenantql_app'],
    'app.verify_email(text)': ['tenantql_app'],
    'app.password_hash_of_current_user()': ['tenantql_app'],
    'app.set_password_of_current_user(text)': ['tenantql_app'],
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function app.begin_sign_in_attempt(text[], integer[], interval, interval);
    drop function app.end_sign_in_attempt(text[]);
    drop function app.issue_user_token(text, text, interval);
    drop function app.reset_password(text, text);
    drop function app.verify_email(text);
    drop function app.consume_user_token(text, text);
    drop function app.password_hash_of_current_user();
    drop function app.set_password_of_current_user(text);
    drop table sign_in_throttle, user_tokens, outbox;
    alter table users drop column email_verified_at;
  `.execute(db);
}
