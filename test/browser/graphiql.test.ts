import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { closeTestPools } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';
import { EXAMPLE_TABS } from '../../graphiql/examples';
import { REFRESH_TOKEN_KEY } from '../../graphiql/session-key';
import { SIGN_IN_FAILED } from '../../src/modules/access/session.service';

/**
 * GraphiQL in a real headless Chromium (the Debian package; never a downloaded browser), against
 * the app in production mode: anonymous callers may not introspect there, so the documentation
 * explorer only fills once the page has signed in and sent the token.
 */

function findChromium(): string | undefined {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .flatMap((dir) => [path.join(dir, 'chromium'), path.join(dir, 'chromium-browser')]),
  ];
  return candidates.find((file): file is string => !!file && fs.existsSync(file));
}

const CHROMIUM = findChromium();
if (!CHROMIUM) {
  console.warn(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '!!! SKIPPING the GraphiQL browser test: no Chromium found (CHROMIUM_PATH,   !!!',
      '!!! /usr/bin/chromium, or chromium on PATH). Install it:                    !!!',
      '!!!   apt-get install -y --no-install-recommends chromium   (.ci/run does)  !!!',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
}

const describeInBrowser = CHROMIUM ? describe : describe.skip;

if (!CHROMIUM && process.env.CHROMIUM_REQUIRED === '1') {
  // .ci/run installs Chromium and sets CHROMIUM_REQUIRED: there, a skip would hide a broken setup.
  it('finds Chromium (CHROMIUM_REQUIRED=1)', () => {
    throw new Error('No Chromium found, but CHROMIUM_REQUIRED=1: install the chromium package or set CHROMIUM_PATH');
  });
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// One line: monaco's auto-indent would add closing braces after inserted newlines.
const QUERY =
  'query RunFromPage { viewer { user { email } organization { name slug } } projects(first: 3) { totalCount edges { node { name } } } }';

/** The little of the DOM that functions run in the page use (this tsconfig has no DOM types). */
interface InPage {
  document: {
    querySelector(selector: string): { textContent: string | null } | null;
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (event: { violatedDirective: string; blockedURI: string }) => void,
    ): void;
  };
}

/** The page's storage, as an injected script would find it. */
async function storageOf(page: Page): Promise<{ session: Record<string, string>; local: Record<string, string> }> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { sessionStorage: Record<string, string>; localStorage: Record<string, string> };
    return { session: { ...g.sessionStorage }, local: { ...g.localStorage } };
  });
}

/** The text of the result pane (monaco renders non-breaking spaces). */
async function resultPane(page: Page): Promise<string> {
  return ((await page.locator('.graphiql-response').textContent()) ?? '').replace(/\u00a0/g, ' ');
}

/** Runs the active tab and returns the GraphQL answer to its operation. */
async function runActiveTab(
  page: Page,
  operationName: string,
): Promise<{ data?: Record<string, unknown> | null; errors?: unknown[] }> {
  await waitForText(page, '.graphiql-query-editor', `query ${operationName}`);
  // GraphiQL derives the operation name 100 ms (debounced) after the editor changes: a run sooner
  // would send the previous tab's name.
  await page.waitForTimeout(300);
  const answered = page.waitForResponse(
    (res) => res.url().endsWith('/graphql') && !!res.request().postData()?.includes(`query ${operationName}`),
  );
  await page.locator('.graphiql-execute-button').click();
  return (await answered).json();
}

/** What one browser context did: every request, and anything refused or thrown. */
interface Recorder {
  requests: string[];
  offOrigin: string[];
  problems: string[];
}

async function recordedContext(
  browser: Browser,
  origin: string,
): Promise<{ context: BrowserContext; page: Page; seen: Recorder }> {
  const context = await browser.newContext();
  const seen: Recorder = { requests: [], offOrigin: [], problems: [] };
  // Nothing may leave the server's origin: record it and refuse it.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    seen.offOrigin.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (request) => seen.requests.push(request.url()));
  await context.addInitScript(() => {
    (globalThis as unknown as InPage).document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => seen.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /CSP|Content Security Policy|Refused to/i.test(message.text()))
      seen.problems.push(message.text());
  });
  page.on('worker', (worker) =>
    worker.on('console', (message) => {
      if (message.type() === 'error') seen.problems.push(`worker: ${message.text()}`);
    }),
  );
  return { context, page, seen };
}

async function waitForText(page: Page, selector: string, text: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    ([sel, want]) =>
      (globalThis as unknown as InPage).document
        .querySelector(sel)
        ?.textContent?.replace(/\u00a0/g, ' ')
        .includes(want) ?? false,
    [selector, text] as const,
    { timeout },
  );
}

async function signInFromForm(page: Page, email: string, organization: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByLabel('Organization').fill(organization);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describeInBrowser('GraphiQL in Chromium', () => {
  let app: TestApp;
  let origin: string;
  let browser: Browser;
  let globex: { name: string; projects: string[] };
  // Outside production, with the demo accounts the server offers there.
  let devApp: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ production: true });
    origin = new URL(app.url).origin;
    devApp = await startTestApp({ app: { demo: { password: DEMO_PASSWORD, accounts: DEMO_ACCOUNTS } } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    // What the other organization holds, so that the page can be shown not to see it.
    const bob = await app.login(DEMO_USERS.bob, DEMO_PASSWORD, 'globex');
    const res = await app.gql<{ organization: { name: string }; projects: { edges: { node: { name: string } }[] } }>(
      '{ organization { name } projects(first: 100) { edges { node { name } } } }',
      { token: bob },
    );
    globex = {
      name: res.body.data!.organization.name,
      projects: res.body.data!.projects.edges.map((e) => e.node.name),
    };
    expect(globex.projects.length).toBeGreaterThan(0);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await devApp?.close();
    await closeTestPools();
  });

  it('signs alice in from the page, runs a query that sees acme only, explores the docs, and stays on its origin', async () => {
    const { context, page, seen } = await recordedContext(browser, origin);
    try {
      await page.goto(`${origin}/graphiql`);
      await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });

      await signInFromForm(page, DEMO_USERS.alice, 'acme');
      await waitForText(page, '[data-testid="session"]', `Signed in as ${DEMO_USERS.alice} in Acme Corporation (acme)`);
      // Signing in makes a new GraphiQL instance: typing before its editor shows the active tab's
      // query would be overwritten by it (seen once in CI).
      await waitForText(page, '.graphiql-query-editor', 'query Viewer');

      // Replace the default query (insertText: typed keys would trigger monaco's auto-closing).
      await page.locator('.graphiql-query-editor .monaco-editor').click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(QUERY);
      await waitForText(page, '.graphiql-query-editor', 'RunFromPage');
      // GraphiQL derives the operation name 100 ms (debounced) after the editor changes.
      await page.waitForTimeout(300);

      // The first run goes out with an access token the server refuses (401): the page must
      // refresh the session once and run it again with the new token.
      let expiredOnce = false;
      await page.route('**/graphql', async (route) => {
        const request = route.request();
        if (!expiredOnce && request.postData()?.includes('RunFromPage')) {
          expiredOnce = true;
          return route.continue({ headers: { ...request.headers(), authorization: 'Bearer expired.access.token' } });
        }
        return route.continue();
      });
      const answered = page.waitForResponse(
        (res) =>
          res.url().endsWith('/graphql') && res.status() === 200 && !!res.request().postData()?.includes('RunFromPage'),
      );
      await page.locator('.graphiql-execute-button').click();
      const response = await answered;
      expect(expiredOnce).toBe(true);
      expect(response.request().headers().authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      const body = (await response.json()) as {
        data: {
          viewer: { user: { email: string }; organization: { name: string; slug: string } };
          projects: { totalCount: number; edges: { node: { name: string } }[] };
        };
      };
      expect(body.data.viewer).toEqual({
        user: { email: DEMO_USERS.alice },
        organization: { name: 'Acme Corporation', slug: 'acme' },
      });
      expect(body.data.projects.edges).toHaveLength(3);
      const text = JSON.stringify(body);
      expect(text).not.toContain(globex.name);
      for (const project of globex.projects) expect(text).not.toContain(`"${project}"`);

      // The result pane shows it.
      await waitForText(page, '.graphiql-response', '"Acme Corporation"');
      const shown = (await page.locator('.graphiql-response').textContent())!.replace(/\u00a0/g, ' ');
      expect(shown).toContain(`"${body.data.projects.edges[0]!.node.name}"`);
      expect(shown).not.toContain('Globex');
      await waitForText(page, '[data-testid="session"]', DEMO_USERS.alice);

      // The documentation explorer, from the schema introspected with alice's token.
      await page.locator('[aria-label="Show Documentation Explorer"]').click();
      await waitForText(page, '.graphiql-doc-explorer', 'Root Types');
      await page
        .locator('.graphiql-doc-explorer-content a', { hasText: /^Query$/ })
        .first()
        .click();
      await waitForText(page, '.graphiql-doc-explorer-title', 'Query');
      await waitForText(page, '.graphiql-doc-explorer-content', 'projects');
      await waitForText(page, '.graphiql-doc-explorer-content', 'ProjectConnection');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();

      const graphql = seen.requests.filter((url) => url === `${origin}/graphql`);
      expect(graphql.length).toBeGreaterThanOrEqual(4); // schema (anonymous, refused), login, schema, query, refresh, query, logout
      expect(seen.requests.some((url) => url.includes('/graphiql/assets/workers/graphql.worker-'))).toBe(true);
      expect(seen.offOrigin).toEqual([]);
      expect(seen.requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
      expect(seen.problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('opens with the example tabs, each of which runs against the demo data, and has the Explorer, under the CSP', async () => {
    const { context, page, seen } = await recordedContext(browser, origin);
    try {
      await page.goto(`${origin}/graphiql`);
      await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });
      await signInFromForm(page, DEMO_USERS.alice, 'acme');
      await waitForText(page, '[data-testid="session"]', DEMO_USERS.alice);

      const names = EXAMPLE_TABS.map((tab) => /^(?:query|mutation) (\w+)/m.exec(tab.query)![1]!);
      expect(names.length).toBeGreaterThanOrEqual(4);
      for (const [index, name] of names.entries()) {
        await page.locator(`#graphiql-session-tab-${index}`).click();
        await waitForText(page, `#graphiql-session-tab-${index}`, name);
        const body = await runActiveTab(page, name);
        expect({ name, errors: body.errors }).toEqual({ name, errors: undefined });
        // Every example finds something in the demo data (not only an empty page).
        expect(JSON.stringify(body.data)).toMatch(/"(name|title|email)":"[^"]+"/);
        await waitForText(page, '.graphiql-response', '"data"');
      }

      // The Explorer lists the root fields of the schema introspected with alice's token.
      await page.locator('[aria-label="Show GraphiQL Explorer"]').click();
      await waitForText(page, '.graphiql-explorer-root', 'projects');
      await waitForText(page, '.graphiql-explorer-root', 'viewer');
      // Ticking a field writes it into the operation editor.
      await page.locator('.graphiql-explorer-root [data-field-name="viewer"]').first().click();
      await waitForText(page, '.graphiql-query-editor', 'viewer');

      expect(seen.offOrigin).toEqual([]);
      expect(seen.problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('shows no demo accounts in production', async () => {
    const { context, page, seen } = await recordedContext(browser, origin);
    try {
      const config = page.waitForResponse((res) => res.url().endsWith('/graphiql/config.json'));
      await page.goto(`${origin}/graphiql`);
      expect(await (await config).json()).toEqual({ demo: null });
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(await page.locator('[data-testid="demo-accounts"]').count()).toBe(0);
      expect(await page.content()).not.toContain(DEMO_PASSWORD);
      expect(seen.problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('keeps the session across a reload of its tab only, renewing its refresh token, and forgets it on sign-out', async () => {
    const { context, page, seen } = await recordedContext(browser, origin);
    try {
      await page.goto(`${origin}/graphiql`);
      await signInFromForm(page, DEMO_USERS.alice, 'acme');
      await waitForText(page, '[data-testid="session"]', DEMO_USERS.alice);
      const before = await storageOf(page);
      const kept = before.session[REFRESH_TOKEN_KEY]!;
      expect(kept).toMatch(/^rt_/);
      // Only the refresh token is kept, and only in this tab's sessionStorage.
      expect(Object.keys(before.session)).toEqual([REFRESH_TOKEN_KEY]);
      expect(JSON.stringify(before.local)).not.toMatch(/rt_|eyJ/);

      const refreshed = page.waitForResponse(
        (res) => res.url().endsWith('/graphql') && res.status() === 200 && !!res.request().postData()?.includes(kept),
      );
      await page.reload();
      await refreshed;
      await waitForText(page, '[data-testid="session"]', `Signed in as ${DEMO_USERS.alice} in Acme Corporation (acme)`);
      const after = (await storageOf(page)).session[REFRESH_TOKEN_KEY]!;
      expect(after).toMatch(/^rt_/);
      expect(after).not.toBe(kept);
      // The restored session works: a query goes out with a token and sees acme.
      await page.locator('#graphiql-session-tab-0').click();
      const body = await runActiveTab(page, 'Viewer');
      expect(body.data).toMatchObject({ viewer: { organization: { slug: 'acme' } } });
      // The spent token is dead (rotation): presenting it again is refused.
      const replay = await app.gql<{ refreshSession: unknown }>(
        'mutation ($t: String!) { refreshSession(input: { refreshToken: $t }) { accessToken } }',
        { variables: { t: kept } },
      );
      expect(replay.body.data?.refreshSession ?? null).toBeNull();

      // Another tab of the same browser does not share it.
      const other = await context.newPage();
      await other.goto(`${origin}/graphiql`);
      await other.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(await other.locator('[data-testid="session"]').count()).toBe(0);
      await other.close();

      // (The replay above ended the session, by reuse detection: the page finds out at its next
      // refresh. Sign in afresh for the sign-out part.)
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signInFromForm(page, DEMO_USERS.alice, 'acme');
      await waitForText(page, '[data-testid="session"]', DEMO_USERS.alice);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect((await storageOf(page)).session[REFRESH_TOKEN_KEY]).toBeUndefined();
      await page.reload();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(await page.locator('[data-testid="session"]').count()).toBe(0);
      expect(seen.offOrigin).toEqual([]);
      expect(seen.problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('clears the result pane of every tab on sign-out and on sign-in', async () => {
    const { context, page, seen } = await recordedContext(browser, origin);
    try {
      await page.goto(`${origin}/graphiql`);
      await signInFromForm(page, DEMO_USERS.alice, 'acme');
      await waitForText(page, '[data-testid="session"]', DEMO_USERS.alice);
      for (const [index, name] of [
        [1, 'ProjectsWithTasks'],
        [0, 'Viewer'],
      ] as const) {
        await page.locator(`#graphiql-session-tab-${index}`).click();
        await runActiveTab(page, name);
        await waitForText(page, '.graphiql-response', '"data"');
      }
      expect(await resultPane(page)).toContain('Acme Corporation');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      // The new GraphiQL instance is ready once its editor shows the active tab's query.
      await waitForText(page, '.graphiql-query-editor', 'query Viewer');
      expect(await resultPane(page)).not.toContain('"data"');
      await page.locator('#graphiql-session-tab-1').click();
      expect(await resultPane(page)).not.toContain('"data"');
      // The queries stay (they are the visitor's, not the tenant's).
      await waitForText(page, '.graphiql-query-editor', 'ProjectsWithTasks');

      // Signed in as someone else, still nothing of alice's answer is shown.
      await page.locator('#graphiql-session-tab-0').click();
      await waitForText(page, '.graphiql-query-editor', 'query Viewer');
      await runActiveTab(page, 'Viewer');
      // Anonymous: an answer (refused, or a null viewer) is shown.
      await page.waitForFunction(() =>
        /"(data|errors)"/.test(
          (globalThis as unknown as InPage).document.querySelector('.graphiql-response')?.textContent ?? '',
        ),
      );
      await signInFromForm(page, DEMO_USERS.bob, 'globex');
      await waitForText(page, '[data-testid="session"]', DEMO_USERS.bob);
      await waitForText(page, '.graphiql-query-editor', 'query Viewer');
      expect(await resultPane(page)).not.toContain('"');
      const body = await runActiveTab(page, 'Viewer');
      expect(body.data).toMatchObject({ viewer: { organization: { slug: 'globex' } } });
      await waitForText(page, '.graphiql-response', 'Globex');
      expect(await resultPane(page)).not.toContain('Acme');
      expect(seen.offOrigin).toEqual([]);
      expect(seen.problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('offers the demo accounts in development, and signs in with one click', async () => {
    const devOrigin = new URL(devApp.url).origin;
    const { context, page, seen } = await recordedContext(browser, devOrigin);
    try {
      // The server's front door leads here.
      await page.goto(`${devOrigin}/`);
      expect(page.url()).toBe(`${devOrigin}/graphiql`);
      const offered = page.getByTestId('demo-accounts');
      await waitForText(page, '[data-testid="demo-accounts"]', DEMO_PASSWORD);
      for (const account of DEMO_ACCOUNTS)
        await expect(
          offered
            .getByRole('button', { name: `${account.email} · ${account.role} of ${account.organization}` })
            .count(),
        ).resolves.toBe(1);
      await offered.getByRole('button', { name: `${DEMO_USERS.carol} · viewer of globex` }).click();
      await waitForText(page, '[data-testid="session"]', `Signed in as ${DEMO_USERS.carol} in Globex Inc. (globex)`);
      expect(await page.locator('[data-testid="demo-accounts"]').count()).toBe(0);
      expect(seen.offOrigin).toEqual([]);
      expect(seen.problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('shows the server’s message when sign-in fails, and stays signed out', async () => {
    const { context, page, seen } = await recordedContext(browser, origin);
    try {
      await page.goto(`${origin}/graphiql`);
      await signInFromForm(page, 'nobody-here@acme.test', 'acme');
      await waitForText(page, '[role="alert"]', SIGN_IN_FAILED);
      expect(await page.locator('[data-testid="session"]').count()).toBe(0);
      await expect(page.getByRole('button', { name: 'Sign in' }).isEnabled()).resolves.toBe(true);
      expect(seen.offOrigin).toEqual([]);
      expect(seen.problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
