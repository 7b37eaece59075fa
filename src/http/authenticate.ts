import { GraphQLError } from 'graphql';
import type { Viewer } from '../graphql/context';
import type { TokenService } from '../auth/tokens';

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/**
 * Turns the Authorization header into a viewer. No header: anonymous (null). A header that is
 * not a valid Bearer access token: 401, so a client with a stale token knows to sign in again.
 */
export async function authenticate(header: string | undefined, tokens: TokenService): Promise<Viewer | null> {
  if (header === undefined || header === '') return null;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <access token>"');
  try {
    return await tokens.verifyAccessToken(match[1]!);
  } catch {
    throw unauthenticated('Invalid or expired access token');
  }
}
