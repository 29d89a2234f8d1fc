import { describe, expect, it } from 'vitest';
import { backoffMs, OfflineBackoff, SlotThrottle, type ThrottleLimits } from '../../electron/core/notices/throttle.js';

/**
 * The sender's pump on a fake clock: wakes when a wait it asked for ends or when messages complete
 * (`latencyMs` after being handed over), claims what the throttle allows from an endless queue.
 */
function simulate(limits: ThrottleLimits, latencyMs: number, untilMs: number, start = 5_000) {
  const th = new SlotThrottle();
  const sends: number[] = [];
  const claims: { at: number; count: number }[] = [];
  const waits: number[] = [];
  let maxInflight = 0;
  const completions: number[] = [];
  let wakeAt = start;
  let now = start;
  const pump = () => {
    th.begin(limits);
    for (;;) {
      const s = th.next(now);
      if (s.kind === 'full') return;
      if (s.kind === 'wait') {
        waits.push(s.ms);
        wakeAt = Math.min(wakeAt, now + s.ms);
        return;
      }
      th.claimed(now, s.count, s.cold);
      claims.push({ at: now, count: s.count });
      for (let i = 0; i < s.count; i++) {
        sends.push(now);
        completions.push(now + latencyMs);
      }
      maxInflight = Math.max(maxInflight, th.inFlight);
    }
  };
  while (now < untilMs) {
    completions.sort((a, b) => a - b);
    now = Math.min(wakeAt, completions[0] ?? Infinity);
    if (now === Infinity || now >= untilMs) break;
    if (now === wakeAt) wakeAt = Infinity;
    while (completions.length && completions[0]! <= now) {
      completions.shift();
      th.completed(now);
    }
    pump();
  }
  return { sends, claims, waits, maxInflight };
}

/** The most sends in any window of `ms`. */
function densest(sends: number[], ms: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < sends.length; i++) {
    while (sends[i]! - sends[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('slot throttle (fake clock)', () => {
  it('keeps to the rate: 5/s for 10 s hands over 50 messages, never more than 5 in any second', () => {
    const { sends } = simulate({ ratePerSecond: 5, maxConnections: 2 }, 10, 15_000);
    expect(sends.length).toBeGreaterThanOrEqual(49);
    expect(sends.length).toBeLessThanOrEqual(51);
    expect(densest(sends, 1000)).toBeLessThanOrEqual(5);
  });

  it('starts cold with one message and counts the next slots from its completion', () => {
    const { sends, claims } = simulate({ ratePerSecond: 5, maxConnections: 2 }, 100, 6_000);
    expect(claims[0]).toEqual({ at: 5_000, count: 1 });
    // completed at 5 100, next slot one interval (200 ms) later
    expect(sends[1]).toBe(5_300);
    expect(sends[2]).toBe(5_500);
  });

  it('at high rates gathers slots (up to 25 ms worth) into one claim, without exceeding the rate', () => {
    const { sends, claims, waits } = simulate({ ratePerSecond: 1000, maxConnections: 4 }, 5, 8_000);
    const warm = claims.filter((c) => c.at > 5_100);
    expect(warm.length).toBeGreaterThan(10);
    // min(4 connections × 4, 25 ms / 1 ms): one claim for 16 slots, not 16 claims
    for (const c of warm) expect(c.count).toBeGreaterThanOrEqual(2);
    expect(Math.max(...warm.map((c) => c.count))).toBeLessThanOrEqual(32);
    expect(Math.max(...waits)).toBeLessThanOrEqual(25);
    const steady = sends.filter((t) => t >= 6_000 && t < 8_000).length;
    expect(steady).toBeGreaterThan(1_800);
    expect(steady).toBeLessThanOrEqual(2_000 + 50);
    expect(densest(sends, 1000)).toBeLessThanOrEqual(1_000 + 50);
  });

  it('never has more than maxConnections × 8 messages in flight', () => {
    const { maxInflight, sends } = simulate({ ratePerSecond: 1000, maxConnections: 2 }, 1_000, 10_000);
    expect(maxInflight).toBe(16);
    // a slow server limits the throughput, not the rate: 16 per second
    expect(densest(sends, 1000)).toBeLessThanOrEqual(16);
  });

  it('catches up at most 50 ms of slots after a late wake-up (no burst)', () => {
    const th = new SlotThrottle();
    const limits = { ratePerSecond: 100, maxConnections: 10 };
    th.begin(limits);
    const t = 5_000; // more than 1 s after the last activity (none): a cold start
    expect(th.next(t)).toEqual({ kind: 'claim', count: 1, cold: true });
    th.claimed(t, 1, true);
    expect(th.next(t + 1)).toEqual({ kind: 'full' });
    th.completed(t + 20);
    th.begin(limits);
    // the next slot is one interval after the completion; two slots are gathered into one claim
    expect(th.next(t + 25)).toEqual({ kind: 'wait', ms: 5 });
    expect(th.next(t + 30)).toEqual({ kind: 'wait', ms: 10 });
    expect(th.next(t + 40)).toEqual({ kind: 'claim', count: 2, cold: false });
    th.claimed(t + 40, 2, false);
    // woken 10 s late with messages still in flight: 10 ms slots, 50 ms of catch-up → 6 messages, not 1 000
    th.begin(limits);
    expect(th.next(t + 10_040)).toEqual({ kind: 'claim', count: 6, cold: false });
  });
});

describe('back-off', () => {
  it('per message: base × 2^(attempt-1), capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 30_000, 3_600_000))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(backoffMs(20, 30_000, 3_600_000)).toBe(3_600_000);
  });

  it('of the whole sender while offline: grows per outage period, capped, reset by a success', () => {
    const b = new OfflineBackoff(2_000, 10_000);
    expect(b.waitMs(0)).toBe(0);
    b.failed(0);
    expect(b.waitMs(0)).toBe(2_000);
    expect(b.endsAt(500)).toBe(2_000);
    // messages that were in flight fail during the wait: it does not grow
    b.failed(100);
    expect(b.waitMs(100)).toBe(1_900);
    b.failed(2_000);
    expect(b.waitMs(2_000)).toBe(4_000);
    b.failed(6_000);
    expect(b.waitMs(6_000)).toBe(8_000);
    b.failed(14_000);
    expect(b.waitMs(14_000)).toBe(10_000);
    expect(b.endsAt(30_000)).toBeNull();
    // "send now" ends the wait but remembers the outage
    b.skip();
    expect(b.waitMs(15_000)).toBe(0);
    b.failed(15_000);
    expect(b.waitMs(15_000)).toBe(10_000);
    b.succeeded();
    b.failed(40_000);
    expect(b.waitMs(40_000)).toBe(2_000);
    b.reset();
    expect(b.waitMs(40_000)).toBe(0);
  });
});
