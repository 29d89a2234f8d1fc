import { useEffect, useRef, useState } from 'react';
import type { LogLine } from '../../../../shared/contract/runs.js';
import { useApi } from '../../api/context.js';
import { LogStore } from './logStore.js';

const PAGE = 10_000;

/**
 * A run's log lines: the stored history (paged through runs.logs), then the live 'runs.log' events.
 * Events that arrive while the history loads are held and applied after it (ids already seen are
 * ignored). Lines are applied at most once per animation frame, whatever the event rate, so the UI
 * renders once per frame and not once per chunk.
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
    const flush = () => {
      frame.current = null;
      if (!alive) return;
      const batches = queue.current;
      queue.current = [];
      let n = 0;
      for (const b of batches) n += store.add(b);
      if (n) setVersion((v) => v + 1);
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
    (async () => {
      let afterId = 0;
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
    })().catch((e: unknown) => {
      if (!alive) return;
      ready.current = true;
      setError(e as Error);
      setLoading(false);
    });
    return () => {
      alive = false;
      off();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, [api, runId, store]);

  return { store, version, loading, error };
}
