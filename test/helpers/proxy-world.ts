/**
 * A blue-green world on one real sshd test host with its own nginx and (when asked) HAProxy: a
 * small Node backend per slot on a unix socket, an nginx site per driver, the HAProxy frontend, and
 * the keep-alive load client that counts failed requests. Shared by the proxy integration tests,
 * the e2e test and `npm run bench -- switch`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Core } from '../../electron/core/core.js';
import { sleep } from '../../electron/core/util/concurrency.js';
import type { TestHost } from '../hosts/index.js';
import { freePort } from '../hosts/index.js';
import { call } from './api.js';

export const BASE = '/srv/bg';

/** The slot's service: answers `<slot> <version>`, /slow after 3 s, /health 500 while <base>/shared/unhealthy-<version> exists. */
const SERVER_JS = `const http = require('http'), fs = require('fs'), path = require('path');
const [sock, slot] = process.argv.slice(2);
const version = fs.readFileSync(path.join(__dirname, 'VERSION'), 'utf8').trim();
const bad = path.join(${JSON.stringify(BASE)}, 'shared', 'unhealthy-' + version);
const srv = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const send = (code) => { res.writeHead(code, { 'content-type': 'text/plain', 'x-puesta-slot': slot }); res.end(slot + ' ' + version + (body ? ' ' + body.length : '') + '\\n'); };
    if (req.url === '/slow') return setTimeout(() => send(200), 3000);
    if (req.url === '/health' && fs.existsSync(bad)) return send(500);
    send(200);
  });
});
try { fs.unlinkSync(sock); } catch {}
srv.listen(sock, () => fs.chmodSync(sock, 0o666));
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
`;

export const START = `pidf="$run/$PUESTA_SLOT.pid"
if [ -f "$pidf" ]; then old=$(cat "$pidf"); kill "$old" 2>/dev/null || true; while kill -0 "$old" 2>/dev/null; do sleep 0.05; done; fi
setsid nohup node "$PUESTA_SLOT_DIR/server.js" "$PUESTA_SLOT_SOCKET" "$PUESTA_SLOT" </dev/null >>"$run/$PUESTA_SLOT.log" 2>&1 &
echo $! > "$pidf"`;

export const STOP = `pidf="$run/$PUESTA_SLOT.pid"
if [ -f "$pidf" ]; then old=$(cat "$pidf"); kill "$old" 2>/dev/null || true; while kill -0 "$old" 2>/dev/null; do sleep 0.05; done; rm -f "$pidf"; fi
echo "slot $PUESTA_SLOT stopped"`;

export function release(work: string, v: string): { kind: 'directory'; path: string } {
  const d = path.join(work, v);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'server.js'), SERVER_JS);
  writeFileSync(path.join(d, 'VERSION'), v + '\n');
  return { kind: 'directory', path: d };
}

export interface Fronts {
  /** nginx proxying to live.sock (nginx-socket driver). */
  socketPort: number;
  /** nginx proxying through the include the nginx-reload driver rewrites. */
  reloadPort: number;
  /** HAProxy's frontend, and its admin socket (TCP loopback). */
  haproxyPort: number;
  haproxyAdmin: string;
  include: string;
}

/** The base folder, both nginx sites and (with `haproxy`) a HAProxy on the host. */
export async function prepareHost(h: TestHost, opts: { haproxy: boolean }): Promise<Fronts> {
  const socketPort = await freePort(h.host);
  const reloadPort = await freePort(h.host);
  const haproxyPort = await freePort(h.host);
  const adminPort = await freePort(h.host);
  const include = '/etc/nginx/puesta/bg.conf';
  const site = `server {
  listen ${h.host}:${socketPort};
  location / { proxy_pass http://unix:${BASE}/run/live.sock:; }
}
server {
  listen ${h.host}:${reloadPort};
  location / { include ${include}; }
}
`;
  await h.rootExec(`set -e
mkdir -p ${BASE}/run /etc/nginx/puesta && chown puesta-deploy: ${BASE} ${BASE}/run
[ -f ${include} ] || printf 'proxy_pass http://unix:${BASE}/run/blue.sock:;\\n' > ${include}
cat > /etc/nginx/sites-enabled/bg <<'EOF'
${site}EOF
nginx -t -q && nginx -s reload`);
  if (opts.haproxy) {
    const cfg = `global
  stats socket ipv4@${h.host}:${adminPort} level admin
  server-state-file ${BASE}/run/haproxy.state
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  load-server-state-from-file global
frontend fe
  bind ${h.host}:${haproxyPort}
  default_backend app
backend app
  cookie PUESTA_SLOT insert indirect nocache
  http-response set-header X-Puesta-Slot %[srv_name]
  server blue ${BASE}/run/blue.sock cookie blue weight 100
  server green ${BASE}/run/green.sock cookie green weight 100
`;
    await h.rootExec(`set -e
cat > ${BASE}/haproxy.cfg <<'EOF'
${cfg}EOF
haproxy -c -q -f ${BASE}/haproxy.cfg
haproxy -D -f ${BASE}/haproxy.cfg -p ${BASE}/haproxy.pid`);
  }
  return { socketPort, reloadPort, haproxyPort, haproxyAdmin: `${h.host}:${adminPort}`, include };
}

/** HAProxy soft reload (a new process takes the state file over). */
export async function reloadHaproxy(h: TestHost): Promise<void> {
  await h.rootExec(`haproxy -D -f ${BASE}/haproxy.cfg -p ${BASE}/haproxy.pid -sf $(cat ${BASE}/haproxy.pid)`);
}

export async function stopHost(h: TestHost): Promise<void> {
  await h.rootExec(`[ -f ${BASE}/haproxy.pid ] && kill $(cat ${BASE}/haproxy.pid); for s in blue green; do [ -f ${BASE}/run/$s.pid ] && kill $(cat ${BASE}/run/$s.pid); [ -f ${BASE}/run/$s.stopper ] && kill -TERM -$(cat ${BASE}/run/$s.stopper) 2>/dev/null; done; true`);
}

/** A blue-green application placed on the host, its checklists using the test backend. */
export async function createBlueGreenApp(core: Core, serverId: number, envId: number, fronts: Fronts, name = 'bg'): Promise<number> {
  const app = await call(core, 'applications.create', {
    name,
    runtimeUser: 'puesta-deploy',
    basePath: BASE,
    keepReleases: 5,
    strategy: 'blue-green',
    healthCheck: { kind: 'http', target: `http://{{host.address}}:${fronts.socketPort}/health`, expectStatus: 200, timeoutSeconds: 3 },
  });
  await call(core, 'placements.create', { applicationId: app.id, serverId, role: 'web' });
  await call(core, 'proxy.settings.save', {
    applicationId: app.id,
    driver: 'nginx-socket',
    healthPath: '/health',
    healthSuccesses: 3,
    healthDeadlineSeconds: 5,
    startCommand: START,
    stopCommand: STOP,
    drainSeconds: 10,
    warmSeconds: 600,
    haproxyAdmin: fronts.haproxyAdmin,
    haproxyBackend: 'app',
    nginxInclude: fronts.include,
    // this world writes its own nginx sites and HAProxy config (test/integration/proxy-install.test.ts has the install write them)
    writeProxyConfig: false,
  });
  return app.id;
}

export interface Load {
  stop(): Promise<{ requests: number; failed: number; errors: Record<string, number> }>;
}

/** `clients` keep-alive connections sending GET and POST back to back, no retries; counts what fails. */
export function startLoad(host: string, port: number, clients = 16): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let running = true;
  let requests = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  const fail = (why: string): void => {
    failed++;
    errors[why] = (errors[why] ?? 0) + 1;
  };
  const one = (post: boolean): Promise<void> =>
    new Promise((resolve) => {
      const req = http.request({ host, port, path: '/', method: post ? 'POST' : 'GET', agent, timeout: 10_000, headers: post ? { 'content-type': 'text/plain' } : {} }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          requests++;
          if (res.statusCode !== 200) fail(`HTTP ${res.statusCode}`);
          resolve();
        });
        res.on('error', (e: NodeJS.ErrnoException) => (requests++, fail(e.code ?? e.message), resolve()));
      });
      req.on('error', (e: NodeJS.ErrnoException) => (requests++, fail(e.code ?? e.message), resolve()));
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.end(post ? 'x'.repeat(64) : undefined);
    });
  const loops = Array.from({ length: clients }, async (_, i) => {
    let post = i % 2 === 1;
    while (running) {
      await one(post);
      post = !post;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { requests, failed, errors };
    },
  };
}

/** One answer (status, body, the slot header) with a fresh connection. */
export function answer(host: string, port: number, urlPath = '/', headers: Record<string, string> = {}): Promise<{ status: number; body: string; slot: string; cookie: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, agent: false, timeout: 10_000, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim(), slot: String(res.headers['x-puesta-slot'] ?? ''), cookie: String(res.headers['set-cookie'] ?? '') }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message, slot: '', cookie: '' }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/**
 * 40 switches every 0.3 s (alternating slots, through Puesta's SSH engine and `proxy.switch`) under
 * 16 keep-alive clients on `port`; `onSwitch` sees each switch's answer.
 */
export async function switchesUnderLoad(
  core: Core,
  p: { applicationId: number; environmentId: number; host: string; port: number },
  onSwitch: (hosts: { ok: boolean; error: string | null }[]) => void = () => undefined,
): Promise<{ requests: number; failed: number; errors: Record<string, number> }> {
  const load = startLoad(p.host, p.port, 16);
  await sleep(300);
  for (let i = 0; i < 40; i++) {
    const r = await call(core, 'proxy.switch', { applicationId: p.applicationId, environmentId: p.environmentId, to: i % 2 === 0 ? 'blue' : 'green' });
    onSwitch(r.hosts);
    await sleep(300);
  }
  return load.stop();
}

/** From the operator's switch to the first answer from the old slot through the proxy. */
export async function switchBackMs(core: Core, p: { applicationId: number; environmentId: number; host: string; port: number }, to: 'blue' | 'green'): Promise<number> {
  const t0 = Date.now();
  await call(core, 'proxy.switch', { applicationId: p.applicationId, environmentId: p.environmentId, to, reason: 'switch back' });
  while ((await answer(p.host, p.port)).slot !== to && Date.now() - t0 < 10_000) await sleep(5);
  return Date.now() - t0;
}
