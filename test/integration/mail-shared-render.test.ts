/**
 * Messages of one campaign × customer share their stored rendering (outbox_renders); a resend is
 * still byte-identical to the first attempt, whatever changed in between. Templates that use the
 * contact's name in a block keep a full body per message (outbox_bodies).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RenderCache } from '../../electron/core/notices/render.js';
import { saveTemplate } from '../../electron/core/notices/templates.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { announceNow, FAST, icsOf, pointSmtp, seedAudience, waitFor } from '../helpers/mail-fixture.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

let t: TestCore | null = null;
let smtp: TestSmtp | null = null;
afterEach(async () => {
  await t?.cleanup();
  await smtp?.close();
  t = null;
  smtp = null;
});


describe('shared renderings in the ledger', () => {
  it('one stored rendering per customer, no per-message body; a resend after the window changed is the first attempt, byte for byte', async () => {
    smtp = await startSmtp({ behaviour: { rcpt: (a) => (a === 'r1@example.test' ? 550 : null) } });
    t = makeCore();
    const { windowId } = seedAudience(t.core, 5);
    pointSmtp(t.core, smtp.port);
    announceNow(t.core, windowId);
    t.core.services.configure({ notices: FAST });
    t.core.services.notices.start();
    await waitFor(() => smtp!.received.length >= 4, 15_000, '4 messages');
    await t.core.services.notices.idle();
    const db = t.core.db;
    expect((db.prepare('SELECT count(*) AS n FROM outbox_bodies').get() as { n: number }).n).toBe(0);
    const renders = db.prepare('SELECT id FROM outbox_renders').all() as { id: number }[];
    expect(renders).toHaveLength(1);
    expect((db.prepare('SELECT DISTINCT render_id AS r FROM outbox').all() as { r: number }[]).map((r) => r.r)).toEqual([renders[0]!.id]);

    // What went out is what the ledger shows, per recipient (name and address filled in).
    const list = (await call(t!.core, 'outbox.list', { windowId, limit: 100 })).items;
    for (const row of list.filter((r) => r.state === 'sent')) {
      const got = await call(t!.core, 'outbox.get', { id: row.id });
      const raw = smtp.received.find((m) => m.messageId === row.messageId)!.raw;
      expect(icsOf(raw)).toBe(got.ics);
      expect(got.ics).toContain(`mailto:${row.email}`);
      expect(got.html).toContain(row.contactName);
      expect(got.text).toContain(row.contactName);
    }

    const bad = list.find((r) => r.email === 'r1@example.test')!;
    expect(bad.state).toBe('failed');
    const first = await call(t!.core, 'outbox.get', { id: bad.id });
    expect(first.html).toContain('Recipient 1');
    expect(first.ics).toContain('ATTENDEE;CN=Recipient 1;');
    // The window is renamed: a fresh rendering would differ…
    db.prepare("UPDATE windows SET title = 'Renamed window' WHERE id = ?").run(windowId);
    const row = db.prepare('SELECT id, campaign_id, customer_id, customer_name, contact_name, email FROM outbox WHERE id = ?').get(bad.id) as Parameters<RenderCache['render']>[0];
    expect(new RenderCache(t.core).render(row).ics).toContain('Renamed window');
    // …but the resend is the stored message.
    smtp.behaviour.rcpt = () => null;
    expect(await call(t!.core, 'outbox.resend', { ids: [bad.id] })).toEqual({ updated: 1 });
    await waitFor(() => smtp!.received.length >= 5, 15_000, 'the resent message');
    await t.core.services.notices.idle();
    const again = await call(t!.core, 'outbox.get', { id: bad.id });
    expect(again.state).toBe('sent');
    expect({ subject: again.subject, html: again.html, text: again.text, ics: again.ics }).toEqual({ subject: first.subject, html: first.html, text: first.text, ics: first.ics });
    const raw = smtp.received.find((m) => m.messageId === bad.messageId)!.raw;
    expect(icsOf(raw)).toBe(first.ics);
    expect(raw).not.toContain('Renamed');
  });

  it('a template that tests the name keeps a full body per message, and renders it right for each', async () => {
    smtp = await startSmtp();
    t = makeCore();
    const { windowId } = seedAudience(t.core, 3);
    t.core.db.prepare("UPDATE contacts SET name = '' WHERE email = 'r2@example.test'").run();
    pointSmtp(t.core, smtp.port);
    // seedAudience's customer writes Spanish.
    saveTemplate(t.core, { kind: 'announce', language: 'es', subject: 'Aviso {{windowTitle}}', html: '<p>{{#if contactName}}Hola, {{contactName}}{{else}}Hola{{/if}}</p>', text: '{{#if contactName}}Hola, {{contactName}}{{else}}Hola{{/if}}' });
    announceNow(t.core, windowId);
    t.core.services.configure({ notices: FAST });
    t.core.services.notices.start();
    await waitFor(() => smtp!.received.length >= 3, 15_000, '3 messages');
    await t.core.services.notices.idle();
    expect((t.core.db.prepare('SELECT count(*) AS n FROM outbox_bodies').get() as { n: number }).n).toBe(3);
    expect((t.core.db.prepare('SELECT count(*) AS n FROM outbox WHERE render_id IS NOT NULL').get() as { n: number }).n).toBe(0);
    const list = (await call(t!.core, 'outbox.list', { windowId, limit: 100 })).items;
    const texts = new Map<string, string>();
    for (const r of list) texts.set(r.email, (await call(t!.core, 'outbox.get', { id: r.id })).text);
    expect(texts.get('r0@example.test')).toBe('Hola, Recipient 0');
    expect(texts.get('r2@example.test')).toBe('Hola');
  });
});
