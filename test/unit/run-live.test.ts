/**
 * The run view writes `runs.step` events into the cached runs.get snapshot (useRunLive): an older
 * copy of a cell (an event, or a snapshot answered while newer events came in) never replaces a
 * newer one, along the moves the engine makes (start, finish, retry, skip, exclude, resume).
 */
import { describe, expect, it } from 'vitest';
import type { Run, RunCell } from '../../shared/contract/runs.js';
import { cellRank, withCell, withSnapshot } from '../../renderer/src/features/runs/cells.js';

const cell = (p: Partial<RunCell>): RunCell => ({
  stepIndex: 0,
  serverId: 1,
  serverName: 'web-01',
  state: 'pending',
  attempt: 0,
  exitCode: null,
  startedAt: null,
  finishedAt: null,
  durationMs: null,
  note: '',
  command: null,
  error: null,
  switchedBack: null,
  ...p,
});

const run = (cells: RunCell[]): Run => ({
  id: 7,
  applicationId: 1,
  applicationName: 'shop',
  environmentId: 1,
  environmentName: 'production',
  kind: 'upgrade',
  releaseKey: 'r2',
  label: '',
  state: 'running',
  waitingFor: null,
  currentStep: 0,
  stepCount: 1,
  parallelism: 8,
  operator: 'ana',
  reason: '',
  startedAt: '2026-12-01T10:00:00.000Z',
  finishedAt: null,
  error: null,
  logPrunedAt: null,
  hosts: [],
  excludedServerIds: [],
  steps: [],
  cells,
  rollbackOffer: null,
});

// The engine's moves for one cell, in order.
const lives: [string, Partial<RunCell>[]][] = [
  ['auto step, failed then retried', [{}, { state: 'running', attempt: 1 }, { state: 'failed', attempt: 1 }, { state: 'pending', attempt: 1 }, { state: 'running', attempt: 2 }, { state: 'succeeded', attempt: 2 }]],
  ['manual step, confirmed', [{ serverId: null }, { serverId: null, state: 'waiting' }, { serverId: null, state: 'succeeded' }]],
  ['failed, then skipped', [{}, { state: 'running', attempt: 1 }, { state: 'failed', attempt: 1 }, { state: 'skipped', attempt: 1 }]],
  ['pending host excluded', [{}, { state: 'excluded' }]],
  ['interrupted, resumed', [{}, { state: 'running', attempt: 1 }, { state: 'interrupted', attempt: 1 }, { state: 'pending', attempt: 1 }, { state: 'running', attempt: 2 }]],
  ['running, aborted', [{}, { state: 'running', attempt: 1 }, { state: 'failed', attempt: 1, error: 'aborted' }]],
];

describe('cell order in the run view', () => {
  it.each(lives)('ranks every move of the engine after the one before: %s', (_name, moves) => {
    const ranks = moves.map((m) => cellRank(cell(m)));
    for (let i = 1; i < ranks.length; i++) expect(ranks[i]).toBeGreaterThan(ranks[i - 1]!);
  });

  it('applies events in order and ignores one older than what is shown', () => {
    const failed = cell({ state: 'failed', attempt: 1, error: 'exit code 1' });
    let r = withCell(run([cell({})]), cell({ state: 'running', attempt: 1 }));
    r = withCell(r, failed);
    expect(r.cells).toEqual([failed]);
    expect(withCell(r, cell({ state: 'running', attempt: 1 }))).toBe(r);
    // a cell the snapshot did not have yet is added
    const other = cell({ serverId: 2, serverName: 'web-02', state: 'running', attempt: 1 });
    expect(withCell(r, other).cells).toEqual([failed, other]);
  });

  it('keeps cells newer than a late snapshot, and takes the snapshot everywhere else', () => {
    const shown = run([cell({ state: 'succeeded', attempt: 2 }), cell({ serverId: 2, state: 'running', attempt: 1 })]);
    const late = { ...run([cell({ state: 'running', attempt: 2 }), cell({ serverId: 2, state: 'failed', attempt: 1 })]), state: 'waiting' as const };
    const merged = withSnapshot(shown, late);
    expect(merged.state).toBe('waiting');
    expect(merged.cells.map((c) => c.state)).toEqual(['succeeded', 'failed']);
    // nothing newer shown: the snapshot as it came; another run's data is never merged
    expect(withSnapshot(run([cell({})]), late)).toBe(late);
    expect(withSnapshot({ ...shown, id: 8 }, late)).toBe(late);
    expect(withSnapshot(undefined, late)).toBe(late);
  });

  it('takes an equal-rank copy from the snapshot (details set while running)', () => {
    const shown = run([cell({ state: 'running', attempt: 1, command: null })]);
    const snap = run([cell({ state: 'running', attempt: 1, command: 'tar -xzf a.tgz' })]);
    expect(withSnapshot(shown, snap).cells[0]!.command).toBe('tar -xzf a.tgz');
  });
});
