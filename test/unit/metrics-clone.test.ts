/**
 * Lead time from the operator's local clone: a real git repository built here with fixed committer
 * dates (in a folder whose name needs quoting), read through the local executor — the commits of a
 * range with their times, the whole history without a previous head, and a clone that does not hold
 * the release's commit said as such. And the per-application setting that names the clone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClone } from '../../electron/core/metrics/step-kind.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let work: string;
let repo: string;
const shas: string[] = [];
const times = ['2026-01-05T08:00:00Z', '2026-01-06T09:30:15Z', '2026-01-07T23:59:59Z'];

function git(...args: string[]): string {
  const r = spawnSync('git', ['-c', 'safe.directory=*', '-C', repo, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'puesta-metrics-clone-'));
  repo = path.join(work, "it's a clone; $(touch pwned)");
  mkdirSync(repo);
  git('init', '-q');
  for (const [i, when] of times.entries()) {
    writeFileSync(path.join(repo, 'VERSION'), `v${i}\n`);
    git('add', '.');
    const r = spawnSync('git', ['-c', 'safe.directory=*', '-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', `v${i}`], {
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when },
    });
    expect(r.status, r.stderr).toBe(0);
    shas.push(git('rev-parse', 'HEAD'));
  }
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const signal = new AbortController().signal;

describe('commits read in a local clone', () => {
  it('the commits after the previous head up to the release, with their committer times to the second', async () => {
    const r = await readClone(repo, shas[2]!, shas[0]!, signal);
    expect(r.problem).toBeUndefined();
    expect(r.found).toEqual({
      head: shas[2],
      commits: [
        { sha: shas[2], committedMs: Date.parse(times[2]!) },
        { sha: shas[1], committedMs: Date.parse(times[1]!) },
      ],
    });
    expect(r.from).toContain(repo);
  });

  it('without a previous head (or one the clone lacks): the whole history up to the release', async () => {
    expect((await readClone(repo, shas[1]!, null, signal)).found!.commits.map((c) => c.sha)).toEqual([shas[1], shas[0]]);
    expect((await readClone(repo, shas[1]!, 'e'.repeat(40), signal)).found!.commits.map((c) => c.sha)).toEqual([shas[1], shas[0]]);
  });

  it('a clone that does not hold the release says so, with the commit; a folder that is no clone fails', async () => {
    const missing = 'f'.repeat(40);
    const r = await readClone(repo, missing, shas[0]!, signal);
    expect(r.found).toEqual({ head: missing, commits: [] });
    expect(r.problem).toBe(`The local clone ${repo} does not hold commit ${'f'.repeat(12)} (fetch it there).`);
    await expect(readClone(work, shas[0]!, null, signal)).rejects.toThrow(/git in the local clone/);
    // the hostile folder name stayed a name
    expect(existsSync(path.join(process.cwd(), 'pwned')) || existsSync(path.join(work, 'pwned'))).toBe(false);
  });
});

describe('the local clone setting', () => {
  let tc: TestCore;
  beforeAll(() => {
    tc = makeCore();
  });
  afterAll(async () => {
    await tc?.cleanup();
  });

  it('is kept per application, refused for an unknown application, twice, or a relative path', async () => {
    const app = await call(tc.core, 'applications.create', { name: 'shop', runtimeUser: 'shop', basePath: '/srv/shop' });
    expect((await call(tc.core, 'metrics.settings.get', {})).localClones).toEqual([]);
    const saved = await call(tc.core, 'metrics.settings.set', { productionEnvironmentIds: [], failureWindowHours: 24, localClones: [{ applicationId: app.id, path: repo }] });
    expect(saved.localClones).toEqual([{ applicationId: app.id, path: repo }]);
    expect((await call(tc.core, 'metrics.settings.get', {})).localClones).toEqual([{ applicationId: app.id, path: repo }]);
    const base = { productionEnvironmentIds: [], failureWindowHours: 24 };
    expect((await fails(tc.core, 'metrics.settings.set', { ...base, localClones: [{ applicationId: app.id + 99, path: repo }] })).code).toBe('INVALID_INPUT');
    expect((await fails(tc.core, 'metrics.settings.set', { ...base, localClones: [{ applicationId: app.id, path: repo }, { applicationId: app.id, path: '/x' }] })).code).toBe('INVALID_INPUT');
    expect((await fails(tc.core, 'metrics.settings.set', { ...base, localClones: [{ applicationId: app.id, path: 'clones/shop' }] })).code).toBe('INVALID_INPUT');
  });
});
