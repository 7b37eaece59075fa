import type { Context } from '../../graphql/context';
import { BadUserInputError, UnauthenticatedError } from '../../errors';
import { hashPassword } from '../../auth/passwords';
import { hashSecretToken } from '../../auth/secret-tokens';
import { createOrganizationWithOwner } from '../tenancy/organization.service';
import type { ChangePasswordInput, SignUpInput } from './account.input';
import {
  insertUser,
  issueUserToken,
  passwordHashOfCurrentUser,
  resetPasswordWithToken,
  setPasswordOfCurrentUser,
  verifyEmailWithToken,
} from './account.repository';
import { checkPassword, startSession, type IssuedSession } from './session.service';
import { userById } from '../tenancy/tenancy.loaders';

/** How long one-time tokens live. */
export const PASSWORD_RESET_TTL_SECONDS = 3600;
export const EMAIL_VERIFICATION_TTL_SECONDS = 48 * 3600;

async function sendVerification(ctx: Context, email: string | null): Promise<void> {
  await issueUserToken(await ctx.db.get(), {
    email,
    purpose: 'email_verification',
    ttlSeconds: EMAIL_VERIFICATION_TTL_SECONDS,
  });
}

/**
 * Creates an account and, when asked, an organization it owns and a session in it. The
 * verification mail is queued in the same transaction.
 */
export async function signUp(
  ctx: Context,
  input: SignUpInput,
): Promise<{ userId: string; session: IssuedSession | null }> {
  const db = await ctx.db.get();
  const userId = await insertUser(db, {
    email: input.email.trim(),
    username: input.username,
    passwordHash: await hashPassword(input.password),
    firstName: input.firstName?.trim() ?? '',
    lastName: input.lastName?.trim() ?? '',
  });
  ctx.viewer = null;
  await ctx.db.setContext({ organizationId: null, userId });
  await sendVerification(ctx, input.email.trim());
  if (!input.organization) return { userId, session: null };
  const { organizationId } = await createOrganizationWithOwner(db, input.organization, userId, 'organization.slug');
  return { userId, session: await startSession(ctx, userId, organizationId) };
}

/** Verifies the current password, sets the new one and ends the user's other sessions. */
export async function changePassword(ctx: Context, input: ChangePasswordInput): Promise<void> {
  const db = await ctx.db.get();
  const me = await ctx.loaders.use(userById).load(ctx.viewer!.userId);
  if (!me) throw new UnauthenticatedError();
  // The request's session was checked as its transaction opened: a known device, throttled on its own.
  await checkPassword(
    ctx,
    me.email,
    input.currentPassword,
    async () => {
      const hash = await passwordHashOfCurrentUser(db);
      return hash ? { hash, value: true } : undefined;
    },
    () => new BadUserInputError('currentPassword', 'The current password is not correct'),
    ctx.viewer!.sessionId,
  );
  if (!(await setPasswordOfCurrentUser(db, await hashPassword(input.newPassword)))) throw new UnauthenticatedError();
}

/**
 * Mails a reset token when an active account has this email; answers the same either way, and
 * as fast: the token is issued after the answer has gone out, since for an account that exists
 * it costs writes (and a commit that waits for them) that an unknown address does not.
 */
export async function requestPasswordReset(ctx: Context, email: string): Promise<void> {
  await ctx.db.setContext({ organizationId: null, userId: null });
  const address = email.trim();
  ctx.db.afterAnswer((db) =>
    issueUserToken(db, { email: address, purpose: 'password_reset', ttlSeconds: PASSWORD_RESET_TTL_SECONDS }),
  );
}

/** Spends a reset token, sets the password and ends every session of the account. */
export async function resetPassword(ctx: Context, token: string, newPassword: string): Promise<void> {
  await ctx.db.setContext({ organizationId: null, userId: null });
  const passwordHash = await hashPassword(newPassword);
  const userId = await resetPasswordWithToken(await ctx.db.get(), hashSecretToken(token), passwordHash);
  if (!userId) throw new BadUserInputError('token', 'The reset token is invalid, used or expired');
}

export async function requestEmailVerification(ctx: Context): Promise<void> {
  await sendVerification(ctx, null);
}

export async function verifyEmail(ctx: Context, token: string): Promise<void> {
  const userId = await verifyEmailWithToken(await ctx.db.get(), hashSecretToken(token));
  if (!userId) throw new BadUserInputError('token', 'The verification token is invalid, used or expired');
}
