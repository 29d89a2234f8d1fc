/**
 * The SQL of rendering: what a notice reads (the window's services, a customer's zone and language,
 * a contact for a preview) and the stored messages of ledger rows (a shared campaign × customer
 * rendering in `outbox_renders`, or a row's own body in `outbox_bodies`). The send path's statements
 * are prepared once per database connection.
 */
import type { Statement } from 'better-sqlite3';
import type { Core } from '../core.js';
import type { Db } from '../db/connection.js';

/** A ledger row's stored message as read (its own body, or the shared rendering it points to). */
export interface StoredMessageRow {
  subject: string;
  ics_method: string;
  contact_name: string;
  email: string;
  render_id: number | null;
  html: string | null;
  text: string | null;
  ics: string | null;
  r_subject: string | null;
  r_html: string | null;
  r_text: string | null;
  ics_head: string | null;
  ics_tail: string | null;
}

/** Names of the applications a window touches (its scope): those it names, and those placed on its servers. */
export function serviceNames(core: Core, scope: { applicationIds: readonly number[]; serverIds: readonly number[] }): string[] {
  const rows = core.db
    .prepare(
      `SELECT DISTINCT a.name FROM applications a WHERE a.id IN (
         SELECT value FROM json_each(?)
         UNION SELECT p.application_id FROM placements p WHERE p.server_id IN (SELECT value FROM json_each(?)))
       ORDER BY a.name COLLATE NOCASE`,
    )
    .all(JSON.stringify(scope.applicationIds), JSON.stringify(scope.serverIds)) as { name: string }[];
  return rows.map((a) => a.name);
}

export function customerLocale(core: Core, id: number): { timezone: string; language: string } | undefined {
  return core.db.prepare('SELECT timezone, language FROM customers WHERE id = ?').get(id) as { timezone: string; language: string } | undefined;
}

export interface ContactWithCustomer {
  id: number;
  name: string;
  email: string;
  customerId: number;
  customerName: string;
  timezone: string;
  language: string;
}

export function contactWithCustomer(core: Core, contactId: number): ContactWithCustomer | undefined {
  return core.db
    .prepare(
      'SELECT ct.id, ct.name, ct.email, cu.id AS customerId, cu.name AS customerName, cu.timezone, cu.language FROM contacts ct JOIN customers cu ON cu.id = ct.customer_id WHERE ct.id = ?',
    )
    .get(contactId) as ContactWithCustomer | undefined;
}

// ---------------------------------------------------------------- stored messages (send path)

interface SendStatements {
  stored: Statement;
  insBody: Statement;
  setFull: Statement;
  setShared: Statement;
  insShare: Statement;
}
const statements = new WeakMap<Db, SendStatements>();

function sendStatements(core: Core): SendStatements {
  let st = statements.get(core.db);
  if (!st) {
    st = {
      stored: core.db.prepare(
        `SELECT o.id, o.subject, o.ics_method, o.contact_name, o.email, o.render_id, b.html, b.text, b.ics,
           r.subject AS r_subject, r.html AS r_html, r.text AS r_text, r.ics_head, r.ics_tail
         FROM outbox o LEFT JOIN outbox_bodies b ON b.outbox_id = o.id LEFT JOIN outbox_renders r ON r.id = o.render_id
         WHERE o.id IN (SELECT value FROM json_each(?))`,
      ),
      insBody: core.db.prepare('INSERT OR REPLACE INTO outbox_bodies (outbox_id, html, text, ics) VALUES (?, ?, ?, ?)'),
      setFull: core.db.prepare('UPDATE outbox SET subject = ?, ics_method = ?, render_id = NULL WHERE id = ?'),
      setShared: core.db.prepare('UPDATE outbox SET subject = ?, ics_method = ?, render_id = ? WHERE id = ?'),
      insShare: core.db.prepare(
        'INSERT INTO outbox_renders (campaign_id, subject, html, text, ics_head, ics_tail, ics_method, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
    };
    statements.set(core.db, st);
  }
  return st;
}

export function storedMessages(core: Core, ids: number[]): (StoredMessageRow & { id: number })[] {
  return sendStatements(core).stored.all(JSON.stringify(ids)) as (StoredMessageRow & { id: number })[];
}

export interface SharedRender {
  campaignId: number;
  parts: { subject: string[]; html: string[]; text: string[] };
  ics: { head: string; tail: string };
  method: string;
}

/** Stores a campaign × customer rendering; returns its id. */
export function insertSharedRender(core: Core, s: SharedRender, ts: string): number {
  const p = s.parts;
  return Number(
    sendStatements(core).insShare.run(s.campaignId, JSON.stringify(p.subject), JSON.stringify(p.html), JSON.stringify(p.text), s.ics.head, s.ics.tail, s.method, ts).lastInsertRowid,
  );
}

/** Points a row at a shared rendering (its subject filled in). */
export function setSharedMessage(core: Core, id: number, subject: string, icsMethod: string, renderId: number): void {
  sendStatements(core).setShared.run(subject, icsMethod, renderId, id);
}

/** Stores a row's own rendered message. */
export function setOwnMessage(core: Core, id: number, m: { subject: string; html: string; text: string; ics: string; icsMethod: string }): void {
  const st = sendStatements(core);
  st.insBody.run(id, m.html, m.text, m.ics);
  st.setFull.run(m.subject, m.icsMethod, id);
}
