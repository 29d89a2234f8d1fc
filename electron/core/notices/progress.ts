/**
 * The sender's events: `outbox.progress` per campaign whose counts changed (coalesced, at most one
 * round every 200 ms) and `outbox.status` when SMTP reachability or its message changes.
 */
import type { OutboxStatus } from '../../../shared/contract/notices.js';
import type { Core } from '../core.js';
import { campaignCounts, windowOfCampaign } from './outbox-store.js';

export class NoticeEvents {
  private readonly dirty = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastStatus = '';

  constructor(private readonly core: Core) {}

  /** The campaign's counts changed: a progress event follows soon (a contract notice has no campaign: nothing). */
  touched(campaignId: number | null): void {
    if (campaignId === null) return;
    this.dirty.add(campaignId);
    if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.core.db.open) this.flush();
      }, 200);
      this.timer.unref();
    }
  }

  /** Emits the progress of every touched campaign now. */
  flush(): void {
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) {
      const windowId = windowOfCampaign(this.core, id);
      if (windowId === undefined) continue;
      const c = campaignCounts(this.core, id);
      this.core.events.emit('outbox.progress', { campaignId: id, windowId, queued: c.queued, sending: c.sending, sent: c.sent, failed: c.failed, unknown: c.unknown });
    }
  }

  /** Emits the status if what it says (not its counts) changed, or always with `force`. */
  status(s: OutboxStatus, force = false): void {
    const json = JSON.stringify({ ...s, pending: undefined, unknown: undefined });
    if (!force && json === this.lastStatus) return;
    this.lastStatus = json;
    this.core.events.emit('outbox.status', s);
  }

  /** No more timers (the caller flushes once at the end). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
