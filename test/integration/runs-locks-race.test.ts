/**
 * Issue 10, items 11–12 on real sshd hosts. Two laptops (two processes, each with its own data
 * folder) start a run on the same 3 hosts at the same moment, 52 times: exactly one proceeds every
 * time. A network cut leaves a step's loop running on the host; the retry first stops it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'race-child.ts');

let hs: TestHosts;
let work: string;
beforeAll(async () => {
  hs = await startHosts({ count: 3 });
  work = mkdtempSync(path.join(os.tmpdir(), 'puesta-race-'));
});
afterAll(async () => {
  await hs?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Laptop {
  child: ChildProcessWithoutNullStreams;
  next(): Promise<Record<string, unknown>>;
  send(o: unknown): void;
}

function laptop(operator: string, base: string, src: string): Laptop {
  const dataDir = mkdtempSync(path.join(work, `${operator}-`));
  const hosts = hs.hosts.map(({ index, name, host, port, user, keyPath, fingerprint, keyType }) => ({ index, name, host, port, user, keyPath, fingerprint, keyType }));
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, operator, JSON.stringify(hosts), base, src], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    async next() {
      const r = await lines.next();
      if (r.done) throw new Error(`${operator} ended: ${err}`);
      return JSON.parse(r.value as string) as Record<string, unknown>;
    },
    send: (o) => child.stdin.write(JSON.stringify(o) + '\n'),
  };
}

describe('two laptops, the same hosts (item 12)', () => {
  it('52 simultaneous starts from two processes: exactly one runner every time', async () => {
    const src = path.join(work, 'v1');
    mkdirSync(src);
    writeFileSync(path.join(src, 'VERSION'), 'v1\n');
    const [a, b] = [laptop('alice', '/srv/race', src), laptop('bob', '/srv/race', src)];
    try {
      expect(await a.next()).toEqual({ ready: true });
      expect(await b.next()).toEqual({ ready: true });
      const outcomes: Record<string, number> = {};
      for (let round = 0; round < 52; round++) {
        const go = Date.now() + 150;
        a.send({ go });
        b.send({ go });
        const [ra, rb] = await Promise.all([a.next(), b.next()]);
        const key = `${String(ra.code)}/${String(rb.code)}`;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
        a.send({ end: true });
        b.send({ end: true });
        await Promise.all([a.next(), b.next()]);
      }
      expect(Object.keys(outcomes).filter((k) => k !== 'OK/LOCKED' && k !== 'LOCKED/OK'), JSON.stringify(outcomes)).toEqual([]);
    } finally {
      a.child.kill();
      b.child.kill();
    }
  }, 300_000);
});

describe('a network cut in the middle of a step (item 11)', () => {
  let tc: TestCore;
  afterAll(async () => {
    await tc?.cleanup();
  });

  it('the old loop is stopped on reconnect before the retry runs; while cut off the retry is refused', async () => {
    tc = makeCore();
    const { core } = tc;
    core.services.configure({ ssh: { keepaliveIntervalMs: 300, keepaliveCountMax: 2, readyTimeoutMs: 1500 } });
    const env = await call(core, 'environments.create', { name: 'staging' });
    const [row] = await trustAll(core, [hs.hosts[0]!]);
    await call(core, 'servers.update', { id: row!.serverId, environmentId: env.id });
    const app = await call(core, 'applications.create', { name: 'loop', runtimeUser: 'puesta-deploy', basePath: '/srv/loop' });
    await call(core, 'placements.create', { applicationId: app.id, serverId: row!.serverId, role: 'web' });
    await call(core, 'checklists.save', {
      applicationId: app.id,
      kind: 'upgrade',
      steps: [{ key: 'loop', title: 'Loop', command: 'echo $$ > /tmp/puesta-loop.pid; for i in $(seq 1 4000); do echo line $i; sleep 0.05; done' }],
    });
    const src = path.join(work, 'loop-src');
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, 'x'), 'x');
    const h = hs.hosts[0]!;
    // a pid file left by an earlier run would name a dead process
    await h.rootExec('rm -f /tmp/puesta-loop.pid');
    const run = await call(core, 'runs.start', { applicationId: app.id, environmentId: env.id, kind: 'upgrade', source: { kind: 'directory', path: src } });
    const until = async (ok: () => Promise<boolean>) => {
      const end = Date.now() + 30_000;
      while (!(await ok())) {
        if (Date.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until(async () => (await h.rootExec('cat /tmp/puesta-loop.pid')).code === 0);
    const pid = (await h.rootExec('cat /tmp/puesta-loop.pid')).stdout.trim();
    await h.cutOff();
    try {
      let r = await core.services.runs.settled(run.id);
      expect(r.state).toBe('waiting');
      expect(r.cells[0]!.error).toMatch(/lost|answer/);
      expect((await h.rootExec(`kill -0 ${pid}`)).code).toBe(0); // the old loop still runs
      await call(core, 'runs.act', { id: run.id, action: 'retry', note: '' });
      r = await core.services.runs.settled(run.id);
      expect(r.cells[0]!.error).toMatch(/may still be running there/);
    } finally {
      await h.restore();
    }
    await call(core, 'runs.act', { id: run.id, action: 'retry', note: '', command: 'echo fresh' });
    const r = await core.services.runs.settled(run.id);
    expect(r.state, JSON.stringify(r.cells)).toBe('succeeded');
    expect((await h.rootExec(`kill -0 ${pid}`)).code).not.toBe(0);
  }, 120_000);
});
