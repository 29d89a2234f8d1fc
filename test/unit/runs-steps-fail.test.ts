/**
 * Issue 10 item 4: every built-in step can fail. Each built-in script runs through the engine (on
 * the local executor) with the one command that does its work failing — a shim earlier on PATH
 * that exits 1 when its arguments match — and the step's cell must fail, never "succeeded (exit 0)".
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applicationOf } from '../../electron/core/provision/context.js';
import { serviceRestartStep } from '../../electron/core/provision/checklist.js';
import type { ChecklistKind } from '../../shared/contract/runs.js';
import { call } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
let shimDir: string | null = null;
const PATH = process.env.PATH;
afterEach(async () => {
  process.env.PATH = PATH;
  if (shimDir) rmSync(shimDir, { recursive: true, force: true });
  shimDir = null;
  await fx?.cleanup();
  fx = null;
});

/** Puts `cmd` first on PATH: it exits 1 when its arguments contain `when` ('' = always), else runs the real one. */
function failing(cmds: Record<string, string>): void {
  shimDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-shim-'));
  for (const [cmd, when] of Object.entries(cmds)) {
    let real = '';
    try {
      real = execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
    } catch {
      // not installed here (systemctl in a container): the shim always fails
    }
    const f = path.join(shimDir, cmd);
    writeFileSync(f, `#!/bin/sh\ncase " $* " in *'${when}'*) echo "${cmd}: failing on purpose" >&2; exit 1 ;; esac\n${real ? `exec ${real} "$@"` : 'exit 1'}\n`);
    chmodSync(f, 0o755);
  }
  process.env.PATH = `${shimDir}:${PATH}`;
}

async function runTo(kind: ChecklistKind, label: string) {
  const { core, appId, envId } = fx!;
  const started = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind, ...(kind === 'rollback' ? {} : { source: { kind: 'directory' as const, path: fx!.src(label) }, label }) });
  return core.services.runs.settled(started.id);
}

async function expectFailsAt(kind: ChecklistKind, key: string, label: string) {
  const r = await runTo(kind, label);
  const i = r.steps.findIndex((s) => s.key === key);
  expect(r.state, `${key}: ${JSON.stringify(r.cells.map((c) => [c.stepIndex, c.state, c.error]))}`).toBe('waiting');
  expect(r.currentStep).toBe(i);
  const cell = r.cells.find((c) => c.stepIndex === i)!;
  expect(cell.state).toBe('failed');
  expect(cell.exitCode).not.toBe(0);
}

describe('every built-in step fails when the command doing its work fails', () => {
  const install: [string, Record<string, string>][] = [
    ['preflight', { df: '' }],
    ['layout', { mkdir: '' }],
    ['upload', { tar: '-xzf' }],
    ['link-shared', { ln: '-sfn' }],
    ['switch', { mv: '.current.tmp' }],
  ];
  for (const [key, cmds] of install) {
    it(`install: ${key}`, async () => {
      fx = await runsFixture();
      failing(cmds);
      await expectFailsAt('install', key, 'v1');
    });
  }

  it('upgrade: cleanup (a release that cannot be removed)', async () => {
    fx = await runsFixture({ keep: 1 });
    for (const v of ['v1', 'v2']) expect((await runTo(v === 'v1' ? 'install' : 'upgrade', v)).state).toBe('succeeded');
    // two old releases to remove: the first removal fails, the last one succeeds (a loop would hide the failure)
    for (const old of ['20000101T000000000-a', '20000101T000000000-b']) mkdirSync(path.join(fx.base, 'releases', old));
    failing({ rm: '000-b' });
    await expectFailsAt('upgrade', 'cleanup', 'v4');
  });

  it('rollback: preflight (the target release is missing)', async () => {
    fx = await runsFixture();
    expect((await runTo('install', 'v1')).state).toBe('succeeded');
    expect((await runTo('upgrade', 'v2')).state).toBe('succeeded');
    const previous = (await call(fx.core, 'releases.current', { applicationId: fx.appId })).items[0]!.previousKey!;
    rmSync(path.join(fx.base, 'releases', previous), { recursive: true });
    await expectFailsAt('rollback', 'preflight', '');
  });

  for (const manager of ['systemctl', 'supervisorctl']) {
    it(`upgrade: the services restart (${manager} restart fails)`, async () => {
      fx = await runsFixture();
      const { core, appId } = fx;
      // the scripts only name units and programs after the base path: a plain one will do
      const app = { ...applicationOf(core, appId), basePath: '/srv/shop', sharedDirs: [], sharedFiles: [], services: [{ name: 'web', kind: 'web' as const, command: 'exec bin/web', instances: 2 }] };
      core.services.configure({ provision: { manager: manager === 'systemctl' ? 'systemd' : 'supervisor' } });
      const restart = serviceRestartStep(core, app);
      const cl = await call(core, 'checklists.get', { applicationId: appId, kind: 'upgrade' });
      // sudo is for the real hosts; the local executor runs as this user
      await call(core, 'checklists.save', { applicationId: appId, kind: 'upgrade', steps: cl.steps.map((s) => (s.key === 'restart' ? { ...restart, sudo: false } : s)) });
      expect((await runTo('install', 'v1')).state).toBe('succeeded');
      failing({ [manager]: 'restart' });
      await expectFailsAt('upgrade', 'restart', 'v2');
      const r = await core.services.runs.settled((await call(core, 'runs.list', {})).items[0]!.id);
      expect(r.cells.find((c) => c.stepIndex === r.currentStep)!.error).toMatch(/exit code 1/);
    });
  }
});
