/**
 * `npm run bench -- suspend`: suspend 20 sites on one real sshd test host with its own nginx, under
 * 16 keep-alive clients (GET and POST, no retries) on a site of another contract that is NOT
 * suspended, on the same nginx.
 *   Puesta: `startSuspensions` of the 20 — one SSH connection, one batched script (the 20 atomic
 *           live.sock swaps), one verification pass through the proxy (503 + Retry-After + marker).
 *   Baseline: one `ssh` process per site that writes the site's suspended config, `nginx -t`, reload,
 *           then the same check of that site through the proxy.
 * Last line: BENCH suspend sites=20 speedup=<x> puesta_failed=<n> baseline_failed=<n>
 * Targets: speedup ≥ 5, puesta_failed = 0, baseline_failed > 0.
 */
import { spawn } from 'node:child_process';
import { siteConfig } from '../../electron/core/proxy/site-config.js';
import { settledSuspension, startReinstatements, startSuspensions } from '../../electron/core/suspension/index.js';
import { sleep } from '../../electron/core/util/concurrency.js';
import { makeCore } from '../helpers/core.js';
import { answer, startLoad } from '../helpers/proxy-world.js';
import { prepareWorld, stopWorld, type Site } from '../helpers/suspension-world.js';
import { startHosts, type TestHost } from '../hosts/index.js';

const SITES = 20;

/** One `ssh` process running one command on the host (what a per-site shell loop does). */
function ssh(h: TestHost, cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ssh', ['-i', h.keyPath, '-p', String(h.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${h.user}@${h.host}`, cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ssh exited ${code}: ${err}`))));
  });
}

/** The baseline's suspended site: the same listen, a 503 with Retry-After, the ACME path kept. */
const suspendedSite = (h: TestHost, s: Site): string => `server {
    listen ${h.host}:${s.port};
    location ^~ /.well-known/acme-challenge/ { root ${s.base}/acme; }
    location / { add_header Retry-After 3600 always; return 503 "suspended: puesta-baseline\\n"; }
}
`;

async function until503(h: TestHost, s: Site): Promise<void> {
  const t0 = Date.now();
  while ((await answer(h.host, s.port)).status !== 503) {
    if (Date.now() - t0 > 10_000) throw new Error(`${s.name} still does not answer 503`);
    await sleep(5);
  }
}

async function main(): Promise<void> {
  const hs = await startHosts({ count: 1, withNginx: true });
  const tc = makeCore();
  const h = hs.hosts[0]!;
  const { core } = tc;
  let world = null;
  try {
    world = await prepareWorld(core, hs, { count: SITES, prefix: 'bench' });
    const w = world;

    // Puesta: the 20 suspensions in one batched run (the first exec opens the one connection)
    let load = startLoad(h.host, w.other.port, 16);
    await sleep(300);
    let t0 = Date.now();
    const started = startSuspensions(
      core,
      w.sites.map((s) => ({ contractId: w.unpaidId, applicationId: s.appId, reason: 'overdue' as const, retryAfterSeconds: 3600, notify: false })),
    );
    const done = await Promise.all(started.map((s) => settledSuspension(core, s.id)));
    const puestaMs = Date.now() - t0;
    await sleep(300);
    const puesta = await load.stop();
    const notSuspended = done.filter((s) => s.state !== 'suspended');
    if (notSuspended.length) throw new Error(`Puesta: ${notSuspended.length} suspension(s) ended ${notSuspended[0]!.state}: ${JSON.stringify(notSuspended[0]!.hosts)}`);
    console.log(`puesta: ${SITES} sites suspended and verified in ${puestaMs} ms; other site: ${puesta.requests} requests, ${puesta.failed} failed ${JSON.stringify(puesta.errors)}`);
    const back = startReinstatements(core, done.map((s) => s.id), { notify: false });
    await Promise.all(back.map((s) => settledSuspension(core, s.id)));

    // Baseline: one ssh process per site, the site's config rewritten, nginx -t, reload
    load = startLoad(h.host, w.other.port, 16);
    await sleep(300);
    t0 = Date.now();
    for (const s of w.sites) {
      await ssh(h, `printf '%s' '${suspendedSite(h, s)}' | sudo -n tee /etc/nginx/sites-enabled/puesta-${s.name} >/dev/null && sudo -n nginx -t -q && sudo -n nginx -s reload`);
      await until503(h, s);
    }
    const baselineMs = Date.now() - t0;
    await sleep(300);
    const baseline = await load.stop();
    console.log(`baseline: ${SITES} sites suspended and verified in ${baselineMs} ms; other site: ${baseline.requests} requests, ${baseline.failed} failed ${JSON.stringify(baseline.errors)}`);

    // the sites as they were (not measured)
    await h.rootExec(
      w.sites.map((s) => `cat > /etc/nginx/sites-enabled/puesta-${s.name} <<'EOF'\n${siteConfig({ appName: s.name, base: s.base, listen: [`${h.host}:${s.port}`], serverNames: [], app: 'socket' })}EOF`).join('\n') + '\nnginx -s reload',
    );
    const speedup = baselineMs / puestaMs;
    console.log(`BENCH suspend sites=${SITES} speedup=${speedup.toFixed(1)} puesta_failed=${puesta.failed} baseline_failed=${baseline.failed}`);
  } finally {
    await stopWorld(hs, world);
    await tc.cleanup();
    await hs.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
