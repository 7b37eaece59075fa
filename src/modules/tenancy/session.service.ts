import type { Context } from '../../graphql/context';
import { UnauthenticatedError } from '../../graphql/errors';
import { verifyPassword } from '../../auth/passwords';
import { findSignInCandidates, recordSignIn } from './tenancy.repository';
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
  const db = await ctx.db.get();
  const candidates = await findSignInCandidates(db, input.email.trim());
  const account = candidates[0];
  const passwordOk = await verifyPassword(account?.password_hash, input.password);
  if (!account || !passwordOk || account.user_status !== 'active') throw new UnauthenticatedError(SIGN_IN_FAILED);

  const chosen = candidates.find((c) =>
    c.may_sign_in && (input.organizationSlug == null || c.organization_slug === input.organizationSlug));
  if (!chosen?.organization_id) throw new UnauthenticatedError(SIGN_IN_FAILED);

  const session = { userId: account.user_id, organizationId: chosen.organization_id };
  await ctx.db.setContext(session);
  ctx.viewer = session;
  await recordSignIn(db);
  const { token, expiresAt } = await ctx.services.tokens.issueAccessToken(session);
  return { accessToken: token, expiresAt, ...session };
}
