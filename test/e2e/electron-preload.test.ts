/**
 * The real renderer (dist/renderer) driven through the real preload bundle
 * (dist/electron/preload.cjs as built by scripts/build.mjs), in Debian's Chromium.
 *
 * No Electron binary here, so the preload is run as an init script with a stand-in for
 * `require('electron')` whose ipcRenderer carries each call over the browser shell's HTTP API
 * (same handler table as ipcMain). What this proves: the preload bundle loads with nothing but
 * `electron`, exposes `window.puesta` in the shape the renderer expects, and the renderer
 * then talks ONLY through it (ipcApi), calls and events included.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleElectron } from '../../scripts/build.mjs';
import { startApp, type App } from './harness.js';

let app: App;
let page: Page;
let outdir: string;
const directApiRequests: string[] = [];

function initScript(preloadCode: string): string {
  return `(() => {
  const CALL = 'puesta:call:', EVENT = 'puesta:event:';
  let source = null;
  const handlers = new Map();
  window.__preloadCalls = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key, api) => Object.defineProperty(window, key, { value: api, writable: false, configurable: false }) },
    ipcRenderer: {
      invoke: async (channel, input) => {
        if (!channel.startsWith(CALL)) throw new Error('unexpected channel ' + channel);
        const method = channel.slice(CALL.length);
        window.__preloadCalls.push(method);
        const res = await fetch('/api/' + method, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Via': 'preload' }, body: JSON.stringify(input ?? {}) });
        return res.json();
      },
      on: (channel, handler) => {
        const name = channel.slice(EVENT.length);
        if (!source) {
          source = new EventSource('/api/events?via=preload');
          source.addEventListener('open', () => { window.__eventsOpen = true; });
        }
        const h = (ev) => handler({ sender: 'not for the renderer' }, JSON.parse(ev.data));
        handlers.set(handler, h);
        source.addEventListener(name, h);
      },
      removeListener: (channel, handler) => {
        const h = handlers.get(handler);
        if (h && source) source.removeEventListener(channel.slice(EVENT.length), h);
      },
    },
  };
  const module = { exports: {} };
  const require = (name) => { if (name === 'electron') return electron; throw new Error('a sandboxed preload cannot require ' + name); };
  (function (require, module, exports) {
${preloadCode}
  })(require, module, module.exports);
})();`;
}

beforeAll(async () => {
  outdir = mkdtempSync(path.join(os.tmpdir(), 'puesta-preload-'));
  const { preload } = await bundleElectron({ outdir });
  app = await startApp();
  const ctx = await app.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
  await ctx.addInitScript({ content: initScript(readFileSync(preload, 'utf8')) });
  page = await ctx.newPage();
  page.on('pageerror', (err) => console.error('[e2e page error]', err.message));
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.pathname.startsWith('/api/') && req.headers()['x-via'] !== 'preload' && u.searchParams.get('via') !== 'preload') directApiRequests.push(`${req.method()} ${req.url()}`);
  });
  await page.goto(app.url);
  await page.waitForSelector('.shell');
});

afterAll(async () => {
  await app?.close();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('renderer over the preload bridge', () => {
  it('exposes window.puesta with one function per method and one subscribe per event', async () => {
    const shape = await page.evaluate(() => {
      const p = (globalThis as unknown as { puesta: Record<string, unknown> & { on: Record<string, unknown> } }).puesta;
      return { methods: Object.keys(p).filter((k) => k !== 'on'), events: Object.keys(p.on), allFns: Object.keys(p).every((k) => k === 'on' || typeof p[k] === 'function') };
    });
    expect(shape.methods).toContain('system.info');
    expect(shape.events).toContain('inventory.changed');
    expect(shape.allFns).toBe(true);
  });

  it('the renderer calls the core only through the bridge', async () => {
    await page.goto(app.base + '#/environments');
    await page.waitForSelector('.page');
    const calls = await page.evaluate(() => (globalThis as unknown as { __preloadCalls: string[] }).__preloadCalls);
    expect(calls).toContain('system.info');
    expect(calls.length).toBeGreaterThan(1);
    expect(directApiRequests).toEqual([]);
  });

  it('shows data created elsewhere and delivers events to bridge subscribers', async () => {
    const got = page.evaluate(
      () =>
        new Promise<unknown>((resolve) => {
          const p = (globalThis as unknown as { puesta: { on: Record<string, (l: (x: unknown) => void) => () => void> } }).puesta;
          const off = p.on['inventory.changed']!((payload) => {
            off();
            resolve(payload);
          });
        }),
    );
    await page.waitForFunction(() => (globalThis as unknown as { __eventsOpen?: boolean }).__eventsOpen === true);
    await app.call('environments.create', { name: 'preprod', colour: '#2563eb', confirmRuns: false });
    await expect.poll(() => got).toMatchObject({ action: 'create' });
    await page.goto(app.base + '#/environments');
    await expect.poll(() => page.getByText('preprod').first().waitFor({ timeout: 10_000 })).toBeUndefined();
    expect(directApiRequests).toEqual([]);
  });
});
