import type { CellState, Run, RunCell } from '../../../../shared/contract/runs.js';

/**
 * Where a cell is in its life, for ordering two copies of it without a sequence number: the
 * attempt (incremented each time the cell starts running), then the phase within that attempt.
 * The engine only moves a cell forward in this order: pending → running | waiting → succeeded |
 * failed | interrupted → skipped | excluded | pending again (a retry or resume, queued for the
 * next attempt). Two copies with the same rank differ only in details set while running.
 */
export function cellRank(c: Pick<RunCell, 'attempt' | 'state'>): number {
  const phase: Record<CellState, number> = { pending: c.attempt === 0 ? 0 : 3, running: 1, waiting: 1, succeeded: 2, failed: 2, interrupted: 2, skipped: 3, excluded: 3 };
  return c.attempt * 4 + phase[c.state];
}

const sameCell = (a: RunCell, b: RunCell) => a.stepIndex === b.stepIndex && a.serverId === b.serverId;

/** The run with one cell changed (a `runs.step` event); an older copy of the cell is ignored. */
export function withCell(run: Run, cell: RunCell): Run {
  const i = run.cells.findIndex((c) => sameCell(c, cell));
  if (i >= 0 && cellRank(run.cells[i]!) > cellRank(cell)) return run;
  const cells = run.cells.slice();
  if (i >= 0) cells[i] = cell;
  else cells.push(cell);
  return { ...run, cells };
}

/**
 * A snapshot of the run (runs.get, or the answer of an action) over what is shown: cell events
 * that arrived while it was on its way are newer than it, so a cell shown at a later rank stays.
 */
export function withSnapshot(shown: Run | undefined, snapshot: Run): Run {
  if (!shown || shown.id !== snapshot.id) return snapshot;
  let changed = false;
  const cells = snapshot.cells.map((c) => {
    const s = shown.cells.find((x) => sameCell(x, c));
    if (s && cellRank(s) > cellRank(c)) {
      changed = true;
      return s;
    }
    return c;
  });
  return changed ? { ...snapshot, cells } : snapshot;
}
