/**
 * The built-in scripts start few processes on a host (parameter expansion and `read` instead of
 * `dirname`, `basename`, `awk`, `cat`, issue 10's fleet cost): run here with sh, they still link
 * nested shared paths, keep the right releases, refuse a full disk, and release only their own lock.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinChecklist } from '../../electron/core/runs/builtin.js';
import { hostUnlockScript } from '../../electron/core/runs/locks.js';
import { render, type Vars } from '../../electron/core/runs/template.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-builtin-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const app = { healthCheck: { kind: 'http' as const, target: '', expectStatus: 200, timeoutSeconds: 5 } };
const script = (key: string) => builtinChecklist('upgrade', app).find((s) => s.key === key)!.command;
const sh = (command: string, env: NodeJS.ProcessEnv = process.env) => spawnSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8', env });

function vars(key: string, extra: Partial<Vars> = {}): Vars {
  const base = path.join(dir, 'app');
  return {
    'app.base': base,
    'app.releases': path.join(base, 'releases'),
    'app.shared': path.join(base, 'shared'),
    'app.current': path.join(base, 'current'),
    'app.keep': 2,
    'app.sharedDirs': [],
    'app.sharedFiles': [],
    'release.key': key,
    'release.path': path.join(base, 'releases', key),
    'release.previous': '',
    ...extra,
  };
}

describe('the built-in scripts', () => {
  it('link shared folders and files, nested ones included, into the release', () => {
    const v = vars('r2', { 'app.sharedDirs': ['log', 'cache/tmp'], 'app.sharedFiles': ['.env', 'config/app.yml'] });
    mkdirSync(path.join(String(v['release.path']), 'log'), { recursive: true });
    const r = sh(render(script('link-shared'), v));
    expect(r.status, r.stderr).toBe(0);
    const rel = String(v['release.path']);
    const shared = String(v['app.shared']);
    expect(readlinkSync(path.join(rel, 'log'))).toBe(path.join(shared, 'log'));
    expect(readlinkSync(path.join(rel, 'cache/tmp'))).toBe(path.join(shared, 'cache/tmp'));
    expect(readlinkSync(path.join(rel, '.env'))).toBe(path.join(shared, '.env'));
    expect(readlinkSync(path.join(rel, 'config/app.yml'))).toBe(path.join(shared, 'config/app.yml'));
    expect(r.stdout.trim().split('\n')).toEqual(['linked log', 'linked cache/tmp', 'linked .env', 'linked config/app.yml']);
  });

  it('cleanup keeps the newest N, the current release and the rollback target, and removes the rest', () => {
    const v = vars('e', { 'release.previous': 'b' });
    for (const k of ['a', 'b', 'c', 'd', 'e']) mkdirSync(path.join(String(v['app.releases']), k), { recursive: true });
    symlinkSync(path.join(String(v['app.releases']), 'c'), String(v['app.current']));
    const r = sh(render(script('cleanup'), v));
    expect(r.status, r.stderr).toBe(0);
    expect(['a', 'b', 'c', 'd', 'e'].filter((k) => existsSync(path.join(String(v['app.releases']), k)))).toEqual(['b', 'c', 'd', 'e']);
    expect(r.stdout).toContain('keeping c (current or rollback target)');
    expect(r.stdout).toContain('removing old release a');
  });

  it('cleanup without a current link still runs', () => {
    const v = vars('b');
    for (const k of ['a', 'b', 'c']) mkdirSync(path.join(String(v['app.releases']), k), { recursive: true });
    const r = sh(render(script('cleanup'), v));
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path.join(String(v['app.releases']), 'a'))).toBe(false);
    expect(existsSync(path.join(String(v['app.releases']), 'b'))).toBe(true);
  });

  it('the pre-flight reads the free space, and refuses less than 50 MiB', () => {
    const v = vars('r1');
    mkdirSync(String(v['app.releases']), { recursive: true });
    const ok = sh(render(script('preflight'), v));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/free space under .*: \d+ KiB/);
    // a df that reports 1 000 KiB available
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'df'), '#!/bin/sh\necho "Filesystem 1024-blocks Used Available Capacity Mounted on"\necho "/dev/x 9000 8000 1000 89% /"\n', { mode: 0o755 });
    const full = sh(render(script('preflight'), v), { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(full.status).toBe(1);
    expect(full.stdout).toContain('free space under');
    expect(full.stdout).toContain(': 1000 KiB');
    expect(full.stderr).toContain('less than 50 MiB free under');
  });

  it('the unlock removes only its own lock, and says nothing when there is none', () => {
    const lock = path.join(dir, '.puesta-lock');
    writeFileSync(lock, 'token=other expires=1 run=1 owner=x reason=\n');
    expect(sh(hostUnlockScript(dir, 'mine')).stdout.trim()).toBe('NOT-HELD');
    expect(existsSync(lock)).toBe(true);
    writeFileSync(lock, 'token=mine expires=1 run=1 owner=x reason=\n');
    expect(sh(hostUnlockScript(dir, 'mine')).stdout.trim()).toBe('RELEASED');
    expect(existsSync(lock)).toBe(false);
    const none = sh(hostUnlockScript(dir, 'mine'));
    expect([none.stdout.trim(), none.stderr]).toEqual(['NOT-HELD', '']);
  });
});
