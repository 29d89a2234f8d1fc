/**
 * A hosting world for suspensions on one real sshd test host with its own nginx: N sites, each an
 * application with Puesta's nginx site (`electron/core/proxy/site-config.ts`: live.sock → app.sock,
 * the ACME path, the suspended responder) and one small Node backend answering on every site's
 * app.sock; optionally a real supervisord for the applications' workers. Two contracts of one
 * customer (one per half of the sites, the last site — `other` — under the paid one). Shared by
 * the integration test, the e2e test and `npm run bench -- suspend`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Core } from '../../electron/core/core.js';
import { siteConfig } from '../../electron/core/proxy/site-config.js';
import { applicationOf } from '../../electron/core/provision/context.js';
import { DEFAULT_PATHS, provisionSteps, type ProvisionOptions } from '../../electron/core/provision/index.js';
import { serverTarget } from '../../electron/core/ssh/target.js';
import { sleep } from '../../electron/core/util/concurrency.js';
import { freePort, trustAll, type TestHost, type TestHosts } from '../hosts/index.js';
import { call } from './api.js';
import { answer } from './proxy-world.js';

export interface Site {
  appId: number;
  name: string;
  base: string;
  port: number;
}

export interface SuspensionWorld {
  host: TestHost;
  envId: number;
  serverId: number;
  /** The unpaid contract (covers every site but `other`) and the paid one (covers `other`). */
  unpaidId: number;
  paidId: number;
  sites: Site[];
  /** A site of the paid contract, on the same nginx: the keep-alive load runs against it. */
  other: Site;
  /** With workers: the supervisord config (supervisorctl -c …). */
  supConf: string | null;
}

/** Answers `<site> ok` on each socket given (the site is the socket's base folder name); /health 200. */
const BACKEND_JS = `const http = require('http'), fs = require('fs'), path = require('path');
for (const sock of process.argv.slice(2)) {
  const site = path.basename(path.dirname(path.dirname(sock)));
  try { fs.unlinkSync(sock); } catch {}
  http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(site + ' ok\\n'); }); })
    .listen(sock, () => fs.chmodSync(sock, 0o666));
}
`;

async function root(h: TestHost, cmd: string): Promise<string> {
  const r = await h.rootExec(cmd);
  if (r.code !== 0) throw new Error(`${cmd.slice(0, 200)}: ${r.stderr}`);
  return r.stdout;
}

/** Starts a private supervisord on the host (the workers' service manager) and points the core at it. */
async function startSupervisor(hs: TestHosts, h: TestHost, core: Core): Promise<string> {
  const etc = path.join(hs.dir, 'susp-sup');
  await root(h, `mkdir -p '${etc}/conf.d'`);
  const conf = path.join(etc, 'supervisord.conf');
  writeFileSync(
    conf,
    `[unix_http_server]\nfile=${etc}/sock\nchmod=0700\n[supervisord]\nlogfile=${etc}/supervisord.log\npidfile=${etc}/supervisord.pid\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[supervisorctl]\nserverurl=unix://${etc}/sock\n[include]\nfiles = ${etc}/conf.d/*.conf\n`,
  );
  await root(h, `supervisord -c '${conf}'`);
  const opts: ProvisionOptions = { paths: { ...DEFAULT_PATHS, supervisorConfDir: `${etc}/conf.d`, supervisorctl: ['supervisorctl', '-c', conf] }, database: false, manager: 'supervisor' };
  core.services.configure({ provision: opts });
  return conf;
}

/**
 * The world: `count` sites plus `other`. `workers`: the first site gets a `worker` service (2
 * instances) under a real supervisord, installed by the provisioning services step over SSH.
 */
export async function prepareWorld(core: Core, hs: TestHosts, opts: { count: number; workers?: boolean; prefix?: string }): Promise<SuspensionWorld> {
  const h = hs.hosts[0]!;
  const prefix = opts.prefix ?? 'site';
  await call(core, 'settings.setOperator', { name: 'alice' });
  const envId = (await call(core, 'environments.create', { name: 'production' })).id;
  const [t] = await trustAll(core, [h]);
  const serverId = t!.serverId;
  await call(core, 'servers.update', { id: serverId, environmentId: envId });
  const supConf = opts.workers ? await startSupervisor(hs, h, core) : null;

  const names = [...Array.from({ length: opts.count }, (_, i) => `${prefix}${i + 1}`), `${prefix}-other`];
  const sites: Site[] = [];
  let files = '';
  for (const [i, name] of names.entries()) {
    const base = `/srv/${name}`;
    const port = await freePort(h.host);
    const appId = (
      await call(core, 'applications.create', {
        name,
        runtimeUser: 'puesta-deploy',
        basePath: base,
        healthCheck: { kind: 'http', target: `http://{{host.address}}:${port}/health`, expectStatus: 200, timeoutSeconds: 10 },
        services: opts.workers && i === 0 ? [{ name: 'worker', kind: 'worker', command: 'while :; do sleep 1; done', instances: 2 }] : [],
      })
    ).id;
    await call(core, 'placements.create', { applicationId: appId, serverId, role: 'web' });
    sites.push({ appId, name, base, port });
    const conf = siteConfig({ appName: name, base, listen: [`${h.host}:${port}`], serverNames: [], app: 'socket' });
    files += `mkdir -p ${base}/run ${base}/acme/.well-known/acme-challenge ${base}/releases/r1 && ln -sfn releases/r1 ${base}/current && ln -sfn app.sock ${base}/run/live.sock && chown -R puesta-deploy: ${base}
cat > /etc/nginx/sites-enabled/puesta-${name} <<'EOF'
${conf}EOF
`;
  }
  // what the install step does once per site: the layout and the site, then one reload
  await root(h, `set -e\n${files}nginx -t -q && nginx -s reload`);
  await serveSockets(hs, sites.map((s) => `${s.base}/run/app.sock`));
  if (opts.workers) await installWorkers(core, sites[0]!.appId, serverId);

  const customerId = (await call(core, 'customers.create', { name: 'Acme Madrid', language: 'es', timezone: 'Europe/Madrid' })).id;
  await call(core, 'contacts.create', { customerId, name: 'Ana', email: 'ana@acme.test' });
  const unpaidId = (await call(core, 'contracts.create', { customerId, reference: 'ACME-UNPAID', startDate: '2025-01-01', endDate: '2025-12-31', applicationIds: sites.slice(0, -1).map((s) => s.appId) })).id;
  const paidId = (await call(core, 'contracts.create', { customerId, reference: 'ACME-PAID', startDate: '2025-01-01', endDate: '2030-12-31', applicationIds: [sites.at(-1)!.appId] })).id;
  await waitAnswering(h.host, sites);
  return { host: h, envId, serverId, unpaidId, paidId, sites: sites.slice(0, -1), other: sites.at(-1)!, supConf };
}

/** A backend answering `<site> ok` on each socket (its folder made, owned by the deploy user); stopped by stopWorld. */
export async function serveSockets(hs: TestHosts, socks: string[], name = 'susp-backend'): Promise<void> {
  const backend = path.join(hs.dir, 'susp-backend.js');
  writeFileSync(backend, BACKEND_JS);
  const dirs = socks.map((s) => path.dirname(s)).join(' ');
  await root(hs.hosts[0]!, `mkdir -p ${dirs} && chown puesta-deploy: ${dirs} && { setsid nohup node ${backend} ${socks.join(' ')} </dev/null >>${hs.dir}/${name}.log 2>&1 & echo $! >> ${hs.dir}/susp-backend.pid; }`);
}

/** The provisioning layout and services steps over SSH (sudo as the deploy user): the workers run under supervisord. */
async function installWorkers(core: Core, appId: number, serverId: number): Promise<void> {
  for (const s of provisionSteps(applicationOf(core, appId), core.services.provision).filter((x) => x.key === 'provision-layout' || x.key === 'provision-services')) {
    const out = await core.services.ssh.exec(serverTarget(core, serverId), s.script, { sudo: s.sudo, stdin: '', timeoutMs: 60_000 });
    if (out.exitCode !== 0) throw new Error(`${s.key}: ${out.stderr}\n${out.stdout.slice(-1500)}`);
  }
}

/** Until every site answers 200 through nginx. */
async function waitAnswering(host: string, sites: Site[]): Promise<void> {
  const until = Date.now() + 10_000;
  for (const s of sites) {
    for (;;) {
      const a = await answer(host, s.port, '/health');
      if (a.status === 200) break;
      if (Date.now() > until) throw new Error(`${s.name} does not answer through nginx: ${a.status} ${a.body}`);
      await sleep(100);
    }
  }
}

/** Stops the backend and the supervisord; removes the sites (the host's nginx stops with the host). */
export async function stopWorld(hs: TestHosts, w: SuspensionWorld | null): Promise<void> {
  const h = hs.hosts[0];
  if (!h) return;
  await h.rootExec(`[ -f ${hs.dir}/susp-backend.pid ] && kill $(cat ${hs.dir}/susp-backend.pid); ${w?.supConf ? `supervisorctl -c '${w.supConf}' shutdown >/dev/null 2>&1;` : ''} true`);
}
