import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let t: TestCore;
beforeEach(() => {
  t = makeCore();
});
afterEach(async () => {
  await t.cleanup();
});
const counts = async () => {
  const out: Record<string, number> = {};
  for (const e of ['environments', 'servers', 'applications', 'placements', 'customers', 'contacts', 'contracts'] as const) out[e] = (await call(t.core, `${e}.list`, {})).total;
  return out;
};

const DOC = {
  environments: [{ name: 'production', colour: '#dc2626', confirmRuns: true }],
  servers: [
    { name: 'web-1', host: '10.0.0.1', user: 'deploy', environment: 'production', roles: ['web'] },
    { name: 'web-2', host: '10.0.0.2', port: 2222, user: 'deploy', environment: 'production', roles: ['web'] },
  ],
  applications: [{ name: 'shop', runtimeUser: 'shop', basePath: '/srv/shop', sharedDirs: ['storage'] }],
  placements: [
    { application: 'shop', server: 'web-1', role: 'web' },
    { application: 'shop', server: 'web-2', role: 'web' },
  ],
  customers: [{ name: 'Acme', timezone: 'America/New_York' }],
  contacts: [{ customer: 'Acme', name: 'Bob', email: 'bob@acme.test' }],
  contracts: [{ reference: 'ACME-1', customer: 'Acme', applications: ['shop'], startDate: '2026-01-01', endDate: '2027-01-01' }],
};

describe('inventory import/export', () => {
  it('imports a JSON document with references by name, then a re-import updates instead of duplicating', async () => {
    const r = await call(t.core, 'inventory.import', { format: 'json', content: JSON.stringify(DOC) });
    expect(r.ok).toBe(true);
    expect(r.created).toEqual({ environments: 1, servers: 2, applications: 1, placements: 2, customers: 1, contacts: 1, contracts: 1 });
    expect(await counts()).toEqual({ environments: 1, servers: 2, applications: 1, placements: 2, customers: 1, contacts: 1, contracts: 1 });
    const again = await call(t.core, 'inventory.import', { format: 'json', content: JSON.stringify(DOC) });
    expect(again.created).toEqual({});
    expect(again.updated.servers).toBe(2);
    expect((await counts()).servers).toBe(2);
  });

  it('an import with bad rows writes nothing and reports every bad row', async () => {
    await call(t.core, 'customers.create', { name: 'Existing' });
    const bad = structuredClone(DOC) as typeof DOC & { servers: Record<string, unknown>[] };
    bad.servers.push({ name: 'web-3', host: 'ok', user: 'deploy', environment: 'nowhere' });
    bad.servers.push({ name: 'web-4', host: 'bad host', user: 'deploy', port: 'x' });
    (bad.contacts as Record<string, unknown>[]).push({ customer: 'Acme', name: 'Eve', email: 'not-an-email' });
    const e = await fails(t.core, 'inventory.import', { format: 'json', content: JSON.stringify(bad) });
    expect(e.code).toBe('IMPORT_INVALID');
    expect(e.message).toMatch(/nothing was imported/);
    const errors = (e.details as { errors: { entity: string; row: number; field?: string; message: string }[] }).errors;
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ entity: 'servers', row: 3, field: 'environment', message: expect.stringMatching(/no environment named "nowhere"/) }),
        expect.objectContaining({ entity: 'servers', row: 4, field: 'host' }),
        expect.objectContaining({ entity: 'servers', row: 4, field: 'port' }),
        expect.objectContaining({ entity: 'contacts', row: 2, field: 'email' }),
      ]),
    );
    expect(await counts()).toEqual({ environments: 0, servers: 0, applications: 0, placements: 0, customers: 1, contacts: 0, contracts: 0 });
    expect((await call(t.core, 'audit.list', { entity: 'servers' })).total).toBe(0);
  });

  it('a dry run validates everything, reports counts and writes nothing', async () => {
    const r = await call(t.core, 'inventory.import', { format: 'json', content: JSON.stringify(DOC), dryRun: true });
    expect(r.ok).toBe(true);
    expect(r.created.servers).toBe(2);
    expect((await counts()).servers).toBe(0);
  });

  it('exports JSON that imports into an empty database as the same inventory', async () => {
    await call(t.core, 'inventory.import', { format: 'json', content: JSON.stringify(DOC) });
    const ex = await call(t.core, 'inventory.export', { format: 'json' });
    expect(ex.filename).toMatch(/^puesta-inventory-\d{4}-\d{2}-\d{2}\.json$/);
    const doc = JSON.parse(ex.content) as Record<string, Record<string, unknown>[]>;
    expect(doc.servers![1]).toMatchObject({ name: 'web-2', port: 2222, environment: 'production', roles: ['web'] });
    expect(doc.contracts![0]).toMatchObject({ reference: 'ACME-1', customer: 'Acme', applications: ['shop'] });
    expect(JSON.stringify(doc)).not.toMatch(/"id"|createdAt/);
    const other = (await import('../helpers/core.js')).makeCore();
    try {
      await call(other.core, 'inventory.import', { format: 'json', content: ex.content });
      const back = await call(other.core, 'inventory.export', { format: 'json' });
      const a = JSON.parse(back.content) as Record<string, unknown>;
      delete a.exportedAt;
      delete doc.exportedAt;
      expect(a).toEqual(doc);
    } finally {
      await other.cleanup();
    }
  });

  it('CSV round trip per entity, with lists and per-row errors', async () => {
    await call(t.core, 'inventory.import', { format: 'json', content: JSON.stringify(DOC) });
    const csv = await call(t.core, 'inventory.export', { format: 'csv', entity: 'servers' });
    const lines = csv.content.trim().split('\n');
    expect(lines[0]).toBe('name,host,port,user,auth,keyPath,environment,roles,tags,notes');
    expect(lines[2]).toBe('web-2,10.0.0.2,2222,deploy,agent,,production,web,,');
    const edited = csv.content.replace('10.0.0.2,2222', '10.0.0.22,2200') + 'db-1,10.0.0.9,22,deploy,agent,,production,db;backup,,\n';
    const r = await call(t.core, 'inventory.import', { format: 'csv', entity: 'servers', content: edited });
    expect(r).toMatchObject({ created: { servers: 1 }, updated: { servers: 2 } });
    const db1 = (await call(t.core, 'servers.list', { query: 'db-1' })).items[0]!;
    expect(db1.roles).toEqual(['db', 'backup']);
    const bad = 'name,host,port,user\nok-1,10.0.0.3,22,deploy\nbad-1,10.0.0.4,notaport,deploy\n';
    const e = await fails(t.core, 'inventory.import', { format: 'csv', entity: 'servers', content: bad });
    expect((e.details as { errors: { row: number; field: string }[] }).errors).toEqual([expect.objectContaining({ row: 3, name: 'bad-1', field: 'port' })]);
    expect((await call(t.core, 'servers.list', { query: 'ok-1' })).total).toBe(0);
  });

  it('refuses a CSV without an entity and unknown JSON sections, clearly', async () => {
    expect((await fails(t.core, 'inventory.import', { format: 'csv', content: 'name\nx\n' })).code).toBe('INVALID_INPUT');
    expect((await fails(t.core, 'inventory.import', { format: 'json', content: '{"serverz": []}' })).message).toMatch(/Unknown section.*serverz/);
    expect((await fails(t.core, 'inventory.import', { format: 'json', content: '{oops' })).message).toMatch(/not valid JSON/);
  });
});
