import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeStats } from '../../electron/core/provision/stats-store.js';
import { collectStats, problemsOf } from '../../electron/core/provision/stats.js';
import type { HostStats } from '../../shared/contract/provision.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { closedPort } from '../helpers/net.js';

let t: TestCore;
beforeEach(() => {
  t = makeCore();
});
afterEach(async () => {
  await t.cleanup();
});

const healthy = (over: Partial<NonNullable<HostStats['stats']>> = {}): NonNullable<HostStats['stats']> => ({
  load: [0.1, 0.1, 0.1],
  uptimeSeconds: 100,
  memory: { totalKb: 1000, availableKb: 500 },
  disk: { path: '/srv', totalKb: 1000, usedKb: 100, availableKb: 900 },
  services: [{ name: 'web', expected: 2, running: 2 }],
  health: { url: 'http://h/health', status: 200, seconds: 0.01, ok: true },
  ...over,
});


describe('Today: servers that failed their last check', () => {
  it('names what is wrong in a sample: health, services below their count, a nearly full disk', () => {
    const base = { id: 1, at: new Date().toISOString(), serverId: 1, serverName: 'web-1', applicationId: 1, applicationName: 'shop', error: null };
    expect(problemsOf({ ...base, stats: healthy() })).toEqual([]);
    expect(
      problemsOf({
        ...base,
        stats: healthy({
          services: [{ name: 'worker', expected: 3, running: 1 }],
          health: { url: 'http://h/health', status: 502, seconds: 0.2, ok: false },
          disk: { path: '/srv', totalKb: 1000, usedKb: 950, availableKb: 50 },
        }),
      }),
    ).toEqual(['health check http://h/health answered 502', 'worker: 1/3 running', 'disk /srv 95% full']);
  });

  it('lists only servers whose LATEST check failed, including one that could not be reached', async () => {
    const port = await closedPort();
    const down = (await t.core.inventory.servers.create({ name: 'gone-1', host: '127.0.0.1', port, user: 'deploy', auth: 'agent', keyPath: null, environmentId: null, roles: [], tags: [], notes: '' }, 't')) as { id: number };
    const ok = (await t.core.inventory.servers.create({ name: 'fine-1', host: '10.9.9.9', port: 22, user: 'deploy', auth: 'agent', keyPath: null, environmentId: null, roles: [], tags: [], notes: '' }, 't')) as { id: number };
    const sick = await collectStats(t.core, down.id, null);
    expect(sick.error?.code).toMatch(/^SSH_/);
    // fine-1: failed an hour ago, healthy since
    const older = new Date(Date.now() - 3600_000).toISOString();
    storeStats(t.core, { id: null, at: older, serverId: ok.id, serverName: 'fine-1', applicationId: null, applicationName: null, stats: null, error: { code: 'SSH_TIMEOUT', message: 'x' } });
    storeStats(t.core, { id: null, at: new Date().toISOString(), serverId: ok.id, serverName: 'fine-1', applicationId: null, applicationName: null, stats: healthy(), error: null });
    const { items } = await call(t.core, 'stats.failing', {});
    expect(items.map((i) => i.serverName)).toEqual(['gone-1']);
    expect(items[0]!.problems[0]).toMatch(/^could not be read: .*gone-1/);
  });
});
