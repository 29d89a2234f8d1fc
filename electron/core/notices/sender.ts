/**
 * The outbox sender: one per core (`core.services.notices`), started lazily or by the shells at app
 * start, stopped on core close.
 *
 * Ledger rules (the point of it all):
 * - a row is claimed `queued → sending` (one atomic UPDATE … RETURNING) just before it is handed to
 *   SMTP, and becomes `sent` only once the server has answered 250 — so a crash or kill between the two
 *   leaves it in `sending`, which start-up turns into `unknown`: the operator decides (resend with the
 *   SAME Message-ID, or mark sent). Nothing is resent silently, nothing is lost;
 * - temporary errors (4xx) → `queued` again with exponential back-off; permanent (5xx) → `failed`;
 *   the server unreachable (connection, greeting, login, 421) → the row waits (attempt not counted),
 *   the sender backs off as a whole and reports `outbox.status {online:false}`;
 * - pacing (rate, cold start, messages in flight, gathering of slots): throttle.ts;
 * - batching: rows are claimed maxConnections×4 at a time (one transaction, which also records the
 *   `sent` results collected since the previous claim). A row is `sending` from its claim until its
 *   result is written, so at most maxConnections×8 rows are ever `sending` — the most a crash can
 *   turn into `unknown`. A message the server accepted whose `sent` was not yet written is exactly
 *   such a row: after a crash it is `unknown`, never queued again.
 */
import type { OutboxStatus } from '../../../shared/contract/notices.js';
import type { Core } from '../core.js';
import { Alarm } from './alarm.js';
import { Materialiser } from './materialise.js';
import * as outbox from './outbox-store.js';
import { NoticeEvents } from './progress.js';
import { RenderCache, renderForSend } from './render.js';
import { PendingSent } from './sent-batch.js';
import { classify } from './smtp.js';
import { backoffMs, OfflineBackoff, SlotThrottle } from './throttle.js';
import { SmtpLink } from './transport.js';

export interface NoticeOptions {
  /** Poll period while idle (new work through the API wakes the sender at once). */
  idleMs: number;
  /** Back-off of a message after a temporary (4xx) error: base × 2^(attempt-1), capped. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts before a temporarily failing message is given up as failed. */
  maxAttempts: number;
  /** Back-off of the whole sender while SMTP is unreachable. */
  offlineBaseMs: number;
  offlineMaxMs: number;
  /** Tests: called the moment the server has accepted a message, before its `sent` is written. */
  onAccepted?: (outboxId: number, messageId: string) => void;
}

export const DEFAULT_NOTICE_OPTIONS: NoticeOptions = {
  idleMs: 2_000,
  retryBaseMs: 30_000,
  retryMaxMs: 3_600_000,
  maxAttempts: 8,
  offlineBaseMs: 2_000,
  offlineMaxMs: 60_000,
};

const RECOVERED =
  'Puesta stopped while this message was being handed to the SMTP server: it may or may not have been delivered. Resend it or mark it sent.';

interface Claimed {
  id: number;
  /** null: a contract notice (electron/core/contracts/reminders.ts). */
  campaignId: number | null;
  email: string;
  contactName: string;
  messageId: string;
  attempts: number;
  message: { subject: string; html: string; text: string; ics: string; icsMethod: string };
}

export class NoticeSender {
  private state: 'new' | 'started' | 'stopped' = 'new';
  private readonly alarm = new Alarm(() => this.pump());
  private readonly link: SmtpLink;
  private readonly throttle = new SlotThrottle();
  private readonly offline: OfflineBackoff;
  private readonly events: NoticeEvents;
  private readonly sent: PendingSent;
  private readonly materialiser: Materialiser;
  private renders: RenderCache;
  private health: { online: boolean; lastError?: string } = { online: true };
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly core: Core,
    readonly opts: NoticeOptions,
  ) {
    this.link = new SmtpLink(core);
    this.offline = new OfflineBackoff(opts.offlineBaseMs, opts.offlineMaxMs);
    this.events = new NoticeEvents(core);
    this.sent = new PendingSent(core, (id) => this.events.touched(id), () => this.checkIdle());
    this.materialiser = new Materialiser(core);
    this.renders = new RenderCache(core);
  }

  /** Recovers rows a previous process left in `sending` (→ unknown), then starts pumping. */
  start(): this {
    if (this.state !== 'new') return this;
    this.state = 'started';
    const n = this.core.tx(() => {
      const rows = outbox.recoverSending(this.core, RECOVERED, new Date().toISOString());
      if (!rows.length) return 0;
      for (const r of rows) this.events.touched(r.campaignId);
      this.core.audit.write('puesta', 'recover:unknown', 'outbox', null, null, { ids: rows.map((r) => r.id) });
      return rows.length;
    });
    if (n) this.events.flush();
    this.kick();
    return this;
  }

  /** Wakes the pump now (new campaign, resend, settings changed). */
  kick(): void {
    if (this.state === 'new') {
      this.start();
      return;
    }
    this.materialiser.soon();
    this.schedule(0);
  }

  /** SMTP settings changed: drop the transport and any offline back-off. */
  reconfigure(): void {
    this.link.reset();
    this.offline.reset();
    this.health = { online: true };
    this.events.status(this.status(), true);
    this.kick();
  }

  /** "Send now": forget back-offs (the server's and the rows') and try at once. */
  sendNow(): OutboxStatus {
    this.offline.skip();
    outbox.retryAllNow(this.core, new Date().toISOString());
    this.kick();
    return this.status();
  }

  status(): OutboxStatus {
    const smtp = this.link.settings();
    const counts = outbox.pendingCounts(this.core);
    const s: OutboxStatus = { online: smtp.configured && this.health.online, configured: smtp.configured, pending: counts.queued, unknown: counts.unknown };
    if (!smtp.configured) s.lastError = 'SMTP is not set up: enter a host and a "from" address in Settings → SMTP. Messages wait until then.';
    else if (this.health.lastError) s.lastError = this.health.lastError;
    const until = this.offline.endsAt(Date.now());
    if (until !== null) s.nextAttemptAt = new Date(until).toISOString();
    return s;
  }

  /** Resolves when nothing is in flight and nothing is due now (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Campaign counts changed outside the sender (resend, mark sent, cancel): emit progress soon. */
  touched(campaignIds: (number | null)[]): void {
    for (const id of campaignIds) this.events.touched(id);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.alarm.cancel();
    this.events.close();
    this.sent.close();
    // A quit lets the messages already handed over finish (bounded), so they are recorded.
    const t0 = Date.now();
    while (this.throttle.inFlight > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    if (this.core.db.open) {
      this.sent.flush();
      this.events.flush();
    }
    this.link.drop();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  // ---------------------------------------------------------------- internals

  private isIdle(): boolean {
    if (this.throttle.inFlight > 0 || this.sent.size > 0) return false;
    const due = outbox.dueAt(this.core, new Date().toISOString());
    if (!due.row && !due.campaign) return true;
    // Work is due but cannot go (offline or not configured): that is idle too.
    return !this.link.settings().configured || (due.row && !due.campaign && this.offline.waitMs(Date.now()) > 0);
  }

  private checkIdle(): void {
    if (this.idleWaiters.length && this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  private schedule(ms: number): void {
    if (this.state !== 'stopped') this.alarm.set(ms);
  }

  private pump(): void {
    if (!this.core.db.open || this.state === 'stopped') return;
    try {
      for (const id of this.materialiser.due(this.throttle.inFlight === 0)) this.events.touched(id);
      const smtp = this.link.settings();
      if (!smtp.configured) {
        this.events.status(this.status());
        this.checkIdle();
        this.schedule(this.opts.idleMs * 5);
        return;
      }
      const wait = this.offline.waitMs(Date.now());
      if (wait > 0) {
        this.checkIdle();
        this.schedule(wait);
        return;
      }
      this.throttle.begin(smtp);
      for (;;) {
        const now = Date.now();
        const slot = this.throttle.next(now);
        if (slot.kind === 'full') return; // a completion will pump again
        if (slot.kind === 'wait') {
          this.schedule(slot.ms);
          return;
        }
        const rows = this.claim(now, slot.count);
        this.throttle.claimed(now, rows.length, slot.cold);
        for (const row of rows) this.send(row, smtp.from);
        if (rows.length < slot.count) break;
      }
      if (this.throttle.full) return;
      this.checkIdle();
      this.schedule(this.nextWake());
    } catch (e) {
      this.health.lastError = `The sender hit an error: ${(e as Error).message}`;
      this.events.status(this.status());
      this.schedule(this.opts.idleMs);
    }
  }

  private nextWake(): number {
    let wake = Date.now() + this.opts.idleMs * 15;
    for (const t of outbox.nextDue(this.core)) if (t) wake = Math.min(wake, Date.parse(t));
    return Math.max(0, wake - Date.now());
  }

  /** Claims up to k due rows (queued → sending) and their messages (rendered now if new), in one transaction. */
  private claim(now: number, k: number): Claimed[] {
    const iso = new Date(now).toISOString();
    try {
      return this.core.tx(() => {
        // The results collected since the last claim share this transaction (one commit for both).
        this.sent.flush();
        const rows = outbox.claimDue(this.core, iso, k);
        if (!rows.length) return [];
        const msgs = renderForSend(this.core, this.renders, rows);
        return rows.map((r) => ({ id: r.id, campaignId: r.campaign_id, email: r.email, contactName: r.contact_name, messageId: r.message_id, attempts: r.attempts, message: msgs.get(r.id)! }));
      });
    } catch (e) {
      // Rolled back: the render cache may remember outbox_renders rows that were not kept.
      this.renders = new RenderCache(this.core);
      throw e;
    }
  }

  private send(row: Claimed, from: string): void {
    this.events.touched(row.campaignId);
    const m = row.message;
    let accepted: Promise<string>;
    try {
      accepted = this.link.send(from, {
        to: row.contactName ? { name: row.contactName, address: row.email } : row.email,
        subject: m.subject,
        text: m.text,
        html: m.html,
        messageId: row.messageId,
        ics: m.ics,
        icsMethod: m.icsMethod,
      });
    } catch (e) {
      this.finish(row, e);
      return;
    }
    accepted.then(
      (response) => this.finish(row, null, response),
      (e: unknown) => this.finish(row, e),
    );
  }

  private finish(row: Claimed, error: unknown, response = ''): void {
    this.throttle.completed(Date.now());
    if (this.state === 'stopped' && !this.core.db.open) return;
    const ts = new Date().toISOString();
    if (!error) {
      this.opts.onAccepted?.(row.id, row.messageId);
      // Recorded with the next claim (same transaction) or within 15 ms. Until then the row reads
      // "sending": a crash in between makes it "unknown", never "queued" (so never resent).
      this.sent.push({ id: row.id, campaignId: row.campaignId, response: response.slice(0, 500), ts });
      this.offline.succeeded();
      if (!this.health.online || this.health.lastError) {
        this.health = { online: true };
        this.events.status(this.status());
      }
    } else {
      const c = classify(error);
      if (c.kind === 'offline') {
        outbox.requeueUncounted(this.core, row.id, c.message, ts);
        this.offline.failed(Date.now());
        this.health = { online: false, lastError: `SMTP server unreachable: ${c.message}. Messages wait and go out when it answers again.` };
        this.link.drop();
        this.events.status(this.status(), true);
      } else if (c.kind === 'temporary' && row.attempts < this.opts.maxAttempts) {
        const at = new Date(Date.now() + backoffMs(row.attempts, this.opts.retryBaseMs, this.opts.retryMaxMs)).toISOString();
        outbox.retryLater(this.core, row.id, `Temporary error (attempt ${row.attempts}), will retry: ${c.message}`, at, ts);
      } else {
        outbox.failRow(this.core, row.id, c.kind === 'temporary' ? `Gave up after ${row.attempts} attempts: ${c.message}` : c.message, ts);
      }
    }
    this.events.touched(row.campaignId);
    if (this.state !== 'stopped') this.schedule(0);
    else if (this.core.db.open) this.sent.flush();
  }
}
