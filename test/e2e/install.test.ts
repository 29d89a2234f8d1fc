import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { journey } from '../helpers/journey.js';
import { DEFAULT_PATHS } from '../../electron/core/provision/index.js';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';
import { startApp, type App } from './harness.js';

// A new application installed from the UI alone on a real sshd host: the Runs wizard (install,
// plan with the provisioning steps, start), the run finishes, then the application's
// "Services & health" panel shows web 1/1 and worker 2/2 running, the health endpoint and the host
// metrics; a service restart with its confirmation; the upgrade review after a worker count change.
// The host runs its own supervisord with its config under its private /srv.
const ETC = '/srv/.puesta-etc';
const SUP_CONF = `${ETC}/sup/supervisord.conf`;
// docs/screenshots/application-services.png is refreshed with
// `PUESTA_SHOTS_DIR=docs/screenshots npx vitest run test/e2e/install.test.ts`; a plain run writes to the temp dir
const SHOTS = process.env.PUESTA_SHOTS_DIR ? path.resolve(process.env.PUESTA_SHOTS_DIR) : os.tmpdir();

let app: App;
let hosts: TestHosts;
let page: Page;
let work = '';
let appId = 0;
let envId = 0;
let serverId = 0;
const port = 20000 + Math.floor(Math.random() * 20000);

beforeAll(async () => {
  app = await startApp();
  hosts = await startHosts({ count: 1, firstIndex: 62 });
  const h = hosts.hosts[0]!;
  await h.rootExec(
    [
      `mkdir -p ${ETC}/logrotate.d ${ETC}/cron.d ${ETC}/conf.d ${ETC}/sup`,
      `printf '[unix_http_server]\\nfile=${ETC}/sup/sock\\nchmod=0700\\n[supervisord]\\nlogfile=${ETC}/sup/supervisord.log\\npidfile=${ETC}/sup/supervisord.pid\\nchildlogdir=${ETC}/sup\\n[rpcinterface:supervisor]\\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\\n[supervisorctl]\\nserverurl=unix://${ETC}/sup/sock\\n[include]\\nfiles = ${ETC}/conf.d/*.conf\\n' > ${SUP_CONF}`,
      `supervisord -c ${SUP_CONF}`,
    ].join(' && '),
  );
  app.core.services.configure({
    provision: { paths: { ...DEFAULT_PATHS, logrotateDir: `${ETC}/logrotate.d`, cronDir: `${ETC}/cron.d`, supervisorConfDir: `${ETC}/conf.d`, supervisorctl: ['supervisorctl', '-c', SUP_CONF] } },
  });
  work = mkdtempSync(path.join(os.tmpdir(), 'puesta-install-e2e-'));
  mkdirSync(path.join(work, 'v1'));
  writeFileSync(path.join(work, 'v1', 'VERSION'), 'v1\n');
  writeFileSync(path.join(work, 'v1', 'index.html'), '<h1>billing v1</h1>\n');

  envId = (await app.call('environments.create', { name: 'staging', colour: '#0891b2', confirmRuns: false, notes: '' })).id;
  const [t] = await trustAll(app.core, hosts.hosts);
  serverId = t!.serverId;
  await app.call('servers.update', { id: serverId, name: 'app-01', environmentId: envId, roles: ['web'] });
  appId = (
    await app.call('applications.create', {
      name: 'billing',
      runtimeUser: 'e2ebilling',
      basePath: '/srv/billing',
      sourceKind: 'directory',
      sharedDirs: ['storage'],
      services: [
        { name: 'web', kind: 'web', command: `exec /usr/bin/python3 -m http.server ${port} --bind ${h.host} --directory /srv/billing/current`, instances: 1 },
        { name: 'worker', kind: 'worker', command: 'while :; do echo "job $PUESTA_INSTANCE"; sleep 1; done', instances: 2 },
      ],
      healthCheck: { kind: 'http', target: `http://{{host.address}}:${port}/VERSION`, expectStatus: 200, timeoutSeconds: 15 },
      backupPolicy: { enabled: true, paths: ['shared/storage'], databaseDump: false, schedule: '15 3 * * *', retentionDays: 7, target: '' },
    })
  ).id;
  await app.call('placements.create', { applicationId: appId, serverId, role: 'web' });
  page = await app.newPage({ viewport: { width: 1280, height: 800 } });
});

afterAll(async () => {
  await hosts?.hosts[0]?.rootExec(`supervisorctl -c ${SUP_CONF} shutdown >/dev/null 2>&1; sleep 0.3; pkill -u e2ebilling; userdel e2ebilling; groupdel e2ebilling; true`);
  await app?.close();
  await hosts?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const go = async (hash: string) => {
  await page.goto(app.base + '#' + hash);
  await page.waitForSelector('.page');
};

describe('new-application install from the UI', () => {
  const step = journey('install from the UI, then operate what it installed (one journey)', 600_000);

  step('the Services & health panel starts empty; the DB password is not needed (no database)', async () => {
    await go(`/applications/${appId}`);
    const panel = page.getByTestId('services-health');
    await panel.waitFor();
    await expect.poll(async () => (await panel.textContent()) ?? '').toContain('No statistics yet');
    await expect.poll(() => panel.textContent()).toContain('web ×1, worker ×2');
    await expect.poll(() => page.getByTestId('db-password').textContent()).toContain('not set');
  });

  step('installs through the Runs wizard: the plan has the provisioning steps, the run succeeds', async () => {
    await page.getByTestId('deploy').click();
    await page.getByTestId('new-run').waitFor();
    await expect.poll(() => page.locator('#run-env').inputValue()).toBe(String(envId));
    await page.getByRole('radio', { name: 'Install' }).click();
    await page.locator('#run-srckind').selectOption('directory');
    await page.locator('#run-src').fill(path.join(work, 'v1'));
    await page.locator('#run-label').fill('v1');
    await page.getByTestId('preview-plan').click();
    const plan = page.getByTestId('plan-table');
    await plan.waitFor();
    const text = (await plan.textContent()) ?? '';
    expect(text).toContain('Runtime user');
    expect(text).toContain('Services (web×1, worker×2): install');
    expect(text).toContain('Services (web×1, worker×2): start and scale');
    expect(text).not.toContain('PostgreSQL');
    await page.getByTestId('start-run').click();
    await page.getByTestId('confirm-start').click();
    await page.waitForURL(/#\/runs\/\d+$/);
    const runId = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    await page.locator('[data-testid=run-view][data-state=succeeded]').waitFor({ timeout: 90_000 });
    const run = await app.call('runs.get', { id: runId });
    expect(run.state).toBe('succeeded');
    expect(run.cells.find((c) => c.stepIndex === run.steps.find((s) => s.key === 'provision-services-start')!.index)!.note).toBe('changed');
    expect((await hosts.hosts[0]!.rootExec(`supervisorctl -c ${SUP_CONF} status`)).stdout).toMatch(/worker_02\s+RUNNING/);
  });

  step('shows the running counts, health and host metrics; Collect now refreshes them', async () => {
    await go(`/applications/${appId}`);
    const host = page.getByTestId('prov-host-app-01');
    await host.waitFor();
    await expect.poll(async () => (await host.getByTestId('svc-web').getByTestId('svc-count').textContent()) ?? '').toBe('1/1');
    await expect.poll(() => host.getByTestId('svc-worker').getByTestId('svc-count').textContent()).toBe('2/2');
    await expect.poll(() => host.textContent()).toMatch(/healthy · 200/);
    await expect.poll(() => host.locator('svg.spark').count()).toBeGreaterThanOrEqual(2);
    const before = (await app.call('stats.history', { serverId, applicationId: appId })).items.length;
    await page.getByTestId('services-health').getByTestId('collect-now').click();
    await expect.poll(async () => (await app.call('stats.history', { serverId, applicationId: appId })).items.length, { timeout: 30_000 }).toBe(before + 1);
    await expect.poll(() => page.getByTestId('services-health').getByTestId('collect-now').textContent()).toBe('Collect now');
    // a few more collections so the charts have a history; the panel follows each one live
    for (let i = 0; i < 6; i++) {
      await app.call('stats.collect', { applicationId: appId });
      await new Promise((r) => setTimeout(r, 250));
    }
    await expect.poll(() => host.locator('svg.spark polyline').first().getAttribute('points').then((p) => (p ?? '').split(' ').length), { timeout: 10_000 }).toBeGreaterThanOrEqual(8);
    await page.getByTestId('services-health').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'application-services.png') });
    // the same panel in the dark scheme (looked at, not kept)
    const dark = await app.newPage({ colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
    await dark.goto(app.base + `#/applications/${appId}`);
    await dark.getByTestId('prov-host-app-01').getByTestId('svc-web').waitFor();
    await dark.screenshot({ path: path.join(os.tmpdir(), 'puesta-install-dark.png') });
    await dark.close();
  });

  step('stops the worker after a confirmation (audited); the panel shows 0/2, Start brings it back', async () => {
    const host = page.getByTestId('prov-host-app-01');
    await page.getByRole('button', { name: 'Stop worker on app-01', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('audit log');
    await dialog.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByTestId('toast-success').last().waitFor();
    await expect.poll(async () => (await host.getByTestId('svc-worker').getByTestId('svc-count').textContent()) ?? '', { timeout: 30_000 }).toBe('0/2');
    const audit = await app.call('audit.list', { entity: 'applications', entityId: appId, limit: 50 });
    expect(audit.items.map((e) => e.action)).toContain('services.stop');
    await page.getByRole('button', { name: 'Start worker on app-01', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(async () => (await host.getByTestId('svc-worker').getByTestId('svc-count').textContent()) ?? '', { timeout: 30_000 }).toBe('2/2');
  });

  step('the upgrade review shows a changed worker count', async () => {
    const a = await app.call('applications.get', { id: appId });
    await app.call('applications.update', { id: appId, services: a.services.map((s) => (s.name === 'worker' ? { ...s, instances: 4 } : s)) });
    await go(`/applications/${appId}`);
    await expect.poll(() => page.getByTestId('review-pending').textContent()).toContain('the next upgrade changes 1 thing on the hosts');
    await page.getByTestId('services-health').screenshot({ path: path.join(os.tmpdir(), 'puesta-install-pending.png') });
    await page.getByTestId('open-review').click();
    const review = page.getByTestId('upgrade-review');
    await review.waitFor();
    const row = review.getByTestId('review-delta');
    await expect.poll(() => row.count()).toBe(1);
    await expect.poll(() => row.textContent()).toMatch(/worker instances.*2.*4.*start 2 more instance/);
    await page.screenshot({ path: path.join(os.tmpdir(), 'puesta-install-review.png') });
  });

  step('the server page shows the host statistics with the application services', async () => {
    await go(`/servers/${serverId}`);
    const panel = page.getByTestId('server-stats');
    await panel.waitFor();
    await expect.poll(async () => (await panel.textContent()) ?? '').toContain('billing');
    await expect.poll(() => panel.textContent()).toContain('worker 2/2');
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(os.tmpdir(), 'puesta-install-server.png') });
  });
});
