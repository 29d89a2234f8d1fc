import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness.js';
import { runsWorld, waitRun, type RunsWorld } from './runs-world.js';

// Issue 10, item 9 through the UI: a step hangs on one host of two; the run view shows the time
// left before the step's timeout and stops the command on that host alone; a step without output
// says "No output yet". Screenshots: $TMPDIR/puesta-run-stuck*.png
let app: App;
let world: RunsWorld;
let page: Page;

beforeEach(async () => {
  app = await startApp();
  world = await runsWorld(app, { count: 2, firstIndex: 44 });
  page = await app.newPage();
});
afterEach(async () => {
  await app?.close();
  await world?.close();
});

describe('a stuck host in the run view', () => {
  it('shows the time left, stops the command on that host only, then offers retry / skip / exclude', async () => {
    await app.call('checklists.save', {
      applicationId: world.appId,
      kind: 'upgrade',
      steps: [
        { key: 'hang', title: 'Wait for the queue', timeoutSeconds: 900, command: 'echo waiting on {{host.name}}; echo $$ > {{app.base}}/hang.pid; if [ {{host.name}} = web-01 ]; then sleep 600; fi; echo drained' },
        { key: 'after', title: 'Reopen the shop', command: 'echo open' },
      ],
    });
    const run = await app.call('runs.start', { applicationId: world.appId, environmentId: world.envId, kind: 'upgrade', source: { kind: 'directory', path: world.src('v1') }, confirmName: world.envName });
    await waitRun(app, run.id, (r) => r.cells.some((c) => c.stepIndex === 0 && c.serverName === 'web-01' && c.state === 'running') && r.cells.some((c) => c.stepIndex === 0 && c.serverName === 'web-02' && c.state === 'succeeded'));
    await page.goto(`${app.base}#/runs/${run.id}`);
    const bar = page.getByTestId('control-bar');
    await bar.getByTestId('running-web-01').waitFor();
    expect(await bar.getByTestId('time-left').innerText()).toMatch(/1[45] min \d\d s left before the step's timeout/);
    // the next step has not run: its pane says so (not "No line matches")
    await page.locator('[data-step="after"] button').click();
    await expect.poll(() => page.getByTestId('log-pane-web-01').innerText()).toContain('No output yet.');
    await page.locator('[data-step="after"] button').click();
    await page.screenshot({ path: path.join(os.tmpdir(), 'puesta-run-stuck.png') });
    await bar.getByTestId('act-stop-web-01').click();
    await page.locator('[data-testid="run-view"][data-waiting="decision"]').waitFor();
    expect(await bar.innerText()).toMatch(/web-01: Stopped by the operator/);
    // the whole process group is gone on that host (the shell and its sleep)
    const pgid = (await world.hosts.hosts[0]!.rootExec('cat /srv/shop/hang.pid')).stdout.trim();
    await expect.poll(async () => (await world.hosts.hosts[0]!.rootExec(`kill -0 -- -${pgid} 2>/dev/null && echo alive || echo gone`)).stdout.trim()).toBe('gone');
    await page.screenshot({ path: path.join(os.tmpdir(), 'puesta-run-stuck-stopped.png') });
    await bar.getByTestId('act-exclude').waitFor();
  });

  it('after Puesta stopped mid-step, resume asks per host: run again, check first, or mark done with a note', async () => {
    await app.call('checklists.save', {
      applicationId: world.appId,
      kind: 'upgrade',
      steps: [{ key: 'migrate', title: 'Migrate the data', command: 'echo migrating {{host.name}}; sleep 600' }],
    });
    const run = await app.call('runs.start', { applicationId: world.appId, environmentId: world.envId, kind: 'upgrade', source: { kind: 'directory', path: world.src('v1') }, confirmName: world.envName });
    await waitRun(app, run.id, (r) => r.cells.filter((c) => c.state === 'running').length === 2);
    // Puesta quits in the middle of the step (what a restart finds: the run interrupted)
    await app.core.services.runs.close();
    await page.goto(`${app.base}#/runs/${run.id}`);
    const bar = page.getByTestId('control-bar');
    await bar.getByTestId('resume-web-01').waitFor();
    await bar.getByLabel('On resume, web-01').selectOption('done');
    expect(await bar.getByTestId('act-resume').isDisabled()).toBe(true); // "done" needs a note
    await bar.getByLabel('Note for web-01').fill('the migration had finished (checked the schema version)');
    await bar.getByLabel('On resume, web-02').selectOption('check');
    expect(await bar.getByTestId('act-resume').isDisabled()).toBe(false);
    await expect.poll(() => page.getByTestId('log-pane-web-01').innerText()).toMatch(/Puesta stopped here/);
    await page.screenshot({ path: path.join(os.tmpdir(), 'puesta-run-resume.png') });
  });
});
