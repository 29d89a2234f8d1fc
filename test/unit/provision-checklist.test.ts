/**
 * How the install/upgrade/rollback checklists of an application include provisioning (through
 * checklists.get, as the wizard and the planner read them): only for applications with services;
 * the database step only when the application needs a database; an edited checklist gets the
 * scripts of the inventory as it is now; the notes a step's output turns into.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionNote } from '../../electron/core/provision/checklist.js';
import type { ChecklistKind } from '../../shared/contract/runs.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let tc: TestCore;

const keys = async (applicationId: number, kind: ChecklistKind) => (await call(tc.core, 'checklists.get', { applicationId, kind })).steps.map((s) => s.key);

beforeAll(() => {
  tc = makeCore();
});
afterAll(async () => tc?.cleanup());

describe('provisioning in the checklists', () => {
  it('an application without services keeps the plain checklists', async () => {
    const { id } = await call(tc.core, 'applications.create', { name: 'Plain', runtimeUser: 'plain', basePath: '/srv/plain' });
    expect(await keys(id, 'install')).toEqual(['preflight', 'layout', 'upload', 'link-shared', 'switch', 'restart', 'health', 'record']);
  });

  it('with services: provisioning steps, a restart onto the new release, no database step until one is needed', async () => {
    const { id } = await call(tc.core, 'applications.create', {
      name: 'Shop',
      runtimeUser: 'shop',
      basePath: '/srv/shop',
      services: [{ name: 'web', kind: 'web', command: 'exec bin/web', instances: 2 }],
    });
    const install = await keys(id, 'install');
    expect(install).toEqual(['preflight', 'provision-user', 'provision-layout', 'provision-logrotate', 'provision-services', 'provision-backup', 'upload', 'link-shared', 'switch', 'provision-services-start', 'restart', 'health', 'provision-monitoring', 'record']);
    const upgrade = await keys(id, 'upgrade');
    expect(upgrade.indexOf('provision-user')).toBe(1);
    expect(upgrade).toContain('cleanup');
    const rb = (await call(tc.core, 'checklists.get', { applicationId: id, kind: 'rollback' })).steps;
    expect(rb.map((s) => s.key)).toEqual(['preflight', 'switch', 'restart', 'health', 'record']);
    const restart = rb.find((s) => s.key === 'restart')!;
    expect(restart).toMatchObject({ enabled: true, sudo: true });
    expect(restart.command).toContain('{{release.previous}}');

    // a stored DB password (or a backup that dumps the database) brings the database step in
    await call(tc.core, 'provision.setDbPassword', { applicationId: id, generate: true });
    expect(await keys(id, 'install')).toContain('provision-database');
  });

  it('an edited checklist runs the provisioning scripts of the inventory as it is now', async () => {
    const { id } = await call(tc.core, 'applications.create', {
      name: 'Edited',
      runtimeUser: 'edited',
      basePath: '/srv/edited',
      services: [{ name: 'worker', kind: 'worker', command: 'exec bin/work', instances: 2 }],
    });
    const cl = await call(tc.core, 'checklists.get', { applicationId: id, kind: 'install' });
    await call(tc.core, 'checklists.save', { applicationId: id, kind: 'install', steps: cl.steps.map((s) => (s.key === 'provision-logrotate' ? { ...s, title: 'Logs (ours)' } : s)) });
    await call(tc.core, 'applications.update', { id, services: [{ name: 'worker', kind: 'worker', command: 'exec bin/work', instances: 5 }] });
    const now = await call(tc.core, 'checklists.get', { applicationId: id, kind: 'install' });
    expect(now.builtin).toBe(false);
    expect(now.steps.find((s) => s.key === 'provision-logrotate')!.title).toBe('Logs (ours)');
    const start = now.steps.find((s) => s.key === 'provision-services-start')!;
    expect(start.command).toContain('numprocs=5');
    expect(start.command).not.toContain('numprocs=2');
  });

  it('a step output becomes "already in place" or "changed"', () => {
    expect(provisionNote('provision-user', 'note: ok\nPUESTA_RESULT unchanged\n')).toBe('already in place');
    expect(provisionNote('provision-services', 'x\nPUESTA_RESULT changed\n')).toBe('changed');
    expect(provisionNote('provision-user', 'no result line')).toBeNull();
    expect(provisionNote('switch', 'PUESTA_RESULT unchanged')).toBeNull();
  });
});
