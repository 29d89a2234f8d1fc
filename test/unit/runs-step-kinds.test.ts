/**
 * A step kind is a plug-in: a kind the engine has never heard of adds its step to the built-in
 * checklist, renders its command and plan words, feeds the command's stdin, turns its output into
 * the cell's note and hears about the finished run — with no edit of the runs engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRow } from '../../electron/core/runs/run-store.js';
import { StepKinds, type StepKind } from '../../electron/core/runs/step-kinds.js';
import { render } from '../../electron/core/runs/template.js';
import { STEP_KINDS } from '../../electron/core/steps.js';
import { ChecklistStep } from '../../shared/contract/runs.js';
import { call } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
afterEach(async () => {
  await fx?.cleanup();
  fx = null;
});

function stampKind(seen: { runs: { id: number; serverIds: number[] }[] }): StepKind {
  return {
    name: 'stamp',
    matches: (s) => s.key === 'stamp',
    builtin: (_core, _app, kind, steps) =>
      kind === 'install' ? steps.flatMap((s) => (s.key === 'preflight' ? [s, ChecklistStep.parse({ key: 'stamp', title: 'Stamp', command: 'unused' })] : [s])) : steps,
    command: (_s, v) => render('read -r word; echo "stamp $word" {{release.key}}', v, 'shell'),
    detail: (_s, v) => `stamps ${String(v['host.name'])}`,
    stdin: () => 'hello\n',
    afterHost: (_ctx, stdout) => (stdout.includes('stamp hello') ? 'stamped' : null),
    afterRun: (_core, run: RunRow, serverIds) => void seen.runs.push({ id: run.id, serverIds }),
  };
}

describe('step kinds (plug-ins)', () => {
  it('a new kind shapes the checklist, the plan, the command, its stdin, the note and the end of the run', async () => {
    const seen = { runs: [] as { id: number; serverIds: number[] }[] };
    fx = await runsFixture({ stepKinds: new StepKinds([...STEP_KINDS, stampKind(seen)]) });
    const { core, appId, envId } = fx;
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind: 'install' });
    expect(cl.steps.map((s) => s.key).slice(0, 2)).toEqual(['preflight', 'stamp']);

    const req = { applicationId: appId, environmentId: envId, kind: 'install' as const, source: { kind: 'directory' as const, path: fx.src('v1') } };
    const plan = await call(core, 'runs.plan', req);
    const planned = plan.steps.find((s) => s.key === 'stamp')!;
    expect(planned.cells.map((c) => c.detail)).toEqual(['stamps local-1']);
    expect(planned.cells[0]!.command).toMatch(/^read -r word; echo "stamp \$word" '?\d{8}T\d+'?$/);

    const started = await call(core, 'runs.start', req);
    const r = await core.services.runs.settled(started.id);
    expect(r.state, JSON.stringify([r.error, r.cells.filter((c) => c.state !== 'succeeded')])).toBe('succeeded');
    const cells = r.cells.filter((c) => c.stepIndex === 1);
    expect(cells.map((c) => [c.state, c.note])).toEqual([['succeeded', 'stamped']]);
    const logs = (await call(core, 'runs.logs', { runId: r.id, stepIndex: 1 })).items.map((l) => l.text).join('');
    expect(logs).toContain(`stamp hello ${r.releaseKey}\n`);
    expect(seen.runs).toEqual([{ id: r.id, serverIds: fx.serverIds }]);
  });

  it('two kinds with one name are refused', () => {
    expect(() => new StepKinds([...STEP_KINDS, { name: 'check', matches: () => false }])).toThrow(/two step kinds are named "check"/i);
  });
});
