/**
 * Health gate on the local executor: a check after the switch that fails switches the host back to
 * the release current before the run (upgrade), runs the restart step, records it; an install run
 * (nothing before) only pauses; a step without the option only pauses too.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChecklistKind } from '../../shared/contract/runs.js';
import { call } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
afterEach(async () => {
  await fx?.cleanup();
  fx = null;
});

/** Health = a command check that fails while current is v2; restart writes which version it started. */
async function gate(f: RunsFixture, kind: ChecklistKind, switchBack: boolean | undefined): Promise<void> {
  const cl = await call(f.core, 'checklists.get', { applicationId: f.appId, kind });
  const steps = cl.steps.map((s) =>
    s.key === 'health'
      ? { ...s, enabled: true, command: '! grep -q v2 {{app.current}}/VERSION', check: { ...s.check!, kind: 'command' as const, deadlineSeconds: 1, intervalSeconds: 0.2 }, switchBackOnFailure: switchBack }
      : s.key === 'restart'
        ? { ...s, enabled: true, command: 'cat {{app.current}}/VERSION > {{app.shared}}/started' }
        : s,
  );
  await call(f.core, 'checklists.save', { applicationId: f.appId, kind, steps });
}

describe('health-gated runs (local executor)', () => {
  it('the built-in health step switches back; the plan says so', async () => {
    fx = await runsFixture();
    const up = await call(fx.core, 'checklists.get', { applicationId: fx.appId, kind: 'upgrade' });
    expect(up.steps.find((s) => s.key === 'health')!.switchBackOnFailure).toBe(true);
  });

  it('upgrade: the failed host goes back to the previous release and is restarted; an install only pauses', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base } = fx;
    await gate(fx, 'install', true);
    await gate(fx, 'upgrade', true);
    // install of a v2 that fails the check: nothing to switch back to, the run just waits
    const bad = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v2') }, label: 'v2' });
    let r = await core.services.runs.settled(bad.id);
    const hi = r.steps.findIndex((s) => s.key === 'health');
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision', currentStep: hi, error: `Step ${hi + 1} (Health check) failed.` });
    expect(r.cells.find((c) => c.stepIndex === hi)!).toMatchObject({ note: '', switchedBack: null });
    expect(readFileSync(path.join(base, 'current', 'VERSION'), 'utf8')).toBe('v2\n');
    await call(core, 'runs.act', { id: bad.id, action: 'abort', note: 'bad build' });

    const ins = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') }, label: 'v1' });
    r = await core.services.runs.settled(ins.id);
    expect(r.state).toBe('succeeded');
    const v1 = r.releaseKey;

    const plan = await call(core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v2') }, label: 'v2' });
    expect(plan.steps.find((s) => s.key === 'health')!.cells[0]!.detail).toContain(`switches this host back to ${v1}`);
    const upg = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v2') }, label: 'v2' });
    r = await core.services.runs.settled(upg.id);
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision', currentStep: r.steps.findIndex((s) => s.key === 'health') });
    const cell = r.cells.find((c) => c.stepIndex === r.currentStep)!;
    expect(cell.state).toBe('failed');
    expect(cell.note).toContain(`switched back to ${v1} automatically and restarted it`);
    expect(cell.note).toContain('its check passes');
    // the same fact as data, for the UI (no parsing of the note)
    expect(cell.switchedBack).toEqual({ from: r.releaseKey, to: v1, ok: true });
    expect(r.error).toContain('switched back to the previous release there automatically');
    expect(path.basename(readlinkSync(path.join(base, 'current')))).toBe(v1);
    expect(readFileSync(path.join(base, 'shared', 'started'), 'utf8')).toBe('v1\n');
    expect((await call(core, 'releases.current', { applicationId: appId })).items[0]!.key).toBe(v1);
    const audit = await call(core, 'audit.list', { entity: 'runs', limit: 50, offset: 0 });
    expect(audit.items.filter((a) => a.action === 'run.switch-back')).toHaveLength(1);

    // retry: switches forward to v2 first (the check fails again, and it switches back again)
    await call(core, 'runs.act', { id: upg.id, action: 'retry', note: '' });
    r = await core.services.runs.settled(upg.id);
    const logs = (await call(core, 'runs.logs', { runId: upg.id, stepIndex: r.currentStep, query: 'switching forward again' })).items;
    expect(logs.length).toBeGreaterThanOrEqual(1);
    expect(path.basename(readlinkSync(path.join(base, 'current')))).toBe(v1);
    expect(r.cells.find((c) => c.stepIndex === r.currentStep)!.switchedBack).toEqual({ from: r.releaseKey, to: v1, ok: true });
    await call(core, 'runs.act', { id: upg.id, action: 'abort', note: 'v2 is broken' });
  });

  it('a check step without the option only pauses, on the new release', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base } = fx;
    await gate(fx, 'install', true);
    await gate(fx, 'upgrade', undefined);
    expect((await core.services.runs.settled((await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } })).id)).state).toBe('succeeded');
    const upg = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v2') } });
    const r = await core.services.runs.settled(upg.id);
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision', error: `Step ${r.currentStep + 1} (Health check) failed.` });
    expect(r.cells.every((c) => c.switchedBack === null)).toBe(true);
    expect(readFileSync(path.join(base, 'current', 'VERSION'), 'utf8')).toBe('v2\n');
  });
});
