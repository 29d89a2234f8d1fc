import type { CellState, ChecklistKind, Run, RunCell, RunState } from '../../../../shared/contract/runs.js';
import type { Tone } from '../../components/Bits.js';

export const KIND_LABEL: Record<ChecklistKind, string> = { install: 'Install', upgrade: 'Upgrade', rollback: 'Rollback' };

export const RUN_STATE_LABEL: Record<RunState, string> = {
  running: 'Running',
  waiting: 'Waiting',
  interrupted: 'Interrupted',
  succeeded: 'Succeeded',
  aborted: 'Aborted',
};

export function runTone(state: RunState, waitingFor?: 'confirm' | 'decision' | null): Tone {
  if (state === 'running') return 'blue';
  if (state === 'waiting') return waitingFor === 'decision' ? 'red' : 'amber';
  if (state === 'interrupted') return 'amber';
  if (state === 'succeeded') return 'green';
  return 'neutral';
}

export function runStateText(r: { state: RunState; waitingFor: 'confirm' | 'decision' | null }): string {
  if (r.state === 'waiting') return r.waitingFor === 'decision' ? 'Failed — decide' : 'Waiting for you';
  return RUN_STATE_LABEL[r.state];
}

export const CELL_TONE: Record<CellState, Tone> = {
  pending: 'neutral',
  running: 'blue',
  waiting: 'amber',
  succeeded: 'green',
  failed: 'red',
  skipped: 'violet',
  excluded: 'neutral',
  interrupted: 'amber',
};

/** One state for a step from its cells: failed > running > waiting > interrupted > pending > done. */
export function stepState(cells: RunCell[]): CellState {
  if (!cells.length) return 'pending';
  const has = (s: CellState) => cells.some((c) => c.state === s);
  if (has('failed')) return 'failed';
  if (has('running')) return 'running';
  if (has('waiting')) return 'waiting';
  if (has('interrupted')) return 'interrupted';
  if (has('pending')) return cells.some((c) => c.state !== 'pending') ? 'running' : 'pending';
  if (cells.every((c) => c.state === 'skipped' || c.state === 'excluded')) return cells.some((c) => c.state === 'skipped') ? 'skipped' : 'excluded';
  return 'succeeded';
}

export function cellsOf(run: Run, stepIndex: number): RunCell[] {
  return run.cells.filter((c) => c.stepIndex === stepIndex);
}

/** The span a step has taken so far (first start → last finish, or now while running). */
export function stepElapsed(cells: RunCell[], now: number): number | null {
  const starts = cells.map((c) => (c.startedAt ? Date.parse(c.startedAt) : NaN)).filter((x) => !Number.isNaN(x));
  if (!starts.length) return null;
  const open = cells.some((c) => c.state === 'running' || (c.startedAt && !c.finishedAt && c.state === 'waiting'));
  const ends = cells.map((c) => (c.finishedAt ? Date.parse(c.finishedAt) : NaN)).filter((x) => !Number.isNaN(x));
  const end = open || !ends.length ? now : Math.max(...ends);
  return Math.max(0, end - Math.min(...starts));
}

/** "Far past its usual duration": twice the median and at least 10 s more. */
export function isOverdue(elapsedMs: number | null, usualMs: number | null): boolean {
  if (elapsedMs == null || usualMs == null || usualMs <= 0) return false;
  return elapsedMs > usualMs * 2 && elapsedMs - usualMs > 10_000;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
