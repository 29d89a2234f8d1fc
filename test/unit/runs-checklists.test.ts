import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import { render, variablesOf } from '../../electron/core/runs/template.js';
import { call, fails } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
afterEach(async () => {
  await fx?.cleanup();
  fx = null;
});

const HOSTILE = `x'; touch PWNED; echo '$(touch PWNED2) \`touch PWNED3\` "q" \\ *`;

describe('checklist templates', () => {
  it('renders every variable through the quoting function; hostile values arrive byte-identical in a real shell', async () => {
    const cmd = render('printf "%s|" {{app.name}} {{app.sharedDirs}}', { 'app.name': HOSTILE, 'app.sharedDirs': ['a b', HOSTILE, ''] });
    const ex = new LocalExecutor();
    const dir = path.join(process.env.TMPDIR ?? '/tmp', `puesta-q-${process.pid}`);
    const { mkdirSync, rmSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    try {
      const r = await ex.exec({ id: 1, name: 'local', host: '127.0.0.1', port: 22, user: 'root', auth: 'agent', keyPath: null }, cmd, { cwd: dir });
      expect(r.stdout).toBe(`${HOSTILE}|a b|${HOSTILE}||`);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(render('GET http://{{host.address}}/x?a={{app.name}}', { 'host.address': '10.0.0.5', 'app.name': 'a b&c' }, 'url')).toBe('GET http://10.0.0.5/x?a=a%20b%26c');
    expect(render('Call {{app.name}}', { 'app.name': "O'Brien" }, 'text')).toBe("Call O'Brien");
    expect(variablesOf('{{ app.user }} and {{release.path}}')).toEqual(['app.user', 'release.path']);
  });

  it('creates hostile shared directory names literally (install on the local executor)', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base } = fx;
    await call(core, 'applications.update', { id: appId, sharedDirs: ['ok', `we ird $(touch PWNED) 'x'`] });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    const r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('succeeded');
    expect(readdirSync(path.join(base, 'shared')).sort()).toEqual(['.env', 'ok', `we ird $(touch PWNED) 'x'`].sort());
    expect(existsSync(path.join(base, 'current', `we ird $(touch PWNED) 'x'`))).toBe(true);
    expect(readdirSync(path.join(base, 'current')).some((f) => f === 'PWNED')).toBe(false);
  });

  it('lists the three built-in checklists; saves an edited copy (audited); refuses unknown variables and duplicate keys; resets', async () => {
    fx = await runsFixture();
    const { core, appId } = fx;
    const list = await call(core, 'checklists.list', { applicationId: appId });
    expect(list.items.map((c) => [c.kind, c.builtin])).toEqual([['install', true], ['upgrade', true], ['rollback', true]]);
    const install = list.items[0]!;
    expect(install.steps.map((s) => s.key)).toEqual(['preflight', 'layout', 'upload', 'link-shared', 'switch', 'restart', 'health', 'record']);
    expect(install.variables.map((v) => v.name)).toContain('release.path');
    const reordered = [install.steps[1]!, install.steps[0]!, ...install.steps.slice(2).filter((s) => s.key !== 'restart')];
    const saved = await call(core, 'checklists.save', { applicationId: appId, kind: 'install', steps: reordered });
    expect(saved.builtin).toBe(false);
    expect(saved.steps.map((s) => s.key).slice(0, 2)).toEqual(['layout', 'preflight']);
    expect(saved.steps.some((s) => s.key === 'restart')).toBe(false);
    const bad = await fails(core, 'checklists.save', { applicationId: appId, kind: 'install', steps: [{ key: 'a', title: 'A', command: 'echo {{app.password}}' }] });
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.message).toContain('{{app.password}}');
    const dup = await fails(core, 'checklists.save', { applicationId: appId, kind: 'install', steps: [{ key: 'a', title: 'A' }, { key: 'a', title: 'B' }] });
    expect(dup.code).toBe('INVALID_INPUT');
    const chk = await fails(core, 'checklists.save', { applicationId: appId, kind: 'install', steps: [{ key: 'h', title: 'H', kind: 'check', check: { kind: 'http', url: '' } }] });
    expect(chk.code).toBe('INVALID_INPUT');
    const audit = await call(core, 'audit.list', { entity: 'checklists', limit: 10, offset: 0 });
    expect(audit.items.map((a) => a.action)).toEqual(['update']);
    const reset = await call(core, 'checklists.reset', { applicationId: appId, kind: 'install' });
    expect(reset.builtin).toBe(true);
    expect(reset.steps.map((s) => s.key)).toEqual(install.steps.map((s) => s.key));
  });

  it('the health step follows the application health check until the checklist is edited', async () => {
    fx = await runsFixture();
    const { core, appId } = fx;
    await call(core, 'applications.update', { id: appId, healthCheck: { kind: 'http', target: 'http://{{host.address}}:9/health', expectStatus: 204, timeoutSeconds: 7 } });
    const up = await call(core, 'checklists.get', { applicationId: appId, kind: 'upgrade' });
    const h = up.steps.find((s) => s.key === 'health')!;
    expect(h).toMatchObject({ enabled: true, kind: 'check', check: { kind: 'http', url: 'http://{{host.address}}:9/health', expectStatus: 204, deadlineSeconds: 7 } });
  });
});

function cmdlineOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return ''; // the process ended while the list was read
  }
}

describe('run control', () => {
  it('abort while a step runs stops the remote command at once', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base } = fx;
    await call(core, 'checklists.save', { applicationId: appId, kind: 'upgrade', steps: [{ key: 'long', title: 'Long', command: 'mkdir -p {{app.base}}; sleep 30; touch {{app.base}}/finished' }] });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v1') } });
    // the step's shell, known by the fixture's own folder in its command line (a killed one has none)
    const marker = path.basename(fx.work);
    const running = () => readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && cmdlineOf(pid).includes(marker));
    await expect.poll(running, { timeout: 10_000 }).toBe(true);
    const r = await call(core, 'runs.act', { id: run.id, action: 'abort', note: 'wrong build' });
    expect(running()).toBe(false); // gone by the time the abort answers, not after its 30 s
    expect(r).toMatchObject({ state: 'aborted', error: 'wrong build' });
    expect(r.cells[0]).toMatchObject({ state: 'failed' });
    expect(r.rollbackOffer).toBeNull(); // nothing was installed before: nothing to roll back to
    await new Promise((res) => setTimeout(res, 200));
    expect(existsSync(path.join(base, 'finished'))).toBe(false);
    expect((await fails(core, 'runs.act', { id: run.id, action: 'retry' })).code).toBe('PRECONDITION_FAILED');
    expect((await fails(core, 'runs.resume', { id: run.id })).code).toBe('PRECONDITION_FAILED');
  });

  it('exclude host: the failed host is left out of the rest of the run, the others go on', async () => {
    fx = await runsFixture({ hosts: 3 });
    const { core, appId, envId, serverIds } = fx;
    const bad = serverIds[1]!;
    await call(core, 'checklists.save', {
      applicationId: appId,
      kind: 'upgrade',
      steps: [
        { key: 'one', title: 'One', command: `[ {{host.name}} != local-2 ] || { echo "disk full" >&2; exit 3; }` },
        { key: 'two', title: 'Two', command: 'echo two on {{host.name}}' },
      ],
    });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v1') } });
    let r = await core.services.runs.settled(run.id);
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision', currentStep: 0 });
    expect(r.cells.filter((c) => c.stepIndex === 0).map((c) => c.state)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect((await fails(core, 'runs.act', { id: run.id, action: 'exclude' })).code).toBe('INVALID_INPUT');
    await call(core, 'runs.act', { id: run.id, action: 'exclude', serverId: bad, note: 'disk full, ticket #12' });
    r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('succeeded');
    expect(r.excludedServerIds).toEqual([bad]);
    expect(r.cells.filter((c) => c.serverId === bad).map((c) => c.state)).toEqual(['excluded', 'excluded']);
    expect(r.cells.filter((c) => c.stepIndex === 1 && c.serverId !== bad).map((c) => c.state)).toEqual(['succeeded', 'succeeded']);
    const stderr = (await call(core, 'runs.logs', { runId: run.id, serverId: bad })).items.filter((l) => l.stream === 'stderr');
    expect(stderr.map((l) => l.text).join('')).toBe('disk full\n');
  });

  it('check steps retry until they pass or their deadline', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base } = fx;
    await call(core, 'checklists.save', {
      applicationId: appId,
      kind: 'upgrade',
      steps: [
        { key: 'bg', title: 'Later', command: 'mkdir -p {{app.base}}; (sleep 0.6; echo ready > {{app.base}}/state) >/dev/null 2>&1 &' },
        { key: 'wait', title: 'Wait ready', kind: 'check', command: 'cat {{app.base}}/state 2>/dev/null', check: { kind: 'command', expectText: 'ready', deadlineSeconds: 5, intervalSeconds: 0.1 } },
        { key: 'never', title: 'Never', kind: 'check', command: 'echo nope', check: { kind: 'command', expectText: 'yes', deadlineSeconds: 1, intervalSeconds: 0.2 } },
      ],
    });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v1') } });
    const r = await core.services.runs.settled(run.id);
    expect(existsSync(path.join(base, 'state'))).toBe(true);
    expect(r.cells.map((c) => c.state)).toEqual(['succeeded', 'succeeded', 'failed']);
    expect(r.cells[2]!.error).toMatch(/did not pass within 1 s \(\d+ attempts\)/);
    const waitLogs = (await call(core, 'runs.logs', { runId: run.id, stepIndex: 1 })).items.filter((l) => l.stream === 'system').map((l) => l.text);
    expect(waitLogs.filter((t) => t.startsWith('check ')).length).toBeGreaterThan(2);
    const http = await call(core, 'checklists.save', {
      applicationId: appId,
      kind: 'rollback',
      steps: [{ key: 'h', title: 'H', kind: 'check', check: { kind: 'http', url: 'http://127.0.0.1:9/', deadlineSeconds: 1, intervalSeconds: 0.3 } }],
    });
    expect(http.steps).toHaveLength(1);
  });
});

describe('locks and releases API', () => {
  it('override takes a lock for the operator (audited), release frees it; a held lock refuses others', async () => {
    fx = await runsFixture();
    const { core, appId, envId } = fx;
    await call(core, 'settings.setOperator', { name: 'carol' });
    const l = await call(core, 'locks.override', { applicationId: appId, environmentId: envId, reason: 'freeze for audit' });
    expect(l).toMatchObject({ owner: 'carol', reason: 'freeze for audit', runId: null, expired: false, applicationName: 'shop', environmentName: 'staging' });
    await call(core, 'settings.setOperator', { name: 'dave' });
    const e = await fails(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    expect(e.code).toBe('LOCKED');
    expect(e.message).toContain('carol');
    expect(e.message).toContain('freeze for audit');
    expect(await call(core, 'locks.release', { applicationId: appId, environmentId: envId })).toEqual({ released: true });
    expect(await call(core, 'locks.release', { applicationId: appId, environmentId: envId })).toEqual({ released: false });
    const acts = (await call(core, 'audit.list', { entity: 'locks', limit: 10, offset: 0 })).items.map((a) => a.action);
    expect(acts).toEqual(['lock.release']);
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    expect((await core.services.runs.settled(run.id)).state).toBe('succeeded');
  });

  it('an expired lease can be taken (audited); a live run cannot have its lock released', async () => {
    fx = await runsFixture();
    const { core, appId, envId } = fx;
    await call(core, 'checklists.save', { applicationId: appId, kind: 'install', steps: [{ key: 'ask', title: 'Ask', kind: 'manual' }] });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    await core.services.runs.settled(run.id);
    expect((await fails(core, 'locks.release', { applicationId: appId, environmentId: envId })).code).toBe('PRECONDITION_FAILED');
    // the lease lapses everywhere (as when the laptop that held it is gone)
    core.db.prepare('UPDATE locks SET lease_expires_at = ?').run('2000-01-01T00:00:00.000Z');
    const lockFile = path.join(fx.base, '.puesta-lock');
    writeFileSync(lockFile, readFileSync(lockFile, 'utf8').replace(/expires=\d+/, 'expires=946684800'));
    expect((await call(core, 'locks.list', {})).items[0]!.expired).toBe(true);
    await call(core, 'settings.setOperator', { name: 'erin' });
    const second = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    expect((await call(core, 'audit.list', { entity: 'locks', limit: 10, offset: 0 })).items[0]!.action).toBe('lock.take-expired');
    // the first run, waiting on its manual step, no longer holds the lock: it cannot go on
    const e = await fails(core, 'runs.act', { id: run.id, action: 'confirm' });
    expect(e.code).toBe('LOCKED');
    expect(e.message).toContain('erin');
    await call(core, 'runs.act', { id: second.id, action: 'abort' });
  });

  it('releases.scan reads the hosts and brings the records in line (a release switched by hand, one deleted by hand)', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base, serverIds } = fx;
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') }, label: 'v1' });
    await core.services.runs.settled(run.id);
    const { mkdirSync, rmSync, symlinkSync, renameSync } = await import('node:fs');
    mkdirSync(path.join(base, 'releases', 'hotfix-by-hand'));
    symlinkSync(path.join(base, 'releases', 'hotfix-by-hand'), path.join(base, 'cur.tmp'));
    renameSync(path.join(base, 'cur.tmp'), path.join(base, 'current'));
    rmSync(path.join(base, 'releases', run.releaseKey), { recursive: true });
    const scan = await call(core, 'releases.scan', { applicationId: appId, environmentId: envId });
    expect(scan.items).toEqual([{ serverId: serverIds[0], serverName: 'local-1', currentKey: 'hotfix-by-hand', present: ['hotfix-by-hand'], error: null }]);
    const cur = await call(core, 'releases.current', { applicationId: appId });
    expect(cur.items[0]).toMatchObject({ key: 'hotfix-by-hand', previousKey: run.releaseKey });
    const all = await call(core, 'releases.list', { applicationId: appId, includeRemoved: true });
    expect(all.items.find((r) => r.key === run.releaseKey)!.removedAt).not.toBeNull();
  });

  it('registers a release installed by hand, as current; rollback targets need a previous release', async () => {
    fx = await runsFixture();
    const { core, appId, envId, serverIds } = fx;
    const noPrev = await fails(core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'rollback' });
    expect(noPrev.code).toBe('PRECONDITION_FAILED');
    expect(noPrev.message).toContain('local-1');
    await call(core, 'releases.register', { applicationId: appId, serverId: serverIds[0]!, key: 'old-1', label: 'legacy' });
    const r2 = await call(core, 'releases.register', { applicationId: appId, serverId: serverIds[0]!, key: 'old-2', current: true });
    expect(r2).toMatchObject({ key: 'old-2', current: true, path: `${fx.base}/releases/old-2` });
    const plan = await call(core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'rollback', rollbackTo: 'old-1' });
    expect(plan.steps.find((s) => s.key === 'switch')!.cells[0]!.command).toContain('/releases/old-1');
    const list = await call(core, 'releases.list', { applicationId: appId });
    expect(list.items.map((x) => [x.key, x.current])).toEqual([['old-2', true], ['old-1', false]]);
    expect((await fails(core, 'releases.register', { applicationId: appId, serverId: serverIds[0]!, key: '../x' })).code).toBe('INVALID_INPUT');
  });
});
