import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../electron/core/dispatch.js';
import type { Audience, Conflict, Window } from '../../shared/contract/windows.js';
import { makeCore, type TestCore } from '../helpers/core.js';

/** Issue 11, item 5: a window limited to one environment leaves the other environments' servers and customers out. */

let t: TestCore;
async function call<T = unknown>(method: string, input: unknown): Promise<T> {
  const r = await dispatch(t.core, method, input);
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}
const id = async (method: string, input: unknown) => (await call<{ id: number }>(method, input)).id;
const SPAN = { start: '2026-04-14T20:00:00Z', end: '2026-04-14T22:00:00Z' };
let s: { prod: number; stg: number; billing: number; stgOnly: number; prodWeb: number; stgWeb: number };

beforeEach(async () => {
  t = makeCore();
  const prod = await id('environments.create', { name: 'production' });
  const stg = await id('environments.create', { name: 'staging' });
  const prodWeb = await id('servers.create', { name: 'prod-web', host: 'prod-web.test', user: 'deploy', environmentId: prod });
  const stgWeb = await id('servers.create', { name: 'stg-web', host: 'stg-web.test', user: 'deploy', environmentId: stg });
  const billing = await id('applications.create', { name: 'billing', runtimeUser: 'billing', basePath: '/srv/billing' });
  const stgOnly = await id('applications.create', { name: 'preview', runtimeUser: 'preview', basePath: '/srv/preview' });
  await call('placements.create', { applicationId: billing, serverId: prodWeb, role: 'web' });
  await call('placements.create', { applicationId: billing, serverId: stgWeb, role: 'web' });
  await call('placements.create', { applicationId: stgOnly, serverId: stgWeb, role: 'web' });
  const acme = await id('customers.create', { name: 'Acme' });
  const tester = await id('customers.create', { name: 'Beta tester' });
  await call('contacts.create', { customerId: acme, name: 'Ana', email: 'ana@acme.test' });
  await call('contacts.create', { customerId: tester, name: 'Tess', email: 'tess@beta.test' });
  await call('contracts.create', { customerId: acme, reference: 'C-1', applicationIds: [billing], startDate: '2025-01-01', endDate: '2029-12-31' });
  await call('contracts.create', { customerId: tester, reference: 'C-2', applicationIds: [stgOnly], startDate: '2025-01-01', endDate: '2029-12-31' });
  s = { prod, stg, billing, stgOnly, prodWeb, stgWeb };
});
afterEach(async () => {
  await t.cleanup();
});

describe('a window scoped to one environment', () => {
  it('touches only that environment’s servers and tells only the customers of what runs there', async () => {
    const all = await call<Window>('windows.create', { title: 'Everywhere', ...SPAN, applicationIds: [s.billing, s.stgOnly] });
    expect(all.environmentId).toBeNull();
    expect((await call<Audience>('windows.audience', { id: all.id })).customers.map((c) => c.name)).toEqual(['Acme', 'Beta tester']);

    const prod = await call<Window>('windows.create', { title: 'Production only', ...SPAN, applicationIds: [s.billing, s.stgOnly], environmentId: s.prod });
    expect(prod.environmentId).toBe(s.prod);
    expect((await call<Audience>('windows.audience', { id: prod.id })).customers.map((c) => c.name)).toEqual(['Acme']);

    // A staging window at the same time shares no server with the production one.
    const stg = await call<Window>('windows.create', { title: 'Staging only', ...SPAN, applicationIds: [s.billing], environmentId: s.stg });
    const kinds = (items: Conflict[]) => items.filter((c) => c.otherWindowId !== all.id).map((c) => c.kind);
    expect(kinds((await call<{ items: Conflict[] }>('windows.conflicts', { id: prod.id })).items)).not.toContain('server_overlap');
    expect(kinds((await call<{ items: Conflict[] }>('windows.conflicts', { id: stg.id })).items)).not.toContain('server_overlap');
    // …which the calendar's counts agree with
    const counts = await call<{ items: { id: number; count: number }[] }>('windows.conflictCounts', { ids: [all.id, prod.id, stg.id] });
    for (const w of [all, prod, stg]) {
      const n = (await call<{ items: Conflict[] }>('windows.conflicts', { id: w.id })).items.length;
      expect(counts.items.find((c) => c.id === w.id)!.count).toBe(n);
    }
    // a draft's conflicts take the environment too
    const draft = await call<{ items: Conflict[] }>('windows.conflicts', { ...SPAN, applicationIds: [s.billing], environmentId: s.prod, excludeId: all.id });
    expect(draft.items.filter((c) => c.kind === 'server_overlap').map((c) => c.otherWindowId)).toEqual([prod.id]);

    // clearing the environment widens the window again
    const wide = await call<Window>('windows.update', { id: prod.id, environmentId: null });
    expect((await call<Audience>('windows.audience', { id: wide.id })).customers).toHaveLength(2);
  });

  it('refuses an environment that does not exist', async () => {
    const r = await dispatch(t.core, 'windows.create', { title: 'x', ...SPAN, environmentId: 999 });
    expect(!r.ok && r.error).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'environmentId' } });
  });
});
