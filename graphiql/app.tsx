import { useCallback, useMemo, useRef, useState, type FormEvent } from 'react';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { authorizedFetch, GRAPHQL_URL, SignInError, signIn, signOut, type Session } from './session';

export const DEFAULT_QUERY = `# Sign in above, then run this (Ctrl+Enter).
{
  viewer {
    user { email name }
    organization { name slug }
  }
  projects(first: 5) {
    totalCount
    edges { node { name } }
  }
}
`;

function SignInForm({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => String(form.get(name) ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(field('email'), String(form.get('password') ?? ''), field('organization')));
    } catch (caught) {
      setError(caught instanceof SignInError ? caught.message : 'Sign-in failed');
      setBusy(false);
    }
  };

  return (
    <form className="tq-signin" onSubmit={submit} aria-label="Sign in">
      <input name="email" type="email" placeholder="email" autoComplete="username" required aria-label="Email" />
      <input name="password" type="password" placeholder="password" autoComplete="current-password" required aria-label="Password" />
      <input name="organization" type="text" placeholder="organization (optional)" aria-label="Organization" />
      <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      {error ? <span className="tq-error" role="alert">{error}</span> : null}
    </form>
  );
}

/** The page: a sign-in bar over GraphiQL, whose requests carry the signed-in user's token. */
export function App() {
  const sessionRef = useRef<Session | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  // Changes on sign-in and sign-out (not on a token refresh): a new fetcher makes GraphiQL
  // fetch the schema again, as the caller may now introspect or no longer may.
  const [generation, setGeneration] = useState(0);

  const replace = useCallback((next: Session | null, signedInOrOut = false) => {
    sessionRef.current = next;
    setSession(next);
    if (signedInOrOut || next === null) setGeneration((n) => n + 1);
  }, []);

  const fetcher = useMemo(
    () => createGraphiQLFetcher({
      url: GRAPHQL_URL,
      enableIncrementalDelivery: false,
      fetch: authorizedFetch(() => sessionRef.current, (next) => replace(next)),
    }),
    [generation, replace],
  );

  const leave = async () => {
    const ending = sessionRef.current;
    replace(null, true);
    if (ending) await signOut(ending);
  };

  return (
    <div className="tq-page">
      <header className="tq-bar">
        <strong className="tq-title">tenantql</strong>
        {session ? (
          <div className="tq-session" data-testid="session">
            <span>
              Signed in as <b>{session.user.email}</b>{session.organization ? <> in <b>{session.organization.name}</b> ({session.organization.slug})</> : ' without an organization'}
            </span>
            <button type="button" onClick={leave}>Sign out</button>
          </div>
        ) : (
          <SignInForm onSignedIn={(next) => replace(next, true)} />
        )}
      </header>
      <main className="tq-graphiql">
        <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
      </main>
    </div>
  );
}
