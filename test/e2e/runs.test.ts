import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness.js';
import { runsWorld, waitRun, type RunsWorld } from './runs-world.js';

// A guided upgrade through the UI alone, on two real sshd hosts (each with its own /srv):
// checklist edited in the editor, plan previewed, typed confirmation, a failure on one host
// fixed and retried, a manual step confirmed with a note, live logs searched; then a rollback
// started from the application page. Each test starts from a fresh world with v1 installed and
// seeds through the API what the story before it did in the UI, so each runs alone (`-t name`).
let app: App;
let world: RunsWorld;
let page: Page;
let v1Key = '';

beforeEach(async () => {
  app = await startApp();
  world = await runsWorld(app, { count: 2, firstIndex: 40 });
  page = await app.newPage();
  // The starting point: v1 installed (through the API: the UI part is the upgrade).
  const run = await app.call('runs.start', { applicationId: world.appId, environmentId: world.envId, kind: 'install', source: { kind: 'directory', path: world.src('v1') }, label: 'v1', confirmName: world.envName });
  const done = await waitRun(app, run.id, (r) => r.state === 'succeeded' || r.state === 'aborted' || r.state === 'waiting');
  expect(done.state, done.error ?? '').toBe('succeeded');
  v1Key = done.releaseKey;
});
afterEach(async () => {
  await app?.close();
  await world?.close();
});

/** The manual step "Tell the support desk" just before the switch, as the checklist editor test saves it. */
async function addSupportStep(): Promise<void> {
  const cl = await app.call('checklists.get', { applicationId: world.appId, kind: 'upgrade' });
  const steps = cl.steps.flatMap((st) => (st.key === 'switch' ? [{ key: 'tell-support', title: 'Tell the support desk', kind: 'manual' as const }, st] : [st]));
  await app.call('checklists.save', { applicationId: world.appId, kind: 'upgrade', steps });
}

/** The upgrade to v2 as the plan test starts it in the UI; returns the run id. */
async function startUpgradeToV2(): Promise<number> {
  const run = await app.call('runs.start', { applicationId: world.appId, environmentId: world.envId, kind: 'upgrade', source: { kind: 'directory', path: world.src('v2') }, label: 'v2', confirmName: world.envName, reason: 'monthly upgrade' });
  return run.id;
}

/** v2 installed by an upgrade that went through (the built-in checklist), its run open in the page. */
async function upgradedToV2(): Promise<number> {
  const id = await startUpgradeToV2();
  const done = await waitRun(app, id, (r) => r.state === 'succeeded' || r.state === 'aborted' || r.state === 'waiting');
  expect(done.state, done.error ?? '').toBe('succeeded');
  return id;
}

const go = async (hash: string) => {
  await page.goto(app.base + '#' + hash);
  await page.waitForSelector('.page');
};
const readlink = async (i: number) => (await world.hosts.hosts[i]!.rootExec('readlink /srv/shop/current; cat /srv/shop/current/VERSION')).stdout.trim().split('\n');

describe('guided runs through the UI', () => {
  it('edits the upgrade checklist: adds a manual step before the switch and saves it', async () => {
    await go(`/applications/${world.appId}`);
    const panel = page.getByTestId('app-releases');
    await expect.poll(() => panel.textContent()).toContain(v1Key);
    await panel.getByRole('link', { name: 'Checklists' }).click();
    await page.getByTestId('checklist-editor').waitFor();
    await expect.poll(() => page.getByRole('tab', { name: 'Upgrade' }).getAttribute('aria-selected')).toBe('true');
    const before = await page.locator('.cl-step').count();
    await page.getByTestId('add-step').click();
    await page.getByLabel('Step title').fill('Tell the support desk');
    await page.getByLabel('Step kind').selectOption('manual');
    // a key used twice is refused, shown on the step, and nothing is saved
    await page.getByLabel('Step key').fill('switch');
    await page.getByTestId('save-checklist').click();
    await page.locator('.cl-step.has-error').waitFor();
    await expect.poll(() => page.locator('.cl-step.has-error .field-error').textContent()).toContain('switch');
    expect((await app.call('checklists.get', { applicationId: world.appId, kind: 'upgrade' })).builtin).toBe(true);
    await page.getByLabel('Step key').fill('tell-support');
    // move it up to just before "switch"
    const keys = async () => {
      const steps = page.locator('.cl-step');
      const out: (string | null)[] = [];
      for (let i = 0; i < (await steps.count()); i++) out.push(await steps.nth(i).getAttribute('data-step'));
      return out;
    };
    while ((await keys()).indexOf('tell-support') > (await keys()).indexOf('switch')) {
      await page.getByRole('button', { name: 'Move Tell the support desk up' }).click();
    }
    await page.getByTestId('save-checklist').click();
    await page.getByTestId('toast-success').last().waitFor();
    const saved = await app.call('checklists.get', { applicationId: world.appId, kind: 'upgrade' });
    expect(saved.steps).toHaveLength(before + 1);
    expect(saved.builtin).toBe(false);
    const order = saved.steps.map((s) => s.key);
    expect(order.indexOf('tell-support')).toBe(order.indexOf('switch') - 1);
    expect(saved.steps.find((s) => s.key === 'tell-support')).toMatchObject({ kind: 'manual', title: 'Tell the support desk' });
  });

  it('plans the upgrade (exact commands, nothing run) and asks to type the environment name', async () => {
    await addSupportStep();
    await go(`/applications/${world.appId}`);
    await page.getByTestId('deploy').click();
    await page.getByTestId('new-run').waitFor();
    await expect.poll(() => page.locator('#run-env').inputValue()).toBe(String(world.envId));
    await page.getByRole('radio', { name: 'Upgrade' }).click();
    // the application's own source kind is the default
    await expect.poll(() => page.locator('#run-srckind').inputValue()).toBe('directory');
    await page.locator('#run-src').fill(world.src('v2'));
    await page.locator('#run-label').fill('v2');
    // host 2 cannot extract the release: its releases folder is read-only for the deploy user
    await world.hosts.hosts[1]!.rootExec('chmod 555 /srv/shop/releases');
    await page.getByTestId('preview-plan').click();
    const plan = page.getByTestId('plan-table');
    await plan.waitFor();
    const text = (await plan.textContent()) ?? '';
    expect(text).toContain('tar -xzf');
    expect(text).toMatch(/tar -xzf \/srv\/shop\/releases\/\.upload-\S+-v2\.tar\.gz -C \/srv\/shop\/releases\/\S+-v2\.tmp/);
    expect(text).toContain('Tell the support desk');
    expect((await app.call('runs.list', {})).items.filter((r) => r.kind === 'upgrade')).toHaveLength(0);

    await page.getByTestId('start-run').click();
    const confirm = page.getByTestId('confirm-start');
    await expect.poll(() => confirm.isDisabled()).toBe(true);
    await page.getByTestId('typed-confirm').fill('producti');
    await expect.poll(() => confirm.isDisabled()).toBe(true);
    await page.getByTestId('typed-confirm').fill(world.envName);
    await page.locator('#start-reason').fill('monthly upgrade');
    await confirm.click();
    await page.waitForURL(/#\/runs\/\d+$/);
    const upgradeId = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    expect(upgradeId).toBeGreaterThan(0);
  });

  it('shows the failure on one host, retries it after the fix, and waits at the manual step', async () => {
    await addSupportStep();
    // host 2 cannot extract the release: its releases folder is read-only for the deploy user
    await world.hosts.hosts[1]!.rootExec('chmod 555 /srv/shop/releases');
    await go(`/runs/${await startUpgradeToV2()}`);
    const view = page.getByTestId('run-view');
    await page.locator('[data-testid=run-view][data-waiting=decision]').waitFor({ timeout: 60_000 });
    const bar = page.getByTestId('control-bar');
    await expect.poll(() => bar.textContent()).toMatch(/Upload the release.*failed on web-02/);
    // live logs: the failing host's pane has the error from tar/mkdir
    await expect.poll(async () => (await page.getByTestId('log-pane-web-02').textContent()) ?? '', { timeout: 10_000 }).toMatch(/Permission denied/);
    expect(await page.locator('.rail-step[data-step=upload]').getAttribute('data-state')).toBe('failed');
    expect(await page.locator('.rail-step[data-step=preflight]').getAttribute('data-state')).toBe('succeeded');

    await world.hosts.hosts[1]!.rootExec('chmod 755 /srv/shop/releases');
    await page.keyboard.press('r'); // keyboard shortcut for Retry
    await page.getByTestId('confirm-retry').click();
    await page.locator('[data-testid=run-view][data-waiting=confirm]').waitFor({ timeout: 60_000 });
    await expect.poll(() => bar.textContent()).toContain('Tell the support desk');
    expect(await view.getAttribute('data-state')).toBe('waiting');
    // nothing switched yet: both hosts still on v1
    expect((await readlink(0))[1]).toBe('v1');
    expect((await readlink(1))[1]).toBe('v1');
  });

  it('confirms the manual step with a note, then the run finishes and v2 is current on both hosts', async () => {
    await addSupportStep();
    const upgradeId = await startUpgradeToV2();
    await go(`/runs/${upgradeId}`);
    await page.locator('[data-testid=run-view][data-waiting=confirm]').waitFor({ timeout: 60_000 });
    await page.getByTestId('confirm-note').fill('told support in #ops');
    await page.getByTestId('act-confirm').click();
    await page.locator('[data-testid=run-view][data-state=succeeded]').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('run-state').textContent()).toBe('Succeeded');
    // the last cell updates may land a frame after the run's own state: wait for them
    await expect.poll(() => page.getByTestId('run-progress').getAttribute('aria-valuenow'), { timeout: 10_000 }).toBe('100');
    const run = await app.call('runs.get', { id: upgradeId });
    expect(run.state).toBe('succeeded');
    expect(run.reason).toBe('monthly upgrade');
    const manual = run.cells.find((c) => c.stepIndex === run.steps.find((s) => s.key === 'tell-support')!.index)!;
    expect(manual).toMatchObject({ state: 'succeeded', note: 'told support in #ops' });
    for (const i of [0, 1]) {
      const [link, version] = await readlink(i);
      expect(link).toBe(`/srv/shop/releases/${run.releaseKey}`);
      expect(version).toBe('v2');
    }
    const cur = await app.call('releases.current', { applicationId: world.appId });
    expect(cur.items.map((c) => [c.key, c.previousKey])).toEqual([
      [run.releaseKey, v1Key],
      [run.releaseKey, v1Key],
    ]);
  });

  it('searches the logs of every host and filters them to one step', async () => {
    await go(`/runs/${await upgradedToV2()}`);
    await page.locator('[data-testid=run-view][data-state=succeeded]').waitFor();
    await page.getByRole('tab', { name: 'All hosts' }).click();
    await page.getByTestId('log-search').fill('current ->');
    await expect.poll(async () => page.getByTestId('log-matches').textContent()).toBe('2 lines');
    await expect.poll(() => page.locator('.log-hit').count()).toBe(2);
    await page.getByTestId('log-search').fill('');
    await page.locator('.rail-step[data-step=upload] button').click();
    await page.getByTestId('log-step-filter').waitFor();
    await expect
      .poll(async () => {
        const inStep = await page.locator('.log-row').allTextContents();
        return [inStep.some((t) => t.includes('extracted into')), inStep.some((t) => t.includes('current ->'))];
      })
      .toEqual([true, false]);
  });

  it('lists the run and shows the release history', async () => {
    await upgradedToV2();
    await go('/runs');
    const rows = page.getByTestId('runs-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await expect.poll(() => rows.first().textContent()).toMatch(/Upgrade.*shop.*Succeeded/);
    await go(`/runs/releases/${world.appId}`);
    await expect.poll(async () => (await page.getByTestId('releases-screen').textContent()) ?? '').toContain(v1Key);
    await expect.poll(() => page.getByTestId('current-table').textContent()).toContain(v1Key);
    // reading the hosts agrees with the records: v2 current on both
    await page.getByTestId('scan-hosts').click();
    await page.getByTestId('confirm-scan').click();
    const scan = page.getByTestId('scan-table').locator('tbody tr');
    await expect.poll(() => scan.count(), { timeout: 20_000 }).toBe(2);
    const cur = (await app.call('releases.current', { applicationId: world.appId })).items[0]!.key;
    expect((await scan.allTextContents()).every((t) => t.includes(cur))).toBe(true);
    await page.keyboard.press('Escape');
  });

  it('rolls back from the application page to v1', async () => {
    await upgradedToV2();
    await go(`/applications/${world.appId}`);
    await page.getByTestId('rollback-link').click();
    await page.getByTestId('new-run').waitFor();
    await expect.poll(() => page.getByRole('radio', { name: 'Rollback' }).getAttribute('aria-checked')).toBe('true');
    await page.getByTestId('preview-plan').click();
    await expect.poll(() => page.getByTestId('plan-table').textContent()).toContain(`/srv/shop/releases/${v1Key}`);
    await page.getByTestId('start-run').click();
    await page.getByTestId('typed-confirm').fill(world.envName);
    await page.getByTestId('confirm-start').click();
    await page.waitForURL(/#\/runs\/\d+$/);
    await page.locator('[data-testid=run-view][data-state=succeeded]').waitFor({ timeout: 60_000 });
    for (const i of [0, 1]) expect(await readlink(i)).toEqual([`/srv/shop/releases/${v1Key}`, 'v1']);
  });

  it('on a failure: skip asks for a note, a host can be excluded, abort offers the rollback plan', async () => {
    await addSupportStep();
    await world.hosts.hosts[1]!.rootExec('chmod 555 /srv/shop/releases');
    const run = await app.call('runs.start', { applicationId: world.appId, environmentId: world.envId, kind: 'upgrade', source: { kind: 'directory', path: world.src('v3') }, label: 'v3', confirmName: world.envName });
    await go(`/runs/${run.id}`);
    await page.locator('[data-testid=run-view][data-waiting=decision]').waitFor({ timeout: 60_000 });
    await page.keyboard.press('s');
    await page.getByTestId('note-done').click();
    await expect.poll(() => page.locator('.dialog .field-error').textContent()).toContain('A note is required');
    await page.keyboard.press('Escape');
    await page.keyboard.press('x');
    await expect.poll(() => page.locator('#exclude-host option:checked').textContent()).toContain('web-02');
    await page.locator('#exclude-note').fill('releases folder read-only, fixing it apart');
    await page.getByTestId('confirm-exclude').click();
    await page.locator('[data-testid=run-view][data-waiting=confirm]').waitFor({ timeout: 60_000 });
    const mid = await app.call('runs.get', { id: run.id });
    expect(mid.excludedServerIds).toEqual([world.serverIds[1]]);
    // every later cell of web-02 is excluded (disabled steps show as skipped)
    const later = mid.cells.filter((c) => c.serverId === world.serverIds[1] && c.stepIndex > 1).map((c) => c.state);
    expect(later.filter((st) => st === 'excluded').length).toBeGreaterThan(2);
    expect(later.every((st) => st === 'excluded' || st === 'skipped')).toBe(true);

    await page.keyboard.press('a');
    await expect.poll(() => page.locator('.dialog').textContent()).toContain('Nothing is undone on the hosts');
    await page.getByTestId('abort-note').fill('support desk not reachable');
    await page.getByTestId('confirm-abort').click();
    await page.locator('[data-testid=run-view][data-state=aborted]').waitFor({ timeout: 30_000 });
    expect((await app.call('runs.get', { id: run.id })).state).toBe('aborted');
    await expect.poll(async () => (await app.call('locks.list', {})).items.length).toBe(0);
    // nothing switched: both hosts still on v1
    for (const i of [0, 1]) expect((await readlink(i))[1]).toBe('v1');
    await page.getByTestId('offer-rollback').click();
    await page.getByTestId('new-run').waitFor();
    await expect.poll(() => page.getByRole('radio', { name: 'Rollback' }).getAttribute('aria-checked')).toBe('true');
    await page.getByTestId('preview-plan').click();
    await page.getByTestId('plan-table').waitFor();
    await world.hosts.hosts[1]!.rootExec('chmod 755 /srv/shop/releases');
  });

  it('shows the lock a waiting run holds and takes it over only with a reason (audited)', async () => {
    await addSupportStep(); // the run waits at it
    const run = await app.call('runs.start', { applicationId: world.appId, environmentId: world.envId, kind: 'upgrade', source: { kind: 'directory', path: world.src('v4') }, label: 'v4', confirmName: world.envName, reason: 'OPS-9 hotfix' });
    await waitRun(app, run.id, (r) => r.state === 'waiting');
    // Today lists it among the runs in progress
    await go('/');
    await expect.poll(async () => (await page.getByTestId('today-runs').textContent()) ?? '').toMatch(/Upgrade shop.*production · v4.*Waiting for you/);
    await go('/runs?tab=locks');
    const row = page.getByTestId('locks-table').locator('tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    await expect.poll(() => row.first().textContent()).toMatch(new RegExp(`shop.*production.*run #${run.id}.*OPS-9 hotfix`));
    await row.first().getByTestId('override-lock').click();
    const take = page.getByTestId('confirm-override');
    await expect.poll(() => take.isDisabled()).toBe(true);
    await page.locator('#override-reason').fill('taking over the hotfix');
    await take.click();
    await page.getByTestId('toast-success').last().waitFor();
    const lock = (await app.call('locks.list', {})).items[0]!;
    expect(lock.reason).toBe('taking over the hotfix');
    const audit = await app.call('audit.list', { entity: 'locks' });
    expect(audit.items.some((a) => JSON.stringify(a.after ?? '').includes('taking over the hotfix'))).toBe(true);
    await app.call('runs.act', { id: run.id, action: 'abort', note: 'end of test' });
  });

  it('retries a failed step with a corrected command template', async () => {
    const cl = await app.call('checklists.get', { applicationId: world.appId, kind: 'upgrade' });
    const steps = cl.steps.flatMap((st) => (st.key === 'switch' ? [st, { ...st, key: 'smoke', title: 'Smoke test', command: 'test -f {{release.path}}/MISSING' }] : [st]));
    await app.call('checklists.save', { applicationId: world.appId, kind: 'upgrade', steps });
    const run = await app.call('runs.start', { applicationId: world.appId, environmentId: world.envId, kind: 'upgrade', source: { kind: 'directory', path: world.src('v5') }, label: 'v5', confirmName: world.envName });
    let r = await waitRun(app, run.id, (x) => x.state === 'waiting');
    if (r.waitingFor === 'confirm') await app.call('runs.act', { id: run.id, action: 'confirm' });
    r = await waitRun(app, run.id, (x) => x.state === 'waiting' && x.waitingFor === 'decision');
    expect(r.steps[r.currentStep]!.key).toBe('smoke');
    await go(`/runs/${run.id}`);
    await page.locator('[data-testid=run-view][data-waiting=decision]').waitFor();
    await page.keyboard.press('r');
    await page.getByLabel('Correct the command first (kept in this run only, and audited)').check();
    await page.locator('#retry-cmd').fill('test -f {{release.path}}/VERSION && echo smoke ok');
    await expect.poll(() => page.getByTestId('confirm-retry').textContent()).toBe('Retry with this command');
    await page.getByTestId('confirm-retry').click();
    await page.locator('[data-testid=run-view][data-state=succeeded]').waitFor({ timeout: 60_000 });
    const done = await app.call('runs.get', { id: run.id });
    const smoke = done.steps.find((st) => st.key === 'smoke')!;
    expect(smoke.command).toBe('test -f {{release.path}}/VERSION && echo smoke ok');
    expect(done.cells.filter((c) => c.stepIndex === smoke.index).map((c) => c.state)).toEqual(['succeeded', 'succeeded']);
    // the application's checklist itself is unchanged
    expect((await app.call('checklists.get', { applicationId: world.appId, kind: 'upgrade' })).steps.find((st) => st.key === 'smoke')!.command).toContain('MISSING');
    for (const i of [0, 1]) expect((await readlink(i))[1]).toBe('v5');
  });
});

