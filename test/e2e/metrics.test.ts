/**
 * The delivery metrics screen in Chromium: the four tiles over a seeded history, a filter, the runs
 * behind a tile and behind a chart point, and the CSV of the weeks; the settings' local clones.
 * Screenshots land in PUESTA_SHOTS_DIR (default: the temp dir).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../helpers/api.js';
import { startApp, type App } from './harness.js';
import { seedMetrics, type MetricsWorld } from './metrics-seed.js';

const SHOTS = process.env.PUESTA_SHOTS_DIR ?? os.tmpdir();

let app: App;
let world: MetricsWorld;
beforeAll(async () => {
  app = await startApp();
  world = seedMetrics(app.core);
});
afterAll(async () => {
  await app?.close();
});

describe('Delivery metrics', () => {
  it('shows the four keys, filters by application, drills down and exports the weeks', async () => {
    const page = await app.newPage();
    await page.goto(`${app.base}#/metrics`);
    const detail = page.getByTestId('tile-frequency');
    await expect.poll(() => detail.textContent(), { timeout: 10_000 }).toMatch(/18 deployments, 1 rollback apart/);
    expect(await page.getByTestId('tile-changeFailure').textContent()).toMatch(/4 of 18 deployments failed/);
    expect(await page.getByTestId('tile-changeFailure-value').textContent()).toBe('22.2 %');
    expect(await page.getByTestId('tile-leadTime').textContent()).toMatch(/median of \d+ commits/);
    expect(await page.getByTestId('metrics-cover').textContent()).toMatch(/in production from/);
    expect(await page.locator('[data-testid^="chart-"] svg').count()).toBe(4);

    // the runs behind a tile: the failed deployments
    await page.getByTestId('tile-changeFailure').click();
    const drill = page.getByTestId('metrics-drill');
    await expect.poll(() => drill.locator('tbody tr').count(), { timeout: 10_000 }).toBe(4);
    for (const id of world.failed) expect(await page.getByTestId(`drill-run-${id}`).isVisible()).toBe(true);
    expect(await page.getByTestId(`drill-run-${world.failed[2]}`).textContent()).toMatch(/switch-back/);

    // the runs behind a point: the tallest deployments bar of the frequency chart (not the legend's swatch)
    const bars = page.locator('[data-testid="chart-frequency"] svg path[fill="#3b82f6"]');
    await expect.poll(() => bars.count()).toBeGreaterThan(3);
    const heights = await bars.evaluateAll((els) => els.map((e) => (e as unknown as { getBBox(): { height: number } }).getBBox().height));
    await bars.nth(heights.indexOf(Math.max(...heights))).click();
    await expect.poll(() => page.getByRole('region', { name: /Deployments and rollbacks in \d{4}-W\d{2}/ }).count(), { timeout: 10_000 }).toBe(1);
    expect(await drill.locator('tbody tr').count()).toBeGreaterThan(0);

    // the CSV: one line per ISO week, the deployments add up
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('metrics-csv').click()]);
    const csv = readFileSync((await dl.path())!, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('week,monday,deployments,rollbacks,failed,failure_rate,lead_commits,lead_median_s,lead_p90_s,recoveries,recovery_median_s,recovery_p90_s');
    expect(csv.slice(1).every((l) => /^\d{4}-W\d{2},\d{4}-\d{2}-\d{2},/.test(l))).toBe(true);
    expect(csv.slice(1).reduce((n, l) => n + Number(l.split(',')[2]), 0)).toBe(18);

    // a filter: only blog
    await page.getByRole('combobox', { name: 'Application' }).selectOption({ label: 'blog' });
    await expect.poll(() => detail.textContent(), { timeout: 10_000 }).toMatch(/3 deployments, 0 rollbacks apart/);
    expect(await page.getByTestId('tile-changeFailure-value').textContent()).toBe('0.0 %');
  });

  it('names a local clone per application in the settings; a deployment whose commits the clone lacked says so', async () => {
    const page = await app.newPage();
    await page.goto(`${app.base}#/metrics`);
    await page.getByText('What counts as production, the failure window, local clones').click();
    await page.getByRole('button', { name: 'Add a local clone' }).click();
    await page.getByRole('combobox', { name: 'Application of local clone 1' }).selectOption({ label: 'shop' });
    await page.getByRole('textbox', { name: 'Local clone of shop' }).fill('/home/ana/src/shop');
    await page.locator('details.card').screenshot({ path: path.join(SHOTS, 'metrics-settings.png') });
    await page.getByRole('button', { name: 'Save' }).first().click();
    await expect
      .poll(async () => (await call(app.core, 'metrics.settings.get', {})).localClones, { timeout: 10_000 })
      .toEqual([{ applicationId: world.shop, path: '/home/ana/src/shop' }]);

    await page.getByTestId('tile-frequency').click();
    const problem = page.getByTestId(`commits-problem-${world.cloneLacking}`);
    await expect.poll(() => problem.textContent(), { timeout: 10_000 }).toMatch(/local clone \/home\/ana\/src\/shop does not hold commit c0ffeec0ffee/);
    await page.getByTestId(`drill-run-${world.cloneLacking}`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'metrics-local-clone.png'), fullPage: true });
  });
});
