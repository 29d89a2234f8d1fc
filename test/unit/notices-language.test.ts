import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NoticeKind } from '../../shared/contract/notices.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { seedSmallInventory, type SmallInventory } from '../helpers/windows-fixture.js';

/** Issue 11, item 3: one language per notice, a sender name and signature from Settings, warnings in the audience, the new time in the "changed" subject. */

let t: TestCore;
let inv: SmallInventory;
const SPAN = { start: '2026-04-14T20:00:00Z', end: '2026-04-14T22:00:00Z' };
const preview = (windowId: number, contactId: number, kind: NoticeKind = 'announce') => call(t.core, 'notices.preview', { windowId, kind, contactId });

beforeEach(() => {
  t = makeCore();
  inv = seedSmallInventory(t.core);
});
afterEach(async () => {
  await t.cleanup();
});

describe('one language per notice', () => {
  it('the Spanish notice carries the Spanish impact text, the English one the English text', async () => {
    const w = await call(t.core, 'windows.create', {
      title: 'Upgrade',
      ...SPAN,
      applicationIds: [inv.appBilling, inv.appPortal],
      impact: 'Invoices are read-only.',
      impacts: { es: 'Las facturas serán de solo lectura.' },
    });
    expect(w.impacts).toEqual({ es: 'Las facturas serán de solo lectura.' });
    const es = await preview(w.id, inv.contacts.ana);
    expect(es.text).toContain('Impacto: Las facturas serán de solo lectura.');
    expect(es.text + es.html + es.ics).not.toContain('Invoices');
    const en = await preview(w.id, inv.contacts.carla);
    expect(en.text).toContain('Impact: Invoices are read-only.');
    const a = await call(t.core, 'windows.audience', { id: w.id });
    expect(a.languages).toEqual([
      { language: 'en', customers: 1, hasTemplate: true, hasImpact: true },
      { language: 'es', customers: 1, hasTemplate: true, hasImpact: true },
    ]);
  });

  it('the audience warns about a language without its own impact text, and one without templates', async () => {
    await call(t.core, 'customers.update', { id: inv.madrid, language: 'pt' });
    const w = await call(t.core, 'windows.create', { title: 'Upgrade', ...SPAN, applicationIds: [inv.appBilling, inv.appPortal], impact: 'Invoices are read-only.' });
    const a = await call(t.core, 'windows.audience', { id: w.id });
    expect(a.languages).toEqual([
      { language: 'en', customers: 1, hasTemplate: true, hasImpact: true },
      { language: 'pt', customers: 1, hasTemplate: false, hasImpact: false },
    ]);
    // no impact text at all: nothing is missing
    await call(t.core, 'windows.update', { id: w.id, impact: '' });
    expect((await call(t.core, 'windows.audience', { id: w.id })).languages.map((l) => l.hasImpact)).toEqual([true, true]);
  });
});

describe('who signs', () => {
  it('the sender name and signature come from the SMTP settings, never the operator login', async () => {
    await call(t.core, 'settings.setOperator', { name: 'root' });
    const w = await call(t.core, 'windows.create', { title: 'Upgrade', ...SPAN, applicationIds: [inv.appPortal] });
    await call(t.core, 'smtp.save', { host: 'smtp.test', from: 'ops@example.test', senderName: 'Release desk', signature: 'Operations · +34 900 000 000' });
    const n = await preview(w.id, inv.contacts.carla);
    expect(n.text).toMatch(/Regards,\nRelease desk\nOperations · \+34 900 000 000\n/);
    expect(n.html).toContain('Release desk<br><span style="white-space: pre-line">Operations · +34 900 000 000</span>');
    expect(n.text + n.html).not.toContain('root');
    // without a sender name: the display name of the From address
    await call(t.core, 'smtp.save', { host: 'smtp.test', from: 'Service desk <ops@example.test>', senderName: '', signature: '' });
    expect((await preview(w.id, inv.contacts.carla)).text).toMatch(/Regards,\nService desk\n\n?$/);
  });
});

describe('the "changed" notice', () => {
  it('says the new time in its subject', async () => {
    const w = await call(t.core, 'windows.create', { title: 'Upgrade', ...SPAN, applicationIds: [inv.appBilling, inv.appPortal] });
    await call(t.core, 'windows.update', { id: w.id, start: '2026-04-14T21:30:00Z', end: '2026-04-14T23:00:00Z' });
    expect((await preview(w.id, inv.contacts.carla, 'updated')).subject).toBe('Changed: Upgrade now Tuesday, April 14, 2026 at 5:30 PM EDT');
    expect((await preview(w.id, inv.contacts.ana, 'updated')).subject).toBe('Cambio: Upgrade pasa al martes, 14 de abril de 2026, 23:30 CEST');
  });
});
