import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MethodName } from '../../shared/contract/index.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let t: TestCore;
beforeEach(() => {
  t = makeCore();
});
afterEach(async () => {
  await t.cleanup();
});


async function seed() {
  const env = await call(t.core, 'environments.create', { name: 'production', colour: '#dc2626', confirmRuns: true });
  const srv = await call(t.core, 'servers.create', { name: 'web-1', host: '10.0.0.5', user: 'deploy', environmentId: env.id, roles: ['web'] });
  const app = await call(t.core, 'applications.create', {
    name: 'billing',
    runtimeUser: 'billing',
    basePath: '/srv/billing',
    services: [{ name: 'web', kind: 'web', command: 'node server.js', instances: 2 }],
  });
  const plc = await call(t.core, 'placements.create', { applicationId: app.id, serverId: srv.id, role: 'web' });
  const cus = await call(t.core, 'customers.create', { name: 'Acme', timezone: 'Europe/Madrid', language: 'es' });
  const con = await call(t.core, 'contacts.create', { customerId: cus.id, name: 'Ana', email: 'ana@acme.test' });
  const ctr = await call(t.core, 'contracts.create', {
    customerId: cus.id,
    reference: 'ACME-2026',
    applicationIds: [app.id],
    startDate: '2026-01-01',
    endDate: '2026-12-31',
  });
  return { env, srv, app, plc, cus, con, ctr };
}

describe('inventory CRUD through the handler table', () => {
  it('creates every entity with defaults, gets and lists them with derived names', async () => {
    const s = await seed();
    const srv = await call(t.core, 'servers.get', { id: s.srv.id });
    expect(srv).toMatchObject({ name: 'web-1', host: '10.0.0.5', port: 22, user: 'deploy', auth: 'agent', roles: ['web'] });
    const plcs = await call(t.core, 'placements.list', { applicationId: s.app.id });
    expect(plcs.total).toBe(1);
    expect(plcs.items[0]).toMatchObject({ applicationName: 'billing', serverName: 'web-1', role: 'web' });
    const ctr = await call(t.core, 'contracts.get', { id: s.ctr.id });
    expect(ctr).toMatchObject({ customerName: 'Acme', applicationIds: [s.app.id], state: 'active', graceDays: 15 });
    const app = await call(t.core, 'applications.get', { id: s.app.id });
    expect(app.services).toEqual([{ name: 'web', kind: 'web', command: 'node server.js', instances: 2 }]);
    expect(app.keepReleases).toBe(5);
  });

  it('lists with search, sort, paging and filters', async () => {
    for (const n of ['db-2', 'web-3', 'web-1', 'web-2']) await call(t.core, 'servers.create', { name: n, host: `${n}.example.net`, user: 'deploy', roles: n.startsWith('db') ? ['db'] : ['web'] });
    const all = await call(t.core, 'servers.list', { sort: 'name' });
    expect(all.items.map((x) => x.name)).toEqual(['db-2', 'web-1', 'web-2', 'web-3']);
    const desc = await call(t.core, 'servers.list', { sort: 'name', desc: true, limit: 2 });
    expect(desc.items.map((x) => x.name)).toEqual(['web-3', 'web-2']);
    const page2 = await call(t.core, 'servers.list', { sort: 'name', limit: 2, offset: 2 });
    expect(page2).toMatchObject({ total: 4 });
    expect(page2.items.map((x) => x.name)).toEqual(['web-2', 'web-3']);
    const q = await call(t.core, 'servers.list', { query: 'WEB-' });
    expect(q.total).toBe(3);
    const byRole = await call(t.core, 'servers.list', { role: 'db' });
    expect(byRole.items.map((x) => x.name)).toEqual(['db-2']);
    const like = await call(t.core, 'servers.list', { query: '%' });
    expect(like.total).toBe(0); // LIKE wildcards in the query are literal
  });

  it('servers carry and sort by their environment name', async () => {
    const prod = await call(t.core, 'environments.create', { name: 'production' });
    const stg = await call(t.core, 'environments.create', { name: 'acceptance' });
    await call(t.core, 'servers.create', { name: 'a-prod', host: 'h1', user: 'deploy', environmentId: prod.id });
    await call(t.core, 'servers.create', { name: 'b-acc', host: 'h2', user: 'deploy', environmentId: stg.id });
    const r = await call(t.core, 'servers.list', { sort: 'environmentName' });
    expect(r.items.map((x) => [x.name, x.environmentName])).toEqual([
      ['b-acc', 'acceptance'],
      ['a-prod', 'production'],
    ]);
    expect((await call(t.core, 'servers.list', { query: 'acceptance' })).total).toBe(1);
  });

  it('validates input with field paths and refuses unknown fields', async () => {
    const e1 = await fails(t.core, 'servers.create', { name: '', host: 'bad host!', user: 'Deploy', port: 70000 });
    expect(e1.code).toBe('INVALID_INPUT');
    const paths = (e1.details as { issues: { path: string[] }[] }).issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['name', 'host', 'user', 'port']));
    expect((await fails(t.core, 'customers.create', { name: 'X', timezone: 'Mars/Olympus' })).message).toMatch(/time zone/);
    expect((await fails(t.core, 'customers.create', { name: 'X', sneaky: 1 })).code).toBe('INVALID_INPUT');
    expect((await fails(t.core, 'applications.create', { name: 'a', runtimeUser: 'a', basePath: '/srv/../etc' })).code).toBe('INVALID_INPUT');
  });

  it('names taken answer CONFLICT; missing rows NOT_FOUND; bad references INVALID_INPUT', async () => {
    const s = await seed();
    const dup = await fails(t.core, 'servers.create', { name: 'WEB-1', host: 'x', user: 'deploy' });
    expect(dup.code).toBe('CONFLICT');
    expect(dup.message).toMatch(/already exists/);
    expect((await fails(t.core, 'placements.create', { applicationId: s.app.id, serverId: s.srv.id, role: 'web' })).code).toBe('CONFLICT');
    expect((await fails(t.core, 'servers.get', { id: 999 })).code).toBe('NOT_FOUND');
    const badRef = await fails(t.core, 'servers.create', { name: 'x', host: 'x', user: 'deploy', environmentId: 999 });
    expect(badRef.code).toBe('INVALID_INPUT');
    expect(badRef.message).toMatch(/no environment with id 999/);
    expect((await fails(t.core, 'contracts.create', { customerId: s.cus.id, reference: 'R', startDate: '2026-02-01', endDate: '2026-01-01' })).message).toMatch(/before the start/);
  });

  it('updates merge onto the stored record and are validated as a whole', async () => {
    const s = await seed();
    const u = await call(t.core, 'servers.update', { id: s.srv.id, port: 2222, tags: ['eu'] });
    expect(u).toMatchObject({ name: 'web-1', port: 2222, tags: ['eu'], roles: ['web'] });
    const bad = await fails(t.core, 'contracts.update', { id: s.ctr.id, endDate: '2025-01-01' });
    expect(bad.code).toBe('INVALID_INPUT');
    expect((await call(t.core, 'contracts.get', { id: s.ctr.id })).endDate).toBe('2026-12-31');
    const apps = await call(t.core, 'contracts.update', { id: s.ctr.id, applicationIds: [] });
    expect(apps.applicationIds).toEqual([]);
  });

  it('deleting a row still referenced answers REFERENCED with what uses it, and changes nothing', async () => {
    const s = await seed();
    const e = await fails(t.core, 'customers.delete', { id: s.cus.id });
    expect(e.code).toBe('REFERENCED');
    expect(e.message).toMatch(/1 contact, 1 contract/);
    expect((await call(t.core, 'customers.list', {})).total).toBe(1);
    await call(t.core, 'contacts.delete', { id: s.con.id });
    await call(t.core, 'contracts.delete', { id: s.ctr.id });
    await call(t.core, 'customers.delete', { id: s.cus.id });
    expect((await call(t.core, 'customers.list', {})).total).toBe(0);
  });

  it('an application or server planned in a maintenance window cannot be deleted, and the message says why', async () => {
    const s = await seed();
    await call(t.core, 'windows.create', { title: 'Upgrade', start: '2026-12-01T22:00:00Z', end: '2026-12-01T23:00:00Z', applicationIds: [s.app.id], serverIds: [s.srv.id] });
    await call(t.core, 'placements.delete', { id: s.plc.id });
    await call(t.core, 'contracts.update', { id: s.ctr.id, applicationIds: [] });
    const e = await fails(t.core, 'applications.delete', { id: s.app.id });
    expect(e.code).toBe('REFERENCED');
    expect(e.message).toMatch(/1 maintenance window/);
    expect((await fails(t.core, 'servers.delete', { id: s.srv.id })).message).toMatch(/1 maintenance window/);
  });

  it('writes an audit entry with before/after for each change, by the operator', async () => {
    await call(t.core, 'settings.setOperator', { name: 'maria' });
    const s = await seed();
    await call(t.core, 'servers.update', { id: s.srv.id, port: 2200 });
    const log = await call(t.core, 'audit.list', { entity: 'servers', entityId: s.srv.id });
    expect(log.items.map((x) => x.action)).toEqual(['update', 'create']);
    expect(log.items[0]).toMatchObject({ actor: 'maria', before: { port: 22 }, after: { port: 2200 } });
  });

  it('emits inventory.changed for each change', async () => {
    const seen: unknown[] = [];
    t.core.events.subscribe((event, payload) => seen.push({ event, payload }));
    const c = await call(t.core, 'customers.create', { name: 'Zeta' });
    await call(t.core, 'customers.delete', { id: c.id });
    expect(seen).toEqual([
      { event: 'inventory.changed', payload: { entity: 'customers', id: c.id, action: 'create' } },
      { event: 'inventory.changed', payload: { entity: 'customers', id: c.id, action: 'delete' } },
    ]);
  });

  it('global search finds records of several kinds, prefix matches first', async () => {
    await seed();
    await call(t.core, 'customers.create', { name: 'Bacme Corp' });
    const r = await call(t.core, 'search.global', { query: 'acme' });
    expect(r.items[0]).toMatchObject({ entity: 'customers', label: 'Acme' });
    expect(r.items.map((i) => i.entity)).toEqual(expect.arrayContaining(['customers', 'contacts', 'contracts']));
  });

  it('unknown methods answer UNKNOWN_METHOD', async () => {
    expect((await fails(t.core, 'servers.explode' as MethodName, {})).code).toBe('UNKNOWN_METHOD');
  });

  it('system.info reports the schema, data folder and an honest secret-store warning', async () => {
    const info = await call(t.core, 'system.info', {});
    expect(info).toMatchObject({ shell: 'test', dataDir: t.dataDir, secretStore: { kind: 'key-file', secure: false } });
    expect(String((info.secretStore as { warning: string }).warning)).toMatch(/key/);
  });
});

describe('secrets', () => {
  it('are stored encrypted and read back', async () => {
    t.core.secrets.set('server:1:password', 's3cr3t-пароль');
    expect(t.core.secrets.get('server:1:password')).toBe('s3cr3t-пароль');
    const raw = t.core.db.prepare('SELECT ciphertext FROM secrets').get() as { ciphertext: Buffer };
    expect(raw.ciphertext.includes(Buffer.from('s3cr3t'))).toBe(false);
    t.core.secrets.delete('server:1:password');
    expect(t.core.secrets.get('server:1:password')).toBeNull();
  });
});
