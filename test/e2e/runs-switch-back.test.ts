/**
 * The run view shows a health-gate switch-back from the cell's structured `switchedBack` record
 * (no server prose parsed): v1 healthy on 2 real sshd hosts, v2 answers 500 on one → that host
 * goes back to v1 by itself, the control bar says so; a retry from the UI switches it forward
 * and the line goes away.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startHosts, trustAll, type TestHosts } from '../hosts/index.js';
import { startApp, type App } from './harness.js';
import { waitRun } from './runs-world.js';
import { restartCommand, versionServerPy } from '../helpers/version-app.js';

const BASE = '/srv/app';
const UNHEALTHY = `${BASE}/shared/unhealthy`;

const SERVER_PY = versionServerPy(`VERSION == 'v2' and os.path.exists(${JSON.stringify(UNHEALTHY)})`);

let app: App;
let hs: TestHosts;
let page: Page;
let work: string;
let envId: number;
let appId: number;

function release(v: string): { kind: 'directory'; path: string } {
  const d = path.join(work, v);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'server.py'), SERVER_PY);
  writeFileSync(path.join(d, 'VERSION'), v + '\n');
  return { kind: 'directory', path: d };
}

beforeAll(async () => {
  app = await startApp();
  hs = await startHosts({ count: 2, firstIndex: 64 });
  const port = await freePort('127.0.0.64');
  work = mkdtempSync(path.join(os.tmpdir(), 'puesta-switch-back-'));
  envId = (await app.call('environments.create', { name: 'staging' })).id;
  const servers = await trustAll(app.core, hs.hosts);
  for (const s of servers) await app.call('servers.update', { id: s.serverId, environmentId: envId });
  appId = (
    await app.call('applications.create', {
      name: 'shop',
      runtimeUser: 'puesta-deploy',
      basePath: BASE,
      keepReleases: 3,
      sharedDirs: ['log'],
      healthCheck: { kind: 'http', target: `http://{{host.address}}:${port}/`, expectStatus: 200, timeoutSeconds: 3 },
    })
  ).id;
  for (const s of servers) await app.call('placements.create', { applicationId: appId, serverId: s.serverId, role: 'web' });
  for (const kind of ['install', 'upgrade'] as const) {
    const cl = await app.call('checklists.get', { applicationId: appId, kind });
    const steps = cl.steps.map((s) =>
      s.key === 'restart' ? { ...s, enabled: true, command: restartCommand(port) } : s.key === 'health' ? { ...s, check: { ...s.check!, intervalSeconds: 0.2 } } : s,
    );
    await app.call('checklists.save', { applicationId: appId, kind, steps });
  }
  page = await app.newPage();
}, 60_000);

afterAll(async () => {
  for (const h of hs?.hosts ?? []) await h.rootExec(`[ -f ${BASE}/shared/app.pid ] && kill $(cat ${BASE}/shared/app.pid); true`);
  await app?.close();
  await hs?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('switch-back in the run view', () => {
  it('says which release the failed hosts are back on, from the structured cell record', async () => {
    const ins = await app.call('runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: release('v1'), label: 'v1' });
    expect((await waitRun(app, ins.id, (r) => r.state !== 'running')).state).toBe('succeeded');

    await hs.hosts[1]!.rootExec(`touch ${UNHEALTHY}`);
    const up = await app.call('runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: release('v2'), label: 'v2' });
    const r = await waitRun(app, up.id, (x) => x.state !== 'running');
    expect(r.cells.filter((c) => c.switchedBack).map((c) => c.switchedBack!.ok)).toEqual([true]);

    await page.goto(`${app.base}#/runs/${up.id}`);
    const line = page.getByTestId('switch-back');
    await expect.poll(() => line.textContent()).toContain('switched back to the previous release there automatically');
    expect(await line.textContent()).toContain(`Hosts whose check passed stay on ${r.releaseKey}.`);

    // healthy again: retry from the UI switches that host forward, the line goes away
    await hs.hosts[1]!.rootExec(`rm -f ${UNHEALTHY}`);
    await page.getByTestId('act-retry').click();
    await page.getByTestId('confirm-retry').click();
    await expect.poll(() => page.getByTestId('run-view').getAttribute('data-state'), { timeout: 30_000 }).toBe('succeeded');
    expect(await line.count()).toBe(0);
  }, 90_000);
});
