import crypto from 'node:crypto';
import type { Context, Viewer } from '../../graphql/context';
import { ForbiddenError, UnauthenticatedError } from '../../errors';
import { verifyPassword } from '../../auth/passwords';
import { newSecretToken, hashSecretToken } from '../../auth/secret-tokens';
import { clientKey } from '../../http/rate-limit';
import {
  currentUserIsUnaffiliated,
  finishSignInAttempt,
  findSignInCandidate,
  insertRefreshToken,
  liveSessionFamily,
  maySignInTo,
  recordSignIn,
  reserveSignInAttempt,
  revokeFamily,
  revokeSessionsOfCurrentUser,
  rotateRefreshToken,
  type ThrottleKey,
} from './session.repository';
import type { LoginInput } from './session.input';
import { createOrganizationWithOwner } from '../tenancy/organization.service';
import { findInvitation, joinOrganization } from '../tenancy/membership.service';

/**
 * One message for every sign-in failure (unknown email, wrong password, locked, no organization
 * that admits the account), so a caller cannot tell which accounts exist or are locked; it
 * mentions the lock so that a person locked out knows to wait rather than reset the password.
 */
export const SIGN_IN_FAILED =
  'Invalid email, password or organization. After repeated failures sign-in is paused for a while.';
export const REFRESH_FAILED = 'Invalid or expired refresh token';

export interface IssuedSession extends Viewer {
  accessToken: string;
  expiresAt: Date;
  /** Null for a session without an organization: refresh-token families belong to one. */
  refreshToken: string | null;
  refreshTokenExpiresAt: Date | null;
}

/** The request acts for `session` from now on, so the payload is read through RLS as it. */
async function actAs(ctx: Context, session: Viewer | null): Promise<void> {
  await ctx.db.setContext(session ?? { organizationId: null, userId: null, sessionId: null });
  ctx.viewer = session;
}

async function issue(
  ctx: Context,
  session: Viewer,
  refresh: { token: string | null; expiresAt: Date | null },
): Promise<IssuedSession> {
  const { token, expiresAt } = await ctx.services.tokens.issueAccessToken(session);
  return {
    ...session,
    accessToken: token,
    expiresAt,
    refreshToken: refresh.token,
    refreshTokenExpiresAt: refresh.expiresAt,
  };
}

/** A new session (refresh-token family) of a user in an organization already known to admit them. */
export async function startSession(ctx: Context, userId: string, organizationId: string): Promise<IssuedSession> {
  const session: Viewer = { userId, organizationId, sessionId: crypto.randomUUID() };
  await actAs(ctx, session);
  const refresh = newSecretToken('rt');
  const expiresAt = new Date(Date.now() + ctx.services.sessions.refreshTokenTtlSeconds * 1000);
  await insertRefreshToken(await ctx.db.get(), {
    organizationId,
    userId,
    familyId: session.sessionId,
    tokenHash: refresh.hash,
    expiresAt,
    userAgent: ctx.userAgent,
    ip: ctx.ip,
  });
  return issue(ctx, session, { token: refresh.token, expiresAt });
}

/**
 * Signs a user in to one organization. Wrong password, unknown email, a disabled user, a
 * membership without platform access and a deactivated organization all fail the same way.
 * Sign-in acts as nobody until it succeeds, whatever token the request carried.
 */
export async function login(ctx: Context, input: LoginInput): Promise<IssuedSession> {
  await actAs(ctx, null);
  const db = await ctx.db.get();
  const email = input.email.trim();
  const knownSession = input.refreshToken
    ? await liveSessionFamily(db, email, hashSecretToken(input.refreshToken))
    : null;
  const account = await checkPassword(
    ctx,
    email,
    input.password,
    async () => {
      const found = await findSignInCandidate(db, email, input.organizationSlug ?? null);
      return found ? { hash: found.password_hash, value: found } : undefined;
    },
    () => new UnauthenticatedError(SIGN_IN_FAILED),
    knownSession,
  );
  if (!account.organization_id) {
    // An account that never had an organization (signed up without one) gets a session without
    // one, to create or join one; any other account without an organization that admits it fails.
    if (input.organizationSlug || !(await isUnaffiliated(ctx, account.user_id)))
      throw new UnauthenticatedError(SIGN_IN_FAILED);
    return startSessionWithoutOrganization(ctx, account.user_id);
  }

  const issued = await startSession(ctx, account.user_id, account.organization_id);
  await recordSignIn(db);
  return issued;
}

async function isUnaffiliated(ctx: Context, userId: string): Promise<boolean> {
  await ctx.db.setContext({ organizationId: null, userId });
  return currentUserIsUnaffiliated(await ctx.db.get());
}

/**
 * A session of an account without an organization: an access token without `org` and no refresh
 * token (families belong to an organization). It may create an organization, switch to or
 * reactivate one, and read `viewer`; the auth checker refuses everything else (FORBIDDEN).
 */
async function startSessionWithoutOrganization(ctx: Context, userId: string): Promise<IssuedSession> {
  const session: Viewer = { userId, organizationId: null, sessionId: crypto.randomUUID() };
  await actAs(ctx, session);
  return issue(ctx, session, { token: null, expiresAt: null });
}

/**
 * Every password check goes through here: login, acceptInvitation and changePassword. The
 * check is throttled per account (email, existing or not, so a lock tells nothing) and per
 * client address (an IPv6 client by its /64), in two short transactions of its own that hold no
 * lock past their commit: one takes a slot before the password is verified (so parallel guesses
 * cannot overtake the count), one gives it back after, counting only a failure. A client that
 * proved it holds a live session of the account (`knownSession`) is counted under that session
 * instead of the account, so failures from elsewhere do not lock it out. A refused check
 * answers exactly like a wrong password, after the same argon2 work.
 */
export async function checkPassword<T>(
  ctx: Context,
  email: string,
  password: string,
  lookup: () => Promise<{ hash: string | null; value: T } | undefined>,
  fail: () => Error,
  knownSession: string | null = null,
): Promise<T> {
  const { throttle } = ctx.services.sessions;
  const keys: ThrottleKey[] = [
    { key: knownSession ? `session:${knownSession}` : `account:${email.toLowerCase()}`, limit: throttle.perAccount },
  ];
  if (ctx.ip) keys.push({ key: `ip:${clientKey(ctx.ip)}`, limit: throttle.perIp });
  const allowed = await ctx.db.standalone((own) => reserveSignInAttempt(own, keys, throttle.windowSeconds));
  let failed: boolean | null = null;
  try {
    const found = allowed ? await lookup() : undefined;
    // Verified even without an account (or when refused), so timing does not tell which emails exist.
    const passwordOk = await verifyPassword(found?.hash, password);
    failed = !found || !passwordOk;
    if (failed) throw fail();
    return found!.value;
  } finally {
    // Bookkeeping never changes the answer; a slot that is not given back lapses after a minute.
    if (allowed) {
      await ctx.db
        .standalone((own) => finishSignInAttempt(own, keys, failed, throttle.lockSeconds))
        .catch((error: unknown) => ctx.log.warn({ err: error }, 'sign-in throttle: the attempt could not be recorded'));
    }
  }
}

/**
 * Exchanges a refresh token for new tokens of the same session. The rotation commits on its
 * own, so the revocation of a family whose rotated token came back sticks even though this
 * request fails.
 */
export async function refreshSession(ctx: Context, refreshToken: string): Promise<IssuedSession> {
  await actAs(ctx, null);
  const next = newSecretToken('rt');
  const ttlSeconds = ctx.services.sessions.refreshTokenTtlSeconds;
  const rotation = await ctx.db.standalone((db) =>
    rotateRefreshToken(db, {
      tokenHash: hashSecretToken(refreshToken),
      newTokenHash: next.hash,
      ttlSeconds,
      userAgent: ctx.userAgent,
      ip: ctx.ip,
    }),
  );
  if (rotation.outcome !== 'rotated') {
    if (rotation.outcome === 'reused')
      ctx.log.warn({ sessionId: rotation.family_id }, 'refresh token reused: session revoked');
    throw new UnauthenticatedError(REFRESH_FAILED);
  }
  const session: Viewer = {
    userId: rotation.user_id!,
    organizationId: rotation.organization_id!,
    sessionId: rotation.family_id!,
  };
  await actAs(ctx, session);
  return issue(ctx, session, { token: next.token, expiresAt: new Date(Date.now() + ttlSeconds * 1000) });
}

/** Ends the caller's session: its refresh tokens and, at their next request, its access tokens. */
export async function logout(ctx: Context): Promise<number> {
  const viewer = ctx.viewer!;
  return revokeFamily(await ctx.db.get(), viewer.sessionId, viewer.userId, 'logout');
}

/** Ends every session of the caller, in every organization. */
export async function logoutEverywhere(ctx: Context): Promise<number> {
  return revokeSessionsOfCurrentUser(await ctx.db.get());
}

/** A new session in another organization the caller may sign in to; the current one stays. */
export async function switchOrganization(ctx: Context, organizationId: string): Promise<IssuedSession> {
  const viewer = ctx.viewer!;
  if (!(await maySignInTo(await ctx.db.get(), organizationId))) {
    throw new ForbiddenError('You cannot sign in to that organization');
  }
  return startSession(ctx, viewer.userId, organizationId);
}

/** Creates an organization owned by the caller and starts a session in it (the current one stays). */
export async function createOrganization(
  ctx: Context,
  input: { name: string; slug?: string | null },
): Promise<IssuedSession> {
  const { userId } = ctx.viewer!;
  const { organizationId } = await createOrganizationWithOwner(await ctx.db.get(), input, userId);
  return startSession(ctx, userId, organizationId);
}

export const INVITATION_FAILED = 'Invalid invitation, email or password';

/**
 * Joins the organization of an invitation as the account with the invited email (its password
 * proves it) and starts a session there. People without an account sign up first.
 */
export async function acceptInvitation(
  ctx: Context,
  input: { token: string; password: string },
): Promise<IssuedSession> {
  await actAs(ctx, null);
  const db = await ctx.db.get();
  const invitation = await findInvitation(db, input.token);
  const fail = () => new UnauthenticatedError(INVITATION_FAILED);
  if (!invitation) {
    await verifyPassword(undefined, input.password);
    throw fail();
  }
  const account = await checkPassword(
    ctx,
    invitation.email,
    input.password,
    async () => {
      const found = await findSignInCandidate(db, invitation.email, null);
      return found ? { hash: found.password_hash, value: found } : undefined;
    },
    fail,
  );
  await ctx.db.setContext({ organizationId: invitation.organization_id, userId: account.user_id });
  await joinOrganization(db, invitation, account.user_id);
  return startSession(ctx, account.user_id, invitation.organization_id);
}
