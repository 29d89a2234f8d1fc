/**
 * Flow control for the events main forwards to the window (ipc.ts). `webContents.send` never says
 * no: a renderer that cannot keep up (a long task, a frozen page) would make main queue every
 * event in its IPC channel without bound. So main keeps count: every `markEvery` bytes it sends a
 * numbered mark, the preload answers each mark once the renderer has taken everything before it,
 * and at most `windowBytes` may be sent and not yet answered for. Past that, events wait here —
 * a run's log lines merged into one batch per run — up to `maxPendingBytes`; past THAT, they are
 * dropped and, once the renderer has caught up, it gets `events.resync` and reloads from the API.
 *
 * Plain TypeScript, no Electron (test/unit/electron-event-outbox.test.ts).
 */
import type { EventName, EventPayload } from '../../shared/contract/index.js';

export interface OutboxLimits {
  /** Bytes that may be sent and not yet acknowledged. */
  windowBytes: number;
  /** Bytes that may wait here while the window is full; past this, events are dropped for a resync. */
  maxPendingBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { windowBytes: 2 * 1024 * 1024, maxPendingBytes: 8 * 1024 * 1024 };

export interface OutboxPorts {
  send(event: EventName, payload: unknown): void;
  /** Asks the renderer to acknowledge everything sent so far with `ack(seq)`. */
  mark(seq: number): void;
}

/** Roughly what an event costs to carry: its text, plus a little per line. Cheaper than serialising it. */
export function eventBytes(event: EventName, payload: unknown): number {
  if (event === 'runs.log') {
    let n = 64;
    for (const l of (payload as EventPayload<'runs.log'>).lines) n += 96 + l.text.length;
    return n;
  }
  if (event === 'ssh.output') return 160 + (payload as EventPayload<'ssh.output'>).text.length;
  return 256;
}

interface Pending {
  event: EventName;
  payload: unknown;
  bytes: number;
}

export class EventOutbox {
  private sent = 0;
  private acked = 0;
  private seq = 0;
  private lastMarkAt = 0;
  /** Bytes sent when each mark still unanswered went out. */
  private readonly marks = new Map<number, number>();
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private resyncDue = false;
  private readonly limits: OutboxLimits;

  constructor(
    private readonly ports: OutboxPorts,
    limits: Partial<OutboxLimits> = {},
  ) {
    this.limits = { ...DEFAULT_OUTBOX_LIMITS, ...limits };
  }

  /** What main holds for the renderer right now (tests). */
  get stats(): { inFlightBytes: number; pendingBytes: number; resyncDue: boolean } {
    return { inFlightBytes: this.sent - this.acked, pendingBytes: this.pendingBytes, resyncDue: this.resyncDue };
  }

  push(event: EventName, payload: unknown): void {
    // Dropping until the renderer catches up: the resync reloads everything these would have changed.
    if (this.resyncDue) return;
    const bytes = eventBytes(event, payload);
    if (!this.pending.length && this.room()) return this.transmit(event, payload, bytes);
    this.enqueue(event, payload, bytes);
    if (this.pendingBytes > this.limits.maxPendingBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.resyncDue = true;
    }
  }

  /** The renderer took everything sent up to mark `seq`. */
  ack(seq: number): void {
    const at = this.marks.get(seq);
    if (at === undefined) return;
    this.acked = Math.max(this.acked, at);
    for (const s of [...this.marks.keys()]) if (s <= seq) this.marks.delete(s);
    this.drain();
  }

  /** A new page in the window: what was in flight went with the old one. */
  reset(): void {
    this.acked = this.sent;
    this.marks.clear();
    this.pending = [];
    this.pendingBytes = 0;
    this.resyncDue = false;
  }

  private room(): boolean {
    return this.sent - this.acked < this.limits.windowBytes;
  }

  private enqueue(event: EventName, payload: unknown, bytes: number): void {
    if (event === 'runs.log') {
      const p = payload as EventPayload<'runs.log'>;
      const last = this.pending.at(-1);
      // consecutive batches of one run travel as one (lines stay in id order)
      if (last?.event === 'runs.log' && (last.payload as EventPayload<'runs.log'>).runId === p.runId) {
        const merged = last.payload as EventPayload<'runs.log'>;
        last.payload = { runId: p.runId, lines: [...merged.lines, ...p.lines] };
        last.bytes += bytes;
        this.pendingBytes += bytes;
        return;
      }
    }
    this.pending.push({ event, payload, bytes });
    this.pendingBytes += bytes;
  }

  private transmit(event: EventName, payload: unknown, bytes: number): void {
    this.ports.send(event, payload);
    this.sent += bytes;
    // A mark every quarter window, and whenever the window fills, so an answer always reopens it.
    if (this.sent - this.lastMarkAt >= this.limits.windowBytes / 4 || !this.room()) {
      this.seq++;
      this.lastMarkAt = this.sent;
      this.marks.set(this.seq, this.sent);
      this.ports.mark(this.seq);
    }
  }

  private drain(): void {
    while (this.pending.length && this.room()) {
      const p = this.pending.shift()!;
      this.pendingBytes -= p.bytes;
      this.transmit(p.event, p.payload, p.bytes);
    }
    if (this.resyncDue && !this.pending.length && this.room()) {
      this.resyncDue = false;
      this.transmit('events.resync', { reason: 'overflow' }, 64);
    }
  }
}
