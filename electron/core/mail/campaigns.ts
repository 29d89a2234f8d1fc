/**
 * Campaigns (one notice of one window, due at a time) and their materialisation into the outbox:
 * when due, the audience is computed, one message rendered per recipient and written — all in one
 * transaction, idempotent thanks to UNIQUE(campaign_id, contact_id).
 */
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Campaign, NoticeKind, RenderedNotice, Window } from '../../../shared/contract/windows.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { audienceContacts, contractsInForce, scopeOf } from '../windows/audience.js';
import { getWindow, nowIso } from '../windows/repo.js';
import { baseLanguage, formatDate, formatDuration, formatLocal, formatTime } from '../windows/time.js';
import { icsAttendee, icsEnvelope, parseAddress } from './ics.js';
import { getSmtp } from './smtp.js';
import { fillParts, fillSubject, getTemplate, LANGUAGES, prepareParts, renderParts, renderSubject, type PreparedParts, type Variables } from './templates.js';

export interface CampaignParams {
  previousEnd?: string;
  /** While materialising: the last contact id written. */
  cursor?: number;
}

export interface Recipient {
  contactId: number | null;
  customerId: number | null;
  customerName: string;
  contactName: string;
  email: string;
  timezone: string;
  language: string;
}

/**
 * A notice rendered for one campaign × customer (zone, language, name), around the contact: `parts`
 * (null when the template uses the name other than as a plain `{{contactName}}`) and the invitation.
 * `storedId`: its outbox_renders row once written (see renderForSend).
 */
export interface CustomerRender {
  vars: Variables;
  parts: PreparedParts | null;
  ics: { head: string; tail: string };
  method: 'REQUEST' | 'CANCEL';
  storedId?: number;
}

/** A message from shared pieces and the recipient's own name and address (byte-identical every time). */
export function messageFromShare(
  share: { parts: PreparedParts; ics: { head: string; tail: string } },
  contactName: string,
  email: string,
): { subject: string; html: string; text: string; ics: string } {
  return { ...fillParts(share.parts, contactName), ics: share.ics.head + icsAttendee({ name: contactName, email }) + share.ics.tail };
}

/** Per-window render context (template lookups cached per language). */
export class NoticeRenderer {
  private readonly templates = new Map<string, { subject: string; html: string; text: string }>();
  private readonly services: string[];
  private readonly organizer: { name: string; email: string } | null;

  constructor(
    private readonly core: Core,
    readonly window: Window,
    readonly kind: NoticeKind,
    private readonly params: CampaignParams & { offsetHours?: number | null } = {},
  ) {
    const apps = core.db
      .prepare(
        `SELECT DISTINCT a.name FROM applications a WHERE a.id IN (
           SELECT application_id FROM window_applications WHERE window_id = ?
           UNION SELECT p.application_id FROM placements p JOIN window_servers ws ON ws.server_id = p.server_id WHERE ws.window_id = ?)
         ORDER BY a.name COLLATE NOCASE`,
      )
      .all(window.id, window.id) as { name: string }[];
    this.services = apps.map((a) => a.name);
    this.organizer = parseAddress(getSmtp(core).from);
  }

  private template(language: string) {
    let t = this.templates.get(language);
    if (!t) {
      const stored = this.core.db.prepare('SELECT 1 FROM notice_templates WHERE kind = ? AND language = ?').get(this.kind, language);
      const lang = stored || (LANGUAGES as readonly string[]).includes(language) ? language : 'en';
      t = getTemplate(this.core, this.kind, lang);
      this.templates.set(language, t);
    }
    return t;
  }

  private readonly zoned = new Map<string, Omit<Variables, 'customerName' | 'contactName'>>();
  private operatorName: string | null = null;

  /** Everything that depends only on the zone and language (formatted once per pair, not per recipient). */
  private zonedVars(tz: string, lang: string): Omit<Variables, 'customerName' | 'contactName'> {
    const key = `${tz}|${lang}`;
    let v = this.zoned.get(key);
    if (!v) {
      const w = this.window;
      this.operatorName ??= this.core.operator();
      v = {
        windowTitle: w.title,
        start: formatLocal(w.start, tz, lang),
        end: formatLocal(w.end, tz, lang),
        startDate: formatDate(w.start, tz, lang),
        startTime: formatTime(w.start, tz, lang),
        endTime: formatTime(w.end, tz, lang),
        timezone: tz,
        duration: formatDuration(w.start, w.end),
        services: this.services.join(', '),
        servicesList: this.services,
        impact: w.impact,
        hoursBefore: this.params.offsetHours ?? Math.max(0, Math.round((Date.parse(w.start) - Date.now()) / 3_600_000)),
        previousEnd: this.params.previousEnd ? formatLocal(this.params.previousEnd, tz, lang) : '',
        operator: this.operatorName,
      };
      this.zoned.set(key, v);
    }
    return v;
  }

  /**
   * What is the same for every contact of one customer (zone, language, customer name): the template
   * rendered around the contact's name and the invitation around its ATTENDEE line — built once, so a
   * recipient costs two string joins.
   */
  private readonly perCustomer = new Map<string, CustomerRender>();

  private customerPart(tz: string, lang: string, customerName: string) {
    const key = `${tz}|${lang}|${customerName}`;
    let e = this.perCustomer.get(key);
    if (!e) {
      const w = this.window;
      const vars: Variables = { ...this.zonedVars(tz, lang), customerName, contactName: '' };
      const method = this.kind === 'cancelled' ? 'CANCEL' : 'REQUEST';
      const ics = icsEnvelope({
        uid: w.uid,
        sequence: w.sequence,
        method,
        start: w.start,
        end: w.end,
        summary: w.title,
        // Short on purpose: the mail carries the full text; the calendar entry says what and where.
        description: [w.impact, vars.services].filter(Boolean).join('\n'),
        organizer: this.organizer,
      });
      e = { vars, parts: prepareParts(this.template(lang), vars), ics, method };
      if (this.perCustomer.size > 5000) this.perCustomer.clear();
      this.perCustomer.set(key, e);
    }
    return e;
  }

  /** The subject alone (cheap): written with the ledger row so lists show it before the message is rendered. */
  subject(r: Recipient): string {
    const lang = baseLanguage(r.language);
    const tz = r.timezone || 'UTC';
    const e = this.customerPart(tz, lang, r.customerName);
    if (e.parts && r.contactName) return fillSubject(e.parts, r.contactName);
    return renderSubject(this.template(lang).subject, { ...e.vars, contactName: r.contactName });
  }

  render(r: Recipient): RenderedNotice {
    return this.renderShared(r).notice;
  }

  /** The notice, and the shared rendering it was made from (null when rendered in full for this recipient). */
  renderShared(r: Recipient): { notice: RenderedNotice; share: (CustomerRender & { parts: PreparedParts }) | null } {
    const lang = baseLanguage(r.language);
    const tz = r.timezone || 'UTC';
    const e = this.customerPart(tz, lang, r.customerName);
    const head = { to: r.email, contactName: r.contactName, customerName: r.customerName, language: lang, timezone: tz, icsMethod: e.method };
    // An empty name renders in full ({{#if}} and friends see it as false).
    if (e.parts && r.contactName) {
      const share = e as CustomerRender & { parts: PreparedParts };
      return { notice: { ...head, ...messageFromShare(share, r.contactName, r.email) }, share };
    }
    const parts = renderParts(this.template(lang), { ...e.vars, contactName: r.contactName });
    return { notice: { ...head, ...parts, ics: e.ics.head + icsAttendee({ name: r.contactName, email: r.email }) + e.ics.tail }, share: null };
  }
}

/** Recipients of a window now: its audience, opted-out excluded. */
export function recipientsOf(core: Core, windowId: number): Recipient[] {
  const contracts = contractsInForce(core, scopeOf(core, windowId));
  const customers = new Map<number, { name: string; timezone: string; language: string }>();
  for (const c of contracts) customers.set(c.customerId, { name: c.customerName, timezone: c.timezone, language: c.language });
  if (!customers.size) return [];
  return audienceContacts(core, [...customers.keys()]).contacts.map((c) => {
    const cu = customers.get(c.customerId)!;
    return { contactId: c.id, customerId: c.customerId, customerName: cu.name, contactName: c.name, email: c.email, timezone: cu.timezone, language: cu.language };
  });
}

export function newMessageId(): string {
  return `<${randomUUID()}@puesta>`;
}

// ---------------------------------------------------------------- campaigns

const COUNT_SQL = 'SELECT state, count(*) AS n FROM outbox WHERE campaign_id = ? GROUP BY state';

export function campaignCounts(core: Core, campaignId: number): Campaign['counts'] {
  const c = { queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0, total: 0 };
  for (const r of core.db.prepare(COUNT_SQL).all(campaignId) as { state: keyof typeof c; n: number }[]) {
    c[r.state] = r.n;
    c.total += r.n;
  }
  return c;
}

function campaignFromRow(core: Core, r: Record<string, unknown>): Campaign {
  const counts = campaignCounts(core, r.id as number);
  const stored = r.state as string;
  const state: Campaign['state'] =
    stored === 'cancelled'
      ? 'cancelled'
      : stored === 'scheduled'
        ? 'scheduled'
        : stored === 'materialising' || counts.queued + counts.sending > 0
          ? 'sending'
          : 'done';
  return {
    id: r.id as number,
    windowId: r.window_id as number,
    windowTitle: r.title as string,
    kind: r.kind as NoticeKind,
    offsetHours: (r.offset_hours as number | null) ?? null,
    scheduledAt: r.scheduled_at as string,
    state,
    counts,
    createdAt: r.created_at as string,
  };
}

export function listCampaigns(core: Core, windowId?: number): Campaign[] {
  const rows = core.db
    .prepare(`SELECT c.*, w.title FROM campaigns c JOIN windows w ON w.id = c.window_id${windowId ? ' WHERE c.window_id = ?' : ''} ORDER BY c.scheduled_at, c.id`)
    .all(...(windowId ? [windowId] : [])) as Record<string, unknown>[];
  return rows.map((r) => campaignFromRow(core, r));
}

export function getCampaign(core: Core, id: number): Campaign {
  const r = core.db.prepare('SELECT c.*, w.title FROM campaigns c JOIN windows w ON w.id = c.window_id WHERE c.id = ?').get(id) as Record<string, unknown> | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no campaign with id ${id}.`);
  return campaignFromRow(core, r);
}

export function addCampaign(core: Core, windowId: number, kind: NoticeKind, scheduledAt: string, offsetHours: number | null = null, params: CampaignParams = {}): number {
  const ts = nowIso();
  const info = core.db
    .prepare('INSERT INTO campaigns (window_id, kind, offset_hours, scheduled_at, state, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(windowId, kind, offsetHours, new Date(scheduledAt).toISOString(), 'scheduled', JSON.stringify(params), ts, ts);
  return Number(info.lastInsertRowid);
}

/** Announcement + reminders; pending (not yet due) announce/reminder campaigns are replaced. */
export function scheduleNotices(core: Core, windowId: number, reminders: number[], announceAt: string | null, announce: boolean): Campaign[] {
  return core.tx(() => {
    const w = getWindow(core, windowId);
    if (w.state === 'done' || w.state === 'cancelled') throw new PuestaError('PRECONDITION_FAILED', `Window "${w.title}" is ${w.state}; there is nothing to announce.`);
    core.db.prepare("UPDATE campaigns SET state = 'cancelled', updated_at = ? WHERE window_id = ? AND state = 'scheduled' AND kind IN ('announce', 'reminder')").run(nowIso(), windowId);
    const now = Date.now();
    const announced = !!core.db.prepare("SELECT 1 FROM campaigns WHERE window_id = ? AND kind = 'announce' AND state IN ('materialising', 'materialised')").get(windowId);
    if (announce && !announced) addCampaign(core, windowId, 'announce', announceAt ?? new Date(now).toISOString());
    for (const h of [...new Set(reminders)].sort((a, b) => b - a)) {
      const at = Date.parse(w.start) - h * 3_600_000;
      if (at > now) addCampaign(core, windowId, 'reminder', new Date(at).toISOString(), h);
    }
    if (w.state === 'draft') {
      core.db.prepare("UPDATE windows SET state = 'announced', updated_at = ? WHERE id = ?").run(nowIso(), windowId);
      core.audit.write(core.operator(), 'transition:announced', 'windows', windowId, { state: 'draft' }, { state: 'announced' });
    }
    core.audit.write(core.operator(), 'schedule', 'windows', windowId, null, { reminders, announceAt, announce });
    return listCampaigns(core, windowId);
  });
}

/** After a change of start: pending reminders move with it (past ones are cancelled). */
export function rescheduleReminders(core: Core, windowId: number, start: string): void {
  const rows = core.db.prepare("SELECT id, offset_hours FROM campaigns WHERE window_id = ? AND state = 'scheduled' AND kind = 'reminder'").all(windowId) as {
    id: number;
    offset_hours: number;
  }[];
  for (const r of rows) {
    const at = Date.parse(start) - r.offset_hours * 3_600_000;
    if (at > Date.now()) core.db.prepare('UPDATE campaigns SET scheduled_at = ?, updated_at = ? WHERE id = ?').run(new Date(at).toISOString(), nowIso(), r.id);
    else core.db.prepare("UPDATE campaigns SET state = 'cancelled', updated_at = ? WHERE id = ?").run(nowIso(), r.id);
  }
}

export function hasMaterialised(core: Core, windowId: number): boolean {
  return !!core.db.prepare("SELECT 1 FROM campaigns WHERE window_id = ? AND state IN ('materialising', 'materialised')").get(windowId);
}

/** Stops a window's pending notices: scheduled campaigns cancelled, queued messages failed. */
export function stopPending(core: Core, windowId: number, reason: string, kinds: NoticeKind[] | null = null): void {
  const ts = nowIso();
  const kindSql = kinds ? ` AND kind IN (${kinds.map(() => '?').join(', ')})` : '';
  core.db.prepare(`UPDATE campaigns SET state = 'cancelled', updated_at = ? WHERE window_id = ? AND state IN ('scheduled', 'materialising')${kindSql}`).run(ts, windowId, ...(kinds ?? []));
  core.db
    .prepare(
      `UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE state = 'queued' AND campaign_id IN (SELECT id FROM campaigns WHERE window_id = ?${kindSql})`,
    )
    .run(reason, ts, windowId, ...(kinds ?? []));
}

export function cancelCampaign(core: Core, id: number): Campaign {
  return core.tx(() => {
    const before = getCampaign(core, id);
    const ts = nowIso();
    core.db.prepare("UPDATE campaigns SET state = 'cancelled', updated_at = ? WHERE id = ? AND state IN ('scheduled', 'materialising')").run(ts, id);
    core.db.prepare("UPDATE outbox SET state = 'failed', last_error = 'cancelled by the operator', updated_at = ? WHERE campaign_id = ? AND state = 'queued'").run(ts, id);
    core.audit.write(core.operator(), 'cancel', 'campaigns', id, before, null);
    return getCampaign(core, id);
  });
}

export interface MaterialiseOptions {
  /** Recipients written by the first transaction of a campaign (the sender starts on them). */
  firstChunk?: number;
  /** Recipients per later transaction. */
  chunk?: number;
  /** Later chunks are written only while the campaign has fewer queued rows than this. */
  lowWater?: number;
  /** Keeps each campaign's recipient list between chunks (the audience is computed once per campaign). */
  recipients?: Map<number, Recipient[]>;
}

/**
 * Writes the outbox rows of every due campaign: one row per recipient (the message itself is
 * rendered when the row is first claimed for sending — see renderForSend — so it carries the
 * window's latest times, and the work is spread over the send). Large audiences go in chunks, each its own transaction,
 * ordered by contact id with a cursor, so sending starts at once and a crash resumes where it was;
 * UNIQUE(campaign_id, contact_id) makes every write idempotent. Returns the campaigns touched.
 */
export function materialiseDue(core: Core, now = new Date(), opts: MaterialiseOptions = {}): number[] {
  const firstChunk = opts.firstChunk ?? Infinity;
  const chunk = opts.chunk ?? Infinity;
  const lowWater = opts.lowWater ?? Infinity;
  const due = core.db
    .prepare("SELECT id, window_id, kind, offset_hours, params, state FROM campaigns WHERE state IN ('scheduled', 'materialising') AND scheduled_at <= ? ORDER BY scheduled_at, id")
    .all(now.toISOString()) as { id: number; window_id: number; kind: NoticeKind; offset_hours: number | null; params: string; state: string }[];
  const done: number[] = [];
  for (const c of due) {
    if (c.state === 'materialising' && lowWater !== Infinity) {
      const q = core.db.prepare("SELECT count(*) AS n FROM outbox WHERE campaign_id = ? AND state = 'queued'").get(c.id) as { n: number };
      if (q.n >= lowWater) continue;
    }
    core.tx(() => {
      // Re-read inside the transaction: another core on the same file may have moved on.
      const cur = core.db.prepare("SELECT state, params FROM campaigns WHERE id = ? AND state IN ('scheduled', 'materialising')").get(c.id) as
        | { state: string; params: string }
        | undefined;
      if (!cur) {
        opts.recipients?.delete(c.id);
        return;
      }
      const params = JSON.parse(cur.params) as CampaignParams;
      const cursor = params.cursor ?? 0;
      const ins = core.db.prepare(
        `INSERT OR IGNORE INTO outbox (campaign_id, contact_id, customer_id, customer_name, contact_name, email, subject, ics_method,
           state, attempts, next_attempt_at, message_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)`,
      );
      const renderer = new NoticeRenderer(core, getWindow(core, c.window_id), c.kind, { ...params, offsetHours: c.offset_hours });
      const method = c.kind === 'cancelled' ? 'CANCEL' : 'REQUEST';
      const ts = nowIso();
      let all = opts.recipients?.get(c.id);
      if (!all) {
        all = recipientsOf(core, c.window_id).sort((a, b) => (a.contactId ?? 0) - (b.contactId ?? 0));
        opts.recipients?.set(c.id, all);
      }
      const todo = all.filter((r) => (r.contactId ?? 0) > cursor);
      const size = cur.state === 'scheduled' ? firstChunk : chunk;
      const batch = todo.slice(0, size);
      for (const r of batch) ins.run(c.id, r.contactId, r.customerId, r.customerName, r.contactName, r.email, renderer.subject(r), method, ts, newMessageId(), ts, ts);
      if (todo.length > batch.length) {
        const next: CampaignParams = { ...params, cursor: batch[batch.length - 1]!.contactId ?? cursor };
        core.db.prepare("UPDATE campaigns SET state = 'materialising', params = ?, updated_at = ? WHERE id = ?").run(JSON.stringify(next), ts, c.id);
      } else {
        opts.recipients?.delete(c.id);
        const { cursor: _done, ...rest } = params;
        core.db
          .prepare("UPDATE campaigns SET state = 'materialised', params = ?, materialised_at = ?, updated_at = ? WHERE id = ?")
          .run(JSON.stringify(rest), ts, ts, c.id);
      }
      done.push(c.id);
    });
  }
  return done;
}

// ---------------------------------------------------------------- rendering at send time

export interface SendRow {
  id: number;
  /** Attempts including the current claim (1 = first time: nothing stored yet). */
  attempts?: number;
  campaign_id: number;
  customer_id: number | null;
  customer_name: string;
  contact_name: string;
  email: string;
}

/** Renderers per campaign and customer zones, reused for a couple of seconds (window edits show up quickly). */
export class RenderCache {
  private renderers = new Map<number, { r: NoticeRenderer; at: number }>();
  private customers = new Map<number, { timezone: string; language: string }>();
  private at = Date.now();
  constructor(
    private readonly core: Core,
    private readonly ttlMs = 2000,
  ) {}

  private fresh(): void {
    if (Date.now() - this.at > this.ttlMs) {
      this.renderers.clear();
      this.customers.clear();
      this.at = Date.now();
    }
  }

  renderer(campaignId: number): NoticeRenderer {
    this.fresh();
    let e = this.renderers.get(campaignId);
    if (!e) {
      const c = this.core.db.prepare('SELECT window_id, kind, offset_hours, params FROM campaigns WHERE id = ?').get(campaignId) as
        | { window_id: number; kind: NoticeKind; offset_hours: number | null; params: string }
        | undefined;
      if (!c) throw new PuestaError('NOT_FOUND', `There is no campaign with id ${campaignId}.`);
      const params = JSON.parse(c.params) as CampaignParams;
      e = { r: new NoticeRenderer(this.core, getWindow(this.core, c.window_id), c.kind, { ...params, offsetHours: c.offset_hours }), at: Date.now() };
      this.renderers.set(campaignId, e);
    }
    return e.r;
  }

  customer(id: number | null): { timezone: string; language: string } {
    if (id == null) return { timezone: 'UTC', language: 'en' };
    this.fresh();
    let c = this.customers.get(id);
    if (!c) {
      c = (this.core.db.prepare('SELECT timezone, language FROM customers WHERE id = ?').get(id) as { timezone: string; language: string } | undefined) ?? {
        timezone: 'UTC',
        language: 'en',
      };
      this.customers.set(id, c);
    }
    return c;
  }

  render(row: SendRow): RenderedNotice {
    return this.renderShared(row).notice;
  }

  renderShared(row: SendRow): ReturnType<NoticeRenderer['renderShared']> {
    const cu = this.customer(row.customer_id);
    return this.renderer(row.campaign_id).renderShared({
      contactId: null,
      customerId: row.customer_id,
      customerName: row.customer_name,
      contactName: row.contact_name,
      email: row.email,
      timezone: cu.timezone,
      language: cu.language,
    });
  }
}

interface SendStatements {
  stored: Statement;
  insBody: Statement;
  setFull: Statement;
  setShared: Statement;
  insShare: Statement;
}
const statements = new WeakMap<Core['db'], SendStatements>();

/** The send path's statements, prepared once per database connection. */
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

/** The stored message of a ledger row (its shared rendering filled in, or its own body), or null if none yet. */
export function storedMessage(r: StoredMessageRow): { subject: string; html: string; text: string; ics: string; icsMethod: string } | null {
  if (r.render_id != null && r.r_html != null) {
    const parts = { subject: JSON.parse(r.r_subject!) as string[], html: JSON.parse(r.r_html) as string[], text: JSON.parse(r.r_text!) as string[] };
    const m = messageFromShare({ parts, ics: { head: r.ics_head!, tail: r.ics_tail! } }, r.contact_name, r.email);
    return { ...m, subject: r.subject, icsMethod: r.ics_method };
  }
  if (r.html != null) return { subject: r.subject, html: r.html, text: r.text ?? '', ics: r.ics ?? '', icsMethod: r.ics_method };
  return null;
}

/**
 * Renders rows that have no stored message yet and stores it before it is sent: the subject on the
 * row, and either a pointer to the campaign × customer rendering it shares (outbox_renders, written
 * once) or, for templates that cannot be shared, its own body (outbox_bodies). Once stored, a
 * message never changes: a resend is byte-identical, same Message-ID. Call inside the claiming
 * transaction (if that transaction fails, drop the cache: it remembers outbox_renders ids).
 */
export function renderForSend(core: Core, cache: RenderCache, rows: SendRow[]): Map<number, { subject: string; html: string; text: string; ics: string; icsMethod: string }> {
  const out = new Map<number, { subject: string; html: string; text: string; ics: string; icsMethod: string }>();
  if (!rows.length) return out;
  // Only rows claimed before (attempts > 1 once claimed) can already have a stored message.
  const again = rows.filter((r) => (r.attempts ?? 2) > 1);
  const st = sendStatements(core);
  if (again.length) {
    for (const b of st.stored.all(JSON.stringify(again.map((r) => r.id))) as (StoredMessageRow & { id: number })[]) {
      const m = storedMessage(b);
      if (m) out.set(b.id, m);
    }
  }
  const ts = new Date().toISOString();
  for (const r of rows) {
    if (out.has(r.id)) continue;
    const { notice: m, share } = cache.renderShared(r);
    if (share) {
      share.storedId ??= Number(
        st.insShare.run(r.campaign_id, JSON.stringify(share.parts.subject), JSON.stringify(share.parts.html), JSON.stringify(share.parts.text), share.ics.head, share.ics.tail, share.method, ts)
          .lastInsertRowid,
      );
      st.setShared.run(m.subject, m.icsMethod, share.storedId, r.id);
    } else {
      st.insBody.run(r.id, m.html, m.text, m.ics);
      st.setFull.run(m.subject, m.icsMethod, r.id);
    }
    out.set(r.id, { subject: m.subject, html: m.html, text: m.text, ics: m.ics, icsMethod: m.icsMethod });
  }
  return out;
}
