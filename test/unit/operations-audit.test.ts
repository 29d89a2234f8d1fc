/**
 * Issue 11, items 7, 8 and 10 and the polish list, at the API: ad-hoc commands guarded like runs
 * and written to each server's history; the audit log's filters and CSV export; the last check of a
 * server (connection test or statistics); disk use as `df` defines it; validation messages.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problemsOf } from '../../electron/core/provision/stats.js';
import { dfUsedPercent, type HostStats } from '../../shared/contract/provision.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { closedPort } from '../helpers/net.js';

let t: TestCore;
beforeEach(() => {
  t = makeCore();
});
afterEach(async () => {
  await t.cleanup();
});

async function server(name: string, environmentId: number | null, port = 22) {
  return (await call(t.core, 'servers.create', { name, host: '127.0.0.1', port, user: 'deploy', environmentId })).id;
}

describe('ad-hoc commands (item 7)', () => {
  it('asks for the typed environment name where the environment asks for it, as runs do', async () => {
    const prod = (await call(t.core, 'environments.create', { name: 'production', confirmRuns: true })).id;
    const stage = (await call(t.core, 'environments.create', { name: 'staging' })).id;
    const port = await closedPort();
    const a = await server('db-1', prod, port);
    const b = await server('web-1', stage, port);
    const refused = await fails(t.core, 'ssh.exec', { serverIds: [a, b], command: 'sudo systemctl restart nginx' });
    expect(refused.code).toBe('PRECONDITION_FAILED');
    expect(refused.message).toMatch(/type the environment name "production"/);
    expect(refused.details).toEqual({ confirmNames: ['production'] });
    expect(await fails(t.core, 'ssh.exec', { serverIds: [a], command: 'true', confirm: ['Production'] })).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect((await call(t.core, 'audit.list', { action: 'ssh.exec' })).total).toBe(0);
    // staging alone does not ask
    await call(t.core, 'ssh.exec', { serverIds: [b], command: 'true' });
    await call(t.core, 'ssh.exec', { serverIds: [a, b], command: 'uptime', confirm: ['production'] });
  });

  it('writes one history entry per server, so a command on several servers shows in each one', async () => {
    const port = await closedPort();
    const a = await server('app-1', null, port);
    const b = await server('app-2', null, port);
    const { execId } = await call(t.core, 'ssh.exec', { serverIds: [a, b], command: 'df -h' });
    for (const id of [a, b]) {
      const h = await call(t.core, 'audit.list', { entity: 'servers', entityId: id, action: 'ssh.exec' });
      expect(h.items).toEqual([expect.objectContaining({ entity: 'servers', entityId: id, after: expect.objectContaining({ command: 'df -h', servers: ['app-1', 'app-2'], execId }) })]);
    }
  });
});

describe('the audit log screen (item 7)', () => {
  it('filters by operator, entity, action and time, and exports what it shows as CSV', async () => {
    t.core.settings.set('operator', 'ana');
    const env = (await call(t.core, 'environments.create', { name: 'production' })).id;
    t.core.settings.set('operator', 'bob');
    await call(t.core, 'environments.update', { id: env, notes: '=HYPERLINK("http://evil")' });
    await call(t.core, 'customers.create', { name: 'Acme' });

    expect((await call(t.core, 'audit.list', { actor: 'ana' })).items.map((e) => [e.action, e.entity])).toEqual([['create', 'environments']]);
    expect((await call(t.core, 'audit.list', { actor: 'bob', entity: 'environments' })).items.map((e) => e.action)).toEqual(['update']);
    expect((await call(t.core, 'audit.list', { action: 'create' })).total).toBe(2);
    const upd = (await call(t.core, 'audit.list', { action: 'update' })).items[0]!;
    expect(upd.before).toMatchObject({ notes: '' });
    expect(upd.after).toMatchObject({ notes: '=HYPERLINK("http://evil")' });
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await call(t.core, 'audit.list', { from: future })).total).toBe(0);
    expect((await call(t.core, 'audit.list', { to: future })).total).toBe(3);
    expect((await call(t.core, 'audit.list', { query: 'hyperlink' })).total).toBe(1);
    expect(await call(t.core, 'audit.facets', {})).toEqual({ actors: ['ana', 'bob'], entities: ['customers', 'environments'], actions: ['create', 'update'] });

    const csv = await call(t.core, 'audit.export', { actor: 'bob' });
    expect(csv.rows).toBe(2);
    expect(csv.filename).toMatch(/^puesta-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(csv.content.startsWith('\uFEFFat,operator,action,entity,entityId,before,after\n')).toBe(true);
    const lines = csv.content.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/,bob,update,environments,1,/);
    // the before/after JSON starts with { so it is not a formula; the cell that would be one stays text
    expect(csv.content).not.toMatch(/(^|,)=HYPERLINK/m);
  });
});

describe('the last check of a server (item 8)', () => {
  it('a failed connection test is recorded, listed by servers.checks and shown on Today', async () => {
    const port = await closedPort();
    const id = await server('gone-1', null, port);
    expect((await call(t.core, 'servers.checks', {})).items).toEqual([]);
    const events: unknown[] = [];
    t.core.events.subscribe((name, p) => name === 'servers.checked' && events.push(p));
    const e = await fails(t.core, 'servers.testConnection', { id });
    expect(e.code).toMatch(/^SSH_/);
    const checks = (await call(t.core, 'servers.checks', {})).items;
    expect(checks).toEqual([{ serverId: id, at: expect.any(String), kind: 'connection', ok: false, code: e.code, message: e.message }]);
    expect(events).toEqual([{ serverIds: [id] }]);
    const failing = (await call(t.core, 'stats.failing', {})).items;
    expect(failing).toEqual([expect.objectContaining({ serverId: id, serverName: 'gone-1', problems: [`connection test failed: ${e.message}`] })]);
  });

  it('a statistics collection is a check too, and replaces an older one', async () => {
    const port = await closedPort();
    const id = await server('gone-2', null, port);
    await fails(t.core, 'servers.testConnection', { id });
    await call(t.core, 'stats.collect', { serverId: id });
    const [c] = (await call(t.core, 'servers.checks', {})).items;
    expect(c).toMatchObject({ serverId: id, kind: 'stats', ok: false, code: expect.stringMatching(/^SSH_/) });
    // Today lists the host once: by its unread statistics, not again by the older connection test
    expect((await call(t.core, 'stats.failing', {})).items.map((i) => i.problems[0])).toEqual([expect.stringMatching(/^could not be read/)]);
  });
});

describe('disk use as df shows it (item 10)', () => {
  it('percent = used / (used + available), rounded up; the reserved blocks count in neither', () => {
    // df: 1K-blocks 103081248, Used 25132476, Available 72689380 → Use% 26%
    expect(dfUsedPercent(25132476, 72689380)).toBe(26);
    expect(dfUsedPercent(0, 0)).toBe(0);
    expect(dfUsedPercent(1, 999)).toBe(1);
  });

  it('Today flags a disk df calls 95 % full even when used / size is lower', () => {
    const base = { id: 1, at: new Date().toISOString(), serverId: 1, serverName: 'db-1', applicationId: null, applicationName: null, error: null };
    const stats: NonNullable<HostStats['stats']> = {
      load: [0, 0, 0],
      uptimeSeconds: 1,
      memory: { totalKb: 1, availableKb: 1 },
      disk: { path: '/', totalKb: 1000, usedKb: 855, availableKb: 45 },
      services: [],
      health: null,
    };
    expect(problemsOf({ ...base, stats })).toEqual(['disk / 95% full']);
  });
});

describe('polish a release manager notices', () => {
  it('a duplicate name says what clashes, in plain words, without an internal id', async () => {
    await call(t.core, 'environments.create', { name: 'production' });
    const e = await fails(t.core, 'environments.create', { name: 'production' });
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toBe('An environment named "production" already exists.');
  });

  it('time zones are kept as the zone database spells them', async () => {
    const c = await call(t.core, 'customers.create', { name: 'Acme', timezone: 'europe/madrid' });
    expect(c.timezone).toBe('Europe/Madrid');
    expect((await call(t.core, 'customers.create', { name: 'Globex', timezone: 'Asia/Kolkata' })).timezone).toBe('Asia/Kolkata');
  });

  it('an empty runtime user is "required", not a format error', async () => {
    const e = await fails(t.core, 'applications.create', { name: 'shop', runtimeUser: '', basePath: '/srv/shop' });
    expect(e.details).toEqual({ issues: [expect.objectContaining({ path: ['runtimeUser'], message: 'required' })] });
  });

  it('a key file that does not exist is refused when the server is saved', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-key-'));
    const missing = path.join(dir, 'id_ed25519');
    const e = await fails(t.core, 'servers.create', { name: 'k-1', host: '10.0.0.1', user: 'deploy', auth: 'key', keyPath: missing });
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toContain(missing);
    writeFileSync(missing, 'key');
    await call(t.core, 'servers.create', { name: 'k-1', host: '10.0.0.1', user: 'deploy', auth: 'key', keyPath: missing });
  });
});
