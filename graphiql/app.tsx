import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { GraphiQL } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import type { DemoAccount, GraphiqlConfig } from '../src/http/graphiql-config';
import { EXAMPLE_TABS } from './examples';
import {
  authorizedFetch,
  GRAPHQL_URL,
  keepForReload,
  restoreSession,
  SignInError,
  signIn,
  signOut,
  type Session,
} from './session';

// Created once: GraphiQL compares plugins by identity.
const PLUGINS = [explorerPlugin()];

/** What the server tells the page; without an answer, nothing beyond the defaults. */
async function loadConfig(): Promise<GraphiqlConfig> {
  try {
    const response = await fetch('/graphiql/config.json', { headers: { accept: 'application/json' } });
    if (response.ok) return (await response.json()) as GraphiqlConfig;
  } catch {
    // The page still works without it.
  }
  return { demo: null };
}

function SignInForm({ demo, onSignedIn }: { demo: GraphiqlConfig['demo']; onSignedIn: (session: Session) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const attempt = async (email: string, password: string, organization: string) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(email, password, organization));
    } catch (caught) {
      setError(caught instanceof SignInError ? caught.message : 'Sign-in failed');
      setBusy(false);
    }
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => String(form.get(name) ?? '').trim();
    void attempt(field('email'), String(form.get('password') ?? ''), field('organization'));
  };

  return (
    <div className="tq-signin-area">
      <form className="tq-signin" onSubmit={submit} aria-label="Sign in">
        <input name="email" type="email" placeholder="email" autoComplete="username" required aria-label="Email" />
        <input
          name="password"
          type="password"
          placeholder="password"
          autoComplete="current-password"
          required
          aria-label="Password"
        />
        <input name="organization" type="text" placeholder="organization (optional)" aria-label="Organization" />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error ? (
          <span className="tq-error" role="alert">
            {error}
          </span>
        ) : null}
      </form>
      {demo && demo.accounts.length > 0 ? (
        <div className="tq-demo" role="group" aria-label="Demo accounts" data-testid="demo-accounts">
          <span>
            Demo accounts (development only; password <code>{demo.password}</code>):
          </span>
          {demo.accounts.map((account: DemoAccount) => (
            <button
              key={`${account.email} ${account.organization}`}
              type="button"
              disabled={busy}
              onClick={() => void attempt(account.email, demo.password, account.organization)}
            >
              {account.email} · {account.role} of {account.organization}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

/** The page: a sign-in bar over GraphiQL, whose requests carry the signed-in user's token. */
export function App() {
  const sessionRef = useRef<Session | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  // Until the session of before a reload is back (or known gone), GraphiQL waits: it would fetch
  // the schema anonymously first.
  const [restored, setRestored] = useState(false);
  const [config, setConfig] = useState<GraphiqlConfig>({ demo: null });
  // Changes on sign-in and sign-out (not on a token refresh). It keys GraphiQL: a new instance
  // fetches the schema with the new credentials, and starts with every tab's result pane empty
  // (results are never stored), so the last user's data is not shown as the new one's; a
  // request still in flight answers to the old instance.
  const [generation, setGeneration] = useState(0);

  const replace = useCallback((next: Session | null, signedInOrOut = false) => {
    sessionRef.current = next;
    keepForReload(next);
    setSession(next);
    if (signedInOrOut || next === null) setGeneration((n) => n + 1);
  }, []);

  useEffect(() => {
    let live = true;
    void restoreSession().then((previous) => {
      if (!live) return;
      if (previous) replace(previous, true);
      setRestored(true);
    });
    void loadConfig().then((loaded) => {
      if (live) setConfig(loaded);
    });
    return () => {
      live = false;
    };
  }, [replace]);

  const fetcher = useMemo(
    () =>
      createGraphiQLFetcher({
        url: GRAPHQL_URL,
        enableIncrementalDelivery: false,
        fetch: authorizedFetch(
          () => sessionRef.current,
          (next) => replace(next),
        ),
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
        {!restored ? (
          <span className="tq-session">Restoring the session…</span>
        ) : session ? (
          <div className="tq-session" data-testid="session">
            <span>
              Signed in as <b>{session.user.email}</b>
              {session.organization ? (
                <>
                  {' '}
                  in <b>{session.organization.name}</b> ({session.organization.slug})
                </>
              ) : (
                ' without an organization'
              )}
            </span>
            <button type="button" onClick={leave}>
              Sign out
            </button>
          </div>
        ) : (
          <SignInForm demo={config.demo} onSignedIn={(next) => replace(next, true)} />
        )}
      </header>
      <main className="tq-graphiql">
        {restored ? <GraphiQL key={generation} fetcher={fetcher} defaultTabs={EXAMPLE_TABS} plugins={PLUGINS} /> : null}
      </main>
    </div>
  );
}
