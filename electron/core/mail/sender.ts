/**
 * The outbox sender: one per core (`mailOf(core)`), started lazily, stopped on core close.
 *
 * Ledger rules (the point of it all):
 * - a row is claimed `queued → sending` (one atomic UPDATE … RETURNING) just before it is handed to
 *   SMTP, and becomes `sent` only once the server has answered 250 — so a crash or kill between the two
 *   leaves it in `sending`, which start-up turns into `unknown`: the operator decides (resend with the
 *   SAME Message-ID, or mark sent). Nothing is resent silently, nothing is lost;
 * - temporary errors (4xx) → `queued` again with exponential back-off; permanent (5xx) → `failed`;
 *   the server unreachable (connection, greeting, login, 421) → the row waits (attempt not counted),
 *   the sender backs off as a whole and reports `outbox.status {online:false}`;
 * - throttling: message k after an idle period (> 1 s) is handed over no earlier than
 *   (completion of the first) + k/rate, with at most maxConnections×8 messages in flight;
 * - batching: rows are claimed maxConnections×4 at a time (one transaction, which also records the
 *   `sent` results collected since the previous claim). A row is `sending` from its claim until its
 *   result is written, so at most maxConnections×8 rows are ever `sending` — the most a crash can
 *   turn into `unknown`. A message the server accepted whose `sent` was not yet written is exactly
 *   such a row: after a crash it is `unknown`, never queued again.
 */
import type { Statement } from 'better-sqlite3';
import type { Transporter } from 'nodemailer';
import type { OutboxStatus } from '../../../shared/contract/windows.js';
import type { Core } from '../core.js';
import { campaignCounts, materialiseDue, RenderCache, renderForSend, type Recipient, type SendRow } from './campaigns.js';
import { classify, getSmtp, makeTransport, PASSWORD_KEY } from './smtp.js';

export interface MailOptions {
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

export const DEFAULT_MAIL_OPTIONS: MailOptions = {
  idleMs: 2_000,
  retryBaseMs: 30_000,
  retryMaxMs: 3_600_000,
  maxAttempts: 8,
  offlineBaseMs: 2_000,
  offlineMaxMs: 60_000,
};

interface Claimed {
  id: number;
  campaign_id: number;
  email: string;
  contact_name: string;
  subject: string;
  html: string;
  text: string;
  ics: string;
  ics_method: string;
  message_id: string;
  attempts: number;
}

/** The core's sender (built on first use by core.services; options only apply before that). */
export function mailOf(core: Core, opts: Partial<MailOptions> = {}): MailService {
  if (Object.keys(opts).length) core.services.configure({ notices: opts });
  return core.services.notices;
}

/** For shells: start the sender at app start so due notices go out without any screen open. */
export function startMail(core: Core, opts: Partial<MailOptions> = {}): MailService {
  return mailOf(core, opts).start();
}

export class MailService {
  private started = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private transport: Transporter | null = null;
  private transportKey = '';
  private keyedCache: unknown = null;
  private currentKey = '';
  private inflight = 0;
  private nextSlot = 0;
  private warmingUp = false;
  private lastActivity = 0;
  private online = true;
  private lastError: string | undefined;
  private offlineUntil = 0;
  private offlineFailures = 0;
  private dirty = new Set<number>();
  private progressTimer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];
  private lastStatusJson = '';
  private stmts = new Map<string, Statement>();
  private smtpCache: { value: ReturnType<typeof getSmtp>; hasPassword: boolean; at: number } | null = null;
  private lastMaterialise = 0;
  private immediate = false;
  private sentBatch: { id: number; campaignId: number; response: string; ts: string }[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  /** Recipient lists of campaigns being materialised in chunks. */
  private recipients = new Map<number, Recipient[]>();
  private renders: RenderCache;

  constructor(
    private readonly core: Core,
    readonly opts: MailOptions,
  ) {
    this.renders = new RenderCache(core);
  }

  /** Recovers rows a previous process left in `sending` (→ unknown), then starts pumping. */
  start(): this {
    if (this.started || this.closed) return this;
    this.started = true;
    const ts = new Date().toISOString();
    const n = this.core.tx(() => {
      const ids = (this.q("SELECT id, campaign_id FROM outbox WHERE state = 'sending'").all() as { id: number; campaign_id: number }[]);
      if (!ids.length) return 0;
      this.q(
          "UPDATE outbox SET state = 'unknown', last_error = 'Puesta stopped while this message was being handed to the SMTP server: it may or may not have been delivered. Resend it or mark it sent.', updated_at = ? WHERE state = 'sending'",
        )
        .run(ts);
      for (const r of ids) this.dirty.add(r.campaign_id);
      this.core.audit.write('puesta', 'recover:unknown', 'outbox', null, null, { ids: ids.map((r) => r.id) });
      return ids.length;
    });
    if (n) this.flushProgress();
    this.kick();
    return this;
  }

  /** Wakes the pump now (new campaign, resend, settings changed). */
  kick(): void {
    if (!this.started) {
      this.start();
      return;
    }
    this.lastMaterialise = 0;
    this.schedule(0);
  }

  /** SMTP settings changed: drop the transport and any offline back-off. */
  reconfigure(): void {
    this.smtpCache = null;
    this.dropTransport();
    this.offlineUntil = 0;
    this.offlineFailures = 0;
    this.online = true;
    this.lastError = undefined;
    this.emitStatus(true);
    this.kick();
  }

  /** "Send now": forget back-offs (the server's and the rows') and try at once. */
  sendNow(): OutboxStatus {
    this.offlineUntil = 0;
    this.q("UPDATE outbox SET next_attempt_at = ? WHERE state = 'queued' AND next_attempt_at > ?").run(new Date().toISOString(), new Date().toISOString());
    this.kick();
    return this.status();
  }

  status(): OutboxStatus {
    const smtp = this.smtp();
    const counts = this.q("SELECT sum(state = 'queued') AS q, sum(state = 'unknown') AS u FROM outbox WHERE state IN ('queued', 'unknown')").get() as {
      q: number | null;
      u: number | null;
    };
    const s: OutboxStatus = { online: smtp.configured && this.online, configured: smtp.configured, pending: counts.q ?? 0, unknown: counts.u ?? 0 };
    if (!smtp.configured) s.lastError = 'SMTP is not set up: enter a host and a "from" address in Settings → SMTP. Messages wait until then.';
    else if (this.lastError) s.lastError = this.lastError;
    if (this.offlineUntil > Date.now()) s.nextAttemptAt = new Date(this.offlineUntil).toISOString();
    return s;
  }

  /** Resolves when nothing is in flight and nothing is due now (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // A quit lets the messages already handed over finish (bounded), so they are recorded.
    const t0 = Date.now();
    while (this.inflight > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = null;
    if (this.core.db.open) {
      this.flushSent();
      this.flushProgress();
    }
    this.dropTransport();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  // ---------------------------------------------------------------- internals

  /** Prepared once per statement text (the send path runs these per message). */
  private q(sql: string): Statement {
    let st = this.stmts.get(sql);
    if (!st) {
      st = this.core.db.prepare(sql);
      this.stmts.set(sql, st);
    }
    return st;
  }

  /** SMTP settings, re-read at most once a second (smtp.save calls reconfigure() at once). */
  private smtp(): ReturnType<typeof getSmtp> {
    if (!this.smtpCache || Date.now() - this.smtpCache.at > 1000) {
      this.smtpCache = { value: getSmtp(this.core), hasPassword: this.core.secrets.has(PASSWORD_KEY), at: Date.now() };
    }
    return this.smtpCache.value;
  }

  private isIdle(): boolean {
    if (this.inflight > 0 || this.sentBatch.length > 0) return false;
    const now = new Date().toISOString();
    const dueRow = this.q("SELECT 1 FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? LIMIT 1").get(now);
    const dueCampaign = this.q("SELECT 1 FROM campaigns WHERE state IN ('scheduled', 'materialising') AND scheduled_at <= ? LIMIT 1").get(now);
    if (!dueRow && !dueCampaign) return true;
    // Work is due but cannot go (offline or not configured): that is idle too.
    return !this.smtp().configured || (!!dueRow && !dueCampaign && this.offlineUntil > Date.now());
  }

  private checkIdle(): void {
    if (this.idleWaiters.length && this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (ms <= 0) {
      // Now: setImmediate (a 0 ms timer costs ~1 ms per message on the send path).
      if (this.immediate) return;
      this.immediate = true;
      setImmediate(() => {
        this.immediate = false;
        this.pump();
      });
      return;
    }
    const at = Date.now() + Math.max(0, ms);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, Math.max(0, ms));
    this.timer.unref();
  }

  private dropTransport(): void {
    if (this.transport) {
      try {
        this.transport.close();
      } catch {
        // already closed
      }
    }
    this.transport = null;
    this.transportKey = '';
  }

  private ensureTransport(): Transporter {
    const s = this.smtp();
    // The key is recomputed only when the settings were re-read (at most once a second), not per message.
    const cache = this.smtpCache!;
    if (cache !== this.keyedCache) {
      this.keyedCache = cache;
      this.currentKey = JSON.stringify([s.host, s.port, s.secure, s.user, s.maxConnections, cache.hasPassword]);
    }
    const key = this.currentKey;
    if (!this.transport || key !== this.transportKey) {
      this.dropTransport();
      this.transport = makeTransport(this.core, true);
      this.transportKey = key;
    }
    return this.transport;
  }

  private pump(): void {
    if (!this.core.db.open || this.closed) return;
    try {
      if (Date.now() - this.lastMaterialise > 250 || this.inflight === 0) {
        this.lastMaterialise = Date.now();
        for (const id of materialiseDue(this.core, new Date(), { firstChunk: 500, chunk: 500, lowWater: 1000, recipients: this.recipients })) this.markDirty(id);
      }
      const smtp = this.smtp();
      if (!smtp.configured) {
        this.emitStatus();
        this.checkIdle();
        this.schedule(this.opts.idleMs * 5);
        return;
      }
      const now = Date.now();
      if (this.offlineUntil > now) {
        this.checkIdle();
        this.schedule(this.offlineUntil - now);
        return;
      }
      // Up to 8 messages per connection in flight; refilled in groups of 4 per connection (one claiming
      // transaction per group: the commit, not the rows, is what costs), so the pool always has the
      // next messages ready for each connection.
      const maxInflight = smtp.maxConnections * 8;
      const refill = this.inflight === 0 ? 1 : smtp.maxConnections * 4;
      const interval = 1000 / smtp.ratePerSecond;
      while (maxInflight - this.inflight >= refill && !this.warmingUp) {
        const t = Date.now();
        if (this.nextSlot > t) {
          this.schedule(this.nextSlot - t);
          return;
        }
        const cold = this.inflight === 0 && t - this.lastActivity > 1000;
        // Slots due now (catch-up limited to 50 ms, so a late timer never turns into a burst).
        let slot = Math.max(this.nextSlot, t - 50);
        let k = 0;
        const want = cold ? 1 : maxInflight - this.inflight;
        while (k < want && slot <= t) {
          slot += interval;
          k++;
        }
        // At high rates, slots are gathered up to 25 ms' worth (one claiming transaction for several
        // messages instead of one per slot); the rate over any second is unchanged.
        const batch = Math.min(smtp.maxConnections * 4, want, Math.floor(25 / interval));
        if (!cold && batch >= 2 && k < batch) {
          const first = Math.max(this.nextSlot, t - 50);
          this.schedule(Math.max(1, Math.ceil(first + (batch - 1) * interval - t)));
          return;
        }
        const rows = this.claim(t, k);
        if (!rows.length) break;
        this.nextSlot = Math.max(this.nextSlot, t - 50) + rows.length * interval;
        // Cold start: the next slots count from this message's completion (see the header).
        if (cold) this.warmingUp = true;
        for (const row of rows) this.send(row, smtp.from, interval);
        if (rows.length < k) break;
      }
      if (maxInflight - this.inflight < refill || this.warmingUp) return; // a completion will pump again
      this.checkIdle();
      this.schedule(this.nextWake());
    } catch (e) {
      this.lastError = `The sender hit an error: ${(e as Error).message}`;
      this.emitStatus();
      this.schedule(this.opts.idleMs);
    }
  }

  private nextWake(): number {
    const r = this.q("SELECT min(next_attempt_at) AS t FROM outbox WHERE state = 'queued'").get() as { t: string | null };
    const c = this.q("SELECT min(scheduled_at) AS t FROM campaigns WHERE state IN ('scheduled', 'materialising')").get() as { t: string | null };
    let wake = Date.now() + this.opts.idleMs * 15;
    for (const t of [r.t, c.t]) if (t) wake = Math.min(wake, Date.parse(t));
    return Math.max(0, wake - Date.now());
  }

  /** Claims up to k due rows (queued → sending) and their messages (rendered now if new), in one transaction. */
  private claim(now: number, k: number): Claimed[] {
    const iso = new Date(now).toISOString();
    try {
      return this.claimTx(iso, k);
    } catch (e) {
      // Rolled back: the render cache may remember outbox_renders rows that were not kept.
      this.renders = new RenderCache(this.core);
      throw e;
    }
  }

  private claimTx(iso: string, k: number): Claimed[] {
    return this.core.tx(() => {
      // The results collected since the last claim share this transaction (one commit for both).
      this.flushSent();
      const rows = this.q(
        `UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?
         WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?)
         RETURNING id, campaign_id, customer_id, customer_name, contact_name, email, message_id, attempts`,
      ).all(iso, iso, k) as (SendRow & { message_id: string; attempts: number })[];
      if (!rows.length) return [];
      rows.sort((a, b) => a.id - b.id);
      const msgs = renderForSend(this.core, this.renders, rows);
      return rows.map((r) => {
        const m = msgs.get(r.id)!;
        return {
          id: r.id,
          campaign_id: r.campaign_id,
          email: r.email,
          contact_name: r.contact_name,
          subject: m.subject,
          html: m.html,
          text: m.text,
          ics: m.ics,
          ics_method: m.icsMethod,
          message_id: r.message_id,
          attempts: r.attempts,
        };
      });
    });
  }

  /**
   * Writes the successes collected since the last claim in one transaction (or inside the claiming
   * one). Rows stay "sending" until then: at most maxConnections × 8 rows are ever in that state.
   */
  private flushSent(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (!this.sentBatch.length || !this.core.db.open) return;
    const batch = this.sentBatch.splice(0);
    const st = this.q("UPDATE outbox SET state = 'sent', smtp_message_id = ?, sent_at = ?, last_error = NULL, updated_at = ? WHERE id = ?");
    this.core.tx(() => {
      for (const b of batch) st.run(b.response, b.ts, b.ts, b.id);
    });
    // the counts changed only now: a progress event computed before this write would be the last
    // one the UI sees, showing these rows still "sending"
    for (const id of new Set(batch.map((b) => b.campaignId))) this.markDirty(id);
  }

  private send(row: Claimed, from: string, interval: number): void {
    this.inflight++;
    this.markDirty(row.campaign_id);
    let transport: Transporter;
    try {
      transport = this.ensureTransport();
    } catch (e) {
      this.finish(row, e, interval);
      return;
    }
    transport
      .sendMail({
        from,
        to: row.contact_name ? { name: row.contact_name, address: row.email } : row.email,
        subject: row.subject,
        text: row.text,
        html: row.html,
        messageId: row.message_id,
        attachments: [{ filename: 'invite.ics', content: row.ics, contentType: `text/calendar; charset=utf-8; method=${row.ics_method}` }],
      })
      .then(
        (info: { response?: string }) => this.finish(row, null, interval, info.response ?? ''),
        (e: unknown) => this.finish(row, e, interval),
      );
  }

  private finish(row: Claimed, error: unknown, interval: number, response = ''): void {
    this.inflight--;
    this.lastActivity = Date.now();
    if (this.warmingUp) {
      this.warmingUp = false;
      this.nextSlot = Date.now() + interval;
    }
    if (this.closed && !this.core.db.open) return;
    const ts = new Date().toISOString();
    if (!error) {
      this.opts.onAccepted?.(row.id, row.message_id);
      // Recorded with the next claim (same transaction) or within 15 ms. Until then the row reads
      // "sending": a crash in between makes it "unknown", never "queued" (so never resent).
      this.sentBatch.push({ id: row.id, campaignId: row.campaign_id, response: response.slice(0, 500), ts });
      if (!this.flushTimer && !this.closed) {
        // Written with the next claim, or after 15 ms when no claim comes (end of a campaign).
        this.flushTimer = setTimeout(() => {
          this.flushTimer = null;
          if (!this.core.db.open) return;
          this.flushSent();
          this.checkIdle();
        }, 15);
        this.flushTimer.unref();
      }
      if (!this.online || this.lastError) {
        this.online = true;
        this.offlineFailures = 0;
        this.lastError = undefined;
        this.emitStatus();
      }
    } else {
      const c = classify(error);
      if (c.kind === 'offline') {
        this.q("UPDATE outbox SET state = 'queued', attempts = max(attempts - 1, 0), last_error = ?, updated_at = ? WHERE id = ?")
          .run(c.message, ts, row.id);
        if (this.offlineUntil <= Date.now()) {
          this.offlineFailures++;
          this.offlineUntil = Date.now() + Math.min(this.opts.offlineBaseMs * 2 ** (this.offlineFailures - 1), this.opts.offlineMaxMs);
        }
        this.online = false;
        this.lastError = `SMTP server unreachable: ${c.message}. Messages wait and go out when it answers again.`;
        this.dropTransport();
        this.emitStatus(true);
      } else if (c.kind === 'temporary' && row.attempts < this.opts.maxAttempts) {
        const delay = Math.min(this.opts.retryBaseMs * 2 ** (row.attempts - 1), this.opts.retryMaxMs);
        this.q("UPDATE outbox SET state = 'queued', last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?")
          .run(`Temporary error (attempt ${row.attempts}), will retry: ${c.message}`, new Date(Date.now() + delay).toISOString(), ts, row.id);
      } else {
        this.q("UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?")
          .run(c.kind === 'temporary' ? `Gave up after ${row.attempts} attempts: ${c.message}` : c.message, ts, row.id);
      }
    }
    this.markDirty(row.campaign_id);
    if (!this.closed) this.schedule(0);
    else if (this.core.db.open) this.flushSent();
  }

  /** Campaign counts changed outside the sender (resend, mark sent, cancel): emit progress soon. */
  touched(campaignIds: number[]): void {
    for (const id of campaignIds) this.markDirty(id);
  }

  private markDirty(campaignId: number): void {
    this.dirty.add(campaignId);
    if (!this.progressTimer && !this.closed) {
      this.progressTimer = setTimeout(() => {
        this.progressTimer = null;
        if (this.core.db.open) this.flushProgress();
      }, 200);
      this.progressTimer.unref();
    }
  }

  private flushProgress(): void {
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) {
      const w = this.q('SELECT window_id FROM campaigns WHERE id = ?').get(id) as { window_id: number } | undefined;
      if (!w) continue;
      const c = campaignCounts(this.core, id);
      this.core.events.emit('outbox.progress', { campaignId: id, windowId: w.window_id, queued: c.queued, sending: c.sending, sent: c.sent, failed: c.failed, unknown: c.unknown });
    }
  }

  private emitStatus(force = false): void {
    const s = this.status();
    const json = JSON.stringify({ ...s, pending: undefined, unknown: undefined });
    if (!force && json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.core.events.emit('outbox.status', s);
  }
}
