import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventPayload } from '../../../../shared/contract/index.js';
import { isTerminalRunState, type Run } from '../../../../shared/contract/runs.js';
import { useEvent } from '../../api/context.js';
import { queryKey, useApiQuery } from '../../api/queries.js';
import { withCell, withSnapshot } from './cells.js';

/**
 * One run, live: the runs.get snapshot in the query cache, with each `runs.step` event written
 * into that cache entry as it comes (an older copy of a cell never replaces a newer one, see
 * `cellRank`). A run-level change (`runs.state`) shows at once and refetches the whole run
 * (steps, exclusions, offer) through the event table in api/queries.tsx.
 * `put` writes a run the server answered (runs.act, runs.resume) the same way.
 */
export function useRunLive(id: number) {
  const client = useQueryClient();
  const query = useApiQuery('runs.get', { id }, {
    // The cache applies this to every answer it stores: a snapshot answered while cell events
    // came in does not take those cells back.
    structuralSharing: (shown, snapshot) => withSnapshot(shown as Run | undefined, snapshot as Run),
    // Another run's data is never shown for this one while it loads.
    placeholderData: undefined,
  });

  const update = useCallback((fn: (r: Run) => Run) => client.setQueryData<Run>(queryKey('runs.get', { id }), (r) => (r ? fn(r) : r)), [client, id]);
  const put = useCallback((snapshot: Run) => update((r) => withSnapshot(r, snapshot)), [update]);

  // Cells that change before the first snapshot is in have nowhere to go: fetch once more after it.
  const missed = useRef(false);
  useEvent(
    'runs.step',
    useCallback(
      (p: EventPayload<'runs.step'>) => {
        if (p.runId !== id) return;
        const { runId: _r, ...cell } = p;
        if (!client.getQueryData(queryKey('runs.get', { id }))) missed.current = true;
        else update((r) => withCell(r, cell));
      },
      [client, id, update],
    ),
  );
  const { data, refetch } = query;
  useEffect(() => {
    if (data && missed.current) {
      missed.current = false;
      void refetch();
    }
  }, [data, refetch]);

  useEvent(
    'runs.state',
    useCallback((p: EventPayload<'runs.state'>) => void (p.id === id && update((r) => ({ ...r, ...p }))), [id, update]),
  );

  return { run: data, error: query.error, reload: refetch, put };
}

/** The current time, ticking every second while `live`, for elapsed times. */
export function useNow(live: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [live]);
  return now;
}

export const isLive = (run: Run | undefined): boolean => Boolean(run && !isTerminalRunState(run.state));
