import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { closeTestPools } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seed/demo';
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
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).flatMap((dir) => [path.join(dir, 'chromium'), path.join(dir, 'chromium-browser')]),
  ];
  return candidates.find((file): file is string => !!file && fs.existsSync(file));
}

const CHROMIUM = findChromium();
if (!CHROMIUM) {
  console.warn([
    '',
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    '!!! SKIPPING the GraphiQL browser test: no Chromium found (CHROMIUM_PATH,   !!!',
    '!!! /usr/bin/chromium, or chromium on PATH). Install it:                    !!!',
    '!!!   apt-get install -y --no-install-recommends chromium   (.ci/run does)  !!!',
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    '',
  ].join('\n'));
}

const describeInBrowser = CHROMIUM ? describe : describe.skip;

if (!CHROMIUM && process.env.CHROMIUM_REQUIRED === '1') {
  // .ci/run installs Chromium and sets CHROMIUM_REQUIRED: there, a skip would hide a broken setup.
  it('finds Chromium (CHROMIUM_REQUIRED=1)', () => {
    throw new Error('No Chromium found, but CHROMIUM_REQUIRED=1: install the chromium package or set CHROMIUM_PATH');
  });
}

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// One line: monaco's auto-indent would add closing braces after inserted newlines.
const QUERY = 'query RunFromPage { viewer { user { email } organization { name slug } } projects(first: 3) { totalCount edges { node { name } } } }';

/** The little of the DOM that functions run in the page use (this tsconfig has no DOM types). */
interface InPage {
  document: {
    querySelector(selector: string): { textContent: string | null } | null;
    addEventListener(type: 'securitypolicyviolation', listener: (event: { violatedDirective: string; blockedURI: string }) => void): void;
  };
}

/** What one browser context did: every request, and anything refused or thrown. */
interface Recorder {
  requests: string[];
  offOrigin: string[];
  problems: string[];
}

async function recordedContext(browser: Browser, origin: string): Promise<{ context: BrowserContext; page: Page; seen: Recorder }> {
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
    if (message.type() === 'error' && /CSP|Content Security Policy|Refused to/i.test(message.text())) seen.problems.push(message.text());
  });
  page.on('worker', (worker) => worker.on('console', (message) => {
    if (message.type() === 'error') seen.problems.push(`worker: ${message.text()}`);
  }));
  return { context, page, seen };
}

async function waitForText(page: Page, selector: string, text: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    ([sel, want]) => (globalThis as unknown as InPage).document.querySelector(sel)?.textContent?.replace(/\u00a0/g, ' ').includes(want) ?? false,
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

  beforeAll(async () => {
    app = await startTestApp({ production: true });
    origin = new URL(app.url).origin;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    // What the other organization holds, so that the page can be shown not to see it.
    const bob = await app.login(DEMO_USERS.bob, DEMO_PASSWORD, 'globex');
    const res = await app.gql<{ organization: { name: string }; projects: { edges: { node: { name: string } }[] } }>(
      '{ organization { name } projects(first: 100) { edges { node { name } } } }', { token: bob });
    globex = { name: res.body.data!.organization.name, projects: res.body.data!.projects.edges.map((e) => e.node.name) };
    expect(globex.projects.length).toBeGreaterThan(0);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await closeTestPools();
  });

  it('signs alice in from the page, runs a query that sees acme only, explores the docs, and stays on its origin', async () => {
    const { context, page, seen } = await recordedContext(browser, origin);
    try {
      await page.goto(`${origin}/graphiql`);
      await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });

      await signInFromForm(page, DEMO_USERS.alice, 'acme');
      await waitForText(page, '[data-testid="session"]', `Signed in as ${DEMO_USERS.alice} in Acme Corporation (acme)`);

      // Replace the default query (insertText: typed keys would trigger monaco's auto-closing).
      await page.locator('.graphiql-query-editor .monaco-editor').click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(QUERY);

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
      const answered = page.waitForResponse((res) => res.url().endsWith('/graphql') && res.status() === 200 && !!res.request().postData()?.includes('RunFromPage'));
      await page.locator('.graphiql-execute-button').click();
      const response = await answered;
      expect(expiredOnce).toBe(true);
      expect(response.request().headers().authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      const body = await response.json() as { data: { viewer: { user: { email: string }; organization: { name: string; slug: string } }; projects: { totalCount: number; edges: { node: { name: string } }[] } } };
      expect(body.data.viewer).toEqual({ user: { email: DEMO_USERS.alice }, organization: { name: 'Acme Corporation', slug: 'acme' } });
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
      await page.locator('.graphiql-doc-explorer-content a', { hasText: /^Query$/ }).first().click();
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
