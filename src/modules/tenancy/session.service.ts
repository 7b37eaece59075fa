import type { Context } from '../../graphql/context';
import { UnauthenticatedError } from '../../graphql/errors';
import { verifyPassword } from '../../auth/passwords';
import { findSignInCandidate, recordSignIn } from './tenancy.repository';
import type { LoginInput } from './auth.input';

/** One message for every sign-in failure, so a caller cannot tell which accounts exist. */
export const SIGN_IN_FAILED = 'Invalid email, password or organization';

/**
 * Signs a user in to one organization. Wrong password, unknown email, a disabled user, a
 * membership without platform access and a deactivated organization all fail the same way.
 * On success the request itself starts acting for the new session, so the payload's `user`
 * and `organization` are read through RLS like any other query.
 */
export async function login(ctx: Context, input: LoginInput): Promise<{ accessToken: string; expiresAt: Date; userId: string; organizationId: string }> {
  // Sign-in acts as nobody until it succeeds, whatever token the request carried.
  await ctx.db.setContext({ organizationId: null, userId: null });
  ctx.viewer = null;
  const db = await ctx.db.get();
  const account = await findSignInCandidate(db, input.email.trim(), input.organizationSlug ?? null);
  // Verified even without an account, so timing does not tell which emails exist.
  const passwordOk = await verifyPassword(account?.password_hash, input.password);
  if (!account || !passwordOk || !account.organization_id) throw new UnauthenticatedError(SIGN_IN_FAILED);

  const session = { userId: account.user_id, organizationId: account.organization_id };
  await ctx.db.setContext(session);
  ctx.viewer = session;
  await recordSignIn(db);
  const { token, expiresAt } = await ctx.services.tokens.issueAccessToken(session);
  return { accessToken: token, expiresAt, ...session };
}
