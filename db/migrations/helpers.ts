import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * Hands SECURITY DEFINER functions to `tenantql_auth` (the NOLOGIN role whose policies let it read
 * accounts) and grants EXECUTE on each only to the roles listed. Every function is first taken
 * from PUBLIC. Changing a function's owner needs CREATE on its schema, only for that moment; once
 * handed over, only the new owner can grant EXECUTE, so the owner acts as it for that.
 * Signatures are code constants, never input.
 *
 * @example
 * await handToAuthRole(db, { 'app.reactivate_organization(uuid)': ['tenantql_app'] });
 */
export async function handToAuthRole(
  db: Kysely<unknown>,
  functions: Record<string, ('tenantql_app' | 'session_user')[]>,
): Promise<void> {
  const signatures = Object.keys(functions);
  const statements = [
    `revoke execute on function ${signatures.join(', ')} from public`,
    'grant usage, create on schema app to tenantql_auth',
    ...signatures.map((fn) => `alter function ${fn} owner to tenantql_auth`),
    'revoke create on schema app from tenantql_auth',
    'set local role tenantql_auth',
    ...Object.entries(functions)
      .filter(([, grantees]) => grantees.length)
      .map(([fn, grantees]) => `grant execute on function ${fn} to ${grantees.join(', ')}`),
    'reset role',
  ];
  await sql.raw(statements.join(';\n')).execute(db);
}

/**
 * Replaces a function tenantql_auth owns (see handToAuthRole): only its owner may, so the
 * statement runs as tenantql_auth with CREATE on the schema for that moment. Migrations run in
 * a transaction, so `set local role` ends with it.
 *
 * @example
 * await replaceAsAuthRole(db, sql`create or replace function app.invitation_by_token(p_hash text) ...`);
 */
export async function replaceAsAuthRole(db: Kysely<unknown>, statement: RawBuilder<unknown>): Promise<void> {
  await sql`grant create on schema app to tenantql_auth; set local role tenantql_auth`.execute(db);
  await statement.execute(db);
  await sql`reset role; revoke create on schema app from tenantql_auth`.execute(db);
}
