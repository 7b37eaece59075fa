import { sql, type Kysely } from 'kysely';

/**
 * The shared rate-limit counters (issue 14, item 7): with RATE_LIMIT_STORE=postgres every
 * instance counts in this one table through rate-limiter-flexible's PostgreSQL store, so several
 * instances share one limit. The columns are the ones that store expects (it would create them
 * itself, but the app role cannot run DDL: it is told `tableCreated: true`). A row is one fixed
 * window of one key (`organization:<id>`, `anonymous:<address>`, ...): points taken in it, and
 * when it ends in ms since the epoch. Not a tenant table: keys of every organization and of
 * anonymous clients share it, and only the app role's limiter reads or writes it
 * (policies/rate-limits.sql).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table rate_limit_counters (
      key varchar(255) primary key,
      points integer not null default 0,
      expire bigint
    );
    -- The store's purge deletes by expiry (DELETE ... WHERE expire < $1).
    create index rate_limit_counters_expire on rate_limit_counters (expire);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table rate_limit_counters`.execute(db);
}
