/**
 * Issue 11, item 14: a 10 000-row import does not freeze the app. While the file is validated,
 * other requests keep being answered (before: none was until the import ended); the write is still
 * one transaction; row errors give the spreadsheet's row number and the row's name. How fast the
 * answers come is a figure for a benchmark, not an assertion here.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../electron/core/dispatch.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let t: TestCore;
beforeEach(() => {
  t = makeCore();
});
afterEach(async () => {
  await t.cleanup();
});

const ROWS = 10_000;
function serversCsv(last: string): string {
  const lines = ['name,host,port,user,environment'];
  for (let i = 0; i < ROWS - 1; i++) lines.push(`srv-${i},10.0.${i >> 8}.${i & 255},22,deploy,production`);
  lines.push(last);
  return lines.join('\n') + '\n';
}

/** Asks for something else every few ms while `work` runs; returns how many answers came before it ended. */
async function answeredDuring(work: Promise<unknown>): Promise<number> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => {});
  let answered = 0;
  // the import was asked first: a request is answered meanwhile only if validation gives way
  await Promise.resolve();
  while (!done) {
    await new Promise((r) => setTimeout(r, 5));
    if (done) break;
    const r = await dispatch(t.core, 'environments.list', {});
    expect(r.ok).toBe(true);
    answered++;
  }
  return answered;
}

describe('a big import (item 14)', () => {
  it('keeps answering other requests while it validates, and names the bad row as the spreadsheet does', async () => {
    await call(t.core, 'environments.create', { name: 'production' });
    const content = serversCsv('broken-9999,10.9.9.9,99999,deploy,production');
    const importing = fails(t.core, 'inventory.import', { format: 'csv', entity: 'servers', content });
    const answered = await answeredDuring(importing);
    const e = await importing;
    expect(e.code).toBe('IMPORT_INVALID');
    expect((e.details as { errors: unknown[] }).errors).toEqual([expect.objectContaining({ entity: 'servers', row: ROWS + 1, name: 'broken-9999', field: 'port' })]);
    expect(answered).toBeGreaterThan(3);
    expect((await call(t.core, 'servers.list', { limit: 1 })).total).toBe(0);
  });

  it('writes a good file in one transaction, rows referencing an environment created by the same file included', async () => {
    const content = JSON.stringify({
      environments: [{ name: 'edge' }],
      servers: Array.from({ length: 2000 }, (_, i) => ({ name: `e-${i}`, host: `10.1.${i >> 8}.${i & 255}`, user: 'deploy', environment: i % 2 ? 'edge' : 'EDGE' })),
      placements: [],
    });
    const r = await call(t.core, 'inventory.import', { format: 'json', content });
    expect(r).toMatchObject({ ok: true, created: { environments: 1, servers: 2000 } });
    const edge = (await call(t.core, 'environments.list', {})).items[0]!;
    expect((await call(t.core, 'servers.list', { environmentId: edge.id, limit: 1 })).total).toBe(2000);
    expect((await call(t.core, 'audit.list', { action: 'import' })).total).toBe(1);
  });
});
