import pg from 'pg';

/** The roles every installation has; names are fixed because grants and policies name them. */
export const ROLES = {
  /** Owns the schema and runs migrations (NOSUPERUSER, NOBYPASSRLS: FORCE RLS applies to it too). */
  owner: 'tenantql_owner',
  /** Serves requests: LOGIN, NOSUPERUSER, NOBYPASSRLS, owns nothing. */
  app: 'tenantql_app',
  /** NOLOGIN owner of the sign-in SECURITY DEFINER functions; only policies naming it let it read accounts. */
  auth: 'tenantql_auth',
} as const;

/**
 * Creates the three roles and the database on a cluster we control (embedded mode, tests), as
 * the cluster's superuser. Idempotent: existing roles get their password reset, nothing else.
 * With DATABASE_URL the operator runs the equivalent SQL from the README instead.
 */
export async function bootstrapDatabase(options: {
  superuserUrl: string;
  database: string;
  ownerPassword: string;
  appPassword: string;
}): Promise<void> {
  const client = new pg.Client({ connectionString: options.superuserUrl });
  await client.connect();
  try {
    const lit = (value: string) => client.escapeLiteral(value);
    const ensureRole = async (name: string, attributes: string) => {
      const exists = await client.query('select 1 from pg_roles where rolname = $1', [name]);
      await client.query(`${exists.rowCount ? 'alter' : 'create'} role ${name} ${attributes}`);
    };
    await ensureRole(
      ROLES.owner,
      `login nosuperuser nobypassrls nocreaterole nocreatedb password ${lit(options.ownerPassword)}`,
    );
    await ensureRole(
      ROLES.app,
      `login nosuperuser nobypassrls nocreaterole nocreatedb noinherit password ${lit(options.appPassword)}`,
    );
    await ensureRole(ROLES.auth, 'nologin nosuperuser nobypassrls nocreaterole nocreatedb');
    // The owner hands the sign-in functions to the auth role, so it must be able to SET ROLE to
    // it; it need not inherit its rights (PostgreSQL 16+ can say so; policies check either way).
    const { rows } = await client.query<{ v: number }>("select current_setting('server_version_num')::int as v");
    await client.query(
      `grant ${ROLES.auth} to ${ROLES.owner}${rows[0]!.v >= 160000 ? ' with inherit false, set true' : ''}`,
    );

    const db = client.escapeIdentifier(options.database);
    const exists = await client.query('select 1 from pg_database where datname = $1', [options.database]);
    if (!exists.rowCount) await client.query(`create database ${db} owner ${ROLES.owner}`);
    await client.query(`revoke all on database ${db} from public`);
    await client.query(`grant connect on database ${db} to ${ROLES.app}`);
  } finally {
    await client.end();
  }
}

/** A connection URL for one of our roles on the same server as `superuserUrl`. */
export function roleUrl(superuserUrl: string, role: string, password: string, database: string): string {
  const url = new URL(superuserUrl);
  url.username = role;
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
}
