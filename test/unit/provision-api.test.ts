/**
 * The provisioning API through `dispatch` (as the UI calls it): the steps of an application,
 * the upgrade review before/after a recorded install, and the statistics history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationOf } from '../../electron/core/provision/context.js';
import { recordSnapshot } from '../../electron/core/provision/index.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let tc: TestCore;
let appId = 0;
let serverId = 0;


beforeAll(async () => {
  tc = makeCore();
  appId = (
    await call(tc.core, 'applications.create', {
      name: 'Shop',
      runtimeUser: 'shop',
      basePath: '/srv/shop',
      backupPolicy: { databaseDump: true },
      services: [
        { name: 'web', kind: 'web', command: 'exec bin/web', instances: 2 },
        { name: 'worker', kind: 'worker', command: 'exec bin/worker', instances: 3 },
      ],
    })
  ).id;
  serverId = (await call(tc.core, 'servers.create', { name: 'web-1', host: '127.0.0.9', user: 'deploy' })).id;
});
afterAll(async () => tc?.cleanup());

describe('provision API', () => {
  it('provision.steps returns the ordered scripts with sudo and the DB password secret key', async () => {
    const r = await call(tc.core, 'provision.steps', { applicationId: appId });
    expect(r.items.map((s) => s.key)).toContain('provision-services');
    expect(r.items.every((s) => s.sudo && s.script.includes('PUESTA_RESULT'))).toBe(true);
    expect(r.items.find((s) => s.key === 'provision-database')!.stdinSecret).toBe(`application:${appId}:db-password`);
    expect((await fails(tc.core, 'provision.steps', { applicationId: 9999 })).code).toBe('NOT_FOUND');
  });

  it('provision.review: everything is new before the first install; afterwards only the changed worker count', async () => {
    const first = await call(tc.core, 'provision.review', { applicationId: appId });
    expect(first.firstInstall).toBe(true);
    expect(first.deltas.length).toBeGreaterThan(0);

    recordSnapshot(tc.core, applicationOf(tc.core, appId), { kind: 'install' });
    expect((await call(tc.core, 'provision.review', { applicationId: appId })).deltas).toEqual([]);

    await call(tc.core, 'applications.update', { id: appId, services: [
      { name: 'web', kind: 'web', command: 'exec bin/web', instances: 2 },
      { name: 'worker', kind: 'worker', command: 'exec bin/worker', instances: 5 },
    ] });
    const r = await call(tc.core, 'provision.review', { applicationId: appId, serverId });
    expect(r.firstInstall).toBe(false);
    expect(r.lastAppliedAt).toMatch(/^\d{4}-/);
    expect(r.deltas).toEqual([{ kind: 'scale', what: 'worker instances', before: '3', after: '5', action: 'start 2 more instance(s)' }]);
  });

  it('stats: input is checked, an unplaced application is refused, history starts empty', async () => {
    expect((await fails(tc.core, 'stats.collect', {})).code).toBe('INVALID_INPUT');
    const e = await fails(tc.core, 'stats.collect', { applicationId: appId });
    expect(e.code).toBe('PRECONDITION_FAILED');
    expect(e.message).toContain('placement');
    expect(await call(tc.core, 'stats.history', { serverId })).toEqual({ items: [] });
  });
});

describe('install checklist wiring', () => {
  it('withProvisioning puts the steps around the built-in install checklist; the DB step gets the stored password on stdin', async () => {
    const { builtinChecklist } = await import('../../electron/core/runs/builtin.js');
    const { provisionChecklistSteps, provisionStdin, withProvisioning } = await import('../../electron/core/provision/checklist.js');
    const { ChecklistStep } = await import('../../shared/contract/runs.js');
    const app = applicationOf(tc.core, appId);
    const install = withProvisioning(builtinChecklist('install', app), provisionChecklistSteps(tc.core, appId));
    expect(install.map((s) => s.key)).toEqual([
      'preflight',
      'provision-user',
      'provision-layout',
      'provision-logrotate',
      'provision-services',
      'provision-database',
      'provision-backup',
      'upload',
      'link-shared',
      'switch',
      'provision-services-start',
      'health',
      'provision-monitoring',
      'record',
    ]);
    for (const s of install) expect(() => ChecklistStep.parse(s)).not.toThrow();
    // an upgrade re-runs them (each reports "unchanged" unless the review showed a delta)
    const upgrade = withProvisioning(builtinChecklist('upgrade', app), provisionChecklistSteps(tc.core, appId)).map((s) => s.key);
    expect(upgrade.slice(0, 2)).toEqual(['preflight', 'provision-user']);
    expect(upgrade.slice(upgrade.indexOf('switch'))).toEqual(['switch', 'provision-services-start', 'health', 'provision-monitoring', 'cleanup', 'record']);
    expect(install.filter((s) => s.key.startsWith('provision-')).every((s) => s.sudo)).toBe(true);

    expect(provisionStdin(tc.core, appId, 'provision-database')).toBeNull();
    expect((await call(tc.core, 'provision.dbPasswordStatus', { applicationId: appId })).set).toBe(false);
    expect((await fails(tc.core, 'provision.setDbPassword', { applicationId: appId })).code).toBe('INVALID_INPUT');
    expect((await fails(tc.core, 'provision.setDbPassword', { applicationId: appId, password: 'two\nlines!!' })).code).toBe('INVALID_INPUT');
    await call(tc.core, 'provision.setDbPassword', { applicationId: appId, password: "it's a secret" });
    expect(provisionStdin(tc.core, appId, 'provision-database')).toBe("it's a secret\n");
    expect(provisionStdin(tc.core, appId, 'provision-user')).toBeNull();
    await call(tc.core, 'provision.setDbPassword', { applicationId: appId, generate: true });
    expect(provisionStdin(tc.core, appId, 'provision-database')).toMatch(/^[A-Za-z0-9_-]{32}\n$/);
    expect((await call(tc.core, 'provision.dbPasswordStatus', { applicationId: appId })).set).toBe(true);
    const audit = tc.core.audit.list({ entity: 'applications', entityId: appId, limit: 50, offset: 0 }).items;
    expect(audit.filter((a) => a.action === 'secret.set')).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain("it's a secret");
  });
});

describe('stats from a run', () => {
  it("recordStepStats keeps the monitoring step's output in the history (and ignores output without stats)", async () => {
    const { spawnSync } = await import('node:child_process');
    const { recordStepStats } = await import('../../electron/core/provision/stats.js');
    const { statsScript } = await import('../../electron/core/provision/index.js');
    const out = spawnSync('/bin/sh', ['-c', statsScript(null)], { encoding: 'utf8' }).stdout;
    expect(recordStepStats(tc.core, serverId, appId, 'no stats here')).toBeNull();
    const item = recordStepStats(tc.core, serverId, appId, `changed: x\n${out}PUESTA_RESULT changed\n`);
    expect(item?.stats?.memory.totalKb).toBeGreaterThan(0);
    const hist = await call(tc.core, 'stats.history', { serverId, applicationId: appId });
    expect(hist.items).toHaveLength(1);
    expect(hist.items[0]!.applicationName).toBe('Shop');
    expect(hist.items[0]!.stats?.load).toHaveLength(3);
  });
});
