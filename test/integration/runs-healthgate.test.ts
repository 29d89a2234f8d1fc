/**
 * Health-gated upgrades on 2 real sshd hosts: v1 installed and healthy on both → upgrade to v2 whose
 * health endpoint answers 500 on ONE host → that host is switched back to v1 by itself (current
 * link, restart, records, audit, log) while the other serves v2; the run waits for a decision. A
 * retry (the host is healthy again) switches that host forward to v2 first, and the run completes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { freePort, startHosts, trustAll, type TestHosts } from '../hosts/index.js';
import { restartCommand, versionServerPy } from '../helpers/version-app.js';

const BASE = '/srv/app';
const UNHEALTHY = `${BASE}/shared/unhealthy`;

const SERVER_PY = versionServerPy(`VERSION == 'v2' and os.path.exists(${JSON.stringify(UNHEALTHY)})`);

function answer(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${b.trim()}`));
    });
    req.on('error', (e) => resolve(`error: ${e.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

let hs: TestHosts;
let tc: TestCore;
let work: string;
let port: number;
let envId: number;
let appId: number;

function release(v: string): { kind: 'directory'; path: string } {
  const d = path.join(work, v);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'server.py'), SERVER_PY);
  writeFileSync(path.join(d, 'VERSION'), v + '\n');
  return { kind: 'directory', path: d };
}

const answers = () => Promise.all(hs.hosts.map((h) => answer(h.host, port)));
const links = () => Promise.all(hs.hosts.map(async (h) => path.basename((await h.rootExec(`readlink ${BASE}/current`)).stdout.trim())));

beforeAll(async () => {
  hs = await startHosts({ count: 2 });
  port = await freePort('127.0.0.2');
  work = mkdtempSync(path.join(os.tmpdir(), 'puesta-healthgate-'));
  tc = makeCore();
  const core = tc.core;
  await call(core, 'settings.setOperator', { name: 'alice' });
  const env = await call(core, 'environments.create', { name: 'staging' });
  envId = env.id;
  for (const r of await trustAll(core, hs.hosts)) await call(core, 'servers.update', { id: r.serverId, environmentId: envId });
  const app = await call(core, 'applications.create', {
    name: 'shop',
    runtimeUser: 'puesta-deploy',
    basePath: BASE,
    keepReleases: 3,
    sharedDirs: ['log'],
    healthCheck: { kind: 'http', target: `http://{{host.address}}:${port}/`, expectStatus: 200, timeoutSeconds: 3 },
  });
  appId = app.id;
  for (const h of hs.hosts) {
    const s = (await call(core, 'servers.list', { limit: 100, offset: 0 })).items.find((x) => x.host === h.host)!;
    await call(core, 'placements.create', { applicationId: appId, serverId: s.id, role: 'web' });
  }
  for (const kind of ['install', 'upgrade'] as const) {
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind });
    const steps = cl.steps.map((s) =>
      s.key === 'restart' ? { ...s, enabled: true, command: restartCommand(port) } : s.key === 'health' ? { ...s, check: { ...s.check!, intervalSeconds: 0.2 } } : s,
    );
    await call(core, 'checklists.save', { applicationId: appId, kind, steps });
  }
}, 60_000);

afterAll(async () => {
  for (const h of hs?.hosts ?? []) await h.rootExec(`[ -f ${BASE}/shared/app.pid ] && kill $(cat ${BASE}/shared/app.pid); true`);
  await tc?.core.close();
  await hs?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('health-gated upgrade on 2 sshd hosts', () => {
  it('a failed health check after the switch puts that host back on the previous release by itself; a retry switches it forward', async () => {
    const core = tc.core;
    // v1 on both, healthy
    const ins = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: release('v1'), label: 'v1' });
    const installed = await core.services.runs.settled(ins.id);
    expect(installed.state, JSON.stringify(installed.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
    const v1 = installed.releaseKey;
    expect(await answers()).toEqual(['200 v1', '200 v1']);

    // v2 will answer 500 on the second host only
    await hs.hosts[1]!.rootExec(`touch ${UNHEALTHY}`);
    const req = { applicationId: appId, environmentId: envId, kind: 'upgrade' as const, source: release('v2'), label: 'v2' };
    const plan = await call(core, 'runs.plan', req);
    const hp = plan.steps.find((s) => s.key === 'health')!;
    expect(hp.cells.map((c) => c.detail)).toEqual([expect.stringContaining(`switches this host back to ${v1} by itself`), expect.stringContaining(`back to ${v1}`)]);

    const up = await call(core, 'runs.start', req);
    const r = await core.services.runs.settled(up.id);
    const v2 = r.releaseKey;
    const hi = r.steps.findIndex((s) => s.key === 'health');
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision', currentStep: hi });
    const cells = r.cells.filter((c) => c.stepIndex === hi);
    expect(cells.map((c) => c.state)).toEqual(['succeeded', 'failed']);
    expect(cells[1]!.note).toContain(`switched back to ${v1} automatically`);
    expect(cells[1]!.error).toContain(`switched back to ${v1} automatically`);
    expect(cells.map((c) => c.switchedBack)).toEqual([null, { from: v2, to: v1, ok: true }]);
    expect(r.error).toContain(`Hosts whose check passed stay on ${v2}`);

    // the hosts: the healthy one on v2, the other back on v1 and serving it
    expect(await links()).toEqual([v2, v1]);
    expect(await answers()).toEqual(['200 v2', '200 v1']);
    // the records, the log, the audit
    const cur = await call(core, 'releases.current', { applicationId: appId, environmentId: envId });
    expect(cur.items.find((c) => c.serverName === hs.hosts[1]!.name || c.serverId === cells[1]!.serverId)!.key).toBe(v1);
    const logs = (await call(core, 'runs.logs', { runId: up.id, stepIndex: hi, query: 'switched back' })).items;
    expect(logs.some((l) => l.stream === 'system' && l.serverId === cells[1]!.serverId)).toBe(true);
    const audit = await call(core, 'audit.list', { entity: 'runs', limit: 50, offset: 0 });
    const sb = audit.items.find((a) => a.action === 'run.switch-back');
    expect(sb).toBeTruthy();
    expect(JSON.stringify(sb)).toContain(v1);

    // healthy again: a retry switches forward to v2 before checking, then the run completes
    await hs.hosts[1]!.rootExec(`rm -f ${UNHEALTHY}`);
    await call(core, 'runs.act', { id: up.id, action: 'retry', note: 'fixed the config' });
    const done = await core.services.runs.settled(up.id);
    expect(done.state, JSON.stringify(done.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
    expect(await links()).toEqual([v2, v2]);
    expect(done.cells.filter((c) => c.stepIndex === hi).map((c) => c.switchedBack)).toEqual([null, null]);
    expect(await answers()).toEqual(['200 v2', '200 v2']);
    const after = await call(core, 'releases.current', { applicationId: appId, environmentId: envId });
    expect(after.items.map((c) => c.key)).toEqual([v2, v2]);
  }, 60_000);
});
