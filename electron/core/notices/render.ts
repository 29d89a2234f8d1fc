/**
 * Rendering a notice: per window (NoticeRenderer: template, zone and language formatting, the ICS
 * invitation, shared per customer so a recipient costs two string joins), and at send time
 * (renderForSend: rendered when a row is first claimed, then stored so a resend is byte-identical).
 */
import type { NoticeKind, RenderedNotice } from '../../../shared/contract/notices.js';
import type { Window } from '../../../shared/contract/windows.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { getWindow } from '../windows/repo.js';
import { baseLanguage, formatDate, formatDuration, formatLocal, formatTime } from '../windows/time.js';
import { campaignForRender, type CampaignParams } from './campaign-store.js';
import { icsAttendee, icsEnvelope, parseAddress } from './ics.js';
import type { Recipient } from './recipients.js';
import { customerLocale, insertSharedRender, serviceNames, setOwnMessage, setSharedMessage, storedMessages, type StoredMessageRow } from './render-store.js';
import { getSmtp } from './smtp.js';
import { hasStoredTemplate } from './template-store.js';
import { fillParts, fillSubject, getTemplate, LANGUAGES, prepareParts, renderParts, renderSubject, type PreparedParts, type Variables } from './templates.js';

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

/** The window's impact text in `lang`: its own text there, else the English one (the audience warns about that). */
export const impactIn = (w: Pick<Window, 'impact' | 'impacts'>, lang: string): string => w.impacts[lang]?.trim() || w.impact;

/** Per-window render context (template lookups cached per language). */
export class NoticeRenderer {
  private readonly templates = new Map<string, { subject: string; html: string; text: string }>();
  private readonly services: string[];
  private readonly organizer: { name: string; email: string } | null;
  private readonly signedBy: { operator: string; signature: string };

  constructor(
    private readonly core: Core,
    readonly window: Window,
    readonly kind: NoticeKind,
    private readonly params: CampaignParams & { offsetHours?: number | null } = {},
  ) {
    // The window as read carries its scope (applications and servers).
    this.services = serviceNames(core, window);
    const smtp = getSmtp(core);
    this.organizer = parseAddress(smtp.from);
    // Settings name the sender; the operator's name (which may default to the OS login) comes last.
    this.signedBy = { operator: smtp.senderName || this.organizer?.name || core.operator(), signature: smtp.signature.trim() };
  }

  private template(language: string) {
    let t = this.templates.get(language);
    if (!t) {
      const lang = hasStoredTemplate(this.core, this.kind, language) || (LANGUAGES as readonly string[]).includes(language) ? language : 'en';
      t = getTemplate(this.core, this.kind, lang);
      this.templates.set(language, t);
    }
    return t;
  }

  private readonly zoned = new Map<string, Omit<Variables, 'customerName' | 'contactName'>>();

  /** Everything that depends only on the zone and language (formatted once per pair, not per recipient). */
  private zonedVars(tz: string, lang: string): Omit<Variables, 'customerName' | 'contactName'> {
    const key = `${tz}|${lang}`;
    let v = this.zoned.get(key);
    if (!v) {
      const w = this.window;
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
        impact: impactIn(w, lang),
        hoursBefore: this.params.offsetHours ?? Math.max(0, Math.round((Date.parse(w.start) - Date.now()) / 3_600_000)),
        previousEnd: this.params.previousEnd ? formatLocal(this.params.previousEnd, tz, lang) : '',
        ...this.signedBy,
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
        description: [vars.impact, vars.services].filter(Boolean).join('\n'),
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

// ---------------------------------------------------------------- rendering at send time

export interface SendRow {
  id: number;
  /** Attempts including the current claim (1 = first time: nothing stored yet). */
  attempts?: number;
  /** null: a contract notice, whose message was stored when it was queued. */
  campaign_id: number | null;
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
      const c = campaignForRender(this.core, campaignId);
      if (!c) throw new PuestaError('NOT_FOUND', `There is no campaign with id ${campaignId}.`);
      e = { r: new NoticeRenderer(this.core, getWindow(this.core, c.windowId), c.kind, { ...c.params, offsetHours: c.offsetHours }), at: Date.now() };
      this.renderers.set(campaignId, e);
    }
    return e.r;
  }

  customer(id: number | null): { timezone: string; language: string } {
    if (id == null) return { timezone: 'UTC', language: 'en' };
    this.fresh();
    let c = this.customers.get(id);
    if (!c) {
      c = customerLocale(this.core, id) ?? { timezone: 'UTC', language: 'en' };
      this.customers.set(id, c);
    }
    return c;
  }

  render(row: SendRow): RenderedNotice {
    return this.renderShared(row).notice;
  }

  renderShared(row: SendRow): ReturnType<NoticeRenderer['renderShared']> {
    if (row.campaign_id === null) throw new PuestaError('INTERNAL', `Outbox message ${row.id} belongs to no campaign and has no stored message.`);
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
  // Only rows claimed before (attempts > 1 once claimed) can already have a stored message, and
  // contract notices, which are stored when queued.
  const again = rows.filter((r) => (r.attempts ?? 2) > 1 || r.campaign_id === null);
  if (again.length) {
    for (const b of storedMessages(core, again.map((r) => r.id))) {
      const m = storedMessage(b);
      if (m) out.set(b.id, m);
    }
  }
  const ts = new Date().toISOString();
  for (const r of rows) {
    if (out.has(r.id)) continue;
    const { notice: m, share } = cache.renderShared(r);
    if (share && r.campaign_id !== null) {
      share.storedId ??= insertSharedRender(core, { campaignId: r.campaign_id, parts: share.parts, ics: share.ics, method: share.method }, ts);
      setSharedMessage(core, r.id, m.subject, m.icsMethod, share.storedId);
    } else {
      setOwnMessage(core, r.id, m);
    }
    out.set(r.id, { subject: m.subject, html: m.html, text: m.text, ics: m.ics, icsMethod: m.icsMethod });
  }
  return out;
}
