/**
 * The provisioning API through `dispatch` (as the UI calls it): the steps of an application,
 * the upgrade review before/after a recorded install, and the statistics history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../electron/core/dispatch.js';
import { applicationOf } from '../../electron/core/provision/handlers.js';
import { recordSnapshot } from '../../electron/core/provision/index.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let tc: TestCore;
let appId = 0;
let serverId = 0;

async function call<T = Record<string, unknown>>(method: string, input: unknown): Promise<T> {
  const r = await dispatch(tc.core, method, input);
  if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
  return r.value as T;
}
async function fail(method: string, input: unknown): Promise<{ code: string; message: string }> {
  const r = await dispatch(tc.core, method, input);
  if (r.ok) throw new Error(`${method} should have failed`);
  return r.error as never;
}

beforeAll(async () => {
  tc = makeCore();
  appId = (
    await call<{ id: number }>('applications.create', {
      name: 'Shop',
      runtimeUser: 'shop',
      basePath: '/srv/shop',
      services: [
        { name: 'web', kind: 'web', command: 'exec bin/web', instances: 2 },
        { name: 'worker', kind: 'worker', command: 'exec bin/worker', instances: 3 },
      ],
    })
  ).id;
  serverId = (await call<{ id: number }>('servers.create', { name: 'web-1', host: '127.0.0.9', user: 'deploy' })).id;
});
afterAll(async () => tc?.cleanup());

describe('provision API', () => {
  it('provision.steps returns the ordered scripts with sudo and the DB password secret key', async () => {
    const r = await call<{ items: { key: string; script: string; sudo: boolean; stdinSecret: string | null }[] }>('provision.steps', { applicationId: appId });
    expect(r.items.map((s) => s.key)).toContain('provision-services');
    expect(r.items.every((s) => s.sudo && s.script.includes('PUESTA_RESULT'))).toBe(true);
    expect(r.items.find((s) => s.key === 'provision-database')!.stdinSecret).toBe(`application:${appId}:db-password`);
    expect((await fail('provision.steps', { applicationId: 9999 })).code).toBe('NOT_FOUND');
  });

  it('provision.review: everything is new before the first install; afterwards only the changed worker count', async () => {
    const first = await call<{ firstInstall: boolean; deltas: { kind: string }[] }>('provision.review', { applicationId: appId });
    expect(first.firstInstall).toBe(true);
    expect(first.deltas.length).toBeGreaterThan(0);

    recordSnapshot(tc.core, applicationOf(tc.core, appId), { kind: 'install' });
    expect((await call<{ deltas: unknown[] }>('provision.review', { applicationId: appId })).deltas).toEqual([]);

    await call('applications.update', { id: appId, services: [
      { name: 'web', kind: 'web', command: 'exec bin/web', instances: 2 },
      { name: 'worker', kind: 'worker', command: 'exec bin/worker', instances: 5 },
    ] });
    const r = await call<{ firstInstall: boolean; lastAppliedAt: string; deltas: unknown[] }>('provision.review', { applicationId: appId, serverId });
    expect(r.firstInstall).toBe(false);
    expect(r.lastAppliedAt).toMatch(/^\d{4}-/);
    expect(r.deltas).toEqual([{ kind: 'scale', what: 'worker instances', before: '3', after: '5', action: 'start 2 more instance(s)' }]);
  });

  it('stats: input is checked, an unplaced application is refused, history starts empty', async () => {
    expect((await fail('stats.collect', {})).code).toBe('INVALID_INPUT');
    const e = await fail('stats.collect', { applicationId: appId });
    expect(e.code).toBe('PRECONDITION_FAILED');
    expect(e.message).toContain('placement');
    expect(await call('stats.history', { serverId })).toEqual({ items: [] });
  });
});
