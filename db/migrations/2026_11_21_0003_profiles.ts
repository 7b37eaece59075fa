import { sql, type Kysely } from 'kysely';

/**
 * Profiles (seed 003 user fields, seed 000 encrypted phone number) and owner maintenance mode.
 * `phone_number` holds AES-256-GCM ciphertext made by the application (src/auth/keyring.ts);
 * the database never sees the plaintext.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table users
      add column avatar_url text check (avatar_url ~ '^https?://' and char_length(avatar_url) <= 2048),
      add column timezone text not null default 'UTC' check (char_length(timezone) between 1 and 64),
      add column language text not null default 'en' check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$'),
      add column notification_preferences jsonb not null default '{}' check (jsonb_typeof(notification_preferences) = 'object'),
      add column phone_number text check (phone_number ~ '^v1[.][A-Za-z0-9_-]+[.]');

    -- Owner-side maintenance (key rotation, retention) opts in per transaction; only policies
    -- written for the owner role read this, and the owner could lift RLS anyway as table owner.
    create function app.maintenance_mode() returns boolean
      language sql stable parallel safe
      as $$ select coalesce(current_setting('app.maintenance', true), '') = 'on' $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop policy if exists "maintenance by the owner" on users;
    drop function app.maintenance_mode();
    alter table users
      drop column avatar_url, drop column timezone, drop column language,
      drop column notification_preferences, drop column phone_number;
  `.execute(db);
}
