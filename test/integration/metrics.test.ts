/**
 * Delivery metrics from real runs on a real sshd host: a git repository built here with fixed
 * author and committer dates is installed (tag r1) then upgraded (r2) through the runs engine, the
 * commits are read on the host after the fetch, and the lead-time median is asserted to the second
 * against the switch times the runs recorded. Then an upgrade whose health check fails is put back
 * by the health gate: its recovery time equals the switch back measured from the run's own log
 * (the failed check) and audit (the switch back done), within 1 s. Last, an archive whose release
 * manifest lists its commits. And a local clone the operator names: the commit times are read there,
 * and a clone that does not hold the release says so on the deployment.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MethodOutput } from '../../shared/contract/index.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { freePort, startHosts, trustAll, type TestHosts } from '../hosts/index.js';
import { restartCommand, versionServerPy } from '../helpers/version-app.js';

const BASE = '/srv/app';

/** Answers its VERSION; a release whose VERSION is "bad" answers 500. */
const SERVER_PY = versionServerPy("VERSION == 'bad'");

let hs: TestHosts;
let tc: TestCore;
let repo: string;
let envId: number;
let appId: number;
/** Commit time (s) of each commit, by sha. */
const committed = new Map<string, number>();

function git(...args: string[]): string {
  // the repository belongs to the hosts' deploy user (it fetches it); this process is root
  const r = spawnSync('git', ['-c', 'safe.directory=*', '-C', repo, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** A commit with fixed author and committer dates; returns its sha. */
function commit(version: string, when: string): string {
  writeFileSync(path.join(repo, 'VERSION'), version + '\n');
  writeFileSync(path.join(repo, 'server.py'), SERVER_PY);
  git('add', '.');
  const r = spawnSync('git', ['-c', 'safe.directory=*', '-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', version], {
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when },
  });
  expect(r.status, r.stderr).toBe(0);
  const sha = git('rev-parse', 'HEAD');
  committed.set(sha, Date.parse(when) / 1000);
  return sha;
}

const switchedAt = (run: MethodOutput<'runs.get'>): number => {
  const i = run.steps.findIndex((s) => s.key === 'switch');
  return Math.max(...run.cells.filter((c) => c.stepIndex === i).map((c) => Date.parse(c.finishedAt!))) / 1000;
};

const today = () => new Date().toISOString().slice(0, 10);
const summary = () => call(tc.core, 'metrics.summary', { from: today(), to: today(), timeZone: 'UTC' });

beforeAll(async () => {
  hs = await startHosts({ count: 1 });
  const port = await freePort('127.0.0.2');
  tc = makeCore();
  const core = tc.core;
  const env = await call(core, 'environments.create', { name: 'production' });
  envId = env.id;
  const [row] = await trustAll(core, hs.hosts);
  await call(core, 'servers.update', { id: row!.serverId, environmentId: envId });
  const app = await call(core, 'applications.create', {
    name: 'shop',
    runtimeUser: 'puesta-deploy',
    basePath: BASE,
    keepReleases: 5,
    sharedDirs: ['log'],
    healthCheck: { kind: 'http', target: `http://{{host.address}}:${port}/`, expectStatus: 200, timeoutSeconds: 3 },
  });
  appId = app.id;
  await call(core, 'placements.create', { applicationId: appId, serverId: row!.serverId, role: 'web' });
  for (const kind of ['install', 'upgrade'] as const) {
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind });
    const steps = cl.steps.map((s) =>
      s.key === 'restart'
        ? { ...s, enabled: true, command: restartCommand(port) }
        : s.key === 'health'
          ? { ...s, switchBackOnFailure: true, check: { ...s.check!, deadlineSeconds: 3, intervalSeconds: 0.2 } }
          : s,
    );
    await call(core, 'checklists.save', { applicationId: appId, kind, steps });
  }
  repo = mkdtempSync(path.join(os.tmpdir(), 'puesta-metrics-git-'));
  mkdirSync(repo, { recursive: true });
  git('init', '-q');
}, 60_000);

afterAll(async () => {
  for (const h of hs?.hosts ?? []) await h.rootExec(`[ -f ${BASE}/shared/app.pid ] && kill $(cat ${BASE}/shared/app.pid); true`);
  await tc?.core.close();
  await hs?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

async function deploy(kind: 'install' | 'upgrade', ref: string): Promise<MethodOutput<'runs.get'>> {
  spawnSync('chown', ['-R', `${hs.hosts[0]!.user}:`, repo]);
  const run = await call(tc.core, 'runs.start', { applicationId: appId, environmentId: envId, kind, source: { kind: 'git', path: repo, ref }, label: ref });
  return tc.core.services.runs.settled(run.id);
}

describe('delivery metrics from runs on an sshd host', () => {
  it('lead time: the commits read on the host after the fetch, each counted once, median to the second', async () => {
    const c1 = commit('r1-a', '2026-01-05T08:00:00Z');
    const c2 = commit('r1', '2026-01-06T09:30:00Z');
    git('tag', 'r1');
    const first = await deploy('install', 'r1');
    expect(first.state, JSON.stringify(first.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
    const c3 = commit('r2-a', '2026-02-01T10:00:00Z');
    const c4 = commit('r2', '2026-02-02T11:15:00Z');
    git('tag', 'r2');
    const second = await deploy('upgrade', 'r2');
    expect(second.state, JSON.stringify(second.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');

    const leads = [
      ...[c1, c2].map((c) => switchedAt(first) - committed.get(c)!),
      ...[c3, c4].map((c) => switchedAt(second) - committed.get(c)!),
    ].sort((a, b) => a - b);
    const s = await summary();
    expect(s.frequency.deployments).toBe(2);
    expect(s.leadTime.count).toBe(4);
    expect(Math.round(s.leadTime.medianSeconds!)).toBe(Math.round((leads[1]! + leads[2]!) / 2));
    const rows = await call(tc.core, 'metrics.runs', { from: today(), to: today(), timeZone: 'UTC', key: 'leadTime' });
    expect(rows.items.map((r) => [r.runId, r.leadCommits])).toEqual([
      [first.id, 2],
      [second.id, 2],
    ]);
  }, 120_000);

  it('recovery time of a health-gated switch back equals the switch back measured on the run, ± 1 s', async () => {
    commit('bad', '2026-03-01T12:00:00Z');
    git('tag', 'r3');
    const run = await deploy('upgrade', 'r3');
    expect(run.state).toBe('waiting');
    const hi = run.steps.findIndex((s) => s.key === 'health');
    expect(run.cells.find((c) => c.stepIndex === hi)!.switchedBack).toMatchObject({ ok: true });
    // measured on the run: the log line of the failed check, the audit of the switch back done
    const logs = (await call(tc.core, 'runs.logs', { runId: run.id, stepIndex: hi, query: 'health check failed' })).items;
    const failedAt = Date.parse(logs[0]!.ts);
    const audit = (await call(tc.core, 'audit.list', { entity: 'runs', entityId: run.id, limit: 10, offset: 0 })).items.find((a) => a.action === 'run.switch-back')!;
    const measured = (Date.parse(audit.at) - failedAt) / 1000;
    await call(tc.core, 'runs.act', { id: run.id, action: 'abort', note: 'bad release' });
    await tc.core.services.runs.settled(run.id);

    const s = await summary();
    expect(s.changeFailure).toMatchObject({ deployments: 3, failed: 1 });
    const rec = await call(tc.core, 'metrics.runs', { from: today(), to: today(), timeZone: 'UTC', key: 'recovery' });
    expect(rec.items).toHaveLength(1);
    expect(rec.items[0]).toMatchObject({ runId: run.id, causes: ['switch-back'], recoveryExact: true });
    expect(Math.abs(rec.items[0]!.recoverySeconds! - measured)).toBeLessThanOrEqual(1);
  }, 120_000);

  it('an archive with a release manifest: its commits count, a commit shipped before only once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-metrics-dir-'));
    try {
      writeFileSync(path.join(dir, 'server.py'), SERVER_PY);
      writeFileSync(path.join(dir, 'VERSION'), 'r4\n');
      const shippedBefore = [...committed.keys()][3]!;
      const fresh = 'ab'.repeat(20);
      writeFileSync(
        path.join(dir, 'puesta-release.json'),
        JSON.stringify({ commits: [{ sha: fresh, committedAt: '2026-03-10T07:00:00Z' }, { sha: shippedBefore, committedAt: committed.get(shippedBefore)! }] }),
      );
      const started = await call(tc.core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: dir }, label: 'r4' });
      const run = await tc.core.services.runs.settled(started.id);
      expect(run.state, JSON.stringify(run.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
      const rows = await call(tc.core, 'metrics.runs', { from: today(), to: today(), timeZone: 'UTC', key: 'leadTime' });
      const row = rows.items.find((r) => r.runId === run.id)!;
      expect(row.leadCommits).toBe(1);
      expect(Math.round(row.leadMedianSeconds!)).toBe(Math.round(switchedAt(run) - Date.parse('2026-03-10T07:00:00Z') / 1000));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a local clone the operator names: commit times read there; a clone without the release says so on its deployment', async () => {
    const clone = mkdtempSync(path.join(os.tmpdir(), 'puesta-metrics-clone-'));
    const inClone = (...args: string[]) => {
      // the operator's clone reads the repository as its owner (deploy() hands it to the hosts' user)
      spawnSync('chown', ['-R', 'root:', repo]);
      const r = spawnSync('git', ['-C', clone, ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    try {
      inClone('clone', '-q', repo, '.');
      const settings = await call(tc.core, 'metrics.settings.get', {});
      await call(tc.core, 'metrics.settings.set', { ...settings, localClones: [{ applicationId: appId, path: clone }] });
      // r5 is committed after the clone was made: the clone does not hold it
      const c5 = commit('r5', '2026-04-01T08:00:00Z');
      git('tag', 'r5');
      const lacking = await deploy('upgrade', 'r5');
      expect(lacking.state, JSON.stringify(lacking.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
      const range = { from: today(), to: today(), timeZone: 'UTC' };
      let rows = (await call(tc.core, 'metrics.runs', { ...range, key: 'frequency' })).items;
      expect(rows.find((r) => r.runId === lacking.id)).toMatchObject({ leadCommits: 0, commitsProblem: `The local clone ${clone} does not hold commit ${c5.slice(0, 12)} (fetch it there).` });

      // the operator fetches; r6's commit is read in the clone, its lead time to the second
      const c6 = commit('r6', '2026-04-02T09:15:30Z');
      git('tag', 'r6');
      inClone('fetch', '-q', 'origin', '+refs/tags/*:refs/tags/*');
      const read = await deploy('upgrade', 'r6');
      expect(read.state).toBe('succeeded');
      rows = (await call(tc.core, 'metrics.runs', { ...range, key: 'leadTime' })).items;
      const row = rows.find((r) => r.runId === read.id)!;
      expect(row).toMatchObject({ leadCommits: 1, commitsProblem: null });
      expect(row.leadMedianSeconds).toBeCloseTo(switchedAt(read) - committed.get(c6)!, 3);
      const upload = read.steps.findIndex((s) => s.key === 'upload');
      const logs = (await call(tc.core, 'runs.logs', { runId: read.id, stepIndex: upload, query: 'delivery metrics' })).items;
      expect(logs.map((l) => l.text).join('')).toContain(`1 commit (the local clone ${clone}, since ${c5.slice(0, 12)})`);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  }, 120_000);
});
