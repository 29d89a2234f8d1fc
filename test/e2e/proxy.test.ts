/**
 * Blue-green from the UI on a real sshd host with its own nginx and HAProxy: the application page
 * shows the driver's guarantee and both slots; a blue-green upgrade started from the page runs the
 * slot flow (the run view shows the switch, the guard and the drain); a switch back from the page,
 * confirmed, reaches the old slot; an A/B weight step on HAProxy shows the new shares.
 * Screenshots land in PUESTA_SHOTS_DIR (default: the temp dir).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorLedger } from '../../electron/core/dbpatch/ledger-store.js';
import { upsertPatches } from '../../electron/core/dbpatch/patch-store.js';
import { answer, createBlueGreenApp, prepareHost, release, stopHost, type Fronts } from '../helpers/proxy-world.js';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';
import { startApp, type App } from './harness.js';
import { waitRun } from './runs-world.js';

const SHOTS = process.env.PUESTA_SHOTS_DIR ?? os.tmpdir();
let app: App;
let hs: TestHosts;
let page: Page;
let work: string;
let fronts: Fronts;
let envId: number;
let appId: number;

beforeAll(async () => {
  app = await startApp();
  hs = await startHosts({ count: 1, firstIndex: 72, withNginx: true });
  work = mkdtempSync(path.join(os.tmpdir(), 'puesta-e2e-bg-'));
  envId = (await app.call('environments.create', { name: 'staging' })).id;
  const [s] = await trustAll(app.core, hs.hosts);
  await app.call('servers.update', { id: s!.serverId, environmentId: envId });
  fronts = await prepareHost(hs.hosts[0]!, { haproxy: true });
  appId = await createBlueGreenApp(app.core, s!.serverId, envId, fronts, 'shop');
  const ins = await app.call('runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: release(work, 'v1'), label: 'v1' });
  await waitRun(app, ins.id, (r) => r.state !== 'running');
  page = await app.newPage({ viewport: { width: 1400, height: 1000 } });
}, 90_000);

afterAll(async () => {
  if (hs?.hosts[0]) await stopHost(hs.hosts[0]);
  await app?.close();
  await hs?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const go = async (hash: string) => {
  await page.goto(app.base + '#' + hash);
  await page.waitForSelector('.page');
};
const served = async () => (await answer(hs.hosts[0]!.host, fronts.socketPort)).body;
const slotCell = (slot: 'blue' | 'green') => page.getByTestId(`slot-${hs.hosts[0]!.name}-${slot}`);

describe('blue-green from the UI', () => {
  it('a blue-green upgrade from the application page, then a switch back', async () => {
    await go(`/applications/${appId}`);
    const panel = page.getByTestId('proxy-panel');
    await panel.waitFor();
    expect(await page.getByTestId('proxy-guarantee').textContent()).toContain('no request fails');
    await expect.poll(async () => (await slotCell('blue').textContent()) ?? '').toContain('live');
    expect(await served()).toBe('blue v1');

    await page.getByTestId('deploy').click();
    await page.getByTestId('new-run').waitFor();
    await page.getByRole('radio', { name: 'Upgrade' }).click();
    await page.locator('#run-srckind').selectOption('directory');
    await page.locator('#run-src').fill(release(work, 'v2').path);
    await page.locator('#run-label').fill('v2');
    await page.getByTestId('preview-plan').click();
    const plan = page.getByTestId('plan-table');
    await plan.waitFor();
    const text = (await plan.textContent()) ?? '';
    for (const t of ['Put the release into the idle slot', 'Check the idle slot directly', 'Switch the proxy to that slot', 'Guard', 'Drain the old slot']) expect(text).toContain(t);
    await page.getByTestId('start-run').click();
    await page.getByTestId('confirm-start').click();
    await page.waitForURL(/#\/runs\/\d+$/);
    const runId = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    const r = await waitRun(app, runId, (x) => x.state !== 'running');
    expect(r.state).toBe('succeeded');
    await expect.poll(() => page.getByTestId('run-state').textContent(), { timeout: 10_000 }).toBe('Succeeded');
    const view = (await page.getByTestId('run-view').textContent()) ?? '';
    for (const t of ['Switch the proxy to that slot', 'Guard', 'Drain the old slot']) expect(view).toContain(t);
    await page.screenshot({ path: path.join(SHOTS, 'proxy-run.png'), fullPage: true });
    expect(await served()).toBe('green v2');

    await go(`/applications/${appId}`);
    await expect.poll(async () => (await slotCell('green').textContent()) ?? '').toContain('live');
    expect(await slotCell('blue').textContent()).toContain('warm');
    await page.getByTestId('proxy-panel').screenshot({ path: path.join(SHOTS, 'proxy-slots.png') });

    await page.getByTestId('proxy-switch').click();
    expect(await page.getByRole('dialog').textContent()).toContain('blue is still running: nothing is started');
    await page.screenshot({ path: path.join(SHOTS, 'proxy-switch-confirm.png') });
    await page.getByRole('dialog').getByRole('button', { name: 'Switch to blue' }).click();
    await page.getByTestId('toast-success').last().waitFor();
    expect(await served()).toBe('blue v1');
    await expect.poll(async () => (await slotCell('blue').textContent()) ?? '').toContain('live');
  }, 120_000);

  it('an A/B weight step on HAProxy', async () => {
    await app.call('proxy.settings.save', { applicationId: appId, driver: 'haproxy-runtime' });
    await app.call('proxy.switch', { applicationId: appId, environmentId: envId, to: 'blue' });
    // changed behind the page's back: a fresh load reads the new driver
    await go(`/applications/${appId}`);
    await page.reload();
    await page.waitForSelector('.page');
    await page.getByTestId('proxy-weights').click();
    await page.getByTestId('green-weight').fill('10');
    await page.getByRole('dialog').getByRole('button', { name: 'Send 10 % to green' }).click();
    await page.getByTestId('toast-success').last().waitFor();
    await expect.poll(async () => (await slotCell('green').textContent()) ?? '').toContain('10 %');
    expect(await slotCell('blue').textContent()).toContain('90 %');
    const hist = page.getByTestId('proxy-history');
    await hist.locator('summary').click();
    expect(await hist.textContent()).toContain('weights');
    // the experiment's record: running, its releases, who, the weights over time
    const exp = page.getByTestId('proxy-experiments');
    await expect.poll(async () => (await exp.textContent()) ?? '').toContain('green 10 %');
    expect(await exp.textContent()).toContain('running');
    expect(await exp.textContent()).toContain('started');
    await page.getByTestId('proxy-panel').screenshot({ path: path.join(SHOTS, 'proxy-ab.png') });

    // the driver choice states each guarantee; nginx-reload warns
    await page.getByTestId('proxy-settings').click();
    expect(await page.getByTestId('driver-haproxy-runtime').isChecked()).toBe(true);
    // this world writes its own HAProxy config: the install's is off until ticked
    expect(await page.getByTestId('proxy-writeProxyConfig').isChecked()).toBe(false);
    await page.getByTestId('proxy-writeProxyConfig').check();
    expect(await page.getByTestId('proxy-haproxyConfig').inputValue()).toBe('/etc/haproxy/haproxy.cfg');
    await page.screenshot({ path: path.join(SHOTS, 'proxy-settings-haproxy.png') });
    await page.getByTestId('driver-nginx-reload').check();
    expect(await page.getByRole('dialog').textContent()).toContain('resets about one request per busy keep-alive connection');
    await page.screenshot({ path: path.join(SHOTS, 'proxy-settings.png') });
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect((await app.call('proxy.settings.get', { applicationId: appId })).driver).toBe('haproxy-runtime');
  }, 60_000);

  it('a switch back over a contract database patch asks for the patch id first', async () => {
    await app.call('proxy.weights', { applicationId: appId, environmentId: envId, green: 100, reason: 'green wins' });
    const exp = (await app.call('proxy.experiments', { applicationId: appId })).items[0]!;
    expect(exp).toMatchObject({ endedBy: expect.any(String), endNote: 'weights back to green only' });
    expect(exp.steps.map((x) => x.green)).toEqual([10, 100]);
    // a contract patch applied with the live (green) release, on a database of this environment
    const live = (await app.call('proxy.slots', { applicationId: appId, environmentId: envId })).hosts[0]!;
    const greenRelease = live.slots[1]!.release!;
    const db = await app.call('dbpatch.saveDatabase', { applicationId: appId, name: 'main', serverId: live.serverId, database: 'shop', user: 'shop' });
    const meta = { id: '0007-drop-legacy', requires: [], reversible: 'no' as const, compat: 'contract' as const, transactional: true, guard: null, lockTimeoutMs: 1000, statementTimeoutMs: 0, retries: 5, batchSize: null, description: '' };
    upsertPatches(app.core, appId, [{ meta, up: 'ALTER TABLE t DROP COLUMN legacy', down: null, verify: null, checksum: 'c7', sourcePath: '/p/0007' }]);
    const at = new Date().toISOString();
    mirrorLedger(app.core, db.id, [
      { remoteId: 1, patchId: meta.id, direction: 'up', state: 'done', checksum: 'c7', operator: 'ana', runId: null, releaseKey: greenRelease, startedAt: at, finishedAt: at, estimateMs: null, actualMs: null, statementsDone: 1, note: '' },
    ]);
    await page.reload();
    await page.waitForSelector('.page');
    await page.getByTestId('proxy-switch').click();
    const dialog = page.getByRole('dialog');
    await page.getByTestId('proxy-unsafe').waitFor();
    expect(await dialog.textContent()).toContain('0007-drop-legacy (contract, main)');
    const go = dialog.getByRole('button', { name: 'Switch to blue' });
    expect(await go.isDisabled()).toBe(true);
    await page.getByTestId('confirm-patches').fill('0007-drop-legacy');
    await page.screenshot({ path: path.join(SHOTS, 'proxy-switch-unsafe.png') });
    expect(await go.isDisabled()).toBe(false);
    await go.click();
    await page.getByTestId('toast-success').last().waitFor();
    await expect.poll(async () => (await slotCell('blue').textContent()) ?? '').toContain('live');
    const audit = await app.call('audit.list', { action: 'proxy.switch' });
    expect(JSON.stringify(audit.items[0])).toContain('0007-drop-legacy');
  }, 60_000);
});
