/** Issue 10, items 9–10: a stuck host stopped on its own; a resume that asks, per host, what to do. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import { makeCore } from '../helpers/core.js';
import { call, fails as callErr } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
afterEach(async () => {
  await fx?.cleanup();
  fx = null;
});

async function until(what: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a hung step on one host (item 9)', () => {
  it('stops the command on that host only; the run then waits for retry / skip / exclude', async () => {
    fx = await runsFixture({ hosts: 2 });
    const { core, appId, envId, base } = fx;
    await call(core, 'checklists.save', {
      applicationId: appId,
      kind: 'upgrade',
      steps: [{ key: 'hang', title: 'Hang on one host', timeoutSeconds: 600, command: 'if [ {{host.name}} = local-1 ]; then echo $$ > {{app.base}}.pid; sleep 300; fi; echo done {{host.name}}' }],
    });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v1') } });
    const [h1, h2] = fx.serverIds as [number, number];
    const cellOf = async (sid: number) => (await call(core, 'runs.get', { id: run.id })).cells.find((c) => c.serverId === sid)!;
    await until(async () => (await cellOf(h2)).state === 'succeeded' && (await cellOf(h1)).state === 'running' && existsSync(`${base}.pid`));
    const pid = Number(readFileSync(`${base}.pid`, 'utf8'));
    expect(alive(pid)).toBe(true);
    // only a host whose command runs can be stopped
    expect((await callErr(core, 'runs.act', { id: run.id, action: 'stop', serverId: h2 })).code).toBe('PRECONDITION_FAILED');
    await call(core, 'runs.act', { id: run.id, action: 'stop', serverId: h1, note: 'hangs on a prompt' });
    let r = await core.services.runs.settled(run.id);
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision' });
    const c1 = r.cells.find((c) => c.serverId === h1)!;
    expect(c1.state).toBe('failed');
    expect(c1.error).toMatch(/Stopped by the operator/);
    expect(r.cells.find((c) => c.serverId === h2)!.state).toBe('succeeded');
    await until(async () => !alive(pid), 5000);
    // retry with a corrected command: only the stopped host runs again
    r = await call(core, 'runs.act', { id: run.id, action: 'retry', note: '', command: 'echo fixed {{host.name}}' });
    r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('succeeded');
    expect(r.cells.map((c) => [c.serverId, c.attempt])).toEqual([
      [h1, 2],
      [h2, 1],
    ]);
  });
});

describe('resume after Puesta stopped mid-step (item 10)', () => {
  it('asks per host: run again, check first, or mark done with a note; marks the log where Puesta stopped', async () => {
    fx = await runsFixture({ hosts: 3 });
    const { appId, envId, dataDir, base } = fx;
    let core = fx.core;
    await call(core, 'checklists.save', {
      applicationId: appId,
      kind: 'upgrade',
      steps: [{ key: 'migrate', title: 'Migrate', command: 'echo migrating {{host.name}}; echo x >> {{app.base}}.{{host.name}}; while [ ! -e {{app.base}}.go ]; do sleep 0.05; done; echo migrated' }],
    });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v1') } });
    const ran = (n: number) => (existsSync(`${base}.local-${n}`) ? readFileSync(`${base}.local-${n}`, 'utf8').length / 2 : 0);
    await until(async () => ran(1) + ran(2) + ran(3) === 3);
    const stoppedAt = Date.now();
    await core.close();
    await new Promise((r) => setTimeout(r, 1500)); // Puesta is down
    const again = makeCore(dataDir);
    core = again.core;
    fx = { ...fx, core, cleanup: again.cleanup };
    core.services.runs.setExecutor(new LocalExecutor());
    let r = await call(core, 'runs.get', { id: run.id });
    expect(r.state).toBe('interrupted');
    // the time Puesta was down is not step time
    for (const c of r.cells) expect(c.durationMs!).toBeLessThanOrEqual(Date.now() - stoppedAt);
    for (const c of r.cells) expect(c.durationMs!).toBeLessThan(1500);
    const [h1, h2, h3] = fx.serverIds as [number, number, number];
    r = await call(core, 'runs.resume', {
      id: run.id,
      hosts: [
        { serverId: h1, choice: 'done', note: 'the migration had finished' },
        { serverId: h2, choice: 'check', note: '' },
      ],
    });
    writeFileSync(`${base}.go`, '');
    r = await core.services.runs.settled(run.id);
    // h3 ran again, h1 is done without running twice, h2 waits for a decision
    expect(ran(1)).toBe(1);
    expect(ran(3)).toBe(2);
    expect(ran(2)).toBe(1);
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision' });
    const cell = (sid: number) => r.cells.find((c) => c.serverId === sid)!;
    expect(cell(h1)).toMatchObject({ state: 'succeeded', note: 'the migration had finished' });
    expect(cell(h2).state).toBe('failed');
    expect(cell(h2).error).toMatch(/Puesta stopped while this step ran/);
    expect(cell(h3).state).toBe('succeeded');
    const log = (await call(core, 'runs.logs', { runId: run.id, stepIndex: 0, serverId: h1 })).items.map((l) => l.text).join('');
    expect(log).toMatch(/Puesta stopped here/);
    expect(log).toMatch(/marked done by .*: the migration had finished/);
    r = await call(core, 'runs.act', { id: run.id, action: 'retry', note: 'checked: it had not started' });
    r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('succeeded');
    expect(ran(2)).toBe(2);
    expect(path.basename(base)).toBeTruthy();
  });
});
