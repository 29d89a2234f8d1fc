/**
 * Issue 10 item 8, what the run screens say: the bar of a finished run is full, the current release
 * is no rollback target, a never-installed application starts on Install, and an abort after an
 * automatic switch-back does not claim a half-installed release on the hosts already put back.
 */
import { describe, expect, it } from 'vitest';
import type { Release, Run, RunCell } from '../../shared/contract/runs.js';
import { abortOutcome, defaultKind, progressOf, rollbackChoices } from '../../renderer/src/features/runs/outcome.js';

const cell = (p: Partial<RunCell>): RunCell => ({
  stepIndex: 0,
  serverId: 1,
  serverName: 'web-01',
  state: 'succeeded',
  attempt: 1,
  exitCode: 0,
  startedAt: null,
  finishedAt: null,
  durationMs: null,
  note: '',
  command: null,
  error: null,
  switchedBack: null,
  ...p,
});

const step = (index: number, key: string, enabled = true) =>
  ({ index, key, title: key, kind: 'auto', action: 'shell', enabled, roles: [], command: '', sudo: false, timeoutSeconds: 60, instructions: '', check: null, usualMs: null, changes: '' }) as Run['steps'][number];

const hosts = [
  { serverId: 1, serverName: 'web-01', address: '10.0.0.1', roles: ['web'] },
  { serverId: 2, serverName: 'web-02', address: '10.0.0.2', roles: ['web'] },
];

const run = (p: Partial<Run>): Run => ({
  id: 1,
  applicationId: 1,
  applicationName: 'shop',
  environmentId: 1,
  environmentName: 'prod',
  kind: 'upgrade',
  releaseKey: '20261201T100000000-v2',
  label: 'v2',
  state: 'running',
  waitingFor: null,
  currentStep: 0,
  stepCount: 2,
  parallelism: 8,
  operator: 'ana',
  reason: '',
  startedAt: '2026-12-01T10:00:00.000Z',
  finishedAt: null,
  error: null,
  logPrunedAt: null,
  hosts,
  excludedServerIds: [],
  steps: [step(0, 'switch'), step(1, 'health')],
  cells: [],
  rollbackOffer: null,
  ...p,
});

const release = (p: Partial<Release>): Release => ({
  id: 1,
  applicationId: 1,
  serverId: 1,
  serverName: 'web-01',
  key: 'k1',
  label: '',
  sha256: '',
  source: '',
  path: '',
  runId: null,
  createdAt: '2026-12-01T10:00:00.000Z',
  removedAt: null,
  current: false,
  ...p,
});

describe('run screens tell the truth', () => {
  it('the bar of a succeeded run reaches 100 %, and an excluded host counts as done', () => {
    const cells = [cell({ stepIndex: 0, serverId: 1 }), cell({ stepIndex: 0, serverId: 2, state: 'failed' }), cell({ stepIndex: 1, serverId: 1 }), cell({ stepIndex: 1, serverId: 2, state: 'pending' })];
    expect(progressOf(run({ state: 'succeeded', cells }))).toBe(1);
    expect(progressOf(run({ state: 'waiting', cells, excludedServerIds: [2] }))).toBe(1);
    expect(progressOf(run({ state: 'waiting', cells }))).toBe(0.5);
  });

  it('offers no rollback to the release that is current on the hosts holding it', () => {
    const rs = [
      release({ serverId: 1, key: 'new', current: true }),
      release({ serverId: 2, key: 'new', current: true }),
      release({ serverId: 1, key: 'old', label: 'v1' }),
      release({ serverId: 2, key: 'old', label: 'v1' }),
      release({ serverId: 1, key: 'gone', removedAt: '2026-12-01T11:00:00.000Z' }),
      // current on one host, an earlier release on the other: still a target there
      release({ serverId: 1, key: 'mixed', current: false }),
      release({ serverId: 3, key: 'elsewhere' }),
    ];
    expect(rollbackChoices(rs, [1, 2])).toEqual([
      ['old', 'v1'],
      ['mixed', ''],
    ]);
  });

  it('preselects Install for an application never installed, Upgrade once it has a release', () => {
    expect(defaultKind([], 7)).toBe('install');
    expect(defaultKind([release({ applicationId: 3 })], 7)).toBe('install');
    expect(defaultKind([release({ applicationId: 7 })], 7)).toBe('upgrade');
  });

  it('after an automatic switch-back, the abort names the hosts put back and offers the rollback only for the others', () => {
    const back = { from: '20261201T100000000-v2', to: '20261101T100000000-v1', ok: true };
    const offer = { kind: 'rollback' as const, applicationId: 1, environmentId: 1, rollbackTo: back.to, serverIds: [1, 2] };
    const aborted = run({ state: 'aborted', rollbackOffer: offer, cells: [cell({ stepIndex: 1, serverId: 1, state: 'failed', switchedBack: back }), cell({ stepIndex: 1, serverId: 2 })] });
    expect(abortOutcome(aborted)).toEqual({ back: { names: ['web-01'], to: back.to }, rollback: ['web-02'] });
    const all = run({ state: 'aborted', rollbackOffer: offer, cells: [cell({ stepIndex: 1, serverId: 1, state: 'failed', switchedBack: back }), cell({ stepIndex: 1, serverId: 2, serverName: 'web-02', state: 'failed', switchedBack: back })] });
    expect(abortOutcome(all).rollback).toEqual([]);
  });
});
