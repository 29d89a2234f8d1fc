import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { materialiseDue } from '../../electron/core/notices/materialise.js';
import { fold } from '../../electron/core/notices/ics.js';
import { withinAllowedHours } from '../../electron/core/windows/conflicts.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { seedSmallInventory, type SmallInventory } from '../helpers/windows-fixture.js';

let t: TestCore;
let inv: SmallInventory;


// Across the spring DST change in Madrid (Sunday 29 March 2026, 02:00 CET → 03:00 CEST).
const SPRING = { start: '2026-03-29T00:30:00Z', end: '2026-03-29T03:30:00Z' };
// Across the autumn change (Sunday 25 October 2026, 03:00 CEST → 02:00 CET).
const AUTUMN = { start: '2026-10-25T00:30:00Z', end: '2026-10-25T02:30:00Z' };

beforeEach(() => {
  t = makeCore();
  inv = seedSmallInventory(t.core);
});
afterEach(async () => {
  await t.cleanup();
});

describe('windows', () => {
  it('creates, lists by time range and updates, bumping SEQUENCE only when title/start/end change', async () => {
    const w = await call(t.core, 'windows.create', { title: 'DB upgrade', ...SPRING, applicationIds: [inv.appBilling], serverIds: [] });
    expect(w.state).toBe('draft');
    expect(w.start).toBe('2026-03-29T00:30:00.000Z');
    expect(w.uid).toBe(`window-${w.id}@puesta`);
    await call(t.core, 'windows.create', { title: 'Later', start: '2026-05-01T10:00:00Z', end: '2026-05-01T11:00:00Z' });
    const march = await call(t.core, 'windows.list', { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' });
    expect(march.items.map((x) => x.title)).toEqual(['DB upgrade']);
    expect((await call(t.core, 'windows.list', { query: 'late' })).total).toBe(1);
    const u1 = await call(t.core, 'windows.update', { id: w.id, impact: 'read-only' });
    expect(u1.sequence).toBe(0);
    const u2 = await call(t.core, 'windows.update', { id: w.id, start: '2026-03-29T00:00:00+00:00' });
    expect(u2.sequence).toBe(1);
    expect((await fails(t.core, 'windows.update', { id: w.id, end: '2026-03-28T00:00:00Z' })).code).toBe('INVALID_INPUT');
    expect((await fails(t.core, 'windows.create', { title: 'x', start: SPRING.end, end: SPRING.start })).code).toBe('INVALID_INPUT');
  });

  it('refuses impossible transitions and needs a later end to extend', async () => {
    const w = await call(t.core, 'windows.create', { title: 'W', ...SPRING, applicationIds: [inv.appBilling] });
    expect((await fails(t.core, 'windows.transition', { id: w.id, to: 'done' })).code).toBe('PRECONDITION_FAILED');
    await call(t.core, 'windows.transition', { id: w.id, to: 'in_progress', notify: false });
    expect((await fails(t.core, 'windows.transition', { id: w.id, to: 'extended' })).code).toBe('INVALID_INPUT');
    expect((await fails(t.core, 'windows.transition', { id: w.id, to: 'extended', newEnd: SPRING.start })).code).toBe('INVALID_INPUT');
    const ext = await call(t.core, 'windows.transition', { id: w.id, to: 'extended', newEnd: '2026-03-29T05:00:00Z', notify: false });
    expect(ext.state).toBe('extended');
    expect(ext.end).toBe('2026-03-29T05:00:00.000Z');
    expect(ext.sequence).toBe(1);
    const done = await call(t.core, 'windows.transition', { id: w.id, to: 'done', notify: false });
    expect(done.state).toBe('done');
    expect((await fails(t.core, 'windows.update', { id: w.id, title: 'again' })).code).toBe('PRECONDITION_FAILED');
  });
});

describe('audience', () => {
  it('walks applications (named or placed on touched servers) → contracts in force → contacts, excluding opted-out', async () => {
    const w = await call(t.core, 'windows.create', { title: 'W', ...SPRING, applicationIds: [inv.appBilling], serverIds: [] });
    let a = await call(t.core, 'windows.audience', { id: w.id });
    // billing: Acme (active) — Globex's C-OLD is terminated and long expired.
    expect(a.customers.map((c) => c.name)).toEqual(['Acme Madrid']);
    expect(a.customers[0]!.contacts.map((c) => c.email)).toEqual(['ana@acme.test', 'bob@acme.test']);
    expect(a.customers[0]!.excludedOptedOut).toBe(1);
    expect(a.total).toBe(2);
    expect(a.excludedOptedOut).toBe(1);
    // Touching srv-b brings portal (Globex) in.
    await call(t.core, 'windows.update', { id: w.id, serverIds: [inv.srvB] });
    a = await call(t.core, 'windows.audience', { id: w.id });
    expect(a.customers.map((c) => [c.name, c.contactCount])).toEqual([
      ['Acme Madrid', 2],
      ['Globex NY', 2],
    ]);
    expect(a.total).toBe(4);
    const counts = await call(t.core, 'windows.audience', { id: w.id, includeContacts: false });
    expect(counts.total).toBe(4);
    expect(counts.customers.every((c) => c.contacts.length === 0)).toBe(true);
  });

  it('ignores contracts not in force during the window (ended past their grace, suspended)', async () => {
    // A window in 2028: both contracts end 2027-12-31 with 15 grace days.
    const w = await call(t.core, 'windows.create', { title: 'W', start: '2028-03-01T10:00:00Z', end: '2028-03-01T11:00:00Z', applicationIds: [inv.appBilling, inv.appPortal] });
    expect((await call(t.core, 'windows.audience', { id: w.id })).total).toBe(0);
    const inGrace = await call(t.core, 'windows.create', { title: 'G', start: '2028-01-10T10:00:00Z', end: '2028-01-10T11:00:00Z', applicationIds: [inv.appBilling] });
    expect((await call(t.core, 'windows.audience', { id: inGrace.id })).total).toBe(2);
    await call(t.core, 'contracts.update', { id: inv.contracts.madrid, state: 'suspended' });
    expect((await call(t.core, 'windows.audience', { id: inGrace.id })).total).toBe(0);
  });
});

describe('rendering across DST, two zones', () => {
  it('spring forward: Madrid sees CET→CEST, New York sees EDT (its change was weeks before)', async () => {
    const w = await call(t.core, 'windows.create', { title: 'DB upgrade', ...SPRING, applicationIds: [inv.appBilling, inv.appPortal], impact: 'Portal <read-only> & slow' });
    const es = await call(t.core, 'notices.preview', { windowId: w.id, kind: 'announce', contactId: inv.contacts.ana });
    expect(es.language).toBe('es');
    expect(es.timezone).toBe('Europe/Madrid');
    expect(es.text).toContain('Inicio: domingo, 29 de marzo de 2026, 1:30 CET');
    expect(es.text).toContain('Fin: domingo, 29 de marzo de 2026, 5:30 CEST');
    expect(es.subject).toBe('Mantenimiento programado: DB upgrade el domingo, 29 de marzo de 2026');
    const en = await call(t.core, 'notices.preview', { windowId: w.id, kind: 'announce', contactId: inv.contacts.carla });
    expect(en.text).toContain('Start: Saturday, March 28, 2026 at 8:30 PM EDT');
    expect(en.text).toContain('End: Saturday, March 28, 2026 at 11:30 PM EDT');
    expect(en.text).toContain('Hello Carla,');
    expect(en.text).toContain('Services affected: billing, portal');
    // HTML escapes values; the text body keeps them as typed.
    expect(en.html).toContain('Portal &lt;read-only&gt; &amp; slow');
    expect(en.text).toContain('Portal <read-only> & slow');
  });

  it('fall back: the Madrid window ends at 3:30 CET although it lasts 2 h from 2:30 CEST', async () => {
    const w = await call(t.core, 'windows.create', { title: 'Kernel', ...AUTUMN, applicationIds: [inv.appBilling, inv.appPortal] });
    const es = await call(t.core, 'notices.preview', { windowId: w.id, kind: 'reminder', contactId: inv.contacts.bob });
    expect(es.text).toContain('2:30 CEST');
    expect(es.text).toContain('3:30 CET');
    const en = await call(t.core, 'notices.preview', { windowId: w.id, kind: 'reminder', contactId: inv.contacts.dan });
    expect(en.text).toContain('Saturday, October 24, 2026 at 8:30 PM EDT');
    expect(en.text).toContain('10:30 PM EDT');
  });
});

describe('ICS', () => {
  it('keeps the UID, raises SEQUENCE on change, cancels with METHOD:CANCEL', async () => {
    const w = await call(t.core, 'windows.create', { title: 'Títle; with, commas and a long long long long long long long long name', ...SPRING, applicationIds: [inv.appBilling] });
    const p1 = await call(t.core, 'notices.preview', { windowId: w.id, kind: 'announce', contactId: inv.contacts.ana });
    expect(p1.icsMethod).toBe('REQUEST');
    expect(p1.ics).toContain(`UID:window-${w.id}@puesta\r\n`);
    expect(p1.ics).toContain('METHOD:REQUEST\r\n');
    expect(p1.ics).toContain('SEQUENCE:0\r\n');
    expect(p1.ics).toContain('DTSTART:20260329T003000Z\r\n');
    expect(p1.ics).toContain('DTEND:20260329T033000Z\r\n');
    expect(p1.ics).toContain('STATUS:CONFIRMED');
    expect(p1.ics).toContain('ATTENDEE;CN=Ana;');
    // Folded at 75 octets with CRLF + space; unfolding restores the escaped SUMMARY.
    for (const line of p1.ics.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    const unfolded = p1.ics.replace(/\r\n /g, '');
    expect(unfolded).toContain('SUMMARY:Títle\\; with\\, commas and a long');
    expect(p1.ics.endsWith('END:VCALENDAR\r\n')).toBe(true);

    await call(t.core, 'windows.update', { id: w.id, end: '2026-03-29T04:00:00Z' });
    const p2 = await call(t.core, 'notices.preview', { windowId: w.id, kind: 'updated', contactId: inv.contacts.ana });
    expect(p2.ics).toContain(`UID:window-${w.id}@puesta\r\n`);
    expect(p2.ics).toContain('SEQUENCE:1\r\n');
    expect(p2.ics).toContain('DTEND:20260329T040000Z');
    const p3 = await call(t.core, 'notices.preview', { windowId: w.id, kind: 'cancelled', contactId: inv.contacts.ana });
    expect(p3.icsMethod).toBe('CANCEL');
    expect(p3.ics).toContain('METHOD:CANCEL\r\n');
    expect(p3.ics).toContain('STATUS:CANCELLED\r\n');
    expect(p3.ics).toContain(`UID:window-${w.id}@puesta\r\n`);
  });

  it('folds multi-byte text without splitting a character', () => {
    const line = 'DESCRIPTION:' + 'ñ'.repeat(100);
    const folded = fold(line);
    for (const l of folded.split('\r\n')) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
    expect(folded.replace(/\r\n /g, '')).toBe(line);
    const ascii = 'DESCRIPTION:' + 'abc, '.repeat(60);
    const f2 = fold(ascii);
    expect(f2.split('\r\n').map((l) => Buffer.byteLength(l))).toEqual([75, 75, 75, 75, 16]);
    expect(f2.replace(/\r\n /g, '')).toBe(ascii);
    expect(fold('SHORT:x')).toBe('SHORT:x');
  });
});

describe('conflicts', () => {
  it('flags the same server and the same customer in overlapping windows', async () => {
    const a = await call(t.core, 'windows.create', { title: 'A', ...SPRING, serverIds: [inv.srvA] });
    // B names billing, which is placed on srv-a → same server; Acme has billing → same customer.
    const b = await call(t.core, 'windows.create', { title: 'B', start: '2026-03-29T02:00:00Z', end: '2026-03-29T06:00:00Z', applicationIds: [inv.appBilling] });
    const c = await call(t.core, 'windows.conflicts', { id: b.id });
    const kinds = c.items.map((x) => x.kind).sort();
    expect(kinds).toEqual(['customer_overlap', 'server_overlap']);
    expect(c.items.find((x) => x.kind === 'server_overlap')!).toMatchObject({ otherWindowId: a.id, serverId: inv.srvA });
    expect(c.items.find((x) => x.kind === 'customer_overlap')!).toMatchObject({ otherWindowId: a.id, customerId: inv.madrid });
    // A draft that does not overlap in time has none; a cancelled window no longer counts.
    const later = await call(t.core, 'windows.conflicts', { start: '2026-03-29T06:00:00Z', end: '2026-03-29T07:00:00Z', applicationIds: [inv.appBilling] });
    expect(later.items).toEqual([]);
    await call(t.core, 'windows.transition', { id: a.id, to: 'cancelled' });
    expect((await call(t.core, 'windows.conflicts', { id: b.id })).items).toEqual([]);
  });

  it('checks contract hours in the customer zone, DST included', async () => {
    // Acme allows Sat/Sun 00:00–06:00 Madrid time.
    await call(t.core, 'contracts.update', { id: inv.contracts.madrid, allowedHours: { days: [6, 7], from: '00:00', to: '06:00' } });
    // 00:30Z–03:30Z on 29 March = 01:30 CET – 05:30 CEST: inside.
    expect((await call(t.core, 'windows.conflicts', { ...SPRING, applicationIds: [inv.appBilling] })).items).toEqual([]);
    // 04:00Z–05:00Z = 06:00–07:00 CEST (it would be 05:00–06:00 if the DST change were ignored): outside.
    const late = await call(t.core, 'windows.conflicts', { start: '2026-03-29T04:00:00Z', end: '2026-03-29T05:00:00Z', applicationIds: [inv.appBilling] });
    expect(late.items.map((x) => x.kind)).toEqual(['outside_contract_hours']);
    expect(late.items[0]!.contractId).toBe(inv.contracts.madrid);
    // A Monday.
    const monday = await call(t.core, 'windows.conflicts', { start: '2026-03-30T01:00:00Z', end: '2026-03-30T02:00:00Z', applicationIds: [inv.appBilling] });
    expect(monday.items.map((x) => x.kind)).toEqual(['outside_contract_hours']);
    expect(withinAllowedHours('2026-03-28T23:30:00Z', '2026-03-29T01:00:00Z', 'Europe/Madrid', [{ days: [6, 7], from: '00:00', to: '24:00' }])).toBe(true);
    expect(withinAllowedHours('2026-03-27T22:30:00Z', '2026-03-28T01:00:00Z', 'Europe/Madrid', [{ days: [6, 7], from: '00:00', to: '24:00' }])).toBe(false);
  });

  it('flags blackout dates and contracts expiring inside the window', async () => {
    const b = await call(t.core, 'blackouts.create', { startDate: '2026-12-20', endDate: '2027-01-06', reason: 'year-end freeze', timezone: 'Europe/Madrid' });
    const inFreeze = await call(t.core, 'windows.conflicts', { start: '2026-12-19T23:30:00Z', end: '2026-12-20T01:00:00Z', serverIds: [inv.srvA] });
    expect(inFreeze.items).toEqual([expect.objectContaining({ kind: 'blackout', blackoutId: b.id })]);
    // 22:00Z on the 19th is 23:00 in Madrid: still the 19th, no blackout.
    const before = await call(t.core, 'windows.conflicts', { start: '2026-12-19T21:00:00Z', end: '2026-12-19T22:30:00Z', serverIds: [inv.srvA] });
    expect(before.items).toEqual([]);
    expect((await call(t.core, 'blackouts.list', {})).items).toHaveLength(1);
    await call(t.core, 'blackouts.delete', { id: b.id });
    expect((await call(t.core, 'blackouts.list', {})).items).toHaveLength(0);

    // C-NY ends 2027-12-31 (New York); a window across midnight NY time that night.
    const exp = await call(t.core, 'windows.conflicts', { start: '2028-01-01T04:00:00Z', end: '2028-01-01T06:00:00Z', applicationIds: [inv.appPortal] });
    expect(exp.items).toEqual([expect.objectContaining({ kind: 'contract_expires', contractId: inv.contracts.newYork })]);
  });
});

describe('conflict counts', () => {
  it('answer, for many windows in one call, the length of each window\'s conflicts', async () => {
    await call(t.core, 'contracts.update', { id: inv.contracts.madrid, allowedHours: { days: [6, 7], from: '00:00', to: '06:00' } });
    await call(t.core, 'blackouts.create', { startDate: '2026-03-30', endDate: '2026-03-31', reason: 'freeze', timezone: 'Europe/Madrid' });
    const scopes = [
      { applicationIds: [inv.appBilling], serverIds: [] },
      { applicationIds: [], serverIds: [inv.srvA] },
      { applicationIds: [inv.appPortal], serverIds: [] },
      { applicationIds: [], serverIds: [inv.srvB] },
      { applicationIds: [inv.appOther, inv.appBilling], serverIds: [] },
      { applicationIds: [], serverIds: [] },
    ];
    // 36 windows over three days around the spring DST change and a blackout, overlapping in many ways.
    const ids: number[] = [];
    for (let i = 0; i < 36; i++) {
      const start = Date.parse('2026-03-28T20:00:00Z') + ((i * 7) % 60) * 3_600_000;
      const w = await call(t.core, 'windows.create', {
        title: `W${i}`,
        start: new Date(start).toISOString(),
        end: new Date(start + (1 + (i % 5)) * 3_600_000).toISOString(),
        ...scopes[i % scopes.length]!,
      });
      ids.push(w.id);
    }
    // Cancelled and done windows still get their own count but no longer clash with others.
    await call(t.core, 'windows.transition', { id: ids[3]!, to: 'cancelled' });
    await call(t.core, 'windows.transition', { id: ids[10]!, to: 'in_progress', notify: false });
    await call(t.core, 'windows.transition', { id: ids[10]!, to: 'done', notify: false });
    // A window near C-NY's expiry (2027-12-31 in New York).
    const exp = await call(t.core, 'windows.create', { title: 'expiry', start: '2028-01-01T04:00:00Z', end: '2028-01-01T06:00:00Z', applicationIds: [inv.appPortal] });
    ids.push(exp.id);

    const { items } = await call(t.core, 'windows.conflictCounts', { ids });
    const expected = [];
    for (const id of ids) expected.push({ id, count: (await call(t.core, 'windows.conflicts', { id })).items.length });
    expect(items).toEqual(expected);
    // The inventory gives every kind of clash somewhere, so the comparison means something.
    const kinds = new Set<string>();
    for (const id of ids) for (const c of (await call(t.core, 'windows.conflicts', { id })).items) kinds.add(c.kind);
    expect([...kinds].sort()).toEqual(['blackout', 'contract_expires', 'customer_overlap', 'outside_contract_hours', 'server_overlap']);
    expect(items.some((x) => x.count === 0)).toBe(true);

    expect((await call(t.core, 'windows.conflictCounts', { ids: [] })).items).toEqual([]);
    expect((await fails(t.core, 'windows.conflictCounts', { ids: [ids[0]!, 999_999] })).code).toBe('NOT_FOUND');
  });
});

describe('templates and campaigns', () => {
  it('saves edited templates only when they render, and can reset them', async () => {
    const bad = await fails(t.core, 'notices.templates.save', { kind: 'announce', language: 'en', subject: '{{windowTitel}}', html: '<p>x</p>', text: 'x' });
    expect(bad.code).toBe('INVALID_INPUT');
    const saved = await call(t.core, 'notices.templates.save', { kind: 'announce', language: 'en', subject: 'Heads-up: {{windowTitle}}', html: '<p>{{contactName}}</p>', text: 'Hi {{contactName}}' });
    expect(saved.builtIn).toBe(false);
    const w = await call(t.core, 'windows.create', { title: 'W', ...SPRING, applicationIds: [inv.appPortal] });
    const p = await call(t.core, 'notices.preview', { windowId: w.id, kind: 'announce' });
    expect(p.subject).toBe('Heads-up: W');
    expect(p.text).toBe('Hi Carla');
    const list = await call(t.core, 'notices.templates.list', {});
    expect(list.items.filter((x) => x.language === 'es')).toHaveLength(7);
    const reset = await call(t.core, 'notices.templates.reset', { kind: 'announce', language: 'en' });
    expect(reset.builtIn).toBe(true);
    expect(reset.subject).toContain('Planned maintenance');
  });

  it('schedules announce + future reminders, materialises once per recipient, and ties notices to state changes', async () => {
    const start = new Date(Date.now() + 30 * 3_600_000).toISOString();
    const end = new Date(Date.now() + 32 * 3_600_000).toISOString();
    const w = await call(t.core, 'windows.create', { title: 'W', start, end, applicationIds: [inv.appBilling, inv.appPortal] });
    const s = await call(t.core, 'notices.schedule', { windowId: w.id, reminders: [72, 24, 1] });
    // 72 h before is already past: skipped.
    expect(s.items.map((c) => [c.kind, c.offsetHours])).toEqual([
      ['announce', null],
      ['reminder', 24],
      ['reminder', 1],
    ]);
    expect((await call(t.core, 'windows.get', { id: w.id })).state).toBe('announced');
    // Materialising twice writes each recipient once.
    materialiseDue(t.core);
    materialiseDue(t.core);
    const ob = await call(t.core, 'outbox.list', { windowId: w.id });
    expect(ob.total).toBe(4);
    expect(ob.counts.queued).toBe(4);
    // Moving the start moves the pending reminders and queues an "updated" notice.
    const newStart = new Date(Date.parse(start) + 3_600_000).toISOString();
    await call(t.core, 'windows.update', { id: w.id, start: newStart });
    const cs = await call(t.core, 'notices.campaigns', { windowId: w.id });
    expect(cs.items.find((c) => c.offsetHours === 24)!.scheduledAt).toBe(new Date(Date.parse(newStart) - 24 * 3_600_000).toISOString());
    expect(cs.items.some((c) => c.kind === 'updated')).toBe(true);
    // Cancelling stops what is pending and tells those who were told.
    await call(t.core, 'windows.transition', { id: w.id, to: 'cancelled' });
    const after = await call(t.core, 'notices.campaigns', { windowId: w.id });
    expect(after.items.filter((c) => c.kind === 'reminder').every((c) => c.state === 'cancelled')).toBe(true);
    expect(after.items.filter((c) => c.kind === 'cancelled')).toHaveLength(1);
    expect((await fails(t.core, 'windows.delete', { id: w.id })).code).toBe('PRECONDITION_FAILED');
  });
});

describe('ledger rows', () => {
  it('carry the recipient subject from the start and render the full message on demand', async () => {
    const w = await call(t.core, 'windows.create', { title: 'Ledger', ...SPRING, applicationIds: [inv.appBilling] });
    await call(t.core, 'notices.schedule', { windowId: w.id, reminders: [] });
    materialiseDue(t.core);
    const list = await call(t.core, 'outbox.list', { windowId: w.id });
    expect(list.items.map((r) => r.email)).toEqual(['ana@acme.test', 'bob@acme.test']);
    expect(list.items[0]!.subject).toBe('Mantenimiento programado: Ledger el domingo, 29 de marzo de 2026');
    const one = await call(t.core, 'outbox.get', { id: list.items[0]!.id });
    expect(one.state).toBe('queued');
    expect(one.html).toContain('Hola, Ana:');
    expect(one.ics).toContain(`UID:window-${w.id}@puesta`);
  });
});
