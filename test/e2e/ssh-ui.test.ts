/**
 * The SSH UI in Debian's Chromium against real sshd test hosts, through the real browser shell:
 * the trust flow (unknown key → compare → trust → facts), the changed-key refusal and its
 * deliberate replace path, and ad-hoc commands with live per-host output and cancel.
 * The components are mounted on their own page (bundled here with esbuild), as the app mounts them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../electron/web/server.js';
import { call } from '../helpers/api.js';
import { makeCore, ROOT, type TestCore } from '../helpers/core.js';
import { startHosts, type TestHosts } from '../hosts/index.js';
import { CHROMIUM, CHROMIUM_ARGS } from './harness.js';

let hs: TestHosts;
let tc: TestCore;
let web: WebServer;
let browser: Browser;
let staticDir: string;
const ids: number[] = [];

beforeAll(async () => {
  staticDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-ssh-ui-'));
  await build({
    entryPoints: [path.join(ROOT, 'test/e2e/ssh-ui/entry.tsx')],
    bundle: true,
    outdir: staticDir,
    entryNames: 'app',
    format: 'esm',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  writeFileSync(
    path.join(staticDir, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>SSH UI</title><link rel="stylesheet" href="/app.css"></head><body><div id="root"></div><script type="module" src="/app.js"></script></body></html>',
  );
  hs = await startHosts({ count: 2, firstIndex: 30 });
  tc = makeCore();
  for (const h of hs.hosts) {
    const s = tc.core.inventory.servers.create(
      { name: `web-${h.index}`, host: h.host, port: h.port, user: h.user, auth: 'key', keyPath: h.keyPath, environmentId: null, roles: [], tags: [], notes: '' },
      'test',
    );
    ids.push(s.id as number);
  }
  web = await startWebServer({ core: tc.core, staticDir });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await web?.close().catch(() => undefined);
  await tc?.cleanup();
  await hs?.stop();
  if (staticDir) rmSync(staticDir, { recursive: true, force: true });
});

async function open(hash: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(web.url);
  await page.goto(`http://127.0.0.1:${web.port}/#${hash}`);
  await page.reload(); // the hash change alone does not reload the page
  await page.waitForSelector('.shell');
  expect(errors).toEqual([]);
  return page;
}

describe('ServerConnectionPanel', () => {
  it('unknown key: shows the fingerprint to compare, trusts it only after confirmation, then shows the facts', async () => {
    const h = hs.hosts[0]!;
    const page = await open(`server=${ids[0]}`);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const dialog = page.getByRole('dialog', { name: /^Is this really/ });
    await dialog.waitFor();
    expect((await dialog.getByTestId('host-key-fingerprint').textContent())?.trim()).toBe(h.fingerprint);
    await expect.poll(() => dialog.textContent()).toContain('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
    const trust = dialog.getByRole('button', { name: 'Trust this key' });
    expect(await trust.isDisabled()).toBe(true);
    await dialog.getByLabel('I compared the fingerprints and they match').check();
    await trust.click();
    await page.getByText('is now trusted').waitFor();
    await page.locator('.pssh-facts').waitFor();
    const facts = await page.locator('.pssh-facts').textContent();
    expect(facts).toContain(h.fingerprint);
    expect(facts).toMatch(/Kernel\s*Linux/);
    expect(facts).toMatch(/Disk \//);
    expect(await page.getByText(/trusted by/).count()).toBe(1);
    await page.context().close();
  });

  it('changed key: red refusal; the pin is replaced only after typing the server name', async () => {
    const h = hs.hosts[1]!;
    const page = await open(`server=${ids[1]}`);
    // trust the first key through the UI, then the server's key changes
    await page.getByRole('button', { name: 'Test connection' }).click();
    const dialog = page.getByRole('dialog', { name: /^Is this really/ });
    await dialog.getByLabel('I compared the fingerprints and they match').check();
    await dialog.getByRole('button', { name: 'Trust this key' }).click();
    await page.locator('.pssh-facts').waitFor();
    const old = h.fingerprint;
    await h.regenerateHostKey();
    await page.getByRole('button', { name: 'Test connection' }).click();
    const alert = page.locator('.pssh-alert-error', { hasText: 'has CHANGED' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(h.fingerprint);
    expect(await alert.textContent()).toContain(old);
    expect(await page.locator('.pssh-facts').count()).toBe(0);
    await alert.getByRole('button', { name: 'Replace pin…' }).click();
    const replace = alert.getByRole('button', { name: 'Replace the pinned key' });
    await alert.getByLabel('Server name to confirm').fill('web-3');
    expect(await replace.isDisabled()).toBe(true);
    await alert.getByLabel('Server name to confirm').fill(`web-${h.index}`);
    expect(await replace.isDisabled()).toBe(false);
    await replace.click();
    await page.getByText('Pin replaced').waitFor();
    await page.locator('.pssh-facts').waitFor();
    expect(await page.locator('.pssh-facts').textContent()).toContain(h.fingerprint);
    const audit = tc.core.audit.list({ entity: 'servers', entityId: ids[1], limit: 20, offset: 0 }).items;
    expect(audit.some((a) => a.action === 'hostkey.replace')).toBe(true);
    await page.context().close();
  });
});

describe('AdHocCommand', () => {
  it('runs on the selected servers with live per-host output, exit codes, and cancel', async () => {
    // the trust flow is the other tests' subject: here the keys are pinned through the API, so this
    // test does not depend on running after them
    for (const [i, h] of hs.hosts.entries()) await call(tc.core, 'servers.trustHostKey', { id: ids[i]!, fingerprint: h.fingerprint, replace: true });
    const page = await open('view=adhoc');
    await page.getByLabel('web-30').check();
    await page.getByLabel('web-31').check();
    await page.getByLabel('Command').fill('echo "hi from $(hostname -I 2>/dev/null | cut -d" " -f1)$SSH_CONNECTION" | cut -c1-60; echo oops >&2; exit 3');
    await page.getByRole('button', { name: 'Run on 2 servers' }).click();
    for (const id of ids) {
      const pane = page.locator(`section[data-server-id="${id}"]`);
      await pane.getByText('exit 3').waitFor();
      expect(await pane.locator('[data-stream="stdout"]').allTextContents()).toEqual([expect.stringContaining('hi from')]);
      expect((await pane.locator('[data-stream="stderr"]').allTextContents()).join('')).toBe('oops\n');
      expect(await pane.locator('.pssh-stderr').count()).toBeGreaterThan(0);
    }

    await page.getByLabel('Command').fill('echo started; sleep 30');
    await page.getByRole('button', { name: 'Run on 2 servers' }).click();
    for (const id of ids) await page.locator(`section[data-server-id="${id}"]`).getByText('started').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    for (const id of ids) await page.locator(`section[data-server-id="${id}"]`).getByText('CANCELLED').first().waitFor({ timeout: 10_000 });
    await page.context().close();
  });

  it('says so when its window fell behind and the shell dropped live output mid-command; Cancel still ends it', async () => {
    for (const [i, h] of hs.hosts.entries()) await call(tc.core, 'servers.trustHostKey', { id: ids[i]!, fingerprint: h.fingerprint, replace: true });
    const page = await open('view=adhoc');
    await page.getByLabel('web-30').check();
    await page.getByLabel('Command').fill('echo started; sleep 30');
    await page.getByRole('button', { name: 'Run on 1 server' }).click();
    await page.locator(`section[data-server-id="${ids[0]}"]`).getByText('started').waitFor();
    expect(await page.getByTestId('adhoc-fell-behind').count()).toBe(0);
    // what the shell does to a subscriber past its bound: the stream ends; the page reconnects
    for (const s of web.streams()) s.end();
    await page.getByTestId('adhoc-fell-behind').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`section[data-server-id="${ids[0]}"]`).getByText('CANCELLED').first().waitFor({ timeout: 10_000 });
    await page.context().close();
  });
});
