/**
 * Real OpenSSH test hosts on 127.0.0.N — the harness every integration test and benchmark uses.
 *
 * Each host is its own `sshd` (own port, host key, pid file, log) listening on its own loopback
 * address, started inside its own mount namespace (`unshare -m`) with a private bind mount of /srv,
 * so hosts do not share the deploy tree. They authorise one generated ed25519 client key and log in
 * as an ordinary deploy user (default `puesta-deploy`, created when missing, passwordless sudo) —
 * not root, whose shell start-up here is slow.
 *
 * Needs root (it starts sshd, creates the user, uses namespaces and iptables). Missing Debian
 * packages are installed by scripts/setup-system.sh when running as root; otherwise startHosts
 * fails with the exact `apt-get install` line.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const DEFAULT_DEPLOY_USER = 'puesta-deploy';
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SSHD = '/usr/sbin/sshd';
const HOST_PACKAGES = ['openssh-server', 'openssh-client', 'sudo', 'iptables', 'util-linux', 'procps'];
const NGINX_PACKAGES = ['nginx'];

export interface RootExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestHost {
  index: number;
  name: string;
  /** 127.0.0.N */
  host: string;
  port: number;
  /** The deploy user the client key logs in as. */
  user: string;
  /** The client's private key (same for every host of a set). */
  keyPath: string;
  /** `SHA256:…` of the host's ed25519 key, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  keyType: string;
  hostKeyPath: string;
  /** The deploy user's password when the set was started with `password: true`. */
  password: string | null;
  /** The sshd listener's pid (null while stopped). */
  pid(): number | null;
  /** Runs a command as root on the laptop side but inside this host's mount namespace (its own /srv). */
  rootExec(cmd: string): Promise<RootExecResult>;
  /** Kills this host's sshd and every session it forked (connections drop at once). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Partition: packets to the host's port are dropped (iptables DROP) — connects and open sessions hang. */
  cutOff(): Promise<void>;
  restore(): Promise<void>;
  /** Replaces the host key with a fresh one and restarts sshd (the fingerprint changes). */
  regenerateHostKey(): Promise<void>;
  /** sshd processes serving this host: the listener plus one per open connection (and its privsep child). */
  connectionCount(): number;
  logPath: string;
  /**
   * With `withNginx`: this host's own nginx (private /etc/nginx, /var/lib/nginx, /var/log/nginx in
   * its mount namespace), listening on `host:httpPort`. Sites go in /etc/nginx/sites-enabled/ on the
   * host (e.g. over SSH with sudo) and must `listen <host>:<httpPort>` (all hosts share the network);
   * `sudo nginx -s reload` over SSH reloads this host's nginx only. GET /__puesta_health answers ok.
   */
  httpPort: number | null;
  nginx: { reload(): Promise<void>; running(): boolean } | null;
}

export interface TestHosts {
  hosts: TestHost[];
  clientKeyPath: string;
  /** A second, unauthorised client key (for SSH_AUTH_FAILED tests). */
  wrongKeyPath: string;
  dir: string;
  stop(): Promise<void>;
}

export interface StartHostsOptions {
  count: number;
  withNginx?: boolean;
  deployUser?: string;
  /** Enable password authentication and give the deploy user a fresh random password. */
  password?: boolean;
  maxSessions?: number;
  /** First loopback address index (127.0.0.<firstIndex>); default 2. */
  firstIndex?: number;
}

const live = new Set<TestHosts>();
/** nginx pid files of live hosts, for the exit hook (nginx daemonises: it is not an sshd child). */
const nginxPidFiles = new Set<string>();
let exitHookInstalled = false;

function run(cmd: string, args: string[], opts: { input?: string } = {}): RootExecResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input ?? '' });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function must(cmd: string, args: string[], opts: { input?: string } = {}): string {
  const r = run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`test hosts: ${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function ensureSystem(withNginx: boolean): void {
  if (process.platform !== 'linux') throw new Error('test hosts need Linux (sshd, mount namespaces, iptables).');
  const missing = [...HOST_PACKAGES, ...(withNginx ? NGINX_PACKAGES : [])].filter((p) => !/install ok installed/.test(run('dpkg-query', ['-W', '-f=${Status}', p]).stdout));
  if (missing.length) {
    if (process.getuid?.() !== 0) {
      throw new Error(`test hosts need these Debian packages: ${missing.join(' ')} — install them with: sudo apt-get install -y ${missing.join(' ')}`);
    }
    const r = run('bash', [path.join(ROOT, 'scripts', 'setup-system.sh')]);
    if (r.code !== 0) throw new Error(`scripts/setup-system.sh failed: ${r.stderr}`);
  }
  if (process.getuid?.() !== 0) throw new Error('test hosts must run as root (they start private sshd instances, create the deploy user and use namespaces).');
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  mkdirSync('/srv', { recursive: true });
}

function ensureDeployUser(user: string): { uid: number; gid: number; home: string } {
  if (run('id', ['-u', user]).code !== 0) must('useradd', ['--create-home', '--shell', '/bin/bash', user]);
  // A '!' (locked) password makes sshd refuse even key logins when UsePAM is off: use '*' (no password, not locked).
  const shadow = readFileSync('/etc/shadow', 'utf8').split('\n').find((l) => l.startsWith(user + ':'));
  if (shadow && shadow.split(':')[1]?.startsWith('!')) must('usermod', ['-p', '*', user]);
  const sudoers = `/etc/sudoers.d/${user}`;
  const line = `${user} ALL=(ALL:ALL) NOPASSWD: ALL\n`;
  if (!existsSync(sudoers) || readFileSync(sudoers, 'utf8') !== line) writeFileSync(sudoers, line, { mode: 0o440 });
  const uid = Number(must('id', ['-u', user]).trim());
  const gid = Number(must('id', ['-g', user]).trim());
  const home = must('getent', ['passwd', user]).split(':')[5] ?? `/home/${user}`;
  return { uid, gid, home };
}

/** A port free on that address right now (bind :0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function fingerprintOf(pubKeyPath: string): { fingerprint: string; keyType: string } {
  const out = must('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubKeyPath]).trim();
  const m = /^\d+ (SHA256:\S+) .*\((\w+)\)$/.exec(out);
  if (!m) throw new Error(`unexpected ssh-keygen -lf output: ${out}`);
  const t = m[2]!.toLowerCase();
  return { fingerprint: m[1]!, keyType: t === 'ed25519' || t === 'rsa' || t === 'dss' ? `ssh-${t}` : t };
}

/** Direct children map, read from /proc. */
function childrenOf(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(d));
      map.set(ppid, list);
    } catch {
      // process went away
    }
  }
  return map;
}

export function descendants(pid: number): number[] {
  const map = childrenOf();
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of map.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitHttp(host: string, port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`nginx on ${host}:${port} did not start listening`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

function waitListening(host: string, port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect({ host, port });
      s.once('data', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`sshd on ${host}:${port} did not start listening`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

interface HostState {
  proc: ChildProcess | null;
  cut: boolean;
}

export async function startHosts(opts: StartHostsOptions): Promise<TestHosts> {
  ensureSystem(!!opts.withNginx);
  const user = opts.deployUser ?? DEFAULT_DEPLOY_USER;
  const account = ensureDeployUser(user);
  let password: string | null = null;
  if (opts.password) {
    password = 'pw-' + randomBytes(12).toString('base64url');
    must('chpasswd', [], { input: `${user}:${password}\n` });
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-hosts-'));
  chmodSync(dir, 0o755);
  const clientKeyPath = path.join(dir, 'client_ed25519');
  const wrongKeyPath = path.join(dir, 'wrong_ed25519');
  must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'puesta-test-client', '-f', clientKeyPath]);
  must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'puesta-test-wrong', '-f', wrongKeyPath]);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(clientKeyPath + '.pub'), { mode: 0o644 });

  const hosts: TestHost[] = [];
  const states: HostState[] = [];
  /** Hosts being torn down for good: their nginx stops with their sshd. */
  const stopAllToo = new Set<TestHost>();
  const first = opts.firstIndex ?? 2;
  const set: TestHosts = {
    hosts,
    clientKeyPath,
    wrongKeyPath,
    dir,
    stop: async () => {
      live.delete(set);
      for (const h of hosts) {
        await h.restore().catch(() => undefined);
        stopAllToo.add(h);
        await h.stop().catch(() => undefined);
      }
      if (opts.password) run('usermod', ['-p', '*', user]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(set);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Whatever happens to the test process, no sshd/nginx/iptables rule is left behind.
    const killAll = () => {
      for (const s of live) for (const h of s.hosts) {
        const pid = h.pid();
        if (pid) for (const p of [...descendants(pid), pid]) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
        run('iptables', ['-D', 'INPUT', '-d', h.host, '-p', 'tcp', '--dport', String(h.port), '-j', 'DROP']);
      }
      for (const f of nginxPidFiles) {
        try {
          process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGTERM');
        } catch {
          // not running
        }
      }
      for (const s of live) rmSync(s.dir, { recursive: true, force: true });
      live.clear();
    };
    process.once('exit', killAll);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        killAll();
        process.kill(process.pid, sig); // default action now that our handler is gone
      });
    }
  }

  try {
    for (let i = 0; i < opts.count; i++) {
      const index = first + i;
      const address = `127.0.0.${index}`;
      const hdir = path.join(dir, `host${index}`);
      const srv = path.join(hdir, 'srv');
      mkdirSync(srv, { recursive: true });
      chmodSync(hdir, 0o755);
      chownSync(srv, account.uid, account.gid);
      const hostKeyPath = path.join(hdir, 'ssh_host_ed25519_key');
      must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `host${index}`, '-f', hostKeyPath]);
      const port = await freePort(address);
      const conf = path.join(hdir, 'sshd_config');
      const logPath = path.join(hdir, 'sshd.log');
      writeFileSync(
        conf,
        [
          `Port ${port}`,
          `ListenAddress ${address}`,
          `HostKey ${hostKeyPath}`,
          `PidFile ${path.join(hdir, 'sshd.pid')}`,
          `AuthorizedKeysFile ${authorizedKeys}`,
          'UsePAM no',
          `PasswordAuthentication ${opts.password ? 'yes' : 'no'}`,
          'KbdInteractiveAuthentication no',
          'PubkeyAuthentication yes',
          'PermitRootLogin prohibit-password',
          'StrictModes no',
          'UseDNS no',
          `MaxSessions ${opts.maxSessions ?? 10}`,
          'MaxStartups 200:30:400',
          'AllowTcpForwarding yes',
          'AllowAgentForwarding no',
          'X11Forwarding no',
          'PrintMotd no',
          'LogLevel VERBOSE',
          'Subsystem sftp internal-sftp',
          '',
        ].join('\n'),
      );
      let httpPort: number | null = null;
      const nginxDirs = { etc: path.join(hdir, 'etc-nginx'), lib: path.join(hdir, 'var-lib-nginx'), log: path.join(hdir, 'var-log-nginx') };
      if (opts.withNginx) {
        httpPort = await freePort(address);
        nginxPidFiles.add(path.join(nginxDirs.lib, 'nginx.pid'));
        for (const d of Object.values(nginxDirs)) mkdirSync(d, { recursive: true });
        for (const d of ['sites-enabled', 'sites-available', 'conf.d']) mkdirSync(path.join(nginxDirs.etc, d), { recursive: true });
        for (const f of ['mime.types', 'fastcgi_params', 'proxy_params', 'scgi_params', 'uwsgi_params']) {
          if (existsSync(`/etc/nginx/${f}`)) writeFileSync(path.join(nginxDirs.etc, f), readFileSync(`/etc/nginx/${f}`));
        }
        writeFileSync(
          path.join(nginxDirs.etc, 'nginx.conf'),
          [
            '# test host ' + `host${index}` + ': private nginx (see test/hosts/index.ts)',
            'user www-data;',
            'worker_processes 1;',
            'pid /var/lib/nginx/nginx.pid;',
            'error_log /var/log/nginx/error.log;',
            'events { worker_connections 256; }',
            'http {',
            '  include /etc/nginx/mime.types;',
            '  default_type application/octet-stream;',
            '  access_log /var/log/nginx/access.log;',
            '  client_body_temp_path /var/lib/nginx/body;',
            '  proxy_temp_path /var/lib/nginx/proxy;',
            '  fastcgi_temp_path /var/lib/nginx/fastcgi;',
            '  uwsgi_temp_path /var/lib/nginx/uwsgi;',
            '  scgi_temp_path /var/lib/nginx/scgi;',
            '  server {',
            `    listen ${address}:${httpPort} default_server;`,
            '    location = /__puesta_health { return 200 "ok\\n"; }',
            '    location / { return 404; }',
            '  }',
            '  include /etc/nginx/conf.d/*.conf;',
            '  include /etc/nginx/sites-enabled/*;',
            '}',
            '',
          ].join('\n'),
        );
        for (const d of ['/etc/nginx', '/var/lib/nginx', '/var/log/nginx']) mkdirSync(d, { recursive: true });
      }
      const t = run(SSHD, ['-t', '-f', conf]);
      if (t.code !== 0) throw new Error(`sshd -t rejected ${conf}: ${t.stderr}`);
      const state: HostState = { proc: null, cut: false };
      states.push(state);
      const fp = fingerprintOf(hostKeyPath + '.pub');

      const nginxPid = (): number | null => {
        try {
          const pid = Number(readFileSync(path.join(nginxDirs.lib, 'nginx.pid'), 'utf8').trim());
          return pid > 0 && alive(pid) ? pid : null;
        } catch {
          return null;
        }
      };
      const stopNginx = async () => {
        const pid = nginxPid();
        if (!pid) return;
        const all = [...descendants(pid), pid];
        for (const p of all) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
        const until = Date.now() + 5000;
        while (all.some(alive) && Date.now() < until) await sleep(10);
        rmSync(path.join(nginxDirs.lib, 'nginx.pid'), { force: true });
        nginxPidFiles.delete(path.join(nginxDirs.lib, 'nginx.pid'));
      };
      const host: TestHost = {
        index,
        name: `host${index}`,
        host: address,
        port,
        user,
        keyPath: clientKeyPath,
        fingerprint: fp.fingerprint,
        keyType: fp.keyType,
        hostKeyPath,
        password,
        logPath,
        httpPort,
        nginx: opts.withNginx
          ? {
              running: () => nginxPid() !== null,
              reload: async () => {
                const r = await host.rootExec('nginx -s reload');
                if (r.code !== 0) throw new Error(`nginx reload on ${address} failed: ${r.stderr}`);
              },
            }
          : null,
        pid: () => (state.proc?.pid && state.proc.exitCode === null && state.proc.signalCode === null ? state.proc.pid : null),
        rootExec: (cmd) =>
          new Promise((resolve) => {
            const pid = host.pid();
            const [bin, args] = pid ? ['nsenter', ['-t', String(pid), '-m', '--', '/bin/sh', '-c', cmd]] : ['/bin/sh', ['-c', cmd]];
            execFile(bin as string, args as string[], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
              const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
              resolve({ code, stdout, stderr });
            });
          }),
        start: async () => {
          if (host.pid()) return;
          // Private mount namespace: /srv is this host's own directory. Falls back to the shared
          // filesystem when namespaces are not allowed (then hosts share /srv).
          const binds = [`mount --bind ${srv} /srv`];
          if (opts.withNginx) binds.push(`mount --bind ${nginxDirs.etc} /etc/nginx`, `mount --bind ${nginxDirs.lib} /var/lib/nginx`, `mount --bind ${nginxDirs.log} /var/log/nginx`);
          const inner = `mount --make-rprivate / && ${binds.join(' && ')} && exec ${SSHD} -D -f ${conf} -E ${logPath}`;
          const canUnshare = run('unshare', ['-m', '--propagation', 'private', 'true']).code === 0;
          if (!canUnshare && opts.withNginx) throw new Error('test hosts with nginx need mount namespaces (unshare -m), which this machine refuses.');
          const proc = canUnshare
            ? spawn('unshare', ['-m', '--propagation', 'private', '--', '/bin/sh', '-c', inner], { stdio: 'ignore' })
            : spawn(SSHD, ['-D', '-f', conf, '-E', logPath], { stdio: 'ignore' });
          state.proc = proc;
          proc.on('exit', () => undefined);
          await waitListening(address, port, 10_000);
          if (opts.withNginx && !host.nginx?.running()) {
            const r = await host.rootExec('nginx');
            if (r.code !== 0) throw new Error(`nginx on ${address} did not start: ${r.stderr}`);
            await waitHttp(address, httpPort!, 10_000);
          }
        },
        stop: async () => {
          const proc = state.proc;
          if (!proc?.pid) return;
          if (stopAllToo.has(host)) await stopNginx();
          const all = [...descendants(proc.pid), proc.pid];
          for (const p of all) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
          const until = Date.now() + 5000;
          while (all.some(alive) && Date.now() < until) await sleep(10);
          state.proc = null;
        },
        cutOff: async () => {
          if (state.cut) return;
          must('iptables', ['-I', 'INPUT', '-d', address, '-p', 'tcp', '--dport', String(port), '-j', 'DROP']);
          state.cut = true;
        },
        restore: async () => {
          if (!state.cut) return;
          run('iptables', ['-D', 'INPUT', '-d', address, '-p', 'tcp', '--dport', String(port), '-j', 'DROP']);
          state.cut = false;
        },
        regenerateHostKey: async () => {
          await host.stop();
          rmSync(hostKeyPath, { force: true });
          rmSync(hostKeyPath + '.pub', { force: true });
          must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `host${index}-new`, '-f', hostKeyPath]);
          const n = fingerprintOf(hostKeyPath + '.pub');
          host.fingerprint = n.fingerprint;
          host.keyType = n.keyType;
          await host.start();
        },
        connectionCount: () => {
          const pid = host.pid();
          if (!pid) return 0;
          // OpenSSH 9.2: the listener forks one privileged monitor per connection (its children are
          // the unprivileged session process and the sessions' shells).
          return childrenOf().get(pid)?.length ?? 0;
        },
      };
      hosts.push(host);
      await host.start();
    }
  } catch (e) {
    await set.stop();
    throw e;
  }
  return set;
}

/** Creates server rows for the hosts in a core and pins their host keys (audited as the test operator). */
export async function trustAll(
  core: import('../../electron/core/core.js').Core,
  hosts: readonly TestHost[],
  opts: { auth?: 'agent' | 'key' | 'password' } = {},
): Promise<{ host: TestHost; serverId: number }[]> {
  const { pinHostKey } = await import('../../electron/core/ssh/hostkey-store.js');
  const out: { host: TestHost; serverId: number }[] = [];
  for (const h of hosts) {
    const existing = core.inventory.servers.list({ query: h.name, limit: 1000, offset: 0 }).items.find((s) => s.name === h.name);
    const row =
      existing ??
      core.inventory.servers.create(
        { name: h.name, host: h.host, port: h.port, user: h.user, auth: opts.auth ?? 'key', keyPath: h.keyPath, environmentId: null, roles: [], tags: ['test-host'], notes: '' },
        core.operator(),
      );
    pinHostKey(core, { host: h.host, port: h.port, keyType: h.keyType, fingerprint: h.fingerprint, serverId: row.id as number }, { replace: true });
    out.push({ host: h, serverId: row.id as number });
  }
  return out;
}
