/**
 * `npm run bench -- switch`: blue-green switches under load, all through Puesta's SSH engine
 * (`proxy.switch` on a real sshd test host with its own nginx and HAProxy from Debian). The same
 * client and load — 16 keep-alive connections, GET and POST back to back, no retries, 40 switches
 * every 0.3 s — back to back against the `nginx-reload` baseline (include rewrite + reload) and
 * both zero-loss drivers (`nginx-socket`: symlink swap; `haproxy-runtime`: admin socket). Then the
 * switch-back time: from the operator's action to the first answer from the old (warm) slot.
 * Last line: BENCH switch requests=<n> baseline_failed=<n> socket_failed=<n> haproxy_failed=<n> switchback_ms=<ms>
 * Targets: socket_failed = haproxy_failed = 0 with requests ≥ 20000; baseline_failed > 0; switchback_ms < 1000.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call } from '../helpers/api.js';
import { makeCore } from '../helpers/core.js';
import { createBlueGreenApp, prepareHost, release, stopHost, switchBackMs, switchesUnderLoad } from '../helpers/proxy-world.js';
import { startHosts, trustAll } from '../hosts/index.js';

async function main(): Promise<void> {
  const hs = await startHosts({ count: 1, withNginx: true });
  const tc = makeCore();
  const work = mkdtempSync(path.join(os.tmpdir(), 'puesta-switch-'));
  const h = hs.hosts[0]!;
  try {
    const { core } = tc;
    const env = await call(core, 'environments.create', { name: 'bench' });
    const [row] = await trustAll(core, hs.hosts);
    await call(core, 'servers.update', { id: row!.serverId, environmentId: env.id });
    const fronts = await prepareHost(h, { haproxy: true });
    const applicationId = await createBlueGreenApp(core, row!.serverId, env.id, fronts);
    for (const [kind, v] of [['install', 'v1'], ['upgrade', 'v2']] as const) {
      const r = await call(core, 'runs.start', { applicationId, environmentId: env.id, kind, source: release(work, v), label: v });
      const done = await core.services.runs.settled(r.id);
      if (done.state !== 'succeeded') throw new Error(`the ${kind} run ended ${done.state}: ${done.error ?? ''}`);
    }
    const p = { applicationId, environmentId: env.id, host: h.host };
    const failedSwitches: string[] = [];
    const check = (hosts: { ok: boolean; error: string | null }[]) => hosts.forEach((x) => x.ok || failedSwitches.push(x.error ?? '?'));
    let requests = 0;
    const measure = async (driver: 'nginx-reload' | 'nginx-socket' | 'haproxy-runtime', port: number) => {
      await call(core, 'proxy.settings.save', { applicationId, driver });
      const r = await switchesUnderLoad(core, { ...p, port }, check);
      requests += r.requests;
      console.log(`${driver}: ${r.requests} requests, ${r.failed} failed ${JSON.stringify(r.errors)}`);
      return r.failed;
    };
    const baseline = await measure('nginx-reload', fronts.reloadPort);
    const socket = await measure('nginx-socket', fronts.socketPort);
    const haproxy = await measure('haproxy-runtime', fronts.haproxyPort);
    // green is live after 40 switches; blue is warm: switch back, three times, the slowest counts
    await call(core, 'proxy.settings.save', { applicationId, driver: 'nginx-socket' });
    let back = 0;
    for (const to of ['blue', 'green', 'blue'] as const) back = Math.max(back, await switchBackMs(core, { ...p, port: fronts.socketPort }, to));
    if (failedSwitches.length) console.log(`switches that failed: ${failedSwitches.length} (${failedSwitches[0]})`);
    console.log(`BENCH switch requests=${requests} baseline_failed=${baseline} socket_failed=${socket} haproxy_failed=${haproxy} switchback_ms=${back}`);
  } finally {
    await stopHost(h);
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
