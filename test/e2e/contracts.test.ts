/**
 * Hosting contracts from the UI, on a real sshd test host with its own nginx (the suspension world
 * of test/helpers/suspension-world.ts): the expiry timeline shows what is due when; a suspension
 * the evaluator proposed, confirmed on Today after a dialog that names its effect, makes the site
 * answer 503 while the paid site of the same customer stays served; a renewal, whose dialog names
 * the reinstatement, brings the site back. Screenshots land in PUESTA_SHOTS_DIR (default: the temp dir).
 */
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayIso } from '../../renderer/src/lib/format.js';
import { answer } from '../helpers/proxy-world.js';
import { prepareWorld, stopWorld, type SuspensionWorld } from '../helpers/suspension-world.js';
import { startHosts, type TestHosts } from '../hosts/index.js';
import { startApp, type App } from './harness.js';

const SHOTS = process.env.PUESTA_SHOTS_DIR ?? os.tmpdir();
let app: App;
let hs: TestHosts;
let w: SuspensionWorld | null = null;
let page: Page;
let blogContract: number;
let customerId: number;

beforeAll(async () => {
  app = await startApp();
  hs = await startHosts({ count: 1, firstIndex: 78, withNginx: true });
  w = await prepareWorld(app.core, hs, { count: 1, prefix: 'shop' });
  // a contract that ends in 20 days: its reminders, end date and suspension fall inside the next 90 days
  customerId = (await app.call('customers.create', { name: 'Bodega Sur', language: 'en', timezone: 'UTC' })).id;
  const blog = (await app.call('applications.create', { name: 'blog', runtimeUser: 'puesta-deploy', basePath: '/srv/blog' })).id;
  blogContract = (await app.call('contracts.create', { customerId, reference: 'BLOG-1', startDate: addDays(todayIso(), -345), endDate: addDays(todayIso(), 20), applicationIds: [blog] })).id;
  page = await app.newPage({ viewport: { width: 1400, height: 1000 } });
}, 120_000);

afterAll(async () => {
  if (hs) await stopWorld(hs, w);
  await app?.close();
  await hs?.stop();
}, 60_000);

const go = async (hash: string) => {
  await page.goto(app.base + '#' + hash);
  await page.waitForSelector('.page');
};
const world = () => w!;
const site = () => world().sites[0]!;
const served = async (port: number) => (await answer(world().host.host, port)).status;
const suspensionState = async () => (await app.call('suspension.list', { contractId: world().unpaidId })).items[0]?.state;

describe('hosting contracts from the UI', () => {
  it('the expiry timeline shows what is due when, per contract and application', async () => {
    await go('/contracts');
    await page.getByTestId('open-timeline').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'contracts-list.png') });
    await page.getByTestId('open-timeline').click();
    const table = page.getByTestId('timeline');
    await table.waitFor();
    await expect.poll(async () => (await table.textContent()) ?? '').toContain('BLOG-1');
    const rows = await page.getByTestId('timeline-row').filter({ hasText: 'BLOG-1' }).allTextContents();
    expect(rows.some((r) => r.includes('Reminder, 14 days before the end'))).toBe(true);
    expect(rows.some((r) => r.includes('Reminder: ends tomorrow'))).toBe(true);
    expect(rows.some((r) => r.includes('End date passes'))).toBe(true);
    // suspension is decided per application: the row names it
    expect(rows.some((r) => r.includes('Suspension due') && r.includes('blog'))).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'contracts-timeline.png'), fullPage: true });

    // the contract's own page has the same due points, without the contract column
    await page.getByRole('link', { name: 'BLOG-1' }).first().click();
    await page.getByTestId('lifecycle-page').waitFor();
    expect(await page.getByTestId('lifecycle-title').textContent()).toBe('BLOG-1');
    await expect.poll(async () => (await page.getByTestId('lifecycle-timeline').textContent()) ?? '').toContain('Suspension due');
    expect(page.url()).toContain(`#/contracts/${blogContract}/lifecycle`);

    const dark = await app.newPage({ colorScheme: 'dark', viewport: { width: 1400, height: 1000 } });
    await dark.goto(app.base + '#/contracts/timeline');
    await dark.getByTestId('timeline').waitFor();
    await dark.screenshot({ path: path.join(SHOTS, 'contracts-timeline-dark.png'), fullPage: true });
    await dark.close();
  }, 60_000);

  it('a proposed suspension, confirmed on Today, suspends the unpaid site over SSH (the paid one stays served); a renewal reinstates it', async () => {
    await go('/contracts/timeline');
    await page.getByTestId('evaluate-now').click();
    await page.getByTestId('toast-success').last().waitFor();

    await go('/');
    const decisions = page.getByTestId('today-decisions');
    await expect.poll(async () => (await decisions.textContent()) ?? '', { timeout: 10_000 }).toContain('ACME-UNPAID');
    expect(await decisions.textContent()).toContain(site().name);
    // the paid contract's application is not proposed
    expect(await decisions.textContent()).not.toContain(world().other.name);
    await page.screenshot({ path: path.join(SHOTS, 'contracts-today.png'), fullPage: true });

    await decisions.getByRole('button', { name: `Suspend ${site().name} (ACME-UNPAID)…` }).click();
    const dialog = page.getByRole('dialog');
    const effects = page.getByTestId('suspend-effects');
    await effects.waitFor({ timeout: 10_000 });
    // the confirmation names the effect before anything happens
    const fx = (await effects.textContent()) ?? '';
    expect(fx).toContain(site().name);
    expect(fx).toContain('503');
    expect(await served(site().port)).toBe(200);
    await page.screenshot({ path: path.join(SHOTS, 'contracts-suspend-confirm.png') });
    await dialog.getByTestId('confirm-suspend').click();
    await page.getByTestId('toast-success').last().waitFor();

    await expect.poll(suspensionState, { timeout: 60_000, interval: 250 }).toBe('suspended');
    expect(await served(site().port)).toBe(503);
    expect(await served(world().other.port)).toBe(200);
    await expect.poll(async () => (await decisions.textContent()) ?? '').not.toContain('ACME-UNPAID');

    await go(`/contracts/${world().unpaidId}/lifecycle`);
    const list = page.getByTestId('lifecycle-suspensions');
    await expect.poll(async () => (await list.textContent()) ?? '').toContain(world().host.name);
    expect(await list.getByTestId('suspension-state').first().textContent()).toBe('suspended');
    expect(await page.getByTestId('lifecycle-decisions').textContent()).toContain('accepted');
    // each host's output, as the run wrote it (refetched on every suspension.changed while it moves)
    await list.getByText(`Log of ${world().host.name}`).click();
    const hostLog = list.getByTestId(`suspension-log-${world().host.name}`);
    await expect.poll(async () => (await hostLog.textContent()) ?? '').toContain('live.sock -> suspended.sock');
    expect(await hostLog.textContent()).toContain('host lock: ACQUIRED');
    await page.screenshot({ path: path.join(SHOTS, 'contracts-lifecycle-suspended.png'), fullPage: true });

    // a renewal names the reinstatement, then brings the site back
    await page.getByTestId('renew').click();
    const renewFx = page.getByTestId('renew-effects');
    await expect.poll(async () => (await renewFx.textContent()) ?? '').toContain(`Reinstates ${site().name} on ${world().host.name} (production)`);
    await page.screenshot({ path: path.join(SHOTS, 'contracts-renew-confirm.png') });
    await page.getByRole('dialog').getByTestId('confirm-renew').click();
    await page.getByTestId('toast-success').last().waitFor();

    await expect.poll(suspensionState, { timeout: 60_000, interval: 250 }).toBe('reinstated');
    expect(await served(site().port)).toBe(200);
    const contract = await app.call('contracts.get', { id: world().unpaidId });
    expect(contract.endDate > todayIso()).toBe(true);
    await expect.poll(async () => (await page.getByTestId('lifecycle-suspensions').getByTestId('suspension-state').first().textContent()) ?? '').toBe('reinstated');
    await expect.poll(async () => (await page.getByTestId('lifecycle-apps').textContent()) ?? '').toContain('served');
    await page.screenshot({ path: path.join(SHOTS, 'contracts-lifecycle-reinstated.png'), fullPage: true });
  }, 180_000);

  it('Settings hold the default policy; a contract can set its own', async () => {
    await go('/settings');
    const form = page.getByTestId('policy-defaults');
    await form.waitFor();
    await form.getByLabel('Grace days').fill('20');
    await form.getByRole('button', { name: 'Save the defaults' }).click();
    await page.getByTestId('toast-success').last().waitFor();
    expect((await app.call('contracts.policyDefaults', {})).graceDays).toBe(20);
    await page.locator('#contract-policy').screenshot({ path: path.join(SHOTS, 'contracts-settings.png') });

    await go(`/contracts/${blogContract}/lifecycle`);
    await page.getByTestId('edit-policy').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Workers stopped on suspension').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'contracts-policy-dialog.png') });
    await dialog.getByLabel('Workers stopped on suspension').fill('worker, Bad');
    await dialog.getByTestId('save-policy').click();
    expect(await dialog.textContent()).toContain('service names');
    await dialog.getByLabel('Workers stopped on suspension').fill('worker');
    await dialog.getByTestId('save-policy').click();
    await page.getByTestId('toast-success').last().waitFor();
    expect((await app.call('contracts.policy', { contractId: blogContract })).effective.stopWorkers).toEqual(['worker']);
    await expect.poll(async () => (await page.getByTestId('lifecycle-policy').textContent()) ?? '').toContain('worker');
  }, 60_000);

  it('a hold and its release, an import of renewals (a bad row writes nothing), a termination (typed, nothing deleted)', async () => {
    const end = addDays(todayIso(), 5);
    const c = (await app.call('contracts.create', { customerId, reference: 'IMP-1', startDate: addDays(todayIso(), -360), endDate: end, applicationIds: [] })).id;
    await go(`/contracts/${c}/lifecycle`);
    await page.getByTestId('hold').click();
    let dialog = page.getByRole('dialog');
    await dialog.getByLabel('Why').fill('payment promised by Friday');
    await page.screenshot({ path: path.join(SHOTS, 'contracts-hold-dialog.png') });
    await dialog.getByTestId('confirm-hold').click();
    await page.getByTestId('toast-success').last().waitFor();
    await expect.poll(async () => (await page.getByTestId('lifecycle-holds').textContent()) ?? '').toContain('payment promised by Friday');
    expect((await app.call('contracts.status', { contractId: c })).hold?.reason).toBe('payment promised by Friday');
    await page.getByTestId('release-hold').click();
    await page.getByRole('dialog').getByTestId('confirm-release').click();
    await expect.poll(async () => (await page.getByTestId('lifecycle-holds').textContent()) ?? '').toContain('released');
    expect((await app.call('contracts.status', { contractId: c })).hold).toBeNull();

    await go('/contracts/timeline');
    await page.getByTestId('import-renewals').click();
    dialog = page.getByRole('dialog');
    const renewed = addDays(todayIso(), 400);
    await dialog.getByLabel('Renewals', { exact: true }).fill(`reference,newEndDate\nIMP-1,${renewed}\nNOPE-9,${renewed}\n`);
    await dialog.getByTestId('import-renewals-go').click();
    const report = page.getByTestId('renewals-report');
    await expect.poll(async () => (await report.textContent()) ?? '').toContain('Nothing was written');
    expect(await report.textContent()).toContain('NOPE-9');
    expect((await app.call('contracts.get', { id: c })).endDate).toBe(end);
    await page.screenshot({ path: path.join(SHOTS, 'contracts-import-errors.png') });
    await dialog.getByLabel('Renewals', { exact: true }).fill(`reference,newEndDate\nIMP-1,${renewed}\n`);
    await dialog.getByTestId('import-renewals-go').click();
    await page.getByTestId('toast-success').last().waitFor();
    expect((await app.call('contracts.get', { id: c })).endDate).toBe(renewed);

    await go(`/contracts/${c}/lifecycle`);
    await page.getByTestId('terminate').click();
    dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('Nothing is deleted');
    await dialog.getByLabel('Why').fill('customer left');
    await dialog.getByLabel('Type the reference (IMP-1) to confirm').fill('IMP-');
    expect(await dialog.getByTestId('confirm-terminate').isDisabled()).toBe(true);
    await dialog.getByLabel('Type the reference (IMP-1) to confirm').fill('IMP-1');
    await page.screenshot({ path: path.join(SHOTS, 'contracts-terminate-dialog.png') });
    await dialog.getByTestId('confirm-terminate').click();
    await page.getByTestId('toast-success').last().waitFor();
    expect((await app.call('contracts.status', { contractId: c })).stage).toBe('terminated');
    expect((await app.call('contracts.get', { id: c })).reference).toBe('IMP-1');
    await expect.poll(async () => (await page.getByTestId('lifecycle-page').textContent()) ?? '').toContain('terminated');
    expect(await page.getByTestId('renew').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'contracts-lifecycle-terminated.png'), fullPage: true });
  }, 60_000);
});
