// The end-to-end harness: the real stack (testing's startTestStack), the built console on its own
// HTTPS server, its public client at the stack's issuer, and Debian's Chromium driven by
// playwright-core (no browser download: executablePath). Screenshots go to console/artifacts/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { registerClient } from '@tessera/dev-issuer/client';
import { startTestStack, testAudience, type TestStack, type TestStackOptions } from '@tessera/testing';
import { distDirectory, ensureConsoleBuilt, startConsoleServer, type ConsoleRuntimeConfig, type RunningConsoleServer } from '../server';
import { consoleRoot } from '../server/paths';

export const artifactsDirectory = join(consoleRoot, 'artifacts');
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export interface ConsoleUser {
  name: string;
  password: string;
}

export interface ConsoleHarness {
  stack: TestStack;
  console: RunningConsoleServer;
  browser: Browser;
  /** A user of the dev issuer with these claims (a client: id = user name, secret = password). */
  createUser(claims: { tenant?: string; role: string }): Promise<ConsoleUser>;
  /** Another public client of the console at the stack's issuer, e.g. with short-lived access tokens. */
  registerConsoleClient(options: { tokenTtlSeconds?: number }): Promise<string>;
  /**
   * A fresh browser session (no cookies, no tokens) signed in as `user`, on `path`; with `clientId`,
   * the page's /config.json names that console client instead (answered by the browser's router).
   */
  signIn(user: ConsoleUser, path?: string, options?: { clientId?: string; watch?: (page: Page) => void }): Promise<Page>;
  screenshot(page: Page, name: string): Promise<void>;
  /** The most recently opened page, saved as last-<name>.png. */
  screenshotLast(name: string): Promise<void>;
  /** Every Content Security Policy violation any console page reported so far, and how many pages were watched. */
  cspReport(): { violations: string[]; pagesWatched: number };
  stop(): Promise<void>;
}

export async function startConsoleHarness(options: TestStackOptions = {}): Promise<ConsoleHarness> {
  mkdirSync(artifactsDirectory, { recursive: true });
  const timings: string[] = [];
  const since = Date.now();
  const mark = (what: string) => timings.push(`${what} ${Date.now() - since} ms`);
  // The build (when stale) runs beside the stack's start; the server serves files only once asked.
  const built = ensureConsoleBuilt().then((outcome) => mark(`console ${outcome}`));
  built.catch(() => undefined); // awaited below; a start that fails first must not leave it unhandled
  let config: ConsoleRuntimeConfig | undefined;
  // The console first: the gateway must allow its origin, and the issuer its redirect URI.
  const { ensureLocalPki } = await import('@tessera/local-infra');
  const consoleServer = await startConsoleServer({
    root: distDirectory,
    tls: ensureLocalPki().identity('gateway'),
    config: () => {
      if (!config) throw new Error('not ready');
      return config;
    },
  });
  const launching = chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  launching.catch(() => undefined); // awaited below
  const stack = await startTestStack({ ...options, corsOrigins: [consoleServer.url] }).catch(async (error: unknown) => {
    await consoleServer.stop();
    await (await launching.catch(() => undefined))?.close();
    throw error;
  });
  mark('stack started');
  const contexts: BrowserContext[] = [];
  const pages: Page[] = [];
  let browser: Browser | undefined;
  try {
    const clientId = await registerConsoleClient(stack, consoleServer.url);
    config = { issuerUrl: stack.issuer.issuerUrl, clientId, audience: testAudience, graphqlUrl: stack.graphqlUrl };
    browser = await launching;
    mark('chromium launched');
    await built;
    if (process.env['CONSOLE_E2E_TIMINGS']) process.stderr.write(`${timings.join(', ')}\n`);
  } catch (error) {
    await (await launching.catch(() => undefined))?.close();
    await stack.stop();
    await consoleServer.stop();
    throw error;
  }
  const launched = browser;
  const cspViolations: string[] = [];
  let pagesWatched = 0;
  // Every page reports what its policy blocked (the browser fires securitypolicyviolation; the
  // script below turns it into a console line the harness collects, with the page's address).
  const watchCsp = async (context: BrowserContext) => {
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`csp-violation ${event.effectiveDirective} blocked ${event.blockedURI || '(inline)'} in ${event.sourceFile || document.location.href}`);
      });
    });
    context.on('page', (page) => {
      pagesWatched += 1;
      page.on('console', (message) => {
        const text = message.text();
        if (text.startsWith('csp-violation') || text.includes('Content Security Policy')) cspViolations.push(`${page.url()}: ${text}`);
      });
    });
  };
  return {
    stack,
    console: consoleServer,
    browser: launched,
    createUser: async ({ tenant, role }) => {
      const client = await registerClient(stack.issuer.issuerUrl, stack.issuer.registrationToken, { ...(tenant ? { tenant } : {}), roles: [role] });
      return { name: client.clientId, password: client.clientSecret };
    },
    registerConsoleClient: (clientOptions) => registerConsoleClient(stack, consoleServer.url, clientOptions.tokenTtlSeconds),
    signIn: async (user, path = '/', signInOptions = {}) => {
      // The stack's certificates come from the local CA, which this Chromium profile does not hold.
      const context = await launched.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } });
      contexts.push(context);
      await watchCsp(context);
      const { clientId } = signInOptions;
      if (clientId) await context.route(`${consoleServer.url}/config.json`, (route) => route.fulfill({ json: { ...config, clientId } }));
      const page = await context.newPage();
      pages.push(page);
      signInOptions.watch?.(page);
      await page.goto(`${consoleServer.url}${path}`);
      await page.getByLabel('User name').fill(user.name);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('who').waitFor();
      return page;
    },
    screenshot: async (page, name) => {
      await page.screenshot({ path: join(artifactsDirectory, `${name}.png`), fullPage: true });
    },
    screenshotLast: async (name) => {
      const page = pages.at(-1);
      if (page && !page.isClosed()) await page.screenshot({ path: join(artifactsDirectory, `last-${name.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 80)}.png`), fullPage: true }).catch(() => undefined);
    },
    cspReport: () => ({ violations: [...cspViolations], pagesWatched }),
    stop: async () => {
      const stopping = Date.now();
      for (const context of contexts) await context.close().catch(() => undefined);
      await launched.close();
      const browserClosed = Date.now() - stopping;
      await stack.stop();
      await consoleServer.stop();
      if (process.env['CONSOLE_E2E_TIMINGS']) process.stderr.write(`browser closed ${browserClosed} ms, all stopped ${Date.now() - stopping} ms\n`);
    },
  };
}

/** Registers a public console client (code + PKCE, refresh tokens) with the console's redirect URIs. */
async function registerConsoleClient(stack: TestStack, consoleUrl: string, tokenTtlSeconds?: number): Promise<string> {
  const response = await fetch(`${stack.issuer.issuerUrl}/reg`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.issuer.registrationToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      redirect_uris: [`${consoleUrl}/callback`],
      post_logout_redirect_uris: [`${consoleUrl}/`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(tokenTtlSeconds !== undefined ? { token_ttl_seconds: tokenTtlSeconds } : {}),
    }),
  });
  if (response.status !== 201) throw new Error(`console client registration: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { client_id: string }).client_id;
}
