/** The per-recipient ledger: listing, resend of failed/unknown rows, and "mark sent" for unknown ones. */
import type { z } from 'zod';
import type { OutboxListInput, OutboxRow } from '../../../shared/contract/windows.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { RenderCache, storedMessage, type StoredMessageRow } from './campaigns.js';

type Row = Record<string, unknown>;

const SELECT = `SELECT o.id, o.campaign_id, c.window_id, c.kind, o.contact_id, o.customer_id, o.customer_name, o.contact_name, o.email, o.subject, o.state,
  o.attempts, o.last_error, o.next_attempt_at, o.message_id, o.smtp_message_id, o.sent_at, o.note, o.updated_at
  FROM outbox o JOIN campaigns c ON c.id = o.campaign_id`;

function fromRow(r: Row): OutboxRow {
  return {
    id: r.id as number,
    campaignId: r.campaign_id as number,
    windowId: r.window_id as number,
    kind: r.kind as OutboxRow['kind'],
    contactId: (r.contact_id as number | null) ?? null,
    customerName: r.customer_name as string,
    contactName: r.contact_name as string,
    email: r.email as string,
    subject: r.subject as string,
    state: r.state as OutboxRow['state'],
    attempts: r.attempts as number,
    lastError: (r.last_error as string | null) ?? null,
    nextAttemptAt: r.state === 'queued' ? (r.next_attempt_at as string) : null,
    messageId: r.message_id as string,
    smtpMessageId: (r.smtp_message_id as string | null) ?? null,
    sentAt: (r.sent_at as string | null) ?? null,
    note: (r.note as string | null) ?? null,
    updatedAt: r.updated_at as string,
  };
}

export function listOutbox(core: Core, p: z.output<typeof OutboxListInput>) {
  const where: string[] = [];
  const args: unknown[] = [];
  if (p.campaignId) {
    where.push('o.campaign_id = ?');
    args.push(p.campaignId);
  }
  if (p.windowId) {
    where.push('c.window_id = ?');
    args.push(p.windowId);
  }
  if (p.query?.trim()) {
    const like = '%' + p.query.trim().replace(/[\\%_]/g, (ch) => '\\' + ch) + '%';
    where.push("(o.email LIKE ? ESCAPE '\\' OR o.contact_name LIKE ? ESCAPE '\\' OR o.customer_name LIKE ? ESCAPE '\\')");
    args.push(like, like, like);
  }
  const base = where.length ? ' WHERE ' + where.join(' AND ') : '';
  const counts = { queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0, total: 0 };
  for (const r of core.db.prepare(`SELECT o.state, count(*) AS n FROM outbox o JOIN campaigns c ON c.id = o.campaign_id${base} GROUP BY o.state`).all(...args) as {
    state: keyof typeof counts;
    n: number;
  }[]) {
    counts[r.state] = r.n;
    counts.total += r.n;
  }
  const w = p.state ? (base ? `${base} AND o.state = ?` : ' WHERE o.state = ?') : base;
  const wargs = p.state ? [...args, p.state] : args;
  const total = p.state ? counts[p.state] : counts.total;
  const rows = core.db.prepare(`${SELECT}${w} ORDER BY o.id LIMIT ? OFFSET ?`).all(...wargs, p.limit, p.offset) as Row[];
  return { items: rows.map(fromRow), total, counts };
}

export function getOutbox(core: Core, id: number) {
  const r = core.db
    .prepare(
      `${SELECT.replace('o.updated_at', 'o.updated_at, o.ics_method, o.render_id, b.html, b.text, b.ics, s.subject AS r_subject, s.html AS r_html, s.text AS r_text, s.ics_head, s.ics_tail')}
       LEFT JOIN outbox_bodies b ON b.outbox_id = o.id LEFT JOIN outbox_renders s ON s.id = o.render_id WHERE o.id = ?`,
    )
    .get(id) as (Row & StoredMessageRow) | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no outbox message with id ${id}.`);
  const stored = storedMessage(r);
  if (!stored && r.state === 'queued') {
    // Not rendered yet (that happens when it is sent): show what it would be now.
    const m = new RenderCache(core).render({
      id,
      campaign_id: r.campaign_id as number,
      customer_id: (r.customer_id as number | null) ?? null,
      customer_name: r.customer_name as string,
      contact_name: r.contact_name as string,
      email: r.email as string,
    });
    return { ...fromRow(r), subject: m.subject, html: m.html, text: m.text, ics: m.ics };
  }
  return { ...fromRow(r), html: stored?.html ?? '', text: stored?.text ?? '', ics: stored?.ics ?? '' };
}

function states(core: Core, ids: number[]): Map<number, string> {
  const rows = core.db.prepare('SELECT id, state FROM outbox WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as { id: number; state: string }[];
  return new Map(rows.map((r) => [r.id, r.state]));
}

/** failed/unknown → queued, due now, same Message-ID (a receiving system can recognise a duplicate). */
export function resend(core: Core, ids: number[]): { updated: number; campaignIds: number[] } {
  return core.tx(() => {
    const st = states(core, ids);
    const missing = ids.filter((i) => !st.has(i));
    if (missing.length) throw new PuestaError('NOT_FOUND', `There is no outbox message with id ${missing.slice(0, 10).join(', ')}.`);
    const bad = ids.filter((i) => !['failed', 'unknown'].includes(st.get(i)!));
    if (bad.length) {
      throw new PuestaError('PRECONDITION_FAILED', `Only failed or unknown messages can be resent; message ${bad.slice(0, 10).join(', ')} ${bad.length === 1 ? 'is' : 'are'} ${st.get(bad[0]!)}.`, { ids: bad });
    }
    const ts = new Date().toISOString();
    const info = core.db
      .prepare("UPDATE outbox SET state = 'queued', next_attempt_at = ?, note = 'resent by ' || ?, updated_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('failed', 'unknown')")
      .run(ts, core.operator(), ts, JSON.stringify(ids));
    core.audit.write(core.operator(), 'resend', 'outbox', null, { ids, states: Object.fromEntries(st) }, { state: 'queued' });
    const campaignIds = (core.db.prepare('SELECT DISTINCT campaign_id AS c FROM outbox WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as { c: number }[]).map((r) => r.c);
    return { updated: info.changes, campaignIds };
  });
}

/** unknown → sent, with the operator's note; audited. */
export function markSent(core: Core, ids: number[], note: string): { updated: number; campaignIds: number[] } {
  return core.tx(() => {
    const st = states(core, ids);
    const bad = ids.filter((i) => st.get(i) !== 'unknown');
    if (bad.length) {
      throw new PuestaError(
        'PRECONDITION_FAILED',
        `Only messages in the "unknown" state can be marked sent; message ${bad.slice(0, 10).join(', ')} ${bad.length === 1 ? 'is' : 'are'} ${st.get(bad[0]!) ?? 'missing'}.`,
        { ids: bad },
      );
    }
    const ts = new Date().toISOString();
    const info = core.db
      .prepare("UPDATE outbox SET state = 'sent', sent_at = ?, note = ?, updated_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND state = 'unknown'")
      .run(ts, `marked sent by ${core.operator()}: ${note}`, ts, JSON.stringify(ids));
    core.audit.write(core.operator(), 'markSent', 'outbox', null, { ids, state: 'unknown' }, { state: 'sent', note });
    const campaignIds = (core.db.prepare('SELECT DISTINCT campaign_id AS c FROM outbox WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as { c: number }[]).map((r) => r.c);
    return { updated: info.changes, campaignIds };
  });
}
