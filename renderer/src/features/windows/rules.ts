/** Pure rules behind the window dialogs and editor (kept free of React so they are tested as they are). */
import { isTerminalRunState, type RunSummary } from '../../../../shared/contract/runs.js';
import type { Conflict, Window } from '../../../../shared/contract/windows.js';

type RunChoice = Pick<RunSummary, 'id' | 'applicationId' | 'applicationName' | 'environmentName' | 'label' | 'releaseKey' | 'kind' | 'state' | 'startedAt'>;

/**
 * The runs a window may be linked to: not finished (a finished run can no longer move the window
 * along) and, once applications are chosen, of one of them. The run already linked stays offered.
 */
export function linkableRuns<R extends RunChoice>(runs: R[], applicationIds: number[], linkedRunId: number | null): R[] {
  return runs.filter((r) => r.id === linkedRunId || (!isTerminalRunState(r.state) && (applicationIds.length === 0 || applicationIds.includes(r.applicationId))));
}

/** "#12 billing-api · production — v4.2 (running, since 2 Dec 10:30)": never empty, whatever the run's label. */
export function runChoiceLabel(r: RunChoice, when: string): string {
  const what = r.label.trim() || r.releaseKey || r.kind;
  return `#${r.id} ${r.applicationName}${r.environmentName ? ` · ${r.environmentName}` : ''} — ${what} (${r.state}, since ${when})`;
}

/** How early a window may start before its planned start without being asked about (the runs' auto-link allows the same hour). */
export const EARLY_START_MS = 60 * 60_000;

/**
 * What is still unresolved when a window is announced or started, one sentence each: the conflicts
 * on its page, and for a start, a date far from the planned one. The dialogs name them and ask.
 */
export function unresolvedOf(w: Pick<Window, 'start' | 'end'>, conflicts: Pick<Conflict, 'message'>[], action: 'announce' | 'start', now: number, fmt: (iso: string) => string): string[] {
  const out = conflicts.map((c) => c.message);
  if (action === 'start') {
    const start = Date.parse(w.start);
    const days = Math.round((start - now) / 86_400_000);
    if (start - now > EARLY_START_MS)
      out.push(`The window is planned to start ${fmt(w.start)}${days >= 1 ? `, in ${days} day${days === 1 ? '' : 's'}` : ''}: starting now is early.`);
    else if (now > Date.parse(w.end)) out.push(`The window was planned to end ${fmt(w.end)}, which has passed.`);
  }
  return out;
}
