/**
 * The sender's pacing as pure state over a clock it is given (no timers, no I/O): when the next
 * messages may be handed to SMTP, how many at once, and how long to back off.
 *
 * - Rate: message k after an idle period (> 1 s) is handed over no earlier than (completion of the
 *   first) + k/rate: a cold start sends one message and counts the next slots from its completion.
 * - A late timer catches up at most 50 ms of slots, so it never turns into a burst.
 * - In flight: at most maxConnections × 8 messages, refilled in groups of maxConnections × 4 (one
 *   claiming transaction per group: the commit, not the rows, is what costs), so the pool always
 *   has the next messages ready for each connection.
 * - Gathering: at high rates slots are gathered up to 25 ms' worth (one claim for several messages
 *   instead of one per slot); the rate over any second is unchanged.
 */

export interface ThrottleLimits {
  ratePerSecond: number;
  maxConnections: number;
}

/** What the pump does next: claim up to `count` rows now, wait `ms`, or leave it to a completion. */
export type Slot = { kind: 'claim'; count: number; cold: boolean } | { kind: 'wait'; ms: number } | { kind: 'full' };

export class SlotThrottle {
  private inflight = 0;
  private nextSlot = 0;
  private warmingUp = false;
  private lastActivity = 0;
  private interval = 200;
  private maxInflight = 16;
  private group = 8;
  private refill = 1;

  get inFlight(): number {
    return this.inflight;
  }

  /** Starts a pump round with the current settings (the refill threshold holds for the whole round). */
  begin(limits: ThrottleLimits): void {
    this.interval = 1000 / limits.ratePerSecond;
    this.maxInflight = limits.maxConnections * 8;
    this.group = limits.maxConnections * 4;
    this.refill = this.inflight === 0 ? 1 : this.group;
  }

  /** Nothing more this round: too few free places to be worth a claim, or the cold start's first message is out. */
  get full(): boolean {
    return this.maxInflight - this.inflight < this.refill || this.warmingUp;
  }

  next(now: number): Slot {
    if (this.full) return { kind: 'full' };
    if (this.nextSlot > now) return { kind: 'wait', ms: this.nextSlot - now };
    const cold = this.inflight === 0 && now - this.lastActivity > 1000;
    const first = Math.max(this.nextSlot, now - 50);
    const want = cold ? 1 : this.maxInflight - this.inflight;
    // Slots due now.
    let slot = first;
    let k = 0;
    while (k < want && slot <= now) {
      slot += this.interval;
      k++;
    }
    const batch = Math.min(this.group, want, Math.floor(25 / this.interval));
    if (!cold && batch >= 2 && k < batch) return { kind: 'wait', ms: Math.max(1, Math.ceil(first + (batch - 1) * this.interval - now)) };
    return { kind: 'claim', count: k, cold };
  }

  /** `n` rows were claimed at `now` (the answer to a `claim` slot) and are being handed over. */
  claimed(now: number, n: number, cold: boolean): void {
    if (n === 0) return;
    this.nextSlot = Math.max(this.nextSlot, now - 50) + n * this.interval;
    if (cold) this.warmingUp = true;
    this.inflight += n;
  }

  /** A message's hand-over ended (accepted or not) at `now`. */
  completed(now: number): void {
    this.inflight--;
    this.lastActivity = now;
    if (this.warmingUp) {
      this.warmingUp = false;
      this.nextSlot = now + this.interval;
    }
  }
}

/** Exponential back-off: base × 2^(n-1), capped. */
export const backoffMs = (n: number, baseMs: number, maxMs: number): number => Math.min(baseMs * 2 ** (n - 1), maxMs);

/** The whole sender's back-off while the server is unreachable. */
export class OfflineBackoff {
  private until = 0;
  private failures = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  /** The server could not be reached at `now`. Messages already in flight that fail during the wait do not lengthen it. */
  failed(now: number): void {
    if (this.until > now) return;
    this.failures++;
    this.until = now + backoffMs(this.failures, this.baseMs, this.maxMs);
  }

  /** The server answered: the next outage starts from the base again. */
  succeeded(): void {
    this.failures = 0;
  }

  /** Try at once ("send now"): the current wait ends, the back-off is remembered. */
  skip(): void {
    this.until = 0;
  }

  /** New settings: forget everything. */
  reset(): void {
    this.until = 0;
    this.failures = 0;
  }

  /** ms left to wait at `now` (0: go). */
  waitMs(now: number): number {
    return Math.max(0, this.until - now);
  }

  /** When the wait ends, if it has not yet at `now`. */
  endsAt(now: number): number | null {
    return this.until > now ? this.until : null;
  }
}
