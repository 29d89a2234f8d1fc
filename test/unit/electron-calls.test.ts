import { describe, expect, it } from 'vitest';
import { createCallRegistry } from '../../electron/main/calls.js';

describe('IPC calls in flight (cancel over IPC as over HTTP)', () => {
  it('cancel aborts exactly that call of that sender', () => {
    const r = createCallRegistry();
    const a = r.begin(1, 'c1');
    const b = r.begin(1, 'c2');
    const other = r.begin(2, 'c1');
    r.cancel(1, 'c1');
    expect([a.signal.aborted, b.signal.aborted, other.signal.aborted]).toEqual([true, false, false]);
    r.cancel(3, 'c1'); // unknown sender: nothing
    r.cancel(1, 'nope'); // unknown id: nothing
    expect([b.signal.aborted, other.signal.aborted]).toEqual([false, false]);
  });

  it('a page going away aborts all its calls and no one else’s', () => {
    const r = createCallRegistry();
    const a = r.begin(1, 'c1');
    const b = r.begin(1, 'c2');
    const other = r.begin(2, 'c9');
    r.abortSender(1);
    expect([a.signal.aborted, b.signal.aborted, other.signal.aborted]).toEqual([true, true, false]);
  });

  it('finished calls are forgotten; a reused id aborts the older call; abortAll on unbind', () => {
    const r = createCallRegistry();
    const a = r.begin(1, 'c1');
    const a2 = r.begin(1, 'c1');
    expect(a.signal.aborted).toBe(true);
    r.end(1, 'c1', a); // the older one ending does not forget the newer
    expect(r.size).toBe(1);
    r.cancel(1, 'c1');
    expect(a2.signal.aborted).toBe(true);
    r.end(1, 'c1', a2);
    expect(r.size).toBe(0);
    const c = r.begin(4, 'x');
    r.abortAll();
    expect(c.signal.aborted).toBe(true);
  });
});
