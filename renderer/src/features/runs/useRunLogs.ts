import { useEffect, useRef, useState } from 'react';
import type { LogLine } from '../../../../shared/contract/runs.js';
import { useApi } from '../../api/context.js';
import { LogStore } from './logStore.js';

const PAGE = 10_000;

/**
 * A run's log lines: the stored history (paged through runs.logs), then the live 'runs.log' events.
 * Events that arrive while the history loads are held and applied after it (ids already seen are
 * ignored). Lines are applied at most once per animation frame, whatever the event rate, so the UI
 * renders once per frame and not once per chunk. In idle time, the search index is built ahead so
 * a search over a long log answers at once.
 */
export function useRunLogs(runId: number) {
  const api = useApi();
  const [store] = useState(() => new LogStore());
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);
  const queue = useRef<LogLine[][]>([]);
  const frame = useRef<number | null>(null);
  const ready = useRef(false);

  useEffect(() => {
    let alive = true;
    ready.current = false;
    // at most ~6 ms of log work per frame: a burst is spread over the next frames, never one long frame
    const flush = () => {
      frame.current = null;
      if (!alive) return;
      const t0 = performance.now();
      const q = queue.current;
      let n = 0;
      while (q.length && performance.now() - t0 < 6) {
        const batch = q[0]!;
        const take = Math.min(batch.length, 200);
        n += store.add(take === batch.length ? batch : batch.slice(0, take));
        if (take === batch.length) q.shift();
        else q[0] = batch.slice(take);
      }
      if (n) {
        setVersion((v) => v + 1);
        scheduleIndex();
      }
      if (q.length) schedule();
    };
    let idle: number | null = null;
    const index = (d: IdleDeadline) => {
      idle = null;
      if (!alive) return;
      let more = true;
      while (more && d.timeRemaining() > 2) more = store.indexSome(2000);
      if (more) scheduleIndex();
    };
    const scheduleIndex = () => {
      if (idle === null && typeof requestIdleCallback === 'function') idle = requestIdleCallback(index, { timeout: 2000 });
    };
    const schedule = () => {
      if (frame.current === null) frame.current = requestAnimationFrame(flush);
    };
    const held: LogLine[][] = [];
    const off = api.on('runs.log', (p) => {
      if (p.runId !== runId || !p.lines.length) return;
      if (!ready.current) {
        held.push(p.lines);
        return;
      }
      queue.current.push(p.lines);
      schedule();
    });
    /** Pages the stored log after `afterId` in, then applies the events held meanwhile. */
    const load = async (afterId: number) => {
      for (;;) {
        const page = await api.call('runs.logs', { runId, afterId, limit: PAGE });
        if (!alive) return;
        if (page.items.length) {
          queue.current.push(page.items);
          schedule();
        }
        if (!page.more || page.nextAfterId === afterId) break;
        afterId = page.nextAfterId;
      }
      ready.current = true;
      queue.current.push(...held.splice(0));
      schedule();
      setLoading(false);
    };
    const fail = (e: unknown) => {
      if (!alive) return;
      ready.current = true;
      setError(e as Error);
      setLoading(false);
    };
    void load(0).catch(fail);
    // The shell dropped events (this window fell behind): read what was missed from the last line held on.
    const offResync = api.on('events.resync', () => {
      if (!ready.current) return;
      ready.current = false;
      const queued = queue.current.at(-1)?.at(-1)?.id ?? 0;
      void load(Math.max(store.lastId, queued)).catch(fail);
    });
    return () => {
      alive = false;
      off();
      offResync();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      if (idle !== null) cancelIdleCallback(idle);
    };
  }, [api, runId, store]);

  return { store, version, loading, error };
}
