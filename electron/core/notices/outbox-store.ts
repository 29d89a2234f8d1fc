/**
 * Every SQL statement on the outbox ledger: the sender's state transitions (claim, sent, requeue,
 * retry, fail, recovery) and wake-up queries, the rows materialisation writes, and the ledger's list
 * and operator actions. The send path runs some of these per message: they are prepared once per
 * database connection.
 */
import type { Statement } from 'better-sqlite3';
import type { z } from 'zod';
import type { Campaign, OutboxListInput, OutboxRow, OutboxState } from '../../../shared/contract/notices.js';
import type { Core } from '../core.js';
import type { Db } from '../db/connection.js';
import { rowMapper, Where, type Row } from '../db/rows.js';
import type { StoredMessageRow } from './render-store.js';

const prepared = new WeakMap<Db, Map<string, Statement>>();

/** The statement for this text on this connection, prepared on first use. */
function q(core: Core, sql: string): Statement {
  let m = prepared.get(core.db);
  if (!m) prepared.set(core.db, (m = new Map()));
  let st = m.get(sql);
  if (!st) m.set(sql, (st = core.db.prepare(sql)));
  return st;
}

const ids = (list: number[]): string => JSON.stringify(list);

// ---------------------------------------------------------------- the sender

/** A row as the sender claims it (what rendering and sending need). */
export interface ClaimedRow {
  id: number;
  /** Attempts including this claim (1 = first time: nothing stored yet). */
  attempts: number;
  /** null: a contract notice, stored whole when it was queued. */
  campaign_id: number | null;
  customer_id: number | null;
  customer_name: string;
  contact_name: string;
  email: string;
  message_id: string;
}

/** Rows a stopped process left in `sending` become `unknown` (the caller audits; inside its transaction). */
export function recoverSending(core: Core, reason: string, ts: string): { id: number; campaignId: number | null }[] {
  const rows = q(core, "SELECT id, campaign_id AS campaignId FROM outbox WHERE state = 'sending'").all() as { id: number; campaignId: number | null }[];
  if (rows.length) q(core, "UPDATE outbox SET state = 'unknown', last_error = ?, updated_at = ? WHERE state = 'sending'").run(reason, ts);
  return rows;
}

/** Queued rows waiting for a retry become due now. */
export function retryAllNow(core: Core, iso: string): void {
  q(core, "UPDATE outbox SET next_attempt_at = ? WHERE state = 'queued' AND next_attempt_at > ?").run(iso, iso);
}

export function pendingCounts(core: Core): { queued: number; unknown: number } {
  const r = q(core, "SELECT sum(state = 'queued') AS q, sum(state = 'unknown') AS u FROM outbox WHERE state IN ('queued', 'unknown')").get() as { q: number | null; u: number | null };
  return { queued: r.q ?? 0, unknown: r.u ?? 0 };
}

/** What is due at `iso`: a queued row, a campaign to materialise. */
export function dueAt(core: Core, iso: string): { row: boolean; campaign: boolean } {
  return {
    row: !!q(core, "SELECT 1 FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? LIMIT 1").get(iso),
    campaign: !!q(core, "SELECT 1 FROM campaigns WHERE state IN ('scheduled', 'materialising') AND scheduled_at <= ? LIMIT 1").get(iso),
  };
}

/** The earliest instants work becomes due (a queued row, a campaign), or null. */
export function nextDue(core: Core): (string | null)[] {
  const r = q(core, "SELECT min(next_attempt_at) AS t FROM outbox WHERE state = 'queued'").get() as { t: string | null };
  const c = q(core, "SELECT min(scheduled_at) AS t FROM campaigns WHERE state IN ('scheduled', 'materialising')").get() as { t: string | null };
  return [r.t, c.t];
}

/** Claims up to k due rows, queued → sending (one atomic UPDATE … RETURNING), in id order. */
export function claimDue(core: Core, iso: string, k: number): ClaimedRow[] {
  const rows = q(
    core,
    `UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?
     WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?)
     RETURNING id, campaign_id, customer_id, customer_name, contact_name, email, message_id, attempts`,
  ).all(iso, iso, k) as ClaimedRow[];
  return rows.sort((a, b) => a.id - b.id);
}

/** Records accepted messages as sent (the caller gives the transaction). */
export function markSentBatch(core: Core, batch: readonly { id: number; response: string; ts: string }[]): void {
  const st = q(core, "UPDATE outbox SET state = 'sent', smtp_message_id = ?, sent_at = ?, last_error = NULL, updated_at = ? WHERE id = ?");
  for (const b of batch) st.run(b.response, b.ts, b.ts, b.id);
}

/** The server was unreachable: the row waits, its attempt not counted. */
export function requeueUncounted(core: Core, id: number, error: string, ts: string): void {
  q(core, "UPDATE outbox SET state = 'queued', attempts = max(attempts - 1, 0), last_error = ?, updated_at = ? WHERE id = ?").run(error, ts, id);
}

/** A temporary error: queued again, due at `nextAttemptAt`. */
export function retryLater(core: Core, id: number, error: string, nextAttemptAt: string, ts: string): void {
  q(core, "UPDATE outbox SET state = 'queued', last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?").run(error, nextAttemptAt, ts, id);
}

export function failRow(core: Core, id: number, error: string, ts: string): void {
  q(core, "UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?").run(error, ts, id);
}

export function windowOfCampaign(core: Core, campaignId: number): number | undefined {
  return (q(core, 'SELECT window_id FROM campaigns WHERE id = ?').get(campaignId) as { window_id: number } | undefined)?.window_id;
}

type Counts = Campaign['counts'];
const zeroCounts = (): Counts => ({ queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0, total: 0 });

function addCounts(c: Counts, rows: { state: OutboxState; n: number }[]): Counts {
  for (const r of rows) {
    c[r.state] = r.n;
    c.total += r.n;
  }
  return c;
}

export function campaignCounts(core: Core, campaignId: number): Counts {
  return addCounts(zeroCounts(), q(core, 'SELECT state, count(*) AS n FROM outbox WHERE campaign_id = ? GROUP BY state').all(campaignId) as { state: OutboxState; n: number }[]);
}

// ---------------------------------------------------------------- materialisation

export function queuedCount(core: Core, campaignId: number): number {
  return (q(core, "SELECT count(*) AS n FROM outbox WHERE campaign_id = ? AND state = 'queued'").get(campaignId) as { n: number }).n;
}

export interface QueuedRow {
  contactId: number | null;
  customerId: number | null;
  customerName: string;
  contactName: string;
  email: string;
  subject: string;
  messageId: string;
}

/** Writes queued rows of a campaign; UNIQUE(campaign_id, contact_id) makes a repeat a no-op. */
export function insertQueued(core: Core, campaignId: number, icsMethod: string, ts: string, rows: Iterable<QueuedRow>): void {
  const ins = q(
    core,
    `INSERT OR IGNORE INTO outbox (campaign_id, contact_id, customer_id, customer_name, contact_name, email, subject, ics_method,
       state, attempts, next_attempt_at, message_id, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)`,
  );
  for (const r of rows) ins.run(campaignId, r.contactId, r.customerId, r.customerName, r.contactName, r.email, r.subject, icsMethod, ts, r.messageId, ts, ts);
}

// ---------------------------------------------------------------- the ledger (operator)

const SELECT = `SELECT o.id, o.campaign_id, c.window_id, c.kind, o.contact_id, o.customer_id, o.customer_name, o.contact_name, o.email, o.subject, o.state,
  o.attempts, o.last_error, o.next_attempt_at, o.message_id, o.smtp_message_id, o.sent_at, o.note, o.updated_at`;
const FROM = ' FROM outbox o JOIN campaigns c ON c.id = o.campaign_id';

const mapRow = rowMapper<OutboxRow>({ omit: ['customer_id', 'ics_method', 'render_id', 'html', 'text', 'ics', 'r_subject', 'r_html', 'r_text', 'ics_head', 'ics_tail'] });

/** A ledger row for the API: the retry time only while queued. */
function outboxRowOf(r: Row): OutboxRow {
  const o = mapRow(r);
  if (o.state !== 'queued') o.nextAttemptAt = null;
  return o;
}

/** One page of the ledger, and the counts per state for the same filter (ignoring the state). */
export function outboxPage(core: Core, p: z.output<typeof OutboxListInput>): { items: OutboxRow[]; total: number; counts: Counts } {
  const where = new Where().when(p.campaignId, 'o.campaign_id = ?').when(p.windowId, 'c.window_id = ?').search(p.query, ['o.email', 'o.contact_name', 'o.customer_name']);
  const counts = addCounts(zeroCounts(), core.db.prepare(`SELECT o.state, count(*) AS n${FROM}${where.sql} GROUP BY o.state`).all(...where.args) as { state: OutboxState; n: number }[]);
  const page = where.clone().when(p.state, 'o.state = ?');
  const rows = core.db.prepare(`${SELECT}${FROM}${page.sql} ORDER BY o.id LIMIT ? OFFSET ?`).all(...page.args, p.limit, p.offset) as Row[];
  return { items: rows.map(outboxRowOf), total: p.state ? counts[p.state] : counts.total, counts };
}

/** One ledger row with what its stored message is made of, or undefined. */
export function outboxMessageRow(core: Core, id: number): { row: OutboxRow; customerId: number | null; stored: StoredMessageRow } | undefined {
  const r = core.db
    .prepare(
      `${SELECT}, o.ics_method, o.render_id, b.html, b.text, b.ics, s.subject AS r_subject, s.html AS r_html, s.text AS r_text, s.ics_head, s.ics_tail${FROM}
       LEFT JOIN outbox_bodies b ON b.outbox_id = o.id LEFT JOIN outbox_renders s ON s.id = o.render_id WHERE o.id = ?`,
    )
    .get(id) as (Row & StoredMessageRow) | undefined;
  return r && { row: outboxRowOf(r), customerId: (r.customer_id as number | null) ?? null, stored: r };
}

export function statesOf(core: Core, list: number[]): Map<number, OutboxState> {
  const rows = core.db.prepare('SELECT id, state FROM outbox WHERE id IN (SELECT value FROM json_each(?))').all(ids(list)) as { id: number; state: OutboxState }[];
  return new Map(rows.map((r) => [r.id, r.state]));
}

export function campaignsOfRows(core: Core, list: number[]): number[] {
  return (core.db.prepare('SELECT DISTINCT campaign_id AS c FROM outbox WHERE id IN (SELECT value FROM json_each(?)) AND campaign_id IS NOT NULL').all(ids(list)) as { c: number }[]).map((r) => r.c);
}

/** failed/unknown → queued, due now. Returns the rows changed. */
export function requeueRows(core: Core, list: number[], operator: string, ts: string): number {
  return core.db
    .prepare("UPDATE outbox SET state = 'queued', next_attempt_at = ?, note = 'resent by ' || ?, updated_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('failed', 'unknown')")
    .run(ts, operator, ts, ids(list)).changes;
}

/** unknown → sent with a note. Returns the rows changed. */
export function markRowsSent(core: Core, list: number[], note: string, ts: string): number {
  return core.db
    .prepare("UPDATE outbox SET state = 'sent', sent_at = ?, note = ?, updated_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND state = 'unknown'")
    .run(ts, note, ts, ids(list)).changes;
}
