/**
 * PNGs of the Runs screens at 1280×800 (light, plus the run view in dark) into docs/screenshots/,
 * from REAL runs on real sshd test hosts (test/hosts; needs root): real plans, real logs.
 * Run: `npm run build:renderer && npx tsx scripts/screenshots-runs.ts`
 * Optional: PUESTA_SHOTS_DIR to write elsewhere.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ChecklistStepInput } from '../shared/contract/runs.js';
import { startApp } from '../test/e2e/harness.js';
import { runsWorld, waitRun } from '../test/e2e/runs-world.js';
import { ROOT } from '../test/helpers/core.js';

const OUT = process.env.PUESTA_SHOTS_DIR ?? path.join(ROOT, 'docs', 'screenshots');

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const app = await startApp();
  const world = await runsWorld(app, { count: 3, firstIndex: 50 });
  const shots: string[] = [];
  const shot = async (page: Page, name: string) => {
    await page.waitForTimeout(350);
    const file = path.join(OUT, `${name}.png`);
    await page.screenshot({ path: file });
    shots.push(file);
  };
  try {
    const { appId, envId, envName } = world;
    const host = (i: number) => world.hosts.hosts[i]!;
    const start = (kind: 'install' | 'upgrade' | 'rollback', v: string, reason = '') =>
      app.call('runs.start', { applicationId: appId, environmentId: envId, kind, ...(kind !== 'rollback' ? { source: { kind: 'directory' as const, path: world.src(v) }, label: v } : {}), confirmName: envName, reason });
    const settle = (id: number) => waitRun(app, id, (r) => r.state !== 'running');

    const first = await app.newPage();
    await first.goto(app.base + '#/runs');
    await first.getByTestId('empty-state').waitFor();
    await shot(first, 'runs-empty');
    await first.goto(app.base + '#/runs/new');
    await first.getByTestId('new-run').waitFor();
    await shot(first, 'runs-new-blank');

    // history: v1 installed, the upgrade checklist edited (a manual step, a restart with colours, a cache warm-up)
    const install = await start('install', 'v1', 'first install');
    if ((await settle(install.id)).state !== 'succeeded') throw new Error('install failed');
    const up = await app.call('checklists.get', { applicationId: appId, kind: 'upgrade' });
    const steps: ChecklistStepInput[] = [];
    for (const s of up.steps) {
      if (s.key === 'switch') steps.push({ key: 'tell-support', title: 'Tell the support desk the upgrade starts', kind: 'manual', instructions: 'Post in #support: "shop is being upgraded, expect 2 minutes of slowness".' });
      if (s.key === 'restart') {
        steps.push({ ...s, enabled: true, command: `printf '\\033[1;32m✔\\033[0m restarted shop (\\033[36mpid %s\\033[0m)\\n' $$\nprintf '\\033[33mwarning:\\033[0m config key \\033[1mcache.size\\033[0m is deprecated\\n' >&2` });
        steps.push({ key: 'warm-cache', title: 'Warm the page cache', command: `for p in / /cart /search; do echo "GET $p 200"; done\nif [ -f /srv/shop/slow ]; then sleep 20; else sleep 1; fi\necho warmed` });
        continue;
      }
      steps.push(s);
    }
    await app.call('checklists.save', { applicationId: appId, kind: 'upgrade', steps });
    const confirmWhenAsked = async (id: number) => {
      let r = await settle(id);
      while (r.state === 'waiting' && r.waitingFor === 'confirm') {
        await app.call('runs.act', { id, action: 'confirm', note: 'posted in #support' });
        r = await settle(id);
      }
      return r;
    };
    const u2 = await start('upgrade', 'v2', 'OPS-412 monthly upgrade');
    if ((await confirmWhenAsked(u2.id)).state !== 'succeeded') throw new Error('upgrade v2 failed');

    // v3: an upload failure on web-03, then the manual step, then a slow cache warm-up
    await host(2).rootExec('chmod 555 /srv/shop/releases');
    await host(0).rootExec('touch /srv/shop/slow');
    const u3 = await start('upgrade', 'v3', 'OPS-431 fix checkout totals');
    await settle(u3.id);

    const page = await app.newPage();
    const go = async (hash: string) => {
      await page.goto(app.base + '#' + hash);
      await page.waitForSelector('.page');
    };
    await go(`/runs/${u3.id}`);
    await page.locator('[data-testid=run-view][data-waiting=decision]').waitFor();
    await page.getByRole('tab', { name: 'web-03' }).click();
    await shot(page, 'runs-view-failed');
    await page.getByRole('tab', { name: 'All hosts' }).click();

    await go('/runs?tab=locks');
    await page.getByTestId('locks-table').waitFor();
    await shot(page, 'runs-locks');
    await go('/');
    await page.getByTestId('today-runs').locator('tr').first().waitFor();
    await shot(page, 'runs-today');

    await host(2).rootExec('chmod 755 /srv/shop/releases');
    await go(`/runs/${u3.id}`);
    await page.getByTestId('act-retry').click();
    await page.getByTestId('confirm-retry').click();
    await page.locator('[data-testid=run-view][data-waiting=confirm]').waitFor({ timeout: 60_000 });
    await page.getByTestId('confirm-note').fill('posted in #support at 14:02');
    await shot(page, 'runs-view-manual');
    await page.getByTestId('act-confirm').click();
    await page.getByTestId('overdue').waitFor({ timeout: 30_000 });
    await page.locator('.rail-step[data-step=warm-cache] button').click();
    await shot(page, 'runs-view-overdue');
    await page.locator('[data-testid=run-view][data-state=succeeded]').waitFor({ timeout: 60_000 });
    await page.locator('.rail-step[data-step=warm-cache] button').click();
    await page.getByTestId('log-search').fill('restarted');
    await shot(page, 'runs-view-succeeded');
    const dark = await app.newPage({ colorScheme: 'dark' });
    await dark.goto(app.base + `#/runs/${u3.id}`);
    await dark.locator('[data-testid=run-view][data-state=succeeded]').waitFor();
    await shot(dark, 'runs-view-dark');
    await host(0).rootExec('rm -f /srv/shop/slow');

    // v4: fails and is aborted — the rollback is offered
    await host(1).rootExec('chmod 555 /srv/shop/releases');
    const u4 = await start('upgrade', 'v4', 'OPS-440 new search');
    await settle(u4.id);
    await app.call('runs.act', { id: u4.id, action: 'abort', note: 'web-02 read-only, retry tomorrow' });
    await host(1).rootExec('chmod 755 /srv/shop/releases');
    await go(`/runs/${u4.id}`);
    await page.getByTestId('offer-rollback').waitFor();
    await shot(page, 'runs-view-aborted');
    await page.getByTestId('show-plan').click();
    await shot(page, 'runs-view-plan-dialog');
    await page.keyboard.press('Escape');

    await go('/runs');
    await page.getByTestId('runs-table').waitFor();
    await shot(page, 'runs-list');

    // the wizard: an upgrade planned, then the typed confirmation
    await go(`/runs/new?app=${appId}`);
    await page.locator('#run-src').fill(world.src('v5'));
    await page.locator('#run-label').fill('v5');
    await shot(page, 'runs-new');
    await page.getByTestId('preview-plan').click();
    await page.getByTestId('plan-table').waitFor();
    await page.evaluate(`document.querySelectorAll('.wizard-step')[3].scrollIntoView({ block: 'start' })`);
    await shot(page, 'runs-new-plan');
    await page.getByTestId('start-run').click();
    await page.getByTestId('typed-confirm').fill('produc');
    await shot(page, 'runs-start-confirm');
    await page.keyboard.press('Escape');

    await go(`/runs/checklists/${appId}?kind=upgrade`);
    await page.getByTestId('checklist-steps').waitFor();
    await page.locator('.cl-step[data-step=restart] .cl-title').click();
    await shot(page, 'runs-checklist-editor');

    await go(`/runs/releases/${appId}`);
    await page.getByTestId('current-table').waitFor();
    await shot(page, 'runs-releases');

    await go(`/applications/${appId}`);
    await page.getByTestId('app-releases').waitFor();
    await page.waitForTimeout(300);
    await shot(page, 'runs-application-panel');
    for (const f of shots) console.log(`[screenshots-runs] ${path.relative(ROOT, f)}`);
  } finally {
    await app.close();
    await world.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
