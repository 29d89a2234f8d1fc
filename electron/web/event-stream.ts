/**
 * One `/api/events` subscriber of the browser shell, with bounded memory.
 *
 * Every event is written to every subscriber, so a subscriber that stops reading (a frozen tab, a
 * paused client) would make the shell hold everything the others were sent. Three guards:
 * - a bound on what may be queued for it (`res.writableLength`: what Node holds for the socket,
 *   beyond what the kernel took); past it the subscriber is dropped with a last `events.resync`
 *   event — the client reconnects and reloads what it shows from the API (renderer/src/api/client.ts);
 * - a heartbeat: a subscriber whose queue has not moved for `stallMs` is dead and is dropped;
 * - a dropped subscriber that does not take even its last event is destroyed after `graceMs`, which
 *   frees its queue.
 */
import type http from 'node:http';
import type { EventName } from '../../shared/contract/index.js';
import type { EventBus } from '../core/events.js';

export interface StreamLimits {
  /** Bytes that may wait for one subscriber before it is dropped. */
  maxQueuedBytes: number;
  /** A comment line every heartbeatMs keeps proxies and the client's idle timers quiet. */
  heartbeatMs: number;
  /** A subscriber whose queue has not shrunk for this long is dead. */
  stallMs: number;
  /** How long a dropped subscriber gets to take its last event before its connection is destroyed. */
  graceMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxQueuedBytes: 4 * 1024 * 1024, heartbeatMs: 15_000, stallMs: 45_000, graceMs: 5_000 };

/** What the shell knows about one open stream (tests and the bench read it). */
export interface StreamStats {
  queuedBytes: number;
  maxQueuedBytes: number;
  sentEvents: number;
  dropped: 'overflow' | 'stalled' | null;
}

export interface EventStream {
  stats(): StreamStats;
  /** Ends the stream (token rotation, server close). */
  end(): void;
}

const frame = (event: string, payload: unknown): string => `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;

export function openEventStream(
  events: EventBus,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  filter: readonly EventName[],
  limits: StreamLimits,
  onEnd: () => void,
): EventStream {
  const stats: StreamStats = { queuedBytes: 0, maxQueuedBytes: 0, sentEvents: 0, dropped: null };
  let ended = false;
  let grace: ReturnType<typeof setTimeout> | null = null;

  const queued = () => {
    stats.queuedBytes = res.writableLength;
    if (stats.queuedBytes > stats.maxQueuedBytes) stats.maxQueuedBytes = stats.queuedBytes;
    return stats.queuedBytes;
  };

  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    unsubscribe();
    onEnd();
    if (!res.writableEnded) res.end();
  };

  /** Drops the subscriber: one last small event, then the connection ends (or is destroyed if it takes nothing). */
  const drop = (why: 'overflow' | 'stalled') => {
    if (ended) return;
    stats.dropped = why;
    if (!res.destroyed) res.write(frame('events.resync', { reason: why }));
    end();
    grace = setTimeout(() => res.destroy(), limits.graceMs);
    grace.unref();
    res.once('close', () => grace && clearTimeout(grace));
  };

  // Subscribed before the headers go out: if it fails, the guard can still answer 500.
  const unsubscribe = events.subscribe((event, payload) => {
    if (ended || (filter.length && !filter.includes(event))) return;
    const text = frame(event, payload);
    // One event larger than the bound still goes to a subscriber that has taken everything else.
    const q = queued();
    if (q > 0 && q + Buffer.byteLength(text) > limits.maxQueuedBytes) return drop('overflow');
    res.write(text);
    stats.sentEvents++;
    queued();
  });
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  // a dropped client comes back after a second, not the browser's default three
  res.write('retry: 1000\n: connected\n\n');

  // The queue must shrink between heartbeats, or the consumer is gone without closing.
  let stalledSince: number | null = null;
  let lastQueued = 0;
  const heartbeat = setInterval(() => {
    const now = Date.now();
    const q = queued();
    if (q > 0 && q >= lastQueued) stalledSince ??= now;
    else stalledSince = null;
    lastQueued = q;
    if (stalledSince !== null && now - stalledSince >= limits.stallMs) return drop('stalled');
    res.write(': ping\n\n');
  }, limits.heartbeatMs);
  heartbeat.unref();
  req.on('close', end);

  return { stats: () => ({ ...stats, queuedBytes: ended ? 0 : queued() }), end };
}
