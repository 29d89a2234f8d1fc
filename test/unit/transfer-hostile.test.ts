import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

/** Issue 11, items 11–13: exports that a spreadsheet cannot execute, files that are not UTF-8, duplicates within one file. */

let t: TestCore;
beforeEach(() => {
  t = makeCore();
});
afterEach(async () => {
  await t.cleanup();
});
type RowErrors = { errors: { entity: string; row: number; field?: string; message: string }[] };

const HOSTILE = ['=HYPERLINK("http://evil.test","x")', '+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1:A2)', '\t=1+1', '\r=1+1', '=1+1\nsecond line'];

describe('CSV export against spreadsheet formulas (item 11)', () => {
  it('neutralises every cell a spreadsheet would evaluate, starts with a BOM, and reads back as written', async () => {
    for (const [i, notes] of HOSTILE.entries()) await call(t.core, 'customers.create', { name: `c${i}`, notes });
    await call(t.core, 'customers.create', { name: 'plain', notes: 'a = b, nothing to see' });
    const csv = await call(t.core, 'inventory.export', { format: 'csv', entity: 'customers' });
    expect(csv.content.startsWith('\uFEFF')).toBe(true);
    const rows = Papa.parse<Record<string, string>>(csv.content.slice(1), { header: true, skipEmptyLines: true }).data;
    for (const [i, notes] of HOSTILE.entries()) expect(rows.find((r) => r.name === `c${i}`)!.notes).toBe(`'${notes}`);
    expect(rows.find((r) => r.name === 'plain')!.notes).toBe('a = b, nothing to see');
    // the escape is the export's, not the data: a round trip through import leaves every value unchanged
    const r = await call(t.core, 'inventory.import', { format: 'csv', entity: 'customers', content: csv.content });
    expect(r.updated.customers).toBe(HOSTILE.length + 1);
    const back = await call(t.core, 'customers.list', { limit: 100 });
    for (const [i, notes] of HOSTILE.entries()) expect(back.items.find((c) => c.name === `c${i}`)!.notes).toBe(notes);
  });
});

describe('file encoding (item 12)', () => {
  const latin1 = Buffer.from('name,timezone\nAcme,UTC\nJosé Pérez SL,Europe/Madrid\n', 'latin1');

  it('refuses bytes that are not UTF-8, naming the row and the byte where it breaks', async () => {
    const e = await fails(t.core, 'inventory.import', { format: 'csv', entity: 'customers', bytes: latin1.toString('base64') });
    expect(e.code).toBe('INVALID_INPUT');
    const at = latin1.indexOf(0xe9);
    expect(e.message).toMatch(/not valid UTF-8/);
    expect(e.message).toContain(`row 3`);
    expect(e.message).toContain(`byte ${at + 1}`);
    expect(e.details).toMatchObject({ row: 3, byte: at + 1 });
    expect((await call(t.core, 'customers.list', {})).total).toBe(0);
  });

  it('imports the same bytes when the operator says they are Windows-1252 (Latin-1), and UTF-8 bytes as they are', async () => {
    await call(t.core, 'inventory.import', { format: 'csv', entity: 'customers', bytes: latin1.toString('base64'), charset: 'windows-1252' });
    const utf8 = Buffer.from('\uFEFFname,timezone\nÅsa AB,Europe/Stockholm\n', 'utf8');
    await call(t.core, 'inventory.import', { format: 'csv', entity: 'customers', bytes: utf8.toString('base64') });
    const names = (await call(t.core, 'customers.list', { sort: 'name' })).items.map((c) => c.name);
    expect(names.sort()).toEqual(['Acme', 'José Pérez SL', 'Åsa AB']);
  });

  it('asks for exactly one of text or bytes', async () => {
    expect((await fails(t.core, 'inventory.import', { format: 'csv', entity: 'customers', content: 'name\nx\n', bytes: 'bmFtZQp4Cg==' })).code).toBe('INVALID_INPUT');
  });
});

describe('duplicate natural keys within one file (item 13)', () => {
  const dupOf = async (input: unknown) => {
    const e = await fails(t.core, 'inventory.import', input);
    expect(e.code).toBe('IMPORT_INVALID');
    return (e.details as RowErrors).errors;
  };

  it('reports a repeated name (case-insensitively) as a row error naming the first row', async () => {
    const errors = await dupOf({ format: 'csv', entity: 'customers', content: 'name\nAcme\nGlobex\nACME\n' });
    // rows as the spreadsheet numbers them: the header is row 1
    expect(errors).toEqual([expect.objectContaining({ entity: 'customers', row: 4, name: 'ACME', field: 'name', message: expect.stringMatching(/^same .* as row 2:/) })]);
    expect((await call(t.core, 'customers.list', {})).total).toBe(0);
  });

  it('covers composite keys and references: contacts, placements, contracts, servers in JSON', async () => {
    const doc = {
      servers: [
        { name: 'web-1', host: '10.0.0.1', user: 'deploy' },
        { name: 'Web-1', host: '10.0.0.2', user: 'deploy' },
      ],
      applications: [{ name: 'shop', runtimeUser: 'shop', basePath: '/srv/shop' }],
      placements: [
        { application: 'shop', server: 'web-1', role: 'web' },
        { application: 'shop', server: 'web-1', role: 'web' },
      ],
      customers: [{ name: 'Acme' }],
      contacts: [
        { customer: 'Acme', name: 'Bob', email: 'bob@acme.test' },
        { customer: 'Acme', name: 'Robert', email: 'BOB@acme.test' },
      ],
      contracts: [
        { reference: 'ACME-1', customer: 'Acme', startDate: '2026-01-01', endDate: '2027-01-01' },
        { reference: 'acme-1', customer: 'Acme', startDate: '2026-01-01', endDate: '2027-01-01' },
      ],
    };
    const errors = await dupOf({ format: 'json', content: JSON.stringify(doc) });
    expect(errors.map((e) => [e.entity, e.row])).toEqual([
      ['servers', 2],
      ['placements', 2],
      ['contacts', 2],
      ['contracts', 2],
    ]);
    for (const e of errors) expect(e.message).toMatch(/^same .* as row 1:/);
  });
});
