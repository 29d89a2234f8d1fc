/**
 * Issue 10, items 12–14: the host lock file under races (its script run with bash on this
 * machine), two laptops starting at the same moment, and what an unreachable host is reported as.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostLockScript, lockInfo } from '../../electron/core/runs/locks.js';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import { shq } from '../../electron/core/ssh/quote.js';
import type { ExecOptions, SshTarget } from '../../electron/core/ssh/types.js';
import { PuestaError } from '../../shared/errors.js';
import { call, fails } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

const fixtures: RunsFixture[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function bash(script: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? -1, out: out.trim() }));
  });
}

const lineFor = (token: string, expiresEpoch = Math.floor(Date.now() / 1000) + 600) => lockInfo({ token, runId: 1, owner: token, reason: '', expiresEpoch });
const take = (base: string, token: string, override = false) => bash(hostLockScript(base, lineFor(token), token, override));

describe('the host lock file (item 13)', () => {
  it('a lock file seen before its content is written is not taken as expired', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'puesta-lock-'));
    dirs.push(base);
    // what the loser of `set -C` could see: the winner created the file and has not written yet
    writeFileSync(path.join(base, '.puesta-lock'), '');
    const r = await take(base, 'b');
    expect(r.code, r.out).toBe(3);
    expect(readFileSync(path.join(base, '.puesta-lock'), 'utf8')).toBe('');
    // an empty file left behind long ago is stale
    utimesSync(path.join(base, '.puesta-lock'), new Date(Date.now() - 5 * 60_000), new Date(Date.now() - 5 * 60_000));
    expect((await take(base, 'b')).code).toBe(0);
    expect(readFileSync(path.join(base, '.puesta-lock'), 'utf8')).toContain('token=b ');
  });

  it('of many simultaneous pairs exactly one wins each time — on a free lock and on an expired one', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'puesta-lockrace-'));
    dirs.push(root);
    const pairs = 80;
    let both = 0;
    let neither = 0;
    for (const expired of [false, true]) {
      const results = await Promise.all(
        Array.from({ length: pairs }, async (_, i) => {
          const base = path.join(root, `${expired ? 'x' : 'f'}${i}`);
          if (expired) {
            await bash(`mkdir -p ${shq(base)}`);
            writeFileSync(path.join(base, '.puesta-lock'), lineFor('old', 1000) + '\n');
          }
          const [a, b] = await Promise.all([take(base, `a${i}`), take(base, `b${i}`)]);
          const won = [a, b].filter((r) => r.code === 0).length;
          const content = readFileSync(path.join(base, '.puesta-lock'), 'utf8');
          // the winner's line is the one in the file
          if (won === 1) expect(content).toContain(`token=${a.code === 0 ? 'a' : 'b'}${i} `);
          return won;
        }),
      );
      both += results.filter((n) => n === 2).length;
      neither += results.filter((n) => n === 0).length;
    }
    expect({ both, neither }).toEqual({ both: 0, neither: 0 });
  }, 120_000);
});

/**
 * Every "host" of the local executor shares this machine: give each host address its own copy of
 * the application's base folder, so two laptops (two cores with their own data folders) meet on
 * the same per-host lock files as they would on real hosts.
 */
class HostsOnThisMachine extends LocalExecutor {
  constructor(
    private readonly base: string,
    private readonly fail: (t: SshTarget) => PuestaError | null = () => null,
  ) {
    super();
  }
  override async exec(t: SshTarget, command: string, o?: ExecOptions) {
    const e = this.fail(t);
    if (e) throw e;
    // each host answers after its own network delay, as real hosts do
    await new Promise((r) => setTimeout(r, Math.random() * 20));
    return super.exec(t, command.split(shq(this.base)).join(shq(path.join(this.base, 'hosts', t.host))), o);
  }
}

async function laptop(dataRoot: string, base: string, operator: string, fail?: (t: SshTarget) => PuestaError | null): Promise<RunsFixture> {
  const fx = await runsFixture({ hosts: 0, dataDir: mkdtempSync(path.join(dataRoot, operator + '-')) });
  fixtures.push(fx);
  const { core } = fx;
  await call(core, 'settings.setOperator', { name: operator });
  await call(core, 'applications.update', { id: fx.appId, basePath: base });
  // the same hosts, created in a different order on each laptop (so their ids differ)
  const hosts = operator === 'alice' ? [1, 2, 3, 4, 5] : [5, 3, 1, 4, 2];
  for (const n of hosts) {
    const s = await call(core, 'servers.create', { name: `host-${n}`, host: `10.0.0.${n}`, user: 'deploy', environmentId: fx.envId });
    await call(core, 'placements.create', { applicationId: fx.appId, serverId: s.id, role: 'web' });
    fx.serverIds.push(s.id);
  }
  // a first manual step: a started run waits there, holding its locks
  const cl = await call(core, 'checklists.get', { applicationId: fx.appId, kind: 'install' });
  await call(core, 'checklists.save', { applicationId: fx.appId, kind: 'install', steps: [{ key: 'approve', title: 'Approve', kind: 'manual' }, ...cl.steps] });
  core.services.runs.setExecutor(new HostsOnThisMachine(base, fail));
  return fx;
}

describe('two laptops starting at the same moment (item 12)', () => {
  it('exactly one of them proceeds, every time (52 simultaneous starts)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'puesta-laptops-'));
    dirs.push(root);
    const base = path.join(root, 'srv', 'shop');
    const [a, b] = [await laptop(root, base, 'alice'), await laptop(root, base, 'bob')];
    const src = a.src('v1');
    const outcomes: string[] = [];
    for (let round = 0; round < 52; round++) {
      const starts = [a, b].map((fx) =>
        call(fx.core, 'runs.start', { applicationId: fx.appId, environmentId: fx.envId, kind: 'install', source: { kind: 'directory', path: src } }).then(
          (r) => ({ fx, id: r.id, code: 'OK' }),
          (e: { code: string }) => ({ fx, id: 0, code: e.code }),
        ),
      );
      const rs = await Promise.all(starts);
      outcomes.push(rs.map((r) => r.code).join('/'));
      for (const r of rs) if (r.id) await call(r.fx.core, 'runs.act', { id: r.id, action: 'abort', note: '' });
    }
    const counts = outcomes.reduce<Record<string, number>>((m, o) => ({ ...m, [o]: (m[o] ?? 0) + 1 }), {});
    expect(Object.keys(counts).sort(), JSON.stringify(counts)).toEqual(['LOCKED/OK', 'OK/LOCKED'].filter((k) => counts[k]).sort());
  }, 240_000);
});

describe('what a failed lock attempt is reported as (item 14)', () => {
  it('a changed host key or an unreachable host is reported as such, not LOCKED; a real holder is LOCKED with its owner', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'puesta-lockerr-'));
    dirs.push(root);
    const base = path.join(root, 'srv', 'shop');
    let failing: PuestaError | null = null;
    const fx = await laptop(root, base, 'alice', (t) => (t.host === '10.0.0.3' ? failing : null));
    const start = () => fails(fx.core, 'runs.start', { applicationId: fx.appId, environmentId: fx.envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    failing = new PuestaError('HOST_KEY_CHANGED', 'The host key of host-3 changed.', { serverId: 3 });
    let e = await start();
    expect(e.code).toBe('HOST_KEY_CHANGED');
    expect(e.message).toContain('host-3');
    failing = new PuestaError('SSH_TIMEOUT', 'host-3 did not answer within 10 s.');
    e = await start();
    expect(e.code).toBe('SSH_TIMEOUT');
    // no lock left behind on the hosts that were reached
    failing = null;
    const b = await laptop(root, base, 'bob');
    const ok = await call(b.core, 'runs.start', { applicationId: b.appId, environmentId: b.envId, kind: 'install', source: { kind: 'directory', path: b.src('v1') }, reason: 'release 1' });
    e = await start();
    expect(e.code).toBe('LOCKED');
    expect(e.message).toContain('bob');
    expect((e.details as { owner?: string }).owner).toBe('bob');
    await call(b.core, 'runs.act', { id: ok.id, action: 'abort', note: '' });
  }, 60_000);
});
