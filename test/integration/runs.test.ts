/**
 * Guided runs end to end on 3 real sshd hosts (test/hosts) with a small real web app
 * (fixtures/webapp/server.py, started by the checklist's restart step on each host):
 * install v1 → v1 answers → upgrade v2 → v2 → rollback → v1; a failed step retried with a corrected
 * command; keep-N cleanup; the lock refusing a second run (same laptop, and another laptop through
 * the host lock file); the typed confirmation; kill -9 of Puesta mid-run, restart, resume, no log
 * line lost.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import type { ChecklistStepInput, MethodInput, MethodOutput } from '../../shared/contract/index.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { freePort, startHosts, trustAll, type TestHosts } from '../hosts/index.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'run-child.ts');
const SERVER_PY = path.join(import.meta.dirname, 'fixtures', 'webapp', 'server.py');
const BASE = '/srv/app';


function answer(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve(b.trim()));
    });
    req.on('error', (e) => resolve(`error: ${e.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

let hs: TestHosts;
let tc: TestCore;
let dataDir: string;
let work: string;
let port: number;
let ids: { envId: number; appId: number; serverIds: number[] };
const keys: Record<string, string> = {};

function release(v: string, kind: 'directory' | 'tarball'): { kind: 'directory' | 'tarball'; path: string } {
  const d = path.join(work, v);
  mkdirSync(d, { recursive: true });
  copyFileSync(SERVER_PY, path.join(d, 'server.py'));
  writeFileSync(path.join(d, 'VERSION'), v + '\n');
  if (kind === 'directory') return { kind, path: d };
  const tgz = path.join(work, `${v}.tar.gz`);
  const r = spawnSync('tar', ['-czf', tgz, '-C', d, '.']);
  expect(r.status).toBe(0);
  return { kind, path: tgz };
}

const restartCommand = (p: number, python = 'python3') => `set -e
pidf={{app.shared}}/app.pid
if [ -f "$pidf" ]; then old=$(cat "$pidf"); kill "$old" 2>/dev/null || true; while kill -0 "$old" 2>/dev/null; do sleep 0.05; done; fi
cd {{app.current}}
setsid nohup ${python} {{app.current}}/server.py {{host.address}} ${p} </dev/null >>{{app.shared}}/log/app.log 2>&1 &
echo $! > "$pidf"
echo "started pid $(cat "$pidf"), version $(cat VERSION)"`;

/** One laptop's inventory: production environment, the 3 hosts, the application, its checklists. */
async function setupLaptop(core: Core, operator: string): Promise<{ envId: number; appId: number; serverIds: number[] }> {
  await call(core, 'settings.setOperator', { name: operator });
  const env = await call(core, 'environments.create', { name: 'production', confirmRuns: true });
  const rows = await trustAll(core, hs.hosts);
  const serverIds: number[] = [];
  for (const r of rows) {
    await call(core, 'servers.update', { id: r.serverId, environmentId: env.id });
    serverIds.push(r.serverId);
  }
  const app = await call(core, 'applications.create', {
    name: 'webshop',
    runtimeUser: 'puesta-deploy',
    basePath: BASE,
    keepReleases: 2,
    sharedDirs: ['log'],
    healthCheck: { kind: 'http', target: `http://{{host.address}}:${port}/`, expectStatus: 200, timeoutSeconds: 10 },
  });
  for (const s of serverIds) await call(core, 'placements.create', { applicationId: app.id, serverId: s, role: 'web' });
  for (const kind of ['install', 'upgrade'] as const) {
    const cl = await call(core, 'checklists.get', { applicationId: app.id, kind });
    const steps = cl.steps.map((s) =>
      s.key === 'restart' ? { ...s, enabled: true, command: restartCommand(port) } : s.key === 'health' ? { ...s, check: { ...s.check!, intervalSeconds: 0.2 } } : s,
    );
    await call(core, 'checklists.save', { applicationId: app.id, kind, steps });
  }
  const rb = await call(core, 'checklists.get', { applicationId: app.id, kind: 'rollback' });
  await call(core, 'checklists.save', {
    applicationId: app.id,
    kind: 'rollback',
    steps: rb.steps.map((s) => (s.key === 'restart' ? { ...s, enabled: true, command: restartCommand(port) } : s)),
  });
  return { envId: env.id, appId: app.id, serverIds };
}

async function answers(): Promise<string[]> {
  return Promise.all(hs.hosts.map((h) => answer(h.host, port)));
}

async function runToEnd(core: Core, input: MethodInput<'runs.start'>): Promise<MethodOutput<'runs.get'>> {
  const run = await call(core, 'runs.start', { confirmName: 'production', ...input });
  return core.services.runs.settled(run.id);
}

beforeAll(async () => {
  hs = await startHosts({ count: 3 });
  port = await freePort('127.0.0.2');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-runs-it-'));
  work = mkdtempSync(path.join(os.tmpdir(), 'puesta-runs-src-'));
  tc = makeCore(dataDir);
  ids = await setupLaptop(tc.core, 'alice');
});

afterAll(async () => {
  for (const h of hs?.hosts ?? []) await h.rootExec(`[ -f ${BASE}/shared/app.pid ] && kill $(cat ${BASE}/shared/app.pid); true`);
  await tc?.core.close();
  await hs?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('guided runs on 3 sshd hosts', () => {
  it('refuses a production run without the typed environment name', async () => {
    const e = await fails(tc.core, 'runs.start', { applicationId: ids.appId, environmentId: ids.envId, kind: 'install', source: release('v1', 'tarball') });
    expect(e.code).toBe('PRECONDITION_FAILED');
    expect(e.message).toContain('type the environment name "production"');
    expect((await call(tc.core, 'runs.list', {})).total).toBe(0);
  });

  it('plans, then installs v1 on every host: each answers v1', async () => {
    const req = { applicationId: ids.appId, environmentId: ids.envId, kind: 'install' as const, source: release('v1', 'tarball'), label: 'v1' };
    const plan = await call(tc.core, 'runs.plan', req);
    expect(plan.confirmRequired).toBe(true);
    expect(plan.hosts).toHaveLength(3);
    const sw = plan.steps.find((s) => s.key === 'switch')!;
    expect(sw.cells.map((c) => c.command)).toEqual(plan.hosts.map(() => expect.stringContaining(`ln -sfn /srv/app/releases/${plan.releaseKey} /srv/app/.current.tmp`)));
    expect(plan.steps.find((s) => s.key === 'health')!.cells[0]!.detail).toContain(`GET http://${hs.hosts[0]!.host}:${port}/`);
    const r = await runToEnd(tc.core, req);
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
    keys.v1 = r.releaseKey;
    expect(await answers()).toEqual(['v1', 'v1', 'v1']);
    const cur = await call(tc.core, 'releases.current', { applicationId: ids.appId, environmentId: ids.envId });
    expect(cur.items.map((c) => c.key)).toEqual([keys.v1, keys.v1, keys.v1]);
    for (const h of hs.hosts) expect((await h.rootExec(`ls -a ${BASE}`)).stdout).not.toContain('.puesta-lock');
  });

  it('upgrades to v2 (each answers v2), then rolls back (each answers v1)', async () => {
    let r = await runToEnd(tc.core, { applicationId: ids.appId, environmentId: ids.envId, kind: 'upgrade', source: release('v2', 'directory'), label: 'v2' });
    expect(r.state).toBe('succeeded');
    keys.v2 = r.releaseKey;
    expect(await answers()).toEqual(['v2', 'v2', 'v2']);
    r = await runToEnd(tc.core, { applicationId: ids.appId, environmentId: ids.envId, kind: 'rollback' });
    expect(r.state).toBe('succeeded');
    expect(await answers()).toEqual(['v1', 'v1', 'v1']);
    const cur = await call(tc.core, 'releases.current', { applicationId: ids.appId });
    expect(cur.items.every((c) => c.key === keys.v1 && c.previousKey === keys.v2)).toBe(true);
  });

  it('a failing step pauses the run; retried with a corrected command it completes; keep-N spares the rollback target', async () => {
    const run = await call(tc.core, 'runs.start', { applicationId: ids.appId, environmentId: ids.envId, kind: 'upgrade', source: release('v3', 'directory'), label: 'v3', confirmName: 'production' });
    // break the restart step of this run only: the first attempt fails on every host
    let r = await tc.core.services.runs.settled(run.id);
    expect(r.state).toBe('succeeded'); // sanity: the normal checklist works…
    keys.v3 = r.releaseKey;
    // …now a run whose restart command has a typo
    const cl = await call(tc.core, 'checklists.get', { applicationId: ids.appId, kind: 'rollback' });
    const broken = cl.steps.map((s) => (s.key === 'restart' ? { ...s, command: `pyhton3 -c 'print(1)' || exit\n${restartCommand(port)}` } : s));
    await call(tc.core, 'checklists.save', { applicationId: ids.appId, kind: 'rollback', steps: broken });
    const rb = await call(tc.core, 'runs.start', { applicationId: ids.appId, environmentId: ids.envId, kind: 'rollback', confirmName: 'production' });
    r = await tc.core.services.runs.settled(rb.id);
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision' });
    const i = r.steps.findIndex((s) => s.key === 'restart');
    expect(r.currentStep).toBe(i);
    expect(r.cells.filter((c) => c.stepIndex === i).map((c) => c.state)).toEqual(['failed', 'failed', 'failed']);
    const errLog = (await call(tc.core, 'runs.logs', { runId: rb.id, stepIndex: i, query: 'pyhton3' })).items;
    expect(errLog.length).toBeGreaterThanOrEqual(1);
    await call(tc.core, 'runs.act', { id: rb.id, action: 'retry', command: restartCommand(port), note: 'typo fixed' });
    r = await tc.core.services.runs.settled(rb.id);
    expect(r.state).toBe('succeeded');
    expect(r.cells.filter((c) => c.stepIndex === i).map((c) => c.attempt)).toEqual([2, 2, 2]);
    expect(await answers()).toEqual(['v1', 'v1', 'v1']); // rolled back from v3 to v1
    await call(tc.core, 'checklists.reset', { applicationId: ids.appId, kind: 'rollback' });
    await call(tc.core, 'checklists.save', {
      applicationId: ids.appId,
      kind: 'rollback',
      steps: cl.steps,
    });
    // releases on disk: v3 (kept: newest), v2 and v1 — v1 was the rollback target when v3 was cleaned up
    const ls = (await hs.hosts[0]!.rootExec(`ls ${BASE}/releases`)).stdout.split('\n').filter(Boolean).sort();
    expect(ls).toEqual([keys.v1, keys.v2, keys.v3].sort());
  });

  it('a second run is refused by the lock, naming the holder — on this laptop and from another laptop (host lock file)', async () => {
    const up = await call(tc.core, 'checklists.get', { applicationId: ids.appId, kind: 'upgrade' });
    await call(tc.core, 'checklists.save', { applicationId: ids.appId, kind: 'upgrade', steps: [{ key: 'approve', title: 'Approve', kind: 'manual' }, ...up.steps] });
    const first = await call(tc.core, 'runs.start', {
      applicationId: ids.appId,
      environmentId: ids.envId,
      kind: 'upgrade',
      source: release('v9', 'directory'),
      confirmName: 'production',
      reason: 'release 9',
    });
    expect((await tc.core.services.runs.settled(first.id)).waitingFor).toBe('confirm');
    const again = await fails(tc.core, 'runs.start', { applicationId: ids.appId, environmentId: ids.envId, kind: 'upgrade', source: release('v9', 'directory'), confirmName: 'production' });
    expect(again.code).toBe('LOCKED');
    expect(again.message).toContain('alice');
    expect(again.message).toContain('release 9');
    // another laptop: its own database, same hosts
    const other = makeCore();
    try {
      const o = await setupLaptop(other.core, 'bob');
      const e = await fails(other.core, 'runs.start', { applicationId: o.appId, environmentId: o.envId, kind: 'upgrade', source: release('v9', 'directory'), confirmName: 'production' });
      expect(e.code).toBe('LOCKED');
      expect(e.message).toContain('held by alice');
      expect((await call(other.core, 'runs.list', {})).items[0]!.state).toBe('aborted');
    } finally {
      await other.cleanup();
    }
    const ab = await call(tc.core, 'runs.act', { id: first.id, action: 'abort', note: 'not today' });
    expect(ab.rollbackOffer).toMatchObject({ kind: 'rollback', rollbackTo: keys.v1, serverIds: ids.serverIds });
    await call(tc.core, 'checklists.save', { applicationId: ids.appId, kind: 'upgrade', steps: up.steps });
    for (const h of hs.hosts) expect((await h.rootExec(`ls -a ${BASE}`)).stdout).not.toContain('.puesta-lock');
  });

  it('kill -9 of Puesta mid-run: after a restart the run is interrupted with its logs, resumes to success, no log line lost', async () => {
    const N = 300;
    const up = await call(tc.core, 'checklists.get', { applicationId: ids.appId, kind: 'upgrade' });
    const count: ChecklistStepInput = { key: 'count', title: 'Count', command: `for i in $(seq 1 ${N}); do echo "n=$i"; sleep 0.01; done` };
    await call(tc.core, 'checklists.save', { applicationId: ids.appId, kind: 'upgrade', steps: [up.steps[0]!, count, ...up.steps.slice(1)] });
    await tc.core.close();

    const input = { applicationId: ids.appId, environmentId: ids.envId, kind: 'upgrade', source: release('v4', 'directory'), label: 'v4', confirmName: 'production' };
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const shown: { id: number; serverId: number | null; attempt: number; stepIndex: number; text: string }[] = [];
    let buf = '';
    let err = '';
    let runId = 0;
    const killed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child showed no count lines in time: ${err}`)), 40_000);
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = JSON.parse(line) as { ev: string; lines?: typeof shown; result?: { ok: boolean; value?: { id: number } } };
          if (m.ev === 'started') {
            runId = m.result?.value?.id ?? -1;
            if (!m.result?.ok) reject(new Error(`the child could not start the run: ${JSON.stringify(m.result)}`));
          }
          if (m.ev === 'log') shown.push(...m.lines!);
        }
        const counted = shown.filter((l) => l.stepIndex === 1).map((l) => l.text).join('').split('n=').length - 1;
        if (counted >= 60 && !child.killed) {
          child.kill('SIGKILL');
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await killed;
    await new Promise((r) => child.once('exit', r));

    // restart: a new core on the same data folder
    tc = makeCore(dataDir);
    let r = await call(tc.core, 'runs.get', { id: runId });
    expect(r).toMatchObject({ state: 'interrupted', currentStep: 1 });
    expect(r.cells.filter((c) => c.stepIndex === 1).some((c) => c.state === 'interrupted')).toBe(true);
    const stored = new Map((await call(tc.core, 'runs.logs', { runId, limit: 10_000 })).items.map((l) => [l.id, l]));
    // whatever was shown is on disk
    for (const l of shown) expect(stored.get(l.id)?.text).toBe(l.text);
    // what attempt 1 stored on each host is a gap-free 1..k
    const numbers = (serverId: number, attempt: number) =>
      [...stored.values()]
        .filter((l) => l.stepIndex === 1 && l.serverId === serverId && l.attempt === attempt && l.stream === 'stdout')
        .sort((a, b) => a.seq - b.seq)
        .map((l) => l.text)
        .join('')
        .split('\n')
        .filter((s) => s.startsWith('n='))
        .map((s) => Number(s.slice(2)));
    for (const sid of ids.serverIds) {
      const got = numbers(sid, 1);
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(Array.from({ length: got.length }, (_, k) => k + 1));
    }

    r = await call(tc.core, 'runs.resume', { id: runId });
    r = await tc.core.services.runs.settled(runId);
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
    const all = (await call(tc.core, 'runs.logs', { runId, limit: 10_000 })).items;
    stored.clear();
    for (const l of all) stored.set(l.id, l);
    let resumed = 0;
    for (const c of r.cells.filter((x) => x.stepIndex === 1)) {
      const attempt = c.attempt;
      const got = numbers(c.serverId!, attempt);
      expect(got).toEqual(Array.from({ length: N }, (_, k) => k + 1));
      if (attempt === 2) resumed++;
    }
    expect(resumed).toBeGreaterThan(0);
    expect(await answers()).toEqual(['v4', 'v4', 'v4']);
    // keep 2 (v4, v3) plus v1, the rollback target (current before this upgrade); v2 is cleaned up
    const ls = (await hs.hosts[1]!.rootExec(`ls ${BASE}/releases`)).stdout.split('\n').filter(Boolean).sort();
    expect(ls).toEqual([keys.v1!, keys.v3!, r.releaseKey].sort());
    const rel = await call(tc.core, 'releases.list', { applicationId: ids.appId, serverId: ids.serverIds[1]!, includeRemoved: true });
    expect(rel.items.filter((x) => !x.removedAt).map((x) => x.key).sort()).toEqual(ls);
    expect(rel.items.find((x) => x.current)!.key).toBe(r.releaseKey);
    await call(tc.core, 'checklists.save', { applicationId: ids.appId, kind: 'upgrade', steps: up.steps });
  });

  it('upgrades from a git tag fetched on the hosts', async () => {
    const repo = path.join(os.tmpdir(), `puesta-runs-git-${process.pid}`);
    rmSync(repo, { recursive: true, force: true });
    const d = release('v5', 'directory').path;
    const git = (...args: string[]) => expect(spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).status).toBe(0);
    mkdirSync(repo, { recursive: true });
    git('init', '-q');
    copyFileSync(path.join(d, 'server.py'), path.join(repo, 'server.py'));
    writeFileSync(path.join(repo, 'VERSION'), 'v5\n');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'v5');
    git('tag', 'v5');
    writeFileSync(path.join(repo, 'VERSION'), 'v6-unreleased\n');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qam', 'wip');
    spawnSync('chown', ['-R', `${hs.hosts[0]!.user}:`, repo]);
    try {
      const r = await runToEnd(tc.core, { applicationId: ids.appId, environmentId: ids.envId, kind: 'upgrade', source: { kind: 'git', path: repo, ref: 'v5' }, label: 'v5' });
      expect(r.state, JSON.stringify(r.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
      expect(await answers()).toEqual(['v5', 'v5', 'v5']);
      const rel = await call(tc.core, 'releases.list', { applicationId: ids.appId, serverId: ids.serverIds[0]! });
      expect(rel.items.find((x) => x.current)).toMatchObject({ label: 'v5', source: `git ${repo} v5`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
