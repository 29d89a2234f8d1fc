/**
 * What `suspension.plan` / `suspension.start` refuse before anything runs (nothing written, no SSH),
 * what the plan says, and a run left moving by a process that died reads back as interrupted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeLocalLock } from '../../electron/core/runs/locks.js';
import { insertRun, insertSuspension, updateHost } from '../../electron/core/suspension/suspension-store.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let tc: TestCore;
let ids: { envId: number; serverId: number; appId: number; otherAppId: number; contractId: number };

beforeEach(async () => {
  tc = makeCore();
  const core = tc.core;
  await call(core, 'settings.setOperator', { name: 'alice' });
  const envId = (await call(core, 'environments.create', { name: 'production' })).id;
  const serverId = (await call(core, 'servers.create', { name: 'web-1', host: '127.0.0.9', user: 'deploy', environmentId: envId })).id;
  const appId = (await call(core, 'applications.create', { name: 'shop', runtimeUser: 'shop', basePath: '/srv/shop', services: [{ name: 'worker', kind: 'worker', command: 'run-worker', instances: 1 }] })).id;
  const otherAppId = (await call(core, 'applications.create', { name: 'blog', runtimeUser: 'blog', basePath: '/srv/blog' })).id;
  await call(core, 'placements.create', { applicationId: appId, serverId, role: 'web' });
  const customerId = (await call(core, 'customers.create', { name: 'Acme' })).id;
  const contractId = (await call(core, 'contracts.create', { customerId, reference: 'C-1', startDate: '2025-01-01', endDate: '2025-12-31', applicationIds: [appId, otherAppId] })).id;
  ids = { envId, serverId, appId, otherAppId, contractId };
});
afterEach(async () => {
  await tc.cleanup();
});

const req = (over: Record<string, unknown> = {}) => ({ contractId: ids.contractId, applicationId: ids.appId, reason: 'overdue' as const, ...over });

describe('suspension requests', () => {
  it('plans per environment and host, naming the effects', async () => {
    const plan = await call(tc.core, 'suspension.plan', req({ stopWorkers: ['worker'], retryAfterSeconds: 600 }));
    expect(plan.environments.map((e) => [e.environmentName, e.existingId, e.hosts.map((h) => h.site)])).toEqual([['production', null, ['shop on web-1']]]);
    expect(plan.effects[0]).toContain('shop answers 503 with Retry-After 600 s and a page naming contract C-1 on web-1 (production)');
    expect(plan.effects[1]).toBe('Stops worker where running (recorded, started again on reinstatement).');
    expect(plan.warnings).toEqual([
      'shop has no health URL: the suspension cannot be verified through the proxy.',
      'No Puesta site on web-1: configure the site in the proxy settings and install.',
    ]);
    expect(plan.environments[0]!.hosts[0]!.steps[0]!.command).toMatch(/sudo -n sh -c .*supervisorctl|systemctl/s);
  });

  it('a symlink application: the plan says there is no Puesta site until its site is configured, then the install writes it', async () => {
    const noSite = 'No Puesta site on web-1: configure the site in the proxy settings and install.';
    const source = { kind: 'directory' as const, path: path.join(tc.dataDir, 'release') };
    mkdirSync(source.path);
    writeFileSync(path.join(source.path, 'VERSION'), 'v1\n');
    expect((await call(tc.core, 'suspension.plan', req())).warnings).toContain(noSite);
    const before = await call(tc.core, 'runs.plan', { applicationId: ids.appId, environmentId: ids.envId, kind: 'install', source });
    expect(before.steps.map((s) => s.key)).not.toContain('proxy-install');
    await call(tc.core, 'proxy.settings.save', { applicationId: ids.appId, listen: ['127.0.0.9:8080'], serverNames: ['shop.example'] });
    expect((await call(tc.core, 'suspension.plan', req())).warnings).not.toContain(noSite);
    const after = await call(tc.core, 'runs.plan', { applicationId: ids.appId, environmentId: ids.envId, kind: 'install', source });
    const keys = after.steps.map((s) => s.key);
    expect(keys.indexOf('proxy-install')).toBe(keys.indexOf('upload') - 1);
    expect(JSON.stringify(after.steps[keys.indexOf('proxy-install')])).toContain('ln -sfn app.sock');
    await call(tc.core, 'proxy.settings.save', { applicationId: ids.appId, writeProxyConfig: false });
    expect((await call(tc.core, 'suspension.plan', req())).warnings).toContain(noSite);
  });

  it('refuses an application the contract does not cover, an unknown worker, an application placed nowhere', async () => {
    const app3 = (await call(tc.core, 'applications.create', { name: 'wiki', runtimeUser: 'wiki', basePath: '/srv/wiki' })).id;
    expect((await fails(tc.core, 'suspension.start', req({ applicationId: app3 }))).message).toContain('The contract does not cover wiki');
    expect((await fails(tc.core, 'suspension.start', req({ stopWorkers: ['mailer'] }))).code).toBe('INVALID_INPUT');
    expect((await fails(tc.core, 'suspension.start', req({ applicationId: ids.otherAppId }))).message).toContain('not placed on any server');
    expect((await call(tc.core, 'suspension.list', {})).items).toEqual([]);
  });

  it('refuses while another holds the application × environment lock, writing nothing', async () => {
    tc.core.tx(() => takeLocalLock(tc.core, { applicationId: ids.appId, environmentId: ids.envId, runId: null, owner: 'bob', reason: 'hotfix', override: false }));
    const e = await fails(tc.core, 'suspension.start', req());
    expect(e.code).toBe('LOCKED');
    expect(e.message).toContain('locked by bob');
    expect((await call(tc.core, 'suspension.list', {})).items).toEqual([]);
  });

  it('a run left moving by a process that died reads back interrupted, at the step its host reached', async () => {
    const id = tc.core.tx(() => {
      const sid = insertSuspension(tc.core, { ...req(), environmentId: ids.envId, retryAfterSeconds: 60, message: '', stopWorkers: [], notify: false, note: '', hosts: [{ serverId: ids.serverId, serverName: 'web-1' }] });
      insertRun(tc.core, sid, 'suspend', 'alice');
      updateHost(tc.core, sid, ids.serverId, { state: 'running', step: 'swap' });
      return sid;
    });
    const s = await call(tc.core, 'suspension.get', { id });
    expect([s.state, s.phase, s.hosts.map((h) => [h.state, h.step])]).toEqual(['interrupted', 'suspend', [['interrupted', 'swap']]]);
    expect((await call(tc.core, 'suspension.list', { contractId: ids.contractId, inForce: true })).items.map((x) => x.id)).toEqual([id]);
    // one in force per application × environment: a second start returns it
    expect((await call(tc.core, 'suspension.start', req())).items.map((x) => [x.id, x.state])).toEqual([[id, 'interrupted']]);
  });
});
