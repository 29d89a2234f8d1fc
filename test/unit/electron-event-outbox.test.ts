/**
 * Issue 16 item 1, the Electron side: a renderer that cannot keep up must not grow main without
 * bound. The outbox (electron/main/event-outbox.ts) sends while the renderer acknowledges, holds a
 * bounded queue (a run's log batches merged) while it does not, and past the bound drops to one
 * `events.resync` sent once the renderer has caught up.
 */
import { describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../shared/contract/index.js';
import { EventOutbox } from '../../electron/main/event-outbox.js';

function world(limits = { windowBytes: 10_000, maxPendingBytes: 50_000 }) {
  const sent: [EventName, unknown][] = [];
  const marks: number[] = [];
  const outbox = new EventOutbox({ send: (e, p) => sent.push([e, p]), mark: (s) => marks.push(s) }, limits);
  let id = 0;
  const log = (runId: number, chars = 1_000): EventPayload<'runs.log'> => ({
    runId,
    lines: [{ id: ++id, stepIndex: 0, serverId: 1, attempt: 1, stream: 'stdout', seq: id, ts: '2026-12-01T10:00:00.000Z', text: 'x'.repeat(chars) }],
  });
  /** The renderer takes everything: it answers every mark. */
  const catchUp = () => {
    for (const m of marks.splice(0)) outbox.ack(m);
  };
  return { sent, marks, outbox, log, catchUp };
}

describe('EventOutbox', () => {
  it('sends at once while the renderer keeps up', () => {
    const w = world();
    for (let i = 0; i < 100; i++) {
      w.outbox.push('runs.log', w.log(1));
      w.catchUp();
    }
    expect(w.sent).toHaveLength(100);
    expect(w.outbox.stats).toMatchObject({ pendingBytes: 0, resyncDue: false });
    expect(w.outbox.stats.inFlightBytes).toBeLessThan(10_000);
  });

  it('holds events while the window is full, merging a run’s log batches, and sends them in order on the ack', () => {
    const w = world();
    for (let i = 0; i < 30; i++) w.outbox.push('runs.log', w.log(i < 20 ? 1 : 2));
    w.outbox.push('runs.state', { id: 1 } as never);
    // about windowBytes went out; the rest waits
    expect(w.sent.length).toBeLessThan(12);
    expect(w.outbox.stats.inFlightBytes).toBeGreaterThanOrEqual(10_000);
    expect(w.marks.length).toBeGreaterThan(0);
    const heldBytes = w.outbox.stats.pendingBytes;
    expect(heldBytes).toBeGreaterThan(15_000);
    for (let round = 0; round < 10 && w.outbox.stats.pendingBytes > 0; round++) w.catchUp();
    expect(w.outbox.stats.pendingBytes).toBe(0);
    // every line arrived once, in id order, and fewer messages carried them (merged per run)
    const lines = w.sent.filter(([e]) => e === 'runs.log').flatMap(([, p]) => (p as EventPayload<'runs.log'>).lines.map((l) => l.id));
    expect(lines).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(w.sent.filter(([e]) => e === 'runs.log').length).toBeLessThan(30);
    expect(w.sent.at(-1)![0]).toBe('runs.state');
  });

  it('a renderer that never answers: main holds at most the bound, then drops to a resync sent once it catches up', () => {
    const w = world();
    let maxHeld = 0;
    for (let i = 0; i < 2_000; i++) {
      w.outbox.push('ssh.output', { execId: 'e', serverId: 1, stream: 'stdout', seq: i, ts: '2026-12-01T10:00:00.000Z', text: 'y'.repeat(1_000) });
      maxHeld = Math.max(maxHeld, w.outbox.stats.pendingBytes);
    }
    expect(maxHeld).toBeLessThanOrEqual(50_000 + 1_200);
    expect(w.outbox.stats).toMatchObject({ pendingBytes: 0, resyncDue: true });
    const before = w.sent.length;
    w.outbox.push('runs.state', { id: 1 } as never);
    expect(w.sent.length).toBe(before);
    w.catchUp();
    expect(w.sent.at(-1)).toEqual(['events.resync', { reason: 'overflow' }]);
    expect(w.outbox.stats.resyncDue).toBe(false);
    // and then it flows again
    w.catchUp();
    w.outbox.push('runs.state', { id: 2 } as never);
    expect(w.sent.at(-1)).toEqual(['runs.state', { id: 2 }]);
  });

  it('a new page starts with nothing in flight; unknown or stale acks are ignored', () => {
    const w = world();
    for (let i = 0; i < 30; i++) w.outbox.push('runs.log', w.log(1));
    expect(w.outbox.stats.pendingBytes).toBeGreaterThan(0);
    w.outbox.ack(999);
    expect(w.outbox.stats.pendingBytes).toBeGreaterThan(0);
    w.outbox.reset();
    expect(w.outbox.stats).toEqual({ inFlightBytes: 0, pendingBytes: 0, resyncDue: false });
    const n = w.sent.length;
    w.outbox.push('runs.log', w.log(1));
    expect(w.sent.length).toBe(n + 1);
  });
});
