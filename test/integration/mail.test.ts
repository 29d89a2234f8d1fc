import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxStatus } from '../../shared/contract/notices.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { closedPort } from '../helpers/net.js';
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

const rows = async (windowId: number) => (await call(t!.core, 'outbox.list', { windowId, limit: 10_000 })).items;


describe('outbox sender against a real SMTP server on loopback', () => {
  it('respects the configured rate (measured at the server) and sends each recipient one message with the invitation', async () => {
    smtp = await startSmtp();
    t = makeCore();
    const { windowId, emails } = seedAudience(t.core, 11);
    pointSmtp(t.core, smtp.port, { ratePerSecond: 5, maxConnections: 2 });
    announceNow(t.core, windowId);
    const progress: unknown[] = [];
    t.core.events.subscribe((e, p) => e === 'outbox.progress' && progress.push(p));
    t.core.services.configure({ notices: FAST });
    t.core.services.notices.start();
    await waitFor(() => smtp!.received.length >= 11, 15_000, '11 messages');
    await t.core.services.notices.idle();
    const times = smtp.received.map((r) => r.at).sort((a, b) => a - b);
    const span = (times[times.length - 1]! - times[0]!) / 1000;
    // 11 messages at 5/s: at least (11 - 1) / 5 = 2 s between the first and the last.
    expect(span).toBeGreaterThanOrEqual(2.0);
    expect(span).toBeLessThan(5);
    const ledger = await rows(windowId);
    expect(ledger.map((r) => r.state)).toEqual(Array(11).fill('sent'));
    expect(new Set(ledger.map((r) => r.email))).toEqual(new Set(emails));
    const counts = smtp.countByMessageId();
    for (const r of ledger) {
      expect(counts.get(r.messageId)).toBe(1);
      expect(r.smtpMessageId).toMatch(/^250/);
      expect(r.sentAt).not.toBeNull();
    }
    const raw = smtp.received[0]!.raw;
    expect(raw).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=REQUEST/i);
    expect(raw).toContain('invite.ics');
    expect(raw).toMatch(/Subject: =\?UTF-8\?|Subject: Mantenimiento programado/);
    // Progress events are coalesced (a few per second); the last one reports the whole campaign sent.
    await waitFor(() => (progress[progress.length - 1] as { sent?: number } | undefined)?.sent === 11, 20_000, 'a final progress event');
    expect(progress[progress.length - 1]).toMatchObject({ windowId, sent: 11, queued: 0, sending: 0, failed: 0, unknown: 0 });
  });

  it('retries temporary (4xx) failures with back-off, then delivers once', async () => {
    smtp = await startSmtp({ behaviour: { rcpt: (_a, n) => (n === 0 ? 451 : null) } });
    t = makeCore();
    const { windowId } = seedAudience(t.core, 3);
    pointSmtp(t.core, smtp.port);
    announceNow(t.core, windowId);
    t.core.services.configure({ notices: FAST });
    t.core.services.notices.start();
    await waitFor(() => smtp!.received.length >= 3, 15_000, '3 messages');
    await t.core.services.notices.idle();
    const ledger = await rows(windowId);
    expect(ledger.every((r) => r.state === 'sent' && r.attempts === 2)).toBe(true);
    expect([...smtp.countByMessageId().values()]).toEqual([1, 1, 1]);
  });

  it('records permanent (5xx) failures and carries on with the others', async () => {
    smtp = await startSmtp({ behaviour: { rcpt: (a) => (a === 'r1@example.test' ? 550 : null) } });
    t = makeCore();
    const { windowId } = seedAudience(t.core, 3);
    pointSmtp(t.core, smtp.port);
    announceNow(t.core, windowId);
    t.core.services.configure({ notices: FAST });
    t.core.services.notices.start();
    await waitFor(() => smtp!.received.length >= 2, 15_000, '2 messages');
    await t.core.services.notices.idle();
    const ledger = await rows(windowId);
    const bad = ledger.find((r) => r.email === 'r1@example.test')!;
    expect(bad.state).toBe('failed');
    expect(bad.attempts).toBe(1);
    expect(bad.lastError).toContain('550');
    expect(ledger.filter((r) => r.state === 'sent')).toHaveLength(2);
    const failedOnly = await call(t!.core, 'outbox.list', { windowId, state: 'failed' });
    expect(failedOnly.total).toBe(1);
    expect(failedOnly.counts).toMatchObject({ failed: 1, sent: 2 });
    // The operator fixes the address server-side and resends: it goes out.
    smtp.behaviour.rcpt = () => null;
    expect(await call(t!.core, 'outbox.resend', { ids: [bad.id] })).toEqual({ updated: 1 });
    await waitFor(() => smtp!.received.length >= 3, 15_000, 'the resent message');
    await t.core.services.notices.idle();
    expect((await call(t!.core, 'outbox.get', { id: bad.id })).state).toBe('sent');
  });

  it('waits while SMTP is down, says so, and sends when the server answers again', async () => {
    const port = await closedPort();
    t = makeCore();
    const { windowId } = seedAudience(t.core, 4);
    pointSmtp(t.core, port);
    announceNow(t.core, windowId);
    const statuses: OutboxStatus[] = [];
    t.core.events.subscribe((e, p) => e === 'outbox.status' && statuses.push(p as OutboxStatus));
    t.core.services.configure({ notices: FAST });
    t.core.services.notices.start();
    await waitFor(() => statuses.some((s) => !s.online), 10_000, 'an offline status');
    const off = await call(t!.core, 'outbox.status', {});
    expect(off.online).toBe(false);
    expect(off.lastError).toMatch(/unreachable/i);
    expect(off.pending).toBe(4);
    expect((await rows(windowId)).every((r) => r.state === 'queued' && r.attempts === 0)).toBe(true);
    // The server comes back on the same port.
    smtp = await startSmtp({ port });
    await waitFor(() => smtp!.received.length >= 4, 15_000, '4 messages after reconnect');
    await t.core.services.notices.idle();
    expect((await rows(windowId)).every((r) => r.state === 'sent')).toBe(true);
    expect((await call(t!.core, 'outbox.status', {})).online).toBe(true);
    expect(statuses[statuses.length - 1]!.online).toBe(true);
    expect([...smtp.countByMessageId().values()].every((n) => n === 1)).toBe(true);
  });

  it('turns rows caught in "sending" into "unknown" at start-up; the operator resends or marks them sent (audited)', async () => {
    smtp = await startSmtp();
    t = makeCore();
    const { windowId } = seedAudience(t.core, 4);
    pointSmtp(t.core, smtp.port);
    announceNow(t.core, windowId);
    // Materialise without sending, then fake a crash mid-send on two rows.
    const { materialiseDue } = await import('../../electron/core/notices/materialise.js');
    materialiseDue(t.core);
    const ids = (t.core.db.prepare('SELECT id FROM outbox ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    t.core.db.prepare("UPDATE outbox SET state = 'sending', attempts = 1 WHERE id IN (?, ?)").run(ids[0], ids[1]);
    t.core.services.configure({ notices: FAST });
    t.core.services.notices.start();
    await waitFor(() => smtp!.received.length >= 2, 15_000, 'the 2 untouched rows');
    await t.core.services.notices.idle();
    let ledger = await rows(windowId);
    expect(ledger.filter((r) => r.state === 'unknown').map((r) => r.id)).toEqual([ids[0], ids[1]]);
    expect(smtp.received).toHaveLength(2);
    expect((await call(t!.core, 'outbox.status', {})).unknown).toBe(2);
    // Only unknown rows can be marked sent; a note is required.
    await fails(t.core, 'outbox.markSent', { ids: [ids[2]], note: 'x' });
    await fails(t.core, 'outbox.markSent', { ids: [ids[0]], note: '' });
    expect(await call(t!.core, 'outbox.markSent', { ids: [ids[0]!], note: 'the recipient confirmed it arrived' })).toEqual({ updated: 1 });
    expect(await call(t!.core, 'outbox.resend', { ids: [ids[1]!] })).toEqual({ updated: 1 });
    await waitFor(() => smtp!.received.length >= 3, 15_000, 'the resent row');
    await t.core.services.notices.idle();
    ledger = await rows(windowId);
    expect(ledger.every((r) => r.state === 'sent')).toBe(true);
    const marked = ledger.find((r) => r.id === ids[0])!;
    expect(marked.note).toContain('the recipient confirmed it arrived');
    expect(smtp.countByMessageId().get(marked.messageId)).toBeUndefined();
    const resent = ledger.find((r) => r.id === ids[1])!;
    expect(smtp.countByMessageId().get(resent.messageId)).toBe(1);
    const audit = await call(t!.core, 'audit.list', { entity: 'outbox' });
    expect(audit.items.map((a) => a.action).sort()).toEqual(['markSent', 'recover:unknown', 'resend']);
  });

  it('SMTP settings keep the password in the secret store; "Send test" and the notice test-send deliver', async () => {
    smtp = await startSmtp({ user: 'desk', pass: 's3cret' });
    t = makeCore();
    const { windowId } = seedAudience(t.core, 1);
    const saved = await call(t!.core, 'smtp.save', {
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      user: 'desk',
      password: 's3cret',
      from: 'Desk <desk@puesta.test>',
      ratePerSecond: 10,
      maxConnections: 1,
    });
    expect(saved).toMatchObject({ hasPassword: true, configured: true });
    expect(JSON.stringify(saved)).not.toContain('s3cret');
    expect(JSON.stringify(await call(t!.core, 'smtp.get', {}))).not.toContain('s3cret');
    expect(t.core.secrets.get('smtp.password')).toBe('s3cret');
    const r = await call(t!.core, 'smtp.test', { to: 'me@puesta.test' });
    expect(r.response).toMatch(/^250/);
    const tsend = await call(t!.core, 'notices.testSend', { windowId, kind: 'announce' });
    expect(tsend.to).toBe('desk@puesta.test');
    expect(smtp.received.map((m) => m.to[0])).toEqual(['me@puesta.test', 'desk@puesta.test']);
    expect(smtp.received[1]!.raw).toContain('invite.ics');
    expect(smtp.received[1]!.raw).toMatch(/Subject: (\[TEST\]|=\?UTF-8)/);
    // A wrong password is reported as an SMTP error that says what to check.
    await call(t!.core, 'smtp.save', { host: '127.0.0.1', port: smtp.port, user: 'desk', password: 'wrong', from: 'Desk <desk@puesta.test>' });
    expect((await fails(t.core, 'smtp.test', { to: 'me@puesta.test' })).code).toBe('SMTP_ERROR');
    // Forgetting the password.
    expect(await call(t!.core, 'smtp.save', { host: '127.0.0.1', port: smtp.port, user: 'desk', password: null, from: 'Desk <desk@puesta.test>' })).toMatchObject({ hasPassword: false });
  });

  it('sends the notices tied to the window state: started, extended (higher SEQUENCE), completed; cancel sends METHOD:CANCEL', async () => {
    smtp = await startSmtp();
    t = makeCore();
    const { windowId } = seedAudience(t.core, 2);
    pointSmtp(t.core, smtp.port);
    t.core.services.configure({ notices: FAST });
    t.core.services.notices.start();
    const subjects = () => smtp!.received.map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1] ?? '');
    await call(t!.core, 'windows.transition', { id: windowId, to: 'announced' });
    await waitFor(() => smtp!.received.length >= 2, 15_000, 'the announcement');
    await call(t!.core, 'windows.transition', { id: windowId, to: 'in_progress' });
    await waitFor(() => smtp!.received.length >= 4, 15_000, 'the started notice');
    const w = await call(t!.core, 'windows.get', { id: windowId });
    const newEnd = new Date(Date.parse(w.end) + 3_600_000).toISOString();
    await call(t!.core, 'windows.transition', { id: windowId, to: 'extended', newEnd });
    await waitFor(() => smtp!.received.length >= 6, 15_000, 'the extended notice');
    await call(t!.core, 'windows.transition', { id: windowId, to: 'done' });
    await waitFor(() => smtp!.received.length >= 8, 15_000, 'the completed notice');
    await t.core.services.notices.idle();
    const raw = smtp.received.map((m) => icsOf(m.raw));
    expect(raw.slice(0, 2).every((r) => /SEQUENCE:0/.test(r))).toBe(true);
    expect(raw.slice(4, 6).every((r) => /SEQUENCE:1/.test(r) && r.includes('METHOD:REQUEST'))).toBe(true);
    expect(subjects().length).toBe(8);
    const campaigns = await call(t!.core, 'notices.campaigns', { windowId });
    expect(campaigns.items.filter((c) => c.counts.sent === 2).map((c) => c.kind)).toEqual(['announce', 'started', 'extended', 'completed']);
    // Reminders scheduled for later were stopped when the window started.
    expect(campaigns.items.filter((c) => c.kind === 'reminder').every((c) => c.state === 'cancelled')).toBe(true);

    // Another window, announced then cancelled: its audience gets METHOD:CANCEL with the same UID.
    const other = seedAudience(t.core, 1, { prefix: 'x' });
    await call(t!.core, 'windows.transition', { id: other.windowId, to: 'announced' });
    await waitFor(() => smtp!.received.length >= 9, 15_000, 'the second announcement');
    await call(t!.core, 'windows.transition', { id: other.windowId, to: 'cancelled' });
    await waitFor(() => smtp!.received.length >= 10, 15_000, 'the cancellation');
    expect(smtp.received[9]!.raw).toMatch(/method=CANCEL/i);
    const cancel = icsOf(smtp.received[9]!.raw);
    expect(cancel).toContain('METHOD:CANCEL');
    expect(cancel).toContain('STATUS:CANCELLED');
    expect(cancel).toContain(`UID:window-${other.windowId}@puesta`);
  });

  it('sends a scheduled notice when it is due, not before', async () => {
    smtp = await startSmtp();
    t = makeCore();
    const { windowId } = seedAudience(t.core, 2);
    pointSmtp(t.core, smtp.port);
    const { addCampaign } = await import('../../electron/core/notices/campaigns.js');
    const due = Date.now() + 1500;
    addCampaign(t.core, windowId, 'reminder', new Date(due).toISOString(), 24);
    t.core.services.configure({ notices: { ...FAST, idleMs: 2000 } });
    t.core.services.notices.start();
    await new Promise((r) => setTimeout(r, 700));
    expect(smtp.received).toHaveLength(0);
    expect((await call(t!.core, 'notices.campaigns', { windowId })).items[0]!.state).toBe('scheduled');
    await waitFor(() => smtp!.received.length >= 2, 10_000, 'the reminder');
    expect(Math.min(...smtp.received.map((m) => m.at))).toBeGreaterThanOrEqual(due);
    // On time: well within a second of its due time.
    expect(Math.max(...smtp.received.map((m) => m.at)) - due).toBeLessThan(1000);
    expect(smtp.received[0]!.raw).toMatch(/Subject: (Recordatorio|=\?UTF-8)/);
  });
});
