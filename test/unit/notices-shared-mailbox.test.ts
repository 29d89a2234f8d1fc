import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { materialiseDue } from '../../electron/core/notices/materialise.js';
import { renderForSend, RenderCache } from '../../electron/core/notices/render.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { seedSmallInventory, type SmallInventory } from '../helpers/windows-fixture.js';

/** Issue 11, item 2: the same mailbox under two customers gets one message per notice, naming both. */

let t: TestCore;
let inv: SmallInventory;
const SPAN = { start: '2026-04-14T20:00:00Z', end: '2026-04-14T22:00:00Z' };

beforeEach(() => {
  t = makeCore();
  inv = seedSmallInventory(t.core);
});
afterEach(async () => {
  await t.cleanup();
});

describe('a mailbox shared by two customers', () => {
  it('gets one message per notice naming both customers, and the audience shows the merge', async () => {
    // Ana's address is also Globex's contact (an outsourced IT desk, say), spelled in capitals there.
    await call(t.core, 'contacts.create', { customerId: inv.newYork, name: 'IT desk', email: 'ANA@acme.test' });
    const w = await call(t.core, 'windows.create', { title: 'Upgrade', ...SPAN, applicationIds: [inv.appBilling, inv.appPortal] });

    const a = await call(t.core, 'windows.audience', { id: w.id });
    expect(a.total).toBe(5);
    expect(a.messages).toBe(4);
    expect(a.shared).toEqual([{ email: 'ana@acme.test', customers: ['Acme Madrid', 'Globex NY'] }]);

    await call(t.core, 'notices.schedule', { windowId: w.id, reminders: [], announce: true, announceAt: null });
    materialiseDue(t.core, new Date());
    const rows = (await call(t.core, 'outbox.list', { limit: 100 })).items;
    expect(rows.map((r) => r.email.toLowerCase()).sort()).toEqual(['ana@acme.test', 'bob@acme.test', 'carla@globex.test', 'dan@globex.test']);
    const ana = rows.find((r) => r.email.toLowerCase() === 'ana@acme.test')!;
    expect(ana).toMatchObject({ contactId: inv.contacts.ana, contactName: 'Ana', customerName: 'Acme Madrid y Globex NY' });
    // the message says so (in Ana's customer's language)
    const sent = renderForSend(t.core, new RenderCache(t.core), [
      { id: ana.id, attempts: 1, campaign_id: ana.campaignId, customer_id: inv.madrid, customer_name: ana.customerName, contact_name: ana.contactName, email: ana.email },
    ]);
    expect(sent.get(ana.id)!.text).toContain('servicios que utiliza Acme Madrid y Globex NY');

    // materialising again (a crash and a restart) adds nothing
    materialiseDue(t.core, new Date());
    expect((await call(t.core, 'outbox.list', { limit: 100 })).total).toBe(4);
  });
});
