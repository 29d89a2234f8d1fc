/**
 * Issue 10 (fleet bench): the commands a run sends per host. The record step that ends a run
 * releases the host lock in its own command; the upload step's own `sha256sum -c` is the one
 * checksum on the host; what an upload ships (delivery metrics) is read on one host of the step.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinChecklist } from '../../electron/core/runs/builtin.js';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import { hostLockScript, hostUnlockScript } from '../../electron/core/runs/locks.js';
import { inspect } from '../../electron/core/runs/releases.js';
import { checksItself } from '../../electron/core/runs/upload.js';
import type { ExecOptions, SshTarget, UploadOptions } from '../../electron/core/ssh/types.js';
import { call } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
afterEach(async () => {
  await fx?.cleanup();
  fx = null;
});

/** The local executor, keeping what each host was sent. */
class Recording extends LocalExecutor {
  readonly sent: { serverId: number; command: string }[] = [];
  readonly uploads: UploadOptions[] = [];
  override exec(t: SshTarget, command: string, opts?: ExecOptions) {
    this.sent.push({ serverId: t.id, command });
    return super.exec(t, command, opts);
  }
  override upload(t: SshTarget, localPath: string, remotePath: string, opts: UploadOptions = {}) {
    this.uploads.push(opts);
    return super.upload(t, localPath, remotePath);
  }
}

const target = { id: 1, name: 'local', host: '127.0.0.1', port: 22, user: 'root' } as never;

describe('what a run sends per host', () => {
  it('an upgrade: one command per step and host, the lock taken once and released by the record step, one checksum on the host', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base, serverIds } = fx;
    const rec = new Recording();
    core.services.runs.setExecutor(rec);
    const install = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    expect((await core.services.runs.settled(install.id)).state).toBe('succeeded');
    rec.sent.length = 0;
    rec.uploads.length = 0;
    const up = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v2') } });
    const r = await core.services.runs.settled(up.id);
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state === 'failed'))).toBe('succeeded');
    // steps that run a command here: preflight, upload, link-shared, switch, cleanup (restart is disabled), record
    for (const id of serverIds) {
      // (besides the delivery metrics' read of the release manifest, metrics/step-kind.ts)
      const mine = rec.sent.filter((s) => s.serverId === id && !s.command.includes('puesta-release.json')).map((s) => s.command);
      expect(mine.filter((c) => c.startsWith('lock='))).toHaveLength(1);
      expect(mine).toHaveLength(1 + 6);
      expect(mine.at(-1)).toContain('readlink --');
      expect(mine.at(-1)).toContain(up.releaseKey);
    }
    // the release of the lock rode on the record step: the file is gone, the records are there
    expect(existsSync(path.join(base, '.puesta-lock'))).toBe(false);
    expect((await call(core, 'releases.current', { applicationId: appId })).items.map((c) => c.key)).toEqual([up.releaseKey]);
    // the built-in upload command checks the sha256 itself: the engine adds no checksum command
    expect(rec.uploads.map((o) => o.verify)).toEqual([false]);
  });

  it('a step after the record step: the record step leaves the lock, the end of the run releases it', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base } = fx;
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind: 'install' });
    await call(core, 'checklists.save', { applicationId: appId, kind: 'install', steps: [...cl.steps, { ...cl.steps[0]!, key: 'after', title: 'After', command: 'test -f {{app.base}}/.puesta-lock' }] });
    const rec = new Recording();
    core.services.runs.setExecutor(rec);
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    const r = await core.services.runs.settled(run.id);
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state === 'failed'))).toBe('succeeded');
    expect(existsSync(path.join(base, '.puesta-lock'))).toBe(false);
    expect(rec.sent.filter((s) => s.command.startsWith('lock='))).toHaveLength(2);
  });
});

describe('the delivery metrics read of an upload', () => {
  it('runs on one host of the step, not on each', async () => {
    fx = await runsFixture({ hosts: 2 });
    const { core, appId, envId } = fx;
    const rec = new Recording();
    core.services.runs.setExecutor(rec);
    // one at a time: the two "hosts" of the local executor share one folder
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') }, parallelism: 1 });
    const r = await core.services.runs.settled(run.id);
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state === 'failed'))).toBe('succeeded');
    expect(new Set(rec.sent.map((s) => s.serverId)).size).toBe(2);
    expect(rec.sent.filter((s) => s.command.includes('puesta-release.json'))).toHaveLength(1);
  });
});

describe('inspect, then release the lock', () => {
  it('releases the run’s lock only when current points at its release, and reads the same', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'puesta-inspect-unlock-'));
    const ex = new LocalExecutor();
    try {
      for (const k of ['20261201T000000000-a', '20261201T000000001-b']) mkdirSync(path.join(base, 'releases', k), { recursive: true });
      symlinkSync(path.join(base, 'releases', '20261201T000000000-a'), path.join(base, 'current'));
      const lock = path.join(base, '.puesta-lock');
      const take = (token: string) => ex.exec(target, hostLockScript(base, `token=${token} expires=4102444800 run=1 owner=t reason=`, token, false));
      expect((await take('tok1')).exitCode).toBe(0);
      const plain = await inspect(ex, target, base);
      // another release is current: the lock stays
      expect(await inspect(ex, target, base, { key: '20261201T000000001-b', token: 'tok1' })).toEqual(plain);
      expect(existsSync(lock)).toBe(true);
      // another run's token: the lock stays
      expect(await inspect(ex, target, base, { key: '20261201T000000000-a', token: 'other' })).toEqual(plain);
      expect(existsSync(lock)).toBe(true);
      // ours, and current is our release: released, the output unchanged
      expect(await inspect(ex, target, base, { key: '20261201T000000000-a', token: 'tok1' })).toEqual(plain);
      expect(existsSync(lock)).toBe(false);
      expect((await ex.exec(target, hostUnlockScript(base, 'tok1'))).stdout.trim()).toBe('NOT-HELD');
      expect(plain).toEqual({ currentKey: '20261201T000000000-a', present: expect.arrayContaining(['20261201T000000000-a', '20261201T000000001-b']) });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('one checksum on the host', () => {
  it('the built-in upload command checks the sha256 itself; a command without sha256sum -c does not', () => {
    const upload = builtinChecklist('upgrade', { healthCheck: { kind: 'http', target: '', expectStatus: 200, timeoutSeconds: 5 } }).find((s) => s.key === 'upload')!;
    expect(checksItself(upload.command)).toBe(true);
    expect(checksItself('tar -xzf {{upload.path}} -C {{release.path}}')).toBe(false);
    expect(checksItself('echo {{upload.sha256}}')).toBe(false);
  });

  it('an upload step whose own command does not check: the engine verifies the upload', async () => {
    fx = await runsFixture();
    const { core, appId, envId } = fx;
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind: 'install' });
    const steps = cl.steps.map((s) => (s.key === 'upload' ? { ...s, command: 'mkdir -p {{release.path}} && tar -xzf {{upload.path}} -C {{release.path}}' } : s));
    await call(core, 'checklists.save', { applicationId: appId, kind: 'install', steps });
    const rec = new Recording();
    core.services.runs.setExecutor(rec);
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    expect((await core.services.runs.settled(run.id)).state).toBe('succeeded');
    expect(rec.uploads.map((o) => o.verify)).toEqual([true]);
  });
});

