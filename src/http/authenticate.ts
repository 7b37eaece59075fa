import type pg from 'pg';
import type { ApiKeyPrincipal, Viewer } from '../graphql/context';
import type { TokenService } from '../auth/tokens';
import { hashSecretToken } from '../auth/secret-tokens';

import { unauthorized } from '../graphql/errors';

/** API keys look like `tq_<8 hex>_<secret>`; anything else after "Bearer" is an access token. */
export const API_KEY_FORMAT = /^tq_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/;

export interface Caller {
  viewer: Viewer | null;
  apiKey: ApiKeyPrincipal | null;
}

/**
 * Turns the Authorization header into the caller. No header: anonymous. A Bearer access token:
 * a signed-in user. A Bearer API key: a partner of one organization (resolved in one autocommit
 * statement, which also stamps its last use, and finds the organization's registered operation
 * of `operationHash` when one is given). Anything else, or a token or key that does not
 * verify: 401 with `WWW-Authenticate: Bearer` (RFC 6750; `error="invalid_token"` for a credential
 * that does not verify), so a client with stale credentials knows to get new ones.
 */
export async function authenticate(
  header: string | undefined,
  tokens: TokenService,
  pool: pg.Pool,
  operationHash?: string | null,
): Promise<Caller> {
  if (header === undefined || header === '') return { viewer: null, apiKey: null };
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  if (!match) throw unauthorized('The Authorization header must be "Bearer <access token or API key>"');
  const credential = match[1]!;
  if (credential.startsWith('tq_')) {
    if (!API_KEY_FORMAT.test(credential)) throw unauthorized('Invalid API key', 'invalid_token');
    const { rows } = await pool.query<{
      organization_id: string;
      api_key_id: string;
      document: string | null;
      ad_hoc_reads: boolean;
    }>('select organization_id, api_key_id, document, ad_hoc_reads from app.authenticate_api_key_for($1, $2)', [
      hashSecretToken(credential),
      operationHash ?? null,
    ]);
    if (!rows[0]) throw unauthorized('Invalid, expired or revoked API key', 'invalid_token');
    const { organization_id: organizationId, api_key_id: id, document, ad_hoc_reads: adHocReads } = rows[0];
    return {
      viewer: null,
      apiKey: { id, organizationId, operation: document ? { hash: operationHash!, document } : null, adHocReads },
    };
  }
  try {
    return { viewer: await tokens.verifyAccessToken(credential), apiKey: null };
  } catch {
    throw unauthorized('Invalid or expired access token', 'invalid_token');
  }
}
