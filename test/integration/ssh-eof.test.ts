/**
 * A command without stdin gets its EOF in the same socket write as its exec request (exec.ts
 * `pipelineEof`): against a real sshd, stdin is closed as before (a command reading it ends at
 * once), stdin given is delivered whole, and a command costs fewer socket writes.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshTarget } from '../../electron/core/ssh/index.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';

let hs: TestHosts;
let tc: TestCore;
let t: SshTarget;

beforeAll(async () => {
  hs = await startHosts({ count: 1 });
  tc = makeCore();
  const rows = await trustAll(tc.core, hs.hosts);
  t = tc.core.inventory.servers.get(rows[0]!.serverId) as unknown as SshTarget;
});

afterAll(async () => {
  await tc?.cleanup();
  await hs?.stop();
});

/** Socket writes (write / writev calls that reach the kernel) made by this process while `fn` runs. */
async function socketWrites(fn: () => Promise<void>): Promise<number> {
  const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  const saved = { _write: proto._write, _writev: proto._writev };
  let n = 0;
  for (const m of ['_write', '_writev'] as const) {
    proto[m] = function (this: unknown, ...a: unknown[]) {
      n++;
      return saved[m].apply(this, a);
    };
  }
  try {
    await fn();
  } finally {
    Object.assign(proto, saved);
  }
  return n;
}

describe('EOF with the exec request', () => {
  it('a command reading stdin sees its end at once; stdin given arrives whole, under sudo too', async () => {
    const ssh = tc.core.services.ssh;
    const r = await ssh.exec(t, 'cat; echo "read to the end"', { timeoutMs: 5000 });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'read to the end\n' });
    const empty = await ssh.exec(t, 'wc -c', { stdin: '', timeoutMs: 5000 });
    expect(empty.stdout.trim()).toBe('0');
    const data = 'line 1\nline 2 ünïcode\n'.repeat(2000);
    const echoed = await ssh.exec(t, 'cat', { stdin: data, timeoutMs: 10_000 });
    expect(echoed.stdout).toBe(data);
    const sudo = await ssh.exec(t, 'cat; id -u', { sudo: true, onPid: () => undefined, timeoutMs: 5000 });
    expect(sudo).toMatchObject({ exitCode: 0, stdout: '0\n' });
  });

  it('many commands at once on one connection: each gets its own output and exit code', async () => {
    const ssh = tc.core.services.ssh;
    const rs = await Promise.all(Array.from({ length: 16 }, (_, i) => ssh.exec(t, `cat; echo ${i}; exit ${i % 3}`, { timeoutMs: 10_000 })));
    expect(rs.map((r) => [r.stdout, r.exitCode])).toEqual(Array.from({ length: 16 }, (_, i) => [`${i}\n`, i % 3]));
  });

  it('a command costs three socket writes: open, exec + EOF, close', async () => {
    const ssh = tc.core.services.ssh;
    await ssh.exec(t, 'true');
    const n = await socketWrites(async () => {
      for (let i = 0; i < 20; i++) await ssh.exec(t, 'true');
    });
    // four each when the EOF waited for the server's reply to the exec request
    expect(n).toBeLessThanOrEqual(20 * 3);
  });
});
