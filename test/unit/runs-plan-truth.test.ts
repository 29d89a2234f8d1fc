/**
 * Issue 10 item 7: the plan previewed is the plan that runs, byte for byte (the release key is
 * stamped once, at the preview); item 8: a rollback is named by its release, not "(previous)".
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, fails } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
afterEach(async () => {
  await fx?.cleanup();
  fx = null;
});

describe('the plan the operator approved is the one that runs', () => {
  it('starts the previewed plan: same release key, same commands, same archive, byte for byte', async () => {
    fx = await runsFixture({ hosts: 2 });
    const { core, appId, envId } = fx;
    const src = fx.src('v1');
    const req = { applicationId: appId, environmentId: envId, kind: 'install' as const, source: { kind: 'directory' as const, path: src }, label: 'v1', parallelism: 1 };
    const plan = await call(core, 'runs.plan', req);
    expect(plan.digest).toMatch(/^[0-9a-f]{64}$/);
    // (one host at a time: the local "hosts" share this machine's disk)
    // time passes, the folder changes: what starts is still what was previewed
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(path.join(src, 'VERSION'), 'changed after the preview\n');
    const run = await call(core, 'runs.start', { ...req, releaseKey: plan.releaseKey, planDigest: plan.digest });
    expect(run.releaseKey).toBe(plan.releaseKey);
    const r = await core.services.runs.settled(run.id);
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state === 'failed'))).toBe('succeeded');
    for (const st of plan.steps.filter((x) => x.enabled)) {
      for (const pc of st.cells) {
        if (pc.serverId === null || pc.command === null) continue;
        expect(r.cells.find((c) => c.stepIndex === st.index && c.serverId === pc.serverId)!.command, st.key).toBe(pc.command);
      }
    }
    const cur = await call(core, 'releases.current', { applicationId: appId });
    expect(cur.items.map((c) => c.key)).toEqual([plan.releaseKey, plan.releaseKey]);
    // a previewed key is good for one run
    expect((await fails(core, 'runs.start', { ...req, releaseKey: plan.releaseKey })).code).toBe('PRECONDITION_FAILED');
  });

  it('refuses to start when the plan changed since the preview', async () => {
    fx = await runsFixture();
    const { core, appId, envId } = fx;
    const req = { applicationId: appId, environmentId: envId, kind: 'install' as const, source: { kind: 'directory' as const, path: fx.src('v1') } };
    const plan = await call(core, 'runs.plan', req);
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind: 'install' });
    await call(core, 'checklists.save', { applicationId: appId, kind: 'install', steps: cl.steps.map((s) => (s.key === 'restart' ? { ...s, enabled: true, command: 'echo changed' } : s)) });
    const e = await fails(core, 'runs.start', { ...req, releaseKey: plan.releaseKey, planDigest: plan.digest });
    expect(e.code).toBe('PRECONDITION_FAILED');
    expect(e.message).toMatch(/preview it again/);
    expect((await call(core, 'runs.list', {})).total).toBe(0);
  });

  it('names a rollback by the release it goes back to', async () => {
    fx = await runsFixture({ hosts: 2 });
    const { core, appId, envId } = fx;
    for (const [kind, v] of [['install', 'v1'], ['upgrade', 'v2']] as const) {
      const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind, source: { kind: 'directory', path: fx.src(v) }, label: v, parallelism: 1 });
      expect((await core.services.runs.settled(run.id)).state).toBe('succeeded');
    }
    const previous = (await call(core, 'releases.current', { applicationId: appId })).items[0]!.previousKey!;
    const plan = await call(core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'rollback' });
    expect(plan.releaseKey).toBe(previous);
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'rollback', planDigest: plan.digest });
    expect(run.releaseKey).toBe(previous);
  });
});
