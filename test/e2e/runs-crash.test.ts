import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChecklistStepInput } from '../../shared/contract/runs.js';
import { freePort, startHosts, trustAll, type TestHosts } from '../hosts/index.js';
import { call } from '../helpers/api.js';
import { makeCore, ROOT } from '../helpers/core.js';
import { assertRendererBuilt, CHROMIUM, CHROMIUM_ARGS } from './harness.js';

// "A crash in the middle loses nothing": the browser shell (`electron/web/main.ts`, its own
// process) is killed with SIGKILL while a run started from the UI is in the middle of a step on two
// real sshd hosts. Started again on the same data folder, the run view shows the run interrupted
// with the logs written before the crash; Resume (in the UI) finishes it.

const TOKEN = 'crash-test-token-' + Date.now();
let hosts: TestHosts;
let dataDir: string;
let work: string;
let port: number;
let server: ChildProcess | null = null;
let browser: Browser;
let page: Page;
let appId = 0;
let serverIds: number[] = [];

function startServer(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'electron', 'web', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PUESTA_DATA_DIR: dataDir, PUESTA_PORT: String(port), PUESTA_TOKEN: TOKEN },
      detached: true, // its own process group: SIGKILL reaches tsx's node child too
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the web shell did not start: ${out}`)), 60_000);
    const on = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Puesta is running at')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => reject(new Error(`the web shell exited (${code}): ${out}`)));
  });
}

function crash(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    process.kill(-child.pid!, 'SIGKILL');
  });
}

const readlink = async (i: number) => (await hosts.hosts[i]!.rootExec('readlink /srv/crashy/current; cat /srv/crashy/current/VERSION')).stdout.trim().split('\n');

beforeAll(async () => {
  assertRendererBuilt();
  hosts = await startHosts({ count: 2, firstIndex: 60 });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-crash-data-'));
  work = mkdtempSync(path.join(os.tmpdir(), 'puesta-crash-src-'));
  mkdirSync(path.join(work, 'v1'));
  writeFileSync(path.join(work, 'v1', 'VERSION'), 'v1\n');
  // the inventory, written by a core on the data folder the shell will open
  const tc = makeCore(dataDir);
  const env = await call(tc.core, 'environments.create', { name: 'staging' });
  serverIds = (await trustAll(tc.core, hosts.hosts)).map((t) => t.serverId);
  let i = 0;
  for (const id of serverIds) await call(tc.core, 'servers.update', { id, name: `node-${++i}`, environmentId: env.id, roles: ['web'] });
  appId = (await call(tc.core, 'applications.create', { name: 'crashy', runtimeUser: 'crashy', basePath: '/srv/crashy', sourceKind: 'directory', source: path.join(work, 'v1') })).id;
  for (const id of serverIds) await call(tc.core, 'placements.create', { applicationId: appId, serverId: id, role: 'web' });
  const install = await call(tc.core, 'checklists.get', { applicationId: appId, kind: 'install' });
  const steps: ChecklistStepInput[] = [];
  for (const s of install.steps) {
    if (s.key === 'switch') steps.push({ key: 'migrate', title: 'Migrate the data (slow)', command: 'echo "migration starts"\nsleep 8\necho "migration done"' });
    steps.push(s);
  }
  await call(tc.core, 'checklists.save', { applicationId: appId, kind: 'install', steps });
  await tc.core.close();
  port = await freePort();
  server = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
  page = await ctx.newPage();
  await page.goto(`http://127.0.0.1:${port}/?token=${TOKEN}`);
  await page.waitForSelector('.shell');
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (server) await crash(server).catch(() => undefined);
  await hosts?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('a crash in the middle of a run', () => {
  it('loses nothing: the run comes back interrupted with its logs, and Resume finishes it', async () => {
    // started from the UI
    await page.goto(`http://127.0.0.1:${port}/#/runs/new?app=${appId}&kind=install`);
    await page.getByTestId('new-run').waitFor();
    await expect.poll(() => page.locator('#run-src').inputValue()).toBe(path.join(work, 'v1'));
    await page.getByTestId('preview-plan').click();
    await page.getByTestId('plan-table').waitFor();
    await page.getByTestId('start-run').click();
    await page.getByTestId('confirm-start').click();
    await page.waitForURL(/#\/runs\/\d+$/);
    const runId = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);

    // in the middle of the slow step on both hosts
    await page.locator('.rail-step[data-step=migrate][data-state=running]').waitFor({ timeout: 60_000 });
    await expect.poll(async () => page.locator('.log-row').allTextContents(), { timeout: 20_000 }).toEqual(expect.arrayContaining([expect.stringContaining('migration starts')]));
    const before = Number(await page.getByTestId('log-pane-node-1').getAttribute('data-lines'));
    expect(before).toBeGreaterThan(5);

    await crash(server!);
    server = await startServer();
    await page.reload();
    const view = page.locator(`[data-testid=run-view][data-state=interrupted]`);
    await view.waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('control-bar').textContent()).toContain('Migrate the data');
    expect(await page.locator('.rail-step[data-step=migrate]').getAttribute('data-state')).toBe('interrupted');
    expect(await page.locator('.rail-step[data-step=upload]').getAttribute('data-state')).toBe('succeeded');
    // every line the UI had shown before the crash is still there
    await expect.poll(async () => Number(await page.getByTestId('log-pane-node-1').getAttribute('data-lines'))).toBeGreaterThanOrEqual(before);
    await page.getByTestId('log-search').fill('migration starts');
    await expect.poll(() => page.getByTestId('log-matches').textContent()).toBe('2 lines');
    await page.getByTestId('log-search').fill('');

    await page.getByTestId('act-resume').click();
    await page.locator('[data-testid=run-view][data-state=succeeded]').waitFor({ timeout: 60_000 });
    await page.getByTestId('log-search').fill('migration done');
    await expect.poll(() => page.getByTestId('log-matches').textContent()).toBe('2 lines');
    const key = (await page.locator('[data-testid=run-view] .page-sub code').first().textContent())!;
    for (const i of [0, 1]) expect(await readlink(i)).toEqual([`/srv/crashy/releases/${key}`, 'v1']);
    expect(runId).toBeGreaterThan(0);
  });
});
