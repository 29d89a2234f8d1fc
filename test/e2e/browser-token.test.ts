/**
 * Settings → Browser access in the real browser shell: rotating the token keeps the tab that did it
 * signed in (its cookie is replaced with the answer) and signs another tab out at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/core/core.js';
import { KeyFileCipher } from '../../electron/core/secrets.js';
import { startWebServer, type WebServer } from '../../electron/web/server.js';
import { MIGRATIONS } from '../helpers/core.js';
import { assertRendererBuilt, CHROMIUM, CHROMIUM_ARGS, RENDERER_DIR } from './harness.js';

let dataDir: string;
let core: Core;
let web: WebServer;
let browser: Browser;

beforeAll(async () => {
  assertRendererBuilt();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-e2e-token-'));
  // shell 'web': the section is shown by the browser shell only
  core = createCore({ dataDir, migrationsDir: MIGRATIONS, cipher: new KeyFileCipher(path.join(dataDir, 'secret.key')), shell: 'web', version: 'test' });
  web = await startWebServer({ core, staticDir: RENDERER_DIR });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await web?.close();
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function tab(): Promise<Page> {
  const page = await (await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC' })).newPage();
  await page.goto(web.url);
  await page.waitForSelector('.shell');
  return page;
}

describe('Settings → Browser access', () => {
  it('rotates the token: this tab carries on, another tab is signed out', async () => {
    const a = await tab();
    const b = await tab();
    await a.goto(`http://127.0.0.1:${web.port}/#/settings`);
    await a.getByTestId('rotate-browser-token').click();
    await a.getByRole('button', { name: 'Rotate the token', exact: true }).click();
    await a.getByTestId('toast-success').last().waitFor();

    await a.reload();
    await a.waitForSelector('.shell'); // still signed in after a reload: the new cookie
    await expect.poll(() => a.getByTestId('settings').textContent()).toContain(dataDir);

    const res = await b.reload();
    expect(res?.status()).toBe(401);
    expect(await b.textContent('body')).toMatch(/Open Puesta with the URL printed by npm start/);
  });
});
