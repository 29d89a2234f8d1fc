/**
 * `npm run bench -- fleet`: the same guided upgrade on 1 and on 16 real sshd test hosts (logging
 * in as the ordinary deploy user), each host's work dominated by a remote wait — the built-in
 * upgrade checklist with its restart step set to `sleep 1`, standing for a service restart whose
 * work runs on the server's own CPU. Every step (pre-flight, SFTP upload with sha256, extract,
 * shared links, atomic switch, restart, cleanup, record) goes through the real engine.
 * Measures the wall-time ratio 16 hosts / 1 host (parallelism 16) and the laptop-side CPU
 * (process.cpuUsage of this process: engine, ssh2 crypto, SQLite log writes) per host; also prints
 * the SSH channels opened per host (commands + SFTP) and the processes started on the machine per
 * host (sshd sessions, shells, tools: the hosts' share of the cores), figures load hardly blurs.
 * Last line: BENCH fleet ratio_16_vs_1=<ratio> controller_cpu_ms_per_host=<ms>
 * Targets: ratio ≤ 1.5; the CPU per host says how far one laptop scales.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call } from '../helpers/api.js';
import { makeCore } from '../helpers/core.js';
import { startHosts, trustAll } from '../hosts/index.js';

const HOSTS = Number(process.env.BENCH_FLEET_HOSTS ?? 16);
const ROUNDS = Number(process.env.BENCH_FLEET_ROUNDS ?? 2);


async function main(): Promise<void> {
  const t0 = Date.now();
  const hs = await startHosts({ count: HOSTS });
  const tc = makeCore();
  const work = mkdtempSync(path.join(os.tmpdir(), 'puesta-fleet-'));
  try {
    const { core } = tc;
    const env = await call(core, 'environments.create', { name: 'bench' });
    const rows = await trustAll(core, hs.hosts);
    const app = await call(core, 'applications.create', { name: 'fleetapp', runtimeUser: 'puesta-deploy', basePath: '/srv/fleetapp', keepReleases: 3, sharedDirs: ['log'] });
    for (const r of rows) {
      await call(core, 'servers.update', { id: r.serverId, environmentId: env.id });
      await call(core, 'placements.create', { applicationId: app.id, serverId: r.serverId, role: 'web' });
    }
    const up = await call(core, 'checklists.get', { applicationId: app.id, kind: 'upgrade' });
    await call(core, 'checklists.save', {
      applicationId: app.id,
      kind: 'upgrade',
      steps: up.steps.map((s) => (s.key === 'restart' ? { ...s, enabled: true, command: 'sleep 1; echo restarted {{app.name}} on {{host.name}}' } : s)),
    });
    let n = 0;
    const source = () => {
      const d = path.join(work, `v${++n}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, 'VERSION'), `v${n}\n`);
      copyFileSync(path.join(import.meta.dirname, 'fleet.ts'), path.join(d, 'app.txt'));
      return { kind: 'directory' as const, path: d };
    };
    const run = async (kind: 'install' | 'upgrade', serverIds: number[]) => {
      const r0 = await call(core, 'runs.start', { applicationId: app.id, environmentId: env.id, kind, source: source(), serverIds, parallelism: 16 });
      const r = await core.services.runs.settled(r0.id);
      if (r.state !== 'succeeded') throw new Error(`run ${r.id} ${r.state}: ${JSON.stringify(r.cells.filter((c) => c.state !== 'succeeded'))}`);
      return r;
    };
    const all = rows.map((r) => r.serverId);
    console.log(`[fleet] ${HOSTS} sshd hosts up in ${Date.now() - t0} ms; installing everywhere (not measured)`);
    await run('install', all);

    /** CPU time of the whole machine (every sshd, shell and tool of the 16 "servers" runs on this laptop's cores too). */
    const machineCpuMs = () => {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
      const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
      return (busy * 1000) / 100;
    };
    const channels = (ids: number[]) => ids.reduce((s, id) => s + core.services.ssh.stats(id).channelsOpened, 0);
    /** Processes started on the machine (every sshd session, shell and tool of the "servers"): the remote work per host, less blurred by load than CPU time. */
    const forks = () => Number(/^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
    let channelsPerHost = 0;
    let forksPerHost = 0;
    const measure = async (ids: number[]) => {
      const ch0 = channels(ids);
      const f0 = forks();
      const m0 = machineCpuMs();
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      await run('upgrade', ids);
      const wall = performance.now() - w0;
      const cpu = process.cpuUsage(cpu0);
      channelsPerHost = (channels(ids) - ch0) / ids.length;
      forksPerHost = (forks() - f0) / ids.length;
      if (process.env.BENCH_FLEET_VERBOSE) {
        const r = await call(core, 'runs.get', { id: (await call(core, 'runs.list', { limit: 1 })).items[0]!.id });
        const per = r.steps.map((s) => `${s.key}=${Math.max(...r.cells.filter((c) => c.stepIndex === s.index).map((c) => c.durationMs ?? 0))}`);
        console.log(`[fleet] ${ids.length} host(s): slowest cell per step (ms): ${per.join(' ')}`);
      }
      return { wall, cpuMs: (cpu.user + cpu.system) / 1000, machineMs: machineCpuMs() - m0 };
    };
    type M = { wall: number; cpuMs: number; machineMs: number };
    const one: M[] = [];
    const many: M[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      one.push(await measure([all[0]!]));
      many.push(await measure(all));
      console.log(
        `[fleet] round ${i + 1}: 1 host ${one[i]!.wall.toFixed(0)} ms (controller cpu ${one[i]!.cpuMs.toFixed(0)} ms, machine cpu ${one[i]!.machineMs.toFixed(0)} ms), ` +
          `${HOSTS} hosts ${many[i]!.wall.toFixed(0)} ms (controller cpu ${many[i]!.cpuMs.toFixed(0)} ms, machine cpu ${many[i]!.machineMs.toFixed(0)} ms, ${os.cpus().length} cores)`,
      );
    }
    const best = (a: M[]) => a.reduce((x, y) => (y.wall < x.wall ? y : x));
    const b1 = best(one);
    const b16 = best(many);
    const ratio = b16.wall / b1.wall;
    const cpuPerHost = many.reduce((s, x) => s + x.cpuMs, 0) / many.length / HOSTS;
    console.log(`[fleet] SSH channels per host and run: ${channelsPerHost.toFixed(1)}; processes started per host: ${forksPerHost.toFixed(1)}`);
    console.log(`[fleet] best: 1 host ${b1.wall.toFixed(0)} ms, ${HOSTS} hosts ${b16.wall.toFixed(0)} ms; steps per run ${up.steps.length}; target ratio ≤ 1.5`);
    console.log(`BENCH fleet ratio_16_vs_1=${ratio.toFixed(2)} controller_cpu_ms_per_host=${cpuPerHost.toFixed(1)}`);
  } finally {
    await tc.cleanup();
    await hs.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
