/**
 * E2E harness: a real core on a temp data dir + the browser shell serving the BUILT renderer,
 * and Debian's Chromium through playwright-core. One browser per test file; pages are cheap.
 *
 *   const app = await startApp();
 *   const page = await app.newPage();           // already opened on the tokened URL
 *   await app.call('servers.list', {});         // API helper, same handler table
 *   await app.close();
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { MethodInput, MethodName, MethodOutput } from '../../shared/contract/index.js';
import { startWebServer, type WebServer } from '../../electron/web/server.js';
import { call } from '../helpers/api.js';
import { makeCore, ROOT, type TestCore } from '../helpers/core.js';

export const RENDERER_DIR = path.join(ROOT, 'dist', 'renderer');
export const CHROMIUM = process.env.PUESTA_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface App {
  core: TestCore['core'];
  dataDir: string;
  web: WebServer;
  browser: Browser;
  /** The tokened URL printed by the shell. */
  url: string;
  /** Base URL without the token (the cookie is set once a page opened `url`). */
  base: string;
  /** A new page in a fresh context, already opened on the app (Today). */
  newPage(opts?: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } }): Promise<Page>;
  /** Calls the API through the same dispatcher the shells use; throws PuestaError on failure. */
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  close(): Promise<void>;
}

export function assertRendererBuilt(): void {
  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`The renderer is not built: ${path.join(RENDERER_DIR, 'index.html')} is missing. Run \`npm run build:renderer\` first.`);
  }
}

export async function startApp(opts: { headless?: boolean } = {}): Promise<App> {
  assertRendererBuilt();
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium (scripts/setup-system.sh) or set PUESTA_CHROMIUM.`);
  const tc = makeCore(mkdtempSync(path.join(os.tmpdir(), 'puesta-e2e-')));
  let web: WebServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  try {
    web = await startWebServer({ core: tc.core, staticDir: RENDERER_DIR });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: opts.headless ?? true, args: CHROMIUM_ARGS });
  } catch (e) {
    await browser?.close().catch(() => undefined);
    await web?.close().catch(() => undefined);
    await tc.cleanup();
    throw e;
  }
  const w = web;
  const b = browser;
  const base = `http://127.0.0.1:${w.port}/`;
  return {
    core: tc.core,
    dataDir: tc.dataDir,
    web: w,
    browser: b,
    url: w.url,
    base,
    async newPage(o = {}) {
      const ctx = await b.newContext({
        viewport: o.viewport ?? { width: 1280, height: 800 },
        colorScheme: o.colorScheme ?? 'light',
        acceptDownloads: true,
        locale: 'en-GB',
        timezoneId: 'UTC',
      });
      contexts.push(ctx);
      const page = await ctx.newPage();
      page.on('pageerror', (err) => console.error('[e2e page error]', err.message));
      await page.goto(w.url);
      await page.waitForSelector('.shell');
      return page;
    },
    call: (method, input) => call(tc.core, method, input),
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await b.close().catch(() => undefined);
      await w.close().catch(() => undefined);
      await tc.cleanup();
    },
  };
}

/** Removes a stray temp folder (for scripts that keep their data dir). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
