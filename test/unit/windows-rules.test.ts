import { describe, expect, it } from 'vitest';
import { linkableRuns, runChoiceLabel, unresolvedOf } from '../../renderer/src/features/windows/rules.js';

/** Issue 11, items 4 and 6: what Announce/Start ask about; the window's "linked run" offers only runs that could be linked, each with a label. */

const run = (id: number, applicationId: number, state: 'running' | 'waiting' | 'interrupted' | 'succeeded' | 'aborted', label = '') => ({
  id,
  applicationId,
  applicationName: applicationId === 1 ? 'billing' : 'portal',
  environmentName: 'production',
  label,
  releaseKey: `r${id}`,
  kind: 'upgrade' as const,
  state,
  startedAt: '2026-04-06T20:00:00.000Z',
});
const RUNS = [run(1, 1, 'running', 'v4.2'), run(2, 1, 'succeeded', 'v4.1'), run(3, 1, 'aborted'), run(4, 2, 'waiting'), run(5, 1, 'interrupted'), run(6, 2, 'succeeded')];

describe('linked-run choices', () => {
  it('offers unfinished runs of the chosen applications only, and keeps the run already linked', () => {
    expect(linkableRuns(RUNS, [1], null).map((r) => r.id)).toEqual([1, 5]);
    expect(linkableRuns(RUNS, [], null).map((r) => r.id)).toEqual([1, 4, 5]);
    expect(linkableRuns(RUNS, [1], 6).map((r) => r.id)).toEqual([1, 5, 6]);
  });

  it('labels every choice, falling back to the release when the run has no label', () => {
    expect(runChoiceLabel(RUNS[0]!, '6 Apr 22:00')).toBe('#1 billing · production — v4.2 (running, since 6 Apr 22:00)');
    expect(runChoiceLabel(RUNS[3]!, '6 Apr 22:00')).toBe('#4 portal · production — r4 (waiting, since 6 Apr 22:00)');
  });
});

describe('announce and start name what is unresolved', () => {
  const w = { start: '2026-04-13T20:00:00.000Z', end: '2026-04-13T22:00:00.000Z' };
  const fmt = (iso: string) => iso.slice(0, 16).replace('T', ' ');
  const conflicts = [{ message: 'The window falls in the blackout 2026-04-13 (freeze).' }];

  it('names the open conflicts for both, and a start days before the window only for Start', () => {
    const weekBefore = Date.parse('2026-04-06T20:00:00Z');
    expect(unresolvedOf(w, conflicts, 'announce', weekBefore, fmt)).toEqual([conflicts[0]!.message]);
    expect(unresolvedOf(w, conflicts, 'start', weekBefore, fmt)).toEqual([conflicts[0]!.message, 'The window is planned to start 2026-04-13 20:00, in 7 days: starting now is early.']);
    expect(unresolvedOf(w, [], 'start', Date.parse('2026-04-13T19:30:00Z'), fmt)).toEqual([]);
    expect(unresolvedOf(w, [], 'start', Date.parse('2026-04-14T08:00:00Z'), fmt)).toEqual(['The window was planned to end 2026-04-13 22:00, which has passed.']);
  });
});
