/**
 * `npm run bench -- ssh`: Puesta's pooled SSH connection against OpenSSH's own options, on real
 * sshd test hosts logging in as an ordinary deploy user.
 *  (1) 200 sequential `true` on one host: (a) Puesta pooled, (b) ssh with ControlMaster/ControlPersist,
 *      (c) a fresh ssh process per command.
 *  (2) 50 sequential `sleep 0.1` on each of 8 hosts at once, against the same on one host.
 *  (3) Reaction times the integration tests assert only as behaviour: a `sleep 30` stopped by a
 *      600 ms timeout, a cut-off host with a 1.2 s connect timeout, the latency
 *      `servers.testConnection` reports. Printed with their targets, not part of the BENCH line.
 * Last line: BENCH ssh pooled_vs_controlmaster=<ratio> fresh_vs_pooled=<ratio> hosts8_vs_hosts1=<ratio>
 * Targets: pooled ≤ 0.5× ControlMaster, fresh ≥ 20× pooled, 8 hosts ≤ 1.2× one host.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hostKeyLookup } from '../../electron/core/ssh/hostkey-store.js';
import { SshPool, type SshTarget } from '../../electron/core/ssh/index.js';
import { call } from '../helpers/api.js';
import { makeCore } from '../helpers/core.js';
import { startHosts, trustAll, type TestHost } from '../hosts/index.js';

const N = Number(process.env.BENCH_SSH_N ?? 200);
const SLEEPS = Number(process.env.BENCH_SSH_SLEEPS ?? 50);

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(0) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const hs = await startHosts({ count: 8 });
  const tc = makeCore();
  try {
    const rows = await trustAll(tc.core, hs.hosts);
    const targets = rows.map((r) => tc.core.inventory.servers.get(r.serverId) as unknown as SshTarget);
    const pool = tc.core.services.ssh;
    const h0 = hs.hosts[0]!;
    const t0 = targets[0]!;
    const knownHosts = path.join(hs.dir, 'known_hosts');
    writeFileSync(knownHosts, hs.hosts.map((h: TestHost) => `[${h.host}]:${h.port} ${readFileSync(h.hostKeyPath + '.pub', 'utf8').split(' ').slice(0, 2).join(' ')}`).join('\n') + '\n');
    const base = (h: TestHost) => ['-i', hs.clientKeyPath, '-p', String(h.port), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'LogLevel=ERROR'];
    const dest = (h: TestHost) => `${h.user}@${h.host}`;

    // (a) pooled
    for (let i = 0; i < 10; i++) await pool.exec(t0, 'true');
    let s = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const r = await pool.exec(t0, 'true');
      if (r.exitCode !== 0) throw new Error('pooled: true failed');
    }
    const pooled = ms(s) / N;
    if (pool.stats(t0.id).connects !== 1) throw new Error('pooled: the connection was not reused');

    // (b) ControlMaster / ControlPersist
    const ctl = path.join(hs.dir, 'cm-%C');
    const cm = [...base(h0), '-o', 'ControlMaster=auto', '-o', `ControlPath=${ctl}`, '-o', 'ControlPersist=120'];
    for (let i = 0; i < 10; i++) await run('ssh', [...cm, dest(h0), 'true']);
    s = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await run('ssh', [...cm, dest(h0), 'true']);
    const controlmaster = ms(s) / N;
    await run('ssh', [...cm, '-O', 'exit', dest(h0)]).catch(() => undefined);

    // (c) a fresh ssh process (new TCP connection, handshake, auth) per command
    const fresh0 = [...base(h0), '-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
    s = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await run('ssh', [...fresh0, dest(h0), 'true']);
    const fresh = ms(s) / N;

    // (2) 50 sequential sleeps on one host, then on 8 hosts at once
    for (const t of targets) await pool.exec(t, 'true');
    const seqSleeps = async (t: SshTarget) => {
      for (let i = 0; i < SLEEPS; i++) await pool.exec(t, 'sleep 0.1');
    };
    s = process.hrtime.bigint();
    await seqSleeps(t0);
    const one = ms(s);
    s = process.hrtime.bigint();
    await Promise.all(targets.map(seqSleeps));
    const eight = ms(s);

    // (3) reaction times
    const failure = async (p: Promise<unknown>, code: string): Promise<number> => {
      const t = process.hrtime.bigint();
      const e = await p.then(
        () => null,
        (x: { code?: string }) => x,
      );
      if (e?.code !== code) throw new Error(`expected ${code}, got ${e ? String(e.code) : 'success'}`);
      return ms(t);
    };
    const stopped = await failure(pool.exec(t0, 'sleep 30 & wait', { timeoutMs: 600 }), 'TIMEOUT');
    const h7 = hs.hosts[7]!;
    const shortPool = new SshPool({ hostKeys: hostKeyLookup(tc.core), secret: () => null, readyTimeoutMs: 1200 });
    await h7.cutOff();
    let cutOff: number;
    try {
      cutOff = await failure(shortPool.exec(targets[7]!, 'true'), 'SSH_TIMEOUT');
    } finally {
      await h7.restore();
      await shortPool.close();
    }
    const latency = (await call(tc.core, 'servers.testConnection', { id: t0.id })).latencyMs;

    const pvc = pooled / controlmaster;
    const fvp = fresh / pooled;
    const h8 = eight / one;
    console.log(`ssh bench on ${hs.hosts.length} real sshd hosts (user ${h0.user}), ${N} sequential commands each:`);
    console.log(`  (1a) Puesta pooled connection     ${fmt(pooled)} ms/command`);
    console.log(`  (1b) ssh ControlMaster/Persist    ${fmt(controlmaster)} ms/command`);
    console.log(`  (1c) fresh ssh per command        ${fmt(fresh)} ms/command`);
    console.log(`  (2)  ${SLEEPS}× sleep 0.1: one host ${fmt(one)} ms, 8 hosts at once ${fmt(eight)} ms`);
    console.log(`  (3)  sleep 30 with a 600 ms timeout stopped after ${fmt(stopped)} ms (target < 5000); cut-off host, 1.2 s connect timeout: SSH_TIMEOUT after ${fmt(cutOff)} ms (target 1100–2500); testConnection latency ${fmt(latency)} ms (target < 1000)`);
    console.log(`  targets: pooled ≤ 0.5× ControlMaster (${fmt(pvc)}), fresh ≥ 20× pooled (${fmt(fvp)}), 8 hosts ≤ 1.2× one (${fmt(h8)})`);
    console.log(`BENCH ssh pooled_vs_controlmaster=${pvc.toFixed(3)} fresh_vs_pooled=${fvp.toFixed(1)} hosts8_vs_hosts1=${h8.toFixed(3)}`);
  } finally {
    await tc.cleanup();
    await hs.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
