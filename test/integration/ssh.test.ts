/**
 * The SSH engine against real OpenSSH servers (test/hosts): exec, kill on timeout/cancel, pooling,
 * faults, auth, host keys, SFTP and tunnels.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PuestaError } from '../../shared/errors.js';
import { hostKeyLookup, listPins, pinHostKey } from '../../electron/core/ssh/hostkey-store.js';
import { serverSecretKey, SshPool, type OutputChunk, type SshTarget } from '../../electron/core/ssh/index.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { descendants, freePort, startHosts, trustAll, type TestHost, type TestHosts } from '../hosts/index.js';

let hs: TestHosts;
let tc: TestCore;
let targets: SshTarget[];
let tmp: string;

const target = (i: number): SshTarget => targets[i]!;
const host = (i: number): TestHost => hs.hosts[i]!;

async function caught(p: Promise<unknown>): Promise<PuestaError> {
  try {
    await p;
  } catch (e) {
    return e as PuestaError;
  }
  throw new Error('expected a rejection');
}

async function pidAlive(h: TestHost, pid: number): Promise<boolean> {
  // a zombie (killed, waiting to be reaped by PID 1) counts as gone
  const r = await h.rootExec(`ps -o stat= -p ${pid}`);
  return r.code === 0 && !r.stdout.trim().startsWith('Z');
}

async function waitFor(fn: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

beforeAll(async () => {
  hs = await startHosts({ count: 3, password: true });
  tc = makeCore();
  const rows = await trustAll(tc.core, hs.hosts);
  targets = rows.map((r) => tc.core.inventory.servers.get(r.serverId) as unknown as SshTarget);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'puesta-ssh-test-'));
});

afterAll(async () => {
  await tc?.cleanup();
  await hs?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('exec', () => {
  it('streams stdout/stderr chunks in order with seq and timestamps, and returns the exit code', async () => {
    const chunks: OutputChunk[] = [];
    const r = await tc.core.services.ssh.exec(target(0), 'for i in 1 2 3; do echo out$i; sleep 0.05; echo err$i >&2; sleep 0.05; done; exit 7', {
      onChunk: (c) => chunks.push(c),
    });
    expect(r.exitCode).toBe(7);
    expect(r.signal).toBeNull();
    expect(r.stdout).toBe('out1\nout2\nout3\n');
    expect(r.stderr).toBe('err1\nerr2\nerr3\n');
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(chunks.map((c) => `${c.stream}:${c.text.trim()}`).join(',')).toBe('stdout:out1,stderr:err1,stdout:out2,stderr:err2,stdout:out3,stderr:err3');
    for (const c of chunks) {
      expect(c.serverId).toBe(target(0).id);
      expect(Number.isNaN(Date.parse(c.ts))).toBe(false);
    }
  });

  it('reports a signal when the remote process is killed by one', async () => {
    const r = await tc.core.services.ssh.exec(target(0), 'kill -TERM $$');
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGTERM');
  });

  it('passes env, cwd and sudo safely', async () => {
    const hostile = `a'b"c $(touch /tmp/puesta-pwned) \`id\` ;|&\n*`;
    const dir = `/srv/dir with 'quote' and $x`;
    await host(0).rootExec(`mkdir -p "/srv/dir with 'quote' and \\$x"`);
    const r = await tc.core.services.ssh.exec(target(0), 'printf %s "$PUESTA_V"; echo; pwd', { env: { PUESTA_V: hostile }, cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${hostile}\n${dir}\n`);
    expect((await host(0).rootExec('test -e /tmp/puesta-pwned')).code).not.toBe(0);
    const s = await tc.core.services.ssh.exec(target(0), 'id -u; printf %s "$V"', { sudo: true, env: { V: hostile } });
    expect(s.stdout).toBe(`0\n${hostile}`);
    const u = await tc.core.services.ssh.exec(target(0), 'id -un', { sudo: { user: 'nobody' } });
    expect(u.stdout.trim()).toBe('nobody');
    await expect(tc.core.services.ssh.exec(target(0), 'true', { env: { 'A;B': 'x' } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('a timeout kills the remote process group', async () => {
    const pidFile = `/srv/timeout-${Date.now()}.pid`;
    const e = await caught(tc.core.services.ssh.exec(target(0), `sleep 30 & echo $! > ${pidFile}; wait`, { timeoutMs: 600, step: 'wait for it' }));
    // stopped by its deadline, not by the command ending: TIMEOUT, and the 30 s sleep is gone
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain(target(0).name);
    expect(e.message).toContain('wait for it');
    const pid = Number((await host(0).rootExec(`cat ${pidFile}`)).stdout.trim());
    expect(pid).toBeGreaterThan(1);
    expect(await waitFor(async () => !(await pidAlive(host(0), pid)))).toBe(true);
  });

  it('cancellation through an AbortSignal kills the remote process too (also under sudo)', async () => {
    for (const sudo of [false, true]) {
      const pidFile = `/srv/cancel-${sudo}-${Date.now()}.pid`;
      const ac = new AbortController();
      const p = tc.core.services.ssh.exec(target(0), `sleep 30 & echo $! > ${pidFile}; wait`, { signal: ac.signal, sudo });
      expect(await waitFor(async () => (await host(0).rootExec(`test -s ${pidFile}`)).code === 0)).toBe(true);
      const pid = Number((await host(0).rootExec(`cat ${pidFile}`)).stdout.trim());
      expect(await pidAlive(host(0), pid)).toBe(true);
      ac.abort();
      expect((await caught(p)).code).toBe('CANCELLED');
      expect(await waitFor(async () => !(await pidAlive(host(0), pid)))).toBe(true);
    }
  });

  it('reuses one connection for many commands', async () => {
    const pool = tc.core.services.ssh;
    await pool.exec(target(1), 'true');
    const before = pool.stats(target(1).id);
    for (let i = 0; i < 25; i++) expect((await pool.exec(target(1), `echo ${i}`)).stdout).toBe(`${i}\n`);
    const after = pool.stats(target(1).id);
    expect(after.connects).toBe(before.connects);
    expect(after.connects).toBe(1);
    expect(after.channelsOpened - before.channelsOpened).toBe(25);
    expect(host(1).connectionCount()).toBe(1);
  });

  it('runs more parallel commands than sshd MaxSessions, bounded per host', async () => {
    const pool = tc.core.services.ssh;
    let peak = 0;
    const jobs = Array.from({ length: 30 }, (_, i) =>
      pool.exec(target(1), `sleep 0.1; echo ${i}`).then((r) => {
        peak = Math.max(peak, pool.stats(target(1).id).activeChannels);
        return r.stdout;
      }),
    );
    const timer = setInterval(() => (peak = Math.max(peak, pool.stats(target(1).id).activeChannels)), 5);
    const outs = await Promise.all(jobs);
    clearInterval(timer);
    expect(outs).toEqual(Array.from({ length: 30 }, (_, i) => `${i}\n`));
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(pool.opt.maxChannelsPerHost);
    expect(pool.stats(target(1).id).connects).toBe(1);
  });

  it('closes an idle connection and opens a new one on the next command', async () => {
    const pool = new SshPool({ hostKeys: hostKeyLookup(tc.core), secret: () => null, idleCloseMs: 300 });
    try {
      await pool.exec(target(1), 'true');
      await pool.exec(target(1), 'sleep 0.5'); // busy longer than the idle time: not closed meanwhile
      expect(pool.stats(target(1).id)).toMatchObject({ connects: 1, connected: true });
      expect(await waitFor(() => !pool.stats(target(1).id).connected, 3000)).toBe(true);
      expect((await pool.exec(target(1), 'echo again')).stdout).toBe('again\n');
      expect(pool.stats(target(1).id).connects).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('reconnects on the next command after the server drops the connection', async () => {
    const pool = tc.core.services.ssh;
    await pool.exec(target(2), 'true');
    const before = pool.stats(target(2).id).connects;
    // kill the per-connection sshd processes (not the listener): the server drops us
    const listener = host(2).pid()!;
    const kids = descendants(listener);
    expect(host(2).connectionCount()).toBe(1);
    for (const k of kids) process.kill(k, 'SIGKILL');
    expect(await waitFor(() => !pool.stats(target(2).id).connected)).toBe(true);
    const r = await pool.exec(target(2), 'echo back');
    expect(r.stdout).toBe('back\n');
    expect(pool.stats(target(2).id).connects).toBe(before + 1);
  });
});

describe('faults', () => {
  it('sshd killed mid-command → SSH_CONNECTION_LOST naming host and step', async () => {
    const pool = tc.core.services.ssh;
    const p = caught(pool.exec(target(2), 'sleep 10', { step: 'restart services' }));
    await new Promise((r) => setTimeout(r, 300));
    await host(2).stop();
    const e = await p;
    expect(e.code).toBe('SSH_CONNECTION_LOST');
    expect(e.message).toContain(target(2).name);
    expect(e.message).toContain('restart services');
    await host(2).start();
    expect((await pool.exec(target(2), 'echo ok')).stdout).toBe('ok\n');
  });

  it('a cut-off host → SSH_TIMEOUT within the configured time', async () => {
    const pool = new SshPool({ hostKeys: hostKeyLookup(tc.core), secret: () => null, readyTimeoutMs: 1200 });
    await host(2).cutOff();
    try {
      // how long it takes is measured by `npm run bench -- ssh`; here: the configured time is the one applied
      const e = await caught(pool.exec(target(2), 'true'));
      expect(e.code).toBe('SSH_TIMEOUT');
      expect(e.message).toContain(target(2).host);
      expect(e.message).toContain('did not answer within 1.2 s');
    } finally {
      await host(2).restore();
      await pool.close();
    }
  });

  it('a port with nothing listening → SSH_ERROR saying so', async () => {
    const port = await freePort('127.0.0.1');
    const t: SshTarget = { ...target(0), id: 9001, name: 'nowhere', host: '127.0.0.1', port };
    const e = await caught(tc.core.services.ssh.exec(t, 'true'));
    expect(e.code).toBe('SSH_ERROR');
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect((e.details as { reason: string }).reason).toBe('CONNECTION_REFUSED');
  });
});

describe('auth', () => {
  it('a key the server does not authorise → SSH_AUTH_FAILED', async () => {
    const t: SshTarget = { ...target(0), id: 9100, keyPath: hs.wrongKeyPath };
    const e = await caught(tc.core.services.ssh.exec(t, 'true'));
    expect(e.code).toBe('SSH_AUTH_FAILED');
    expect(e.message).toContain(t.name);
  });

  it('missing materials give distinct reasons', async () => {
    const pool = new SshPool({ hostKeys: hostKeyLookup(tc.core), secret: () => null, agentSocket: () => undefined });
    const reason = async (t: SshTarget) => {
      const e = await caught(pool.exec(t, 'true'));
      expect(e.code).toBe('SSH_AUTH_FAILED');
      return (e.details as { reason: string }).reason;
    };
    expect(await reason({ ...target(0), id: 9201, auth: 'password' })).toBe('PASSWORD_MISSING');
    expect(await reason({ ...target(0), id: 9202, auth: 'agent', keyPath: null })).toBe('AGENT_UNAVAILABLE');
    expect(await reason({ ...target(0), id: 9203, auth: 'key', keyPath: path.join(tmp, 'nope') })).toBe('KEY_UNREADABLE');
    const enc = path.join(tmp, 'enc_key');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'sekret', '-f', enc]);
    expect(await reason({ ...target(0), id: 9204, auth: 'key', keyPath: enc })).toBe('PASSPHRASE_REQUIRED');
    await pool.close();
  });

  it('a key passphrase comes from the secret store', async () => {
    const enc = path.join(tmp, 'enc_key2');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pass phrase', '-f', enc]);
    const auth = readFileSync(path.join(hs.dir, 'authorized_keys'), 'utf8');
    writeFileSync(path.join(hs.dir, 'authorized_keys'), auth + readFileSync(enc + '.pub', 'utf8'));
    const t: SshTarget = { ...target(0), id: 9300, auth: 'key', keyPath: enc };
    tc.core.secrets.set(serverSecretKey(9300, 'passphrase'), 'pass phrase');
    expect((await tc.core.services.ssh.exec(t, 'echo k')).stdout).toBe('k\n');
  });

  it('password auth reads the password from the secret store', async () => {
    const t: SshTarget = { ...target(1), id: 9400, auth: 'password', keyPath: null };
    tc.core.secrets.set(serverSecretKey(9400, 'password'), 'wrong');
    expect((await caught(tc.core.services.ssh.exec(t, 'true'))).code).toBe('SSH_AUTH_FAILED');
    tc.core.secrets.set(serverSecretKey(9400, 'password'), host(1).password!);
    await tc.core.services.ssh.close(9400);
    expect((await tc.core.services.ssh.exec(t, 'id -un')).stdout).toBe(`${host(1).user}\n`);
  });

  it('agent auth through a real ssh-agent', async () => {
    const sock = path.join(tmp, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      expect(await waitFor(() => spawnSync('test', ['-S', sock]).status === 0)).toBe(true);
      const add = spawnSync('ssh-add', [hs.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
      expect(add.status).toBe(0);
      const pool = new SshPool({ hostKeys: hostKeyLookup(tc.core), secret: () => null, agentSocket: () => sock });
      const t: SshTarget = { ...target(1), id: 9500, auth: 'agent', keyPath: null };
      expect((await pool.exec(t, 'echo via-agent')).stdout).toBe('via-agent\n');
      await pool.close();
    } finally {
      agent.kill('SIGTERM');
    }
  });
});

describe('host keys', () => {
  it('an unknown host key → HOST_KEY_UNKNOWN with the ssh-keygen -lf fingerprint; trusting it works', async () => {
    const fresh = makeCore();
    try {
      const row = fresh.core.inventory.servers.create(
        { name: 'fresh', host: host(0).host, port: host(0).port, user: host(0).user, auth: 'key', keyPath: hs.clientKeyPath, environmentId: null, roles: [], tags: [], notes: '' },
        'test',
      );
      const t = fresh.core.inventory.servers.get(row.id as number) as unknown as SshTarget;
      const e = await caught(fresh.core.services.ssh.exec(t, 'true'));
      expect(e.code).toBe('HOST_KEY_UNKNOWN');
      const kg = spawnSync('ssh-keygen', ['-lf', host(0).hostKeyPath + '.pub'], { encoding: 'utf8' }).stdout.split(' ')[1];
      expect(e.details).toMatchObject({ fingerprint: kg, keyType: 'ssh-ed25519', host: host(0).host, port: host(0).port });
      expect(e.message).toContain(kg);
      pinHostKey(fresh.core, { host: t.host, port: t.port, keyType: 'ssh-ed25519', fingerprint: kg!, serverId: t.id });
      expect((await fresh.core.services.ssh.exec(t, 'echo trusted')).stdout).toBe('trusted\n');
    } finally {
      await fresh.cleanup();
    }
  });

  it('a server that no longer offers the pinned key type → HOST_KEY_CHANGED', async () => {
    const fresh = makeCore();
    try {
      const h = host(1);
      pinHostKey(fresh.core, { host: h.host, port: h.port, keyType: 'ssh-rsa', fingerprint: 'SHA256:' + 'B'.repeat(43), serverId: null });
      const t: SshTarget = { ...target(1), id: 9600 };
      const e = await caught(fresh.core.services.ssh.exec(t, 'true'));
      expect(e.code).toBe('HOST_KEY_CHANGED');
      expect(e.message).toContain('ssh-rsa');
    } finally {
      await fresh.cleanup();
    }
  });

  it('a regenerated host key → HOST_KEY_CHANGED and nothing runs', async () => {
    const pool = tc.core.services.ssh;
    const old = host(2).fingerprint;
    await pool.close(target(2).id);
    await host(2).regenerateHostKey();
    expect(host(2).fingerprint).not.toBe(old);
    const canary = `/srv/canary-${Date.now()}`;
    const e = await caught(pool.exec(target(2), `touch ${canary}`));
    expect(e.code).toBe('HOST_KEY_CHANGED');
    expect(e.details).toMatchObject({ fingerprint: host(2).fingerprint });
    expect(e.message).toContain(target(2).name);
    expect((await host(2).rootExec(`test -e ${canary}`)).code).not.toBe(0);
    // the pin stays until an operator replaces it
    expect(listPins(tc.core, target(2).host, target(2).port)[0]!.fingerprint).toBe(old);
    expect(() => pinHostKey(tc.core, { host: target(2).host, port: target(2).port, keyType: 'ssh-ed25519', fingerprint: host(2).fingerprint, serverId: target(2).id })).toThrow(/CHANGED|different/);
    pinHostKey(tc.core, { host: target(2).host, port: target(2).port, keyType: 'ssh-ed25519', fingerprint: host(2).fingerprint, serverId: target(2).id }, { replace: true });
    const audit = tc.core.audit.list({ entity: 'servers', entityId: target(2).id, limit: 5, offset: 0 }).items[0]!;
    expect(audit.action).toBe('hostkey.replace');
    expect(audit.before).toMatchObject({ fingerprint: old });
    expect(audit.after).toMatchObject({ fingerprint: host(2).fingerprint });
    expect((await pool.exec(target(2), 'echo ok')).stdout).toBe('ok\n');
  });
});

describe('files and tunnels', () => {
  it('SFTP upload is atomic, reports progress and verifies the checksum; download too', async () => {
    const local = path.join(tmp, 'blob.bin');
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(local, data);
    const sha = createHash('sha256').update(data).digest('hex');
    const remote = '/srv/uploads/blob.bin';
    await host(0).rootExec(`mkdir -p /srv/uploads && chown ${host(0).user} /srv/uploads`);
    const progress: number[] = [];
    let finalExistedDuringUpload: boolean | null = null;
    const pid = host(0).pid()!;
    const r = await tc.core.services.ssh.upload(target(0), local, remote, {
      mode: 0o640,
      onProgress: (sent, total) => {
        expect(total).toBe(data.length);
        progress.push(sent);
        if (finalExistedDuringUpload === null && sent > 0 && sent < total) {
          finalExistedDuringUpload = spawnSync('nsenter', ['-t', String(pid), '-m', '--', 'test', '-e', remote]).status === 0;
        }
      },
    });
    expect(r).toEqual({ bytes: data.length, sha256: sha });
    expect(finalExistedDuringUpload).toBe(false);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(data.length);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect((await host(0).rootExec(`sha256sum ${remote}`)).stdout.split(' ')[0]).toBe(sha);
    expect((await host(0).rootExec(`stat -c %a ${remote}`)).stdout.trim()).toBe('640');
    expect((await host(0).rootExec('ls -A /srv/uploads')).stdout.trim()).toBe('blob.bin');
    // the other hosts' /srv is their own
    expect((await host(1).rootExec(`test -e ${remote}`)).code).not.toBe(0);

    const back = path.join(tmp, 'back.bin');
    const dprog: number[] = [];
    const d = await tc.core.services.ssh.download(target(0), remote, back, { onProgress: (got) => dprog.push(got) });
    expect(d).toEqual({ bytes: data.length, sha256: sha });
    expect(readFileSync(back).equals(data)).toBe(true);
    expect(dprog.at(-1)).toBe(data.length);
  });

  it('a failed upload leaves no file under the final name nor a temp file', async () => {
    const local = path.join(tmp, 'small.txt');
    writeFileSync(local, 'x');
    const e = await caught(tc.core.services.ssh.upload(target(0), local, '/root-owned/nope/file.txt'));
    expect(e.code).toBe('SSH_ERROR');
    expect(e.message).toContain(target(0).name);
    // the final rename fails (a non-empty directory holds the name): the temp file is removed
    await host(0).rootExec(`mkdir -p /srv/updir/target.d/inner && chown -R ${host(0).user} /srv/updir`);
    const e2 = await caught(tc.core.services.ssh.upload(target(0), local, '/srv/updir/target.d'));
    expect(e2.code).toBe('SSH_ERROR');
    expect((await host(0).rootExec('ls -A /srv/updir')).stdout.trim()).toBe('target.d');
    expect((await host(0).rootExec('ls -A /srv/updir/target.d')).stdout.trim()).toBe('inner');
  });

  it('forwardOut tunnels a local port to a TCP service on the host side', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    const port = await new Promise<number>((r) => echo.listen(0, '127.0.0.1', () => r((echo.address() as net.AddressInfo).port)));
    const tun = await tc.core.services.ssh.tunnel(target(0), '127.0.0.1', port);
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const s = net.connect(tun.localPort, '127.0.0.1', () => s.write('ping through ssh\n'));
        let got = '';
        s.on('data', (d) => {
          got += d.toString();
          if (got.endsWith('\n')) {
            s.end();
            resolve(got);
          }
        });
        s.on('error', reject);
      });
      expect(reply).toBe('ping through ssh\n');
      expect(tun.localPort).not.toBe(port);
    } finally {
      await tun.close();
      echo.close();
    }
  });
});
