import { existsSync, readFileSync, readlinkSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, fails } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
afterEach(async () => {
  await fx?.cleanup();
  fx = null;
});

describe('guided runs on the local executor', () => {
  it('installs, upgrades, rolls back with an atomic current switch, shared links, keep-N and release records', async () => {
    fx = await runsFixture({ keep: 2 });
    const { core, appId, envId, base } = fx;
    const install = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') }, label: 'v1' });
    let r = await core.services.runs.settled(install.id);
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state === 'failed'))).toBe('succeeded');
    expect(readFileSync(path.join(base, 'current', 'VERSION'), 'utf8')).toBe('v1\n');
    expect(readlinkSync(path.join(base, 'current'))).toContain('-v1');
    // shared dirs/files linked into the release
    expect(readlinkSync(path.join(base, 'current', 'log dir'))).toBe(path.join(base, 'shared', 'log dir'));
    expect(readlinkSync(path.join(base, 'current', '.env'))).toBe(path.join(base, 'shared', '.env'));
    // the lock file is gone, the local lock too
    expect(existsSync(path.join(base, '.puesta-lock'))).toBe(false);
    expect((await call(core, 'locks.list', {})).items).toEqual([]);

    const keys: string[] = [];
    for (const v of ['v2', 'v3', 'v4']) {
      const up = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src(v) }, label: v });
      r = await core.services.runs.settled(up.id);
      expect(r.state).toBe('succeeded');
      expect(readFileSync(path.join(base, 'current', 'VERSION'), 'utf8')).toBe(`${v}\n`);
      keys.push(up.releaseKey);
    }
    // keep 2: v4 (current) and v3 (rollback target) stay, v1 and v2 are gone
    const onDisk = readdirSync(path.join(base, 'releases')).filter((f) => !f.startsWith('.')).sort();
    expect(onDisk).toEqual([keys[1], keys[2]].sort());
    const cur = await call(core, 'releases.current', { applicationId: appId });
    expect(cur.items[0]!.key).toBe(keys[2]);
    expect(cur.items[0]!.previousKey).toBe(keys[1]);
    const all = await call(core, 'releases.list', { applicationId: appId, includeRemoved: true });
    expect(all.items.filter((x) => x.removedAt).map((x) => x.label).sort()).toEqual(['v1', 'v2']);

    const rb = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'rollback' });
    r = await core.services.runs.settled(rb.id);
    expect(r.state).toBe('succeeded');
    expect(readFileSync(path.join(base, 'current', 'VERSION'), 'utf8')).toBe('v3\n');
    expect((await call(core, 'releases.current', { applicationId: appId })).items[0]!.key).toBe(keys[1]);
  });

  it('plans the exact commands with every value quoted, without running anything', async () => {
    fx = await runsFixture({ hosts: 2 });
    const { core, appId, envId, base } = fx;
    const plan = await call(core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') }, label: 'v1' });
    expect(plan.hosts.map((h) => h.serverName)).toEqual(['local-1', 'local-2']);
    const sw = plan.steps.find((s) => s.key === 'switch')!;
    expect(sw.cells).toHaveLength(2);
    // the base path has a space and a quote: it arrives single-quoted
    expect(sw.cells[0]!.command).toContain(`'${base.replace(/'/g, `'\\''`)}/releases/${plan.releaseKey}'`);
    expect(plan.steps.find((s) => s.key === 'restart')!.enabled).toBe(false);
    expect(existsSync(base)).toBe(false);
    expect((await call(core, 'runs.list', {})).total).toBe(0);
  });

  it('pauses on a failed step; skip needs a note; a corrected command is retried; the logs are stored and searchable', async () => {
    fx = await runsFixture();
    const { core, appId, envId } = fx;
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind: 'install' });
    const steps = cl.steps.map((s) => (s.key === 'restart' ? { ...s, enabled: true, command: 'echo -e "\\e[31mstarting\\e[0m" {{app.name}}; exit 7' } : s));
    await call(core, 'checklists.save', { applicationId: appId, kind: 'install', steps });
    const events: string[] = [];
    const off = core.events.subscribe((e) => events.push(e));
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    let r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('waiting');
    expect(r.waitingFor).toBe('decision');
    const i = r.steps.findIndex((s) => s.key === 'restart');
    expect(r.currentStep).toBe(i);
    const failed = r.cells.find((c) => c.stepIndex === i)!;
    expect(failed).toMatchObject({ state: 'failed', exitCode: 7, attempt: 1 });
    expect((await fails(core, 'runs.act', { id: run.id, action: 'skip', note: '' })).code).toBe('INVALID_INPUT');
    expect((await fails(core, 'runs.act', { id: run.id, action: 'retry', command: 'echo {{nope}}' })).code).toBe('INVALID_INPUT');
    await call(core, 'runs.act', { id: run.id, action: 'retry', command: 'echo started {{app.name}}' });
    r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('succeeded');
    expect(r.cells.find((c) => c.stepIndex === i)).toMatchObject({ state: 'succeeded', attempt: 2, exitCode: 0, command: 'echo started shop' });
    off();
    expect(events).toContain('runs.log');
    expect(events).toContain('runs.step');
    // ANSI colours kept; both attempts' output present, in order
    const logs = await call(core, 'runs.logs', { runId: run.id, stepIndex: i });
    const text = logs.items.map((l) => l.text).join('');
    expect(text).toContain('\u001b[31mstarting\u001b[0m shop');
    expect(text.indexOf('starting')).toBeLessThan(text.indexOf('started shop'));
    const found = await call(core, 'runs.logs', { runId: run.id, query: 'STARTED SHOP' });
    expect(found.items).toHaveLength(1);
    // paging: two lines at a time walk every line once
    let after = 0;
    const seen: number[] = [];
    for (;;) {
      const page = await call(core, 'runs.logs', { runId: run.id, afterId: after, limit: 2 });
      seen.push(...page.items.map((l) => l.id));
      after = page.nextAfterId;
      if (!page.more) break;
    }
    expect(seen.length).toBe((await call(core, 'runs.logs', { runId: run.id, limit: 10000 })).items.length);
    expect(new Set(seen).size).toBe(seen.length);
    // audit: the edited step
    const audit = await call(core, 'audit.list', { entity: 'runs', limit: 50, offset: 0 });
    expect(audit.items.map((a) => a.action)).toContain('run.edit-step');
  });

  it('waits on a manual step until confirmed; abort offers the rollback and releases the lock', async () => {
    fx = await runsFixture();
    const { core, appId, envId } = fx;
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind: 'install' });
    const steps = [...cl.steps];
    steps.splice(1, 0, { key: 'tell-customer', title: 'Tell the customer', kind: 'manual', instructions: 'Call {{app.name}} support', action: 'shell', enabled: true, roles: [], command: '', sudo: false, timeoutSeconds: 60, check: null });
    await call(core, 'checklists.save', { applicationId: appId, kind: 'install', steps });
    const plan = await call(core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    expect(plan.steps[1]!.cells[0]).toMatchObject({ serverId: null, command: null, detail: 'Call shop support' });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    let r = await core.services.runs.settled(run.id);
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'confirm', currentStep: 1 });
    expect((await fails(core, 'runs.act', { id: run.id, action: 'retry' })).code).toBe('PRECONDITION_FAILED');
    r = await call(core, 'runs.act', { id: run.id, action: 'confirm', note: 'called Ana' });
    r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('succeeded');
    expect(r.cells.find((c) => c.stepIndex === 1)).toMatchObject({ state: 'succeeded', note: 'called Ana' });

    // an upgrade that waits at the manual step… then is aborted
    await call(core, 'checklists.save', {
      applicationId: appId,
      kind: 'upgrade',
      steps: [{ key: 'ask', title: 'Ask', kind: 'manual' }, ...(await call(core, 'checklists.get', { applicationId: appId, kind: 'upgrade' })).steps],
    });
    const up = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v2') } });
    await core.services.runs.settled(up.id);
    expect((await call(core, 'locks.list', {})).items[0]).toMatchObject({ runId: up.id, expired: false });
    const ab = await call(core, 'runs.act', { id: up.id, action: 'abort', note: 'customer said no' });
    expect(ab.state).toBe('aborted');
    expect(ab.rollbackOffer).toEqual({ kind: 'rollback', applicationId: appId, environmentId: envId, rollbackTo: run.releaseKey, serverIds: fx.serverIds });
    expect((await call(core, 'locks.list', {})).items).toEqual([]);
  });

  it('refuses a second run while the lock is held (naming the holder); override is audited; production needs the typed name', async () => {
    fx = await runsFixture({ confirmRuns: true });
    const { core, appId, envId } = fx;
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind: 'install' });
    await call(core, 'checklists.save', { applicationId: appId, kind: 'install', steps: [{ key: 'ask', title: 'Ask', kind: 'manual' }, ...cl.steps] });
    await call(core, 'settings.setOperator', { name: 'alice' });
    const req = { applicationId: appId, environmentId: envId, kind: 'install' as const, source: { kind: 'directory' as const, path: fx.src('v1') } };
    const noConfirm = await fails(core, 'runs.start', req);
    expect(noConfirm.code).toBe('PRECONDITION_FAILED');
    expect(noConfirm.message).toContain('"staging"');
    expect((await fails(core, 'runs.start', { ...req, confirmName: 'Staging ' })).code).toBe('PRECONDITION_FAILED');
    const first = await call(core, 'runs.start', { ...req, confirmName: 'staging', reason: 'monthly release' });
    await core.services.runs.settled(first.id);
    await call(core, 'settings.setOperator', { name: 'bob' });
    const refused = await fails(core, 'runs.start', { ...req, confirmName: 'staging' });
    expect(refused.code).toBe('LOCKED');
    expect(refused.message).toContain('alice');
    expect(refused.message).toContain('monthly release');
    expect((await call(core, 'runs.list', {})).total).toBe(1);
    // the host lock file names the holder too
    const lockFile = readFileSync(path.join(fx.base, '.puesta-lock'), 'utf8');
    expect(lockFile).toMatch(new RegExp(`^token=\\S+ expires=\\d+ run=${first.id} owner=alice reason=monthly release`));
    // override: a new run by bob takes both locks; audited
    const second = await call(core, 'runs.start', { ...req, confirmName: 'staging', overrideLock: true, reason: 'alice is away' });
    expect(second.state).not.toBe('aborted');
    expect(readFileSync(path.join(fx.base, '.puesta-lock'), 'utf8')).toContain('owner=bob');
    const audit = await call(core, 'audit.list', { limit: 100, offset: 0 });
    expect(audit.items.filter((a) => a.action === 'lock.override').length).toBeGreaterThanOrEqual(2);
  });

  it('a foreign lock file on the host refuses the run; an expired one is taken (audited)', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base } = fx;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(base, { recursive: true });
    const future = Math.floor(Date.now() / 1000) + 3600;
    writeFileSync(path.join(base, '.puesta-lock'), `token=other-laptop expires=${future} run=9 owner=carol reason=hotfix\n`);
    const req = { applicationId: appId, environmentId: envId, kind: 'install' as const, source: { kind: 'directory' as const, path: fx.src('v1') } };
    const e = await fails(core, 'runs.start', req);
    expect(e.code).toBe('LOCKED');
    expect(e.message).toContain('carol');
    expect((await call(core, 'locks.list', {})).items).toEqual([]);
    writeFileSync(path.join(base, '.puesta-lock'), `token=other-laptop expires=${Math.floor(Date.now() / 1000) - 10} run=9 owner=carol reason=hotfix\n`);
    const run = await call(core, 'runs.start', req);
    expect((await core.services.runs.settled(run.id)).state).toBe('succeeded');
    const audit = await call(core, 'audit.list', { entity: 'host-lock', limit: 10, offset: 0 });
    expect(audit.items[0]!.action).toBe('lock.take-expired');
  });

  it('runs a step on all hosts with bounded parallelism', async () => {
    fx = await runsFixture({ hosts: 4 });
    const { core, appId, envId } = fx;
    await call(core, 'checklists.save', { applicationId: appId, kind: 'upgrade', steps: [{ key: 'wait', title: 'Wait', command: 'sleep 0.4; echo done on {{host.name}}' }] });
    const timed = async (parallelism: number) => {
      const t0 = Date.now();
      const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx!.src('v1') }, parallelism });
      const r = await core.services.runs.settled(run.id);
      expect(r.state).toBe('succeeded');
      expect(r.cells.map((c) => c.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
      return Date.now() - t0;
    };
    const one = await timed(1);
    const four = await timed(4);
    expect(one).toBeGreaterThan(1500);
    expect(four).toBeLessThan(one / 2);
    const hist = await call(core, 'runs.get', { id: 2 });
    expect(hist.steps[0]!.usualMs).toBeGreaterThanOrEqual(400);
  });

  it('a run in flight when the app quits is interrupted, keeps its logs, and resumes from its step', async () => {
    fx = await runsFixture();
    const { appId, envId, dataDir } = fx;
    let core = fx.core;
    await call(core, 'checklists.save', {
      applicationId: appId,
      kind: 'upgrade',
      steps: [
        { key: 'count', title: 'Count', command: 'for i in $(seq 1 20); do echo line $i; done' },
        { key: 'slow', title: 'Slow', command: 'echo begin; while [ ! -e {{app.base}}/go ]; do sleep 0.05; done; echo end' },
        { key: 'after', title: 'After', command: 'echo after' },
      ],
    });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v1') } });
    const deadline = Date.now() + 10_000;
    while ((await call(core, 'runs.get', { id: run.id })).cells[1]!.state !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await core.close();
    const { makeCore } = await import('../helpers/core.js');
    const { LocalExecutor } = await import('../../electron/core/runs/local-exec.js');
    const again = makeCore(dataDir);
    core = again.core;
    fx = { ...fx, core, cleanup: again.cleanup };
    core.services.runs.setExecutor(new LocalExecutor());
    let r = await call(core, 'runs.get', { id: run.id });
    expect(r).toMatchObject({ state: 'interrupted', currentStep: 1 });
    expect(r.cells[1]!.state).toBe('interrupted');
    const logs = (await call(core, 'runs.logs', { runId: run.id, stepIndex: 0 })).items.map((l) => l.text).join('');
    for (let i = 1; i <= 20; i++) expect(logs).toContain(`line ${i}\n`);
    await call(core, 'checklists.save', { applicationId: appId, kind: 'upgrade', steps: [{ key: 'x', title: 'x' }] }); // the run keeps its own copy
    r = await call(core, 'runs.resume', { id: run.id });
    expect(r.state).toBe('running');
    writeFileSync(path.join(fx.base, 'go'), '');
    r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('succeeded');
    expect(r.cells.map((c) => [c.state, c.attempt])).toEqual([['succeeded', 1], ['succeeded', 2], ['succeeded', 1]]);
    const slow = (await call(core, 'runs.logs', { runId: run.id, stepIndex: 1 })).items;
    expect(slow.filter((l) => l.attempt === 2).map((l) => l.text).join('')).toContain('begin\nend\n');
    expect((await call(core, 'locks.list', {})).items).toEqual([]);
  });
});
