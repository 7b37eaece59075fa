/**
 * Signing in from the GraphiQL page: the registered SignIn, RefreshSession and SignOut operations
 * (schema/operations/web/, sent by documentId, so they work in an organization that allows only
 * registered operations) on the same origin's /graphql, and a fetch that sends the session's
 * access token.
 *
 * The session survives a reload of its tab and nothing else: the refresh token (only it) is kept
 * in sessionStorage, the access token in memory; a reload trades the kept token for a new session.
 * Why this and not memory only or localStorage: docs/security.md, "GraphiQL: the session across
 * a reload".
 */

import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  RefreshSessionDocument,
  SignInDocument,
  SignOutDocument,
  type SessionFieldsFragment,
} from '../schema/generated/operations/graphql';
import { REFRESH_TOKEN_KEY } from './session-key';

export const GRAPHQL_URL = '/graphql';

export type Session = SessionFieldsFragment;

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** An error to show next to the sign-in form (the server's message, never a stack). */
export class SignInError extends Error {}

/** Runs a registered operation by its id (the typed document's `__meta__.hash`). */
async function post<T, V>(
  document: TypedDocumentNode<T, V>,
  variables: V,
  accessToken?: string,
): Promise<GraphQLBody<T>> {
  const documentId = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  let response: Response;
  try {
    response = await fetch(GRAPHQL_URL, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      body: JSON.stringify({ documentId, variables }),
    });
  } catch {
    throw new SignInError('The server cannot be reached');
  }
  try {
    return (await response.json()) as GraphQLBody<T>;
  } catch {
    throw new SignInError(`The server answered ${response.status} without a GraphQL response`);
  }
}

export async function signIn(email: string, password: string, organizationSlug: string): Promise<Session> {
  const body = await post(SignInDocument, { email, password, organizationSlug: organizationSlug || null });
  if (!body.data?.login) throw new SignInError(body.errors?.[0]?.message ?? 'Sign-in failed');
  return body.data.login;
}

/** A new session from the refresh token, or null when it no longer works (or the server cannot be reached). */
export async function refresh(session: Pick<Session, 'refreshToken'>): Promise<Session | null> {
  // A session without an organization has no refresh token: it ends with its access token.
  if (!session.refreshToken) return null;
  try {
    const body = await post(RefreshSessionDocument, { refreshToken: session.refreshToken });
    return body.data?.refreshSession ?? null;
  } catch {
    return null;
  }
}

/** Keeps (or, signed out, forgets) the session's refresh token for a reload of this tab. */
export function keepForReload(session: Session | null): void {
  try {
    // A session without an organization has no refresh token, so nothing to keep.
    if (session?.refreshToken) sessionStorage.setItem(REFRESH_TOKEN_KEY, session.refreshToken);
    else sessionStorage.removeItem(REFRESH_TOKEN_KEY);
  } catch {
    // Storage refused (a privacy setting): the session lasts as long as the page.
  }
}

let restoring: Promise<Session | null> | undefined;

/**
 * The session this tab had before the reload, renewed, or null. Runs once per page load: a
 * refresh token is single-use, and presenting it twice would end the session (reuse detection).
 */
export function restoreSession(): Promise<Session | null> {
  restoring ??= (async () => {
    let refreshToken: string | null = null;
    try {
      refreshToken = sessionStorage.getItem(REFRESH_TOKEN_KEY);
    } catch {
      return null;
    }
    if (!refreshToken) return null;
    const session = await refresh({ refreshToken });
    keepForReload(session);
    return session;
  })();
  return restoring;
}

/** Ends the session on the server too; signing out locally does not wait for it to succeed. */
export async function signOut(session: Session): Promise<void> {
  await post(SignOutDocument, {}, session.accessToken).catch(() => undefined);
}

function hasAuthorization(headers: HeadersInit | undefined): boolean {
  return new Headers(headers).has('authorization');
}

/**
 * A fetch for GraphiQL's requests: adds `Authorization: Bearer <access token>` unless the
 * headers editor already sets one, and when the server answers 401 (expired token) refreshes
 * the session once and retries. Rotated refresh tokens are single-use, so concurrent 401s share
 * one refresh.
 */
export function authorizedFetch(
  current: () => Session | null,
  replace: (session: Session | null) => void,
): typeof fetch {
  let refreshing: { from: Session; result: Promise<Session | null> } | null = null;
  const renew = (session: Session): Promise<Session | null> => {
    if (refreshing?.from !== session) refreshing = { from: session, result: refresh(session) };
    return refreshing.result;
  };
  return async (input, init) => {
    const session = current();
    if (!session || hasAuthorization(init?.headers)) return fetch(input, init);
    const send = (token: string) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    };
    const response = await send(session.accessToken);
    if (response.status !== 401) return response;
    const renewed = await renew(session);
    if (current() === session) replace(renewed);
    return renewed ? send(renewed.accessToken) : response;
  };
}
