/**
 * Ties maintenance windows to the real runs (what no single tool of the field does):
 * - a run that starts for an application inside an announced window (from 1 h before its start
 *   to its end) is linked to that window when exactly one window matches and none is linked yet;
 * - the linked window follows its run: run starts → window "in progress" (the "started" notice
 *   goes out); run succeeds → "done" ("completed" notice); run still going past the window's end →
 *   "extended" by 30 minutes at a time ("extended" notice with the new end).
 * An aborted or interrupted run leaves the window as it is: the operator decides.
 */
import { isTerminalRunState } from '../../../shared/contract/runs.js';
import type { RunSummary } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { transitionWindow } from './handlers.js';
import { linkableWindows, linkWindowToRun, windowsLinkedTo } from './repo.js';

const EARLY_MS = 60 * 60_000;
export const EXTEND_BY_MS = 30 * 60_000;

function autoLink(core: Core, run: RunSummary, now: Date): void {
  const candidates = linkableWindows(core, run.applicationId, new Date(now.getTime() + EARLY_MS).toISOString(), now.toISOString());
  if (candidates.length !== 1) return;
  const id = candidates[0]!;
  core.tx(() => {
    linkWindowToRun(core, id, run.id, now.toISOString());
    core.audit.write(run.operator || core.operator(), 'link-run', 'windows', id, { linkedRunId: null }, { linkedRunId: run.id });
  });
  core.events.emit('windows.changed', { id, action: 'update' });
}

/** Applies one run's state to its linked windows. Exported for tests; normally driven by events. */
export function followRun(core: Core, run: RunSummary, now = new Date()): void {
  if (run.state === 'running' && windowsLinkedTo(core, run.id).length === 0) autoLink(core, run, now);
  for (const w of windowsLinkedTo(core, run.id)) {
    const active = run.state === 'running' || run.state === 'waiting';
    let to: 'in_progress' | 'done' | 'extended' | null = null;
    let newEnd: string | undefined;
    if (active && w.state === 'announced') to = 'in_progress';
    else if (active && (w.state === 'in_progress' || w.state === 'extended') && Date.parse(w.end) < now.getTime()) {
      to = 'extended';
      newEnd = new Date(now.getTime() + EXTEND_BY_MS).toISOString();
    } else if (run.state === 'succeeded' && (w.state === 'in_progress' || w.state === 'extended')) to = 'done';
    if (!to) continue;
    transitionWindow(core, { id: w.id, to, newEnd, notify: true });
    core.events.emit('windows.changed', { id: w.id, action: 'transition' });
  }
}

/** Subscribes the windows to the runs; returns the unsubscribe. Started by startBackground(). */
export function linkRunsToWindows(core: Core): () => void {
  const lastSeen = new Map<number, RunSummary>();
  const safely = (fn: () => void) =>
    setImmediate(() => {
      if (!core.db.open) return;
      try {
        fn();
      } catch (e) {
        console.error('[puesta] window/run link:', (e as Error).message);
      }
    });
  return core.events.subscribe((event, payload) => {
    if (event === 'runs.state') {
      const run = payload as RunSummary;
      lastSeen.set(run.id, run);
      if (isTerminalRunState(run.state)) setTimeout(() => lastSeen.delete(run.id), 1000).unref();
      safely(() => followRun(core, run));
    } else if (event === 'runs.step') {
      // a long step is the usual overrun: re-check the window's end as the run progresses
      const run = lastSeen.get((payload as { runId: number }).runId);
      if (run && (run.state === 'running' || run.state === 'waiting')) safely(() => followRun(core, run));
    }
  });
}
