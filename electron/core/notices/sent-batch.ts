import type { Core } from '../core.js';
import { markSentBatch } from './outbox-store.js';

/**
 * Accepted messages whose `sent` is not written yet: written in one transaction with the next claim,
 * or after 15 ms when no claim comes (end of a campaign). Rows stay `sending` until then: at most
 * maxConnections × 8 rows are ever in that state.
 */
export class PendingSent {
  private batch: { id: number; campaignId: number | null; response: string; ts: string }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly core: Core,
    private readonly touched: (campaignId: number | null) => void,
    private readonly afterTimedFlush: () => void,
  ) {}

  get size(): number {
    return this.batch.length;
  }

  push(b: { id: number; campaignId: number | null; response: string; ts: string }): void {
    this.batch.push(b);
    if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.core.db.open) return;
        this.flush();
        this.afterTimedFlush();
      }, 15);
      this.timer.unref();
    }
  }

  /** Writes the batch (inside the caller's transaction if there is one). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.batch.length || !this.core.db.open) return;
    const batch = this.batch.splice(0);
    this.core.tx(() => markSentBatch(this.core, batch));
    // the counts changed only now: a progress event computed before this write would be the last
    // one the UI sees, showing these rows still "sending"
    for (const id of new Set(batch.map((b) => b.campaignId))) this.touched(id);
  }

  /** No more timers: what is pending is written by the last flush. */
  close(): void {
    this.closed = true;
  }
}
