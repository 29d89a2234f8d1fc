/**
 * Issue 5 end to end through the RUNS ENGINE (runs.plan / runs.start via dispatch, as the UI does)
 * on 2 real sshd test hosts: a first install of a sample application with a web process (python3
 * http.server serving the release, ×2) and a worker (×2), a PostgreSQL role + database on a private
 * PostgreSQL 15, backups, logrotate, supervisor and monitoring; every host is inspected afterwards.
 * A second install changes nothing on the hosts (every provisioning step: "already in place");
 * the upgrade review shows a changed worker count and the upgrade applies it; a rollback restarts
 * the services on the previous release.
 *
 * The test hosts share /etc, the network and PIDs (only /srv is private per host), so each host
 * gets its own supervisord and config folders under its private /srv, the web processes bind the
 * host's own address (read from a file written per host), and the run goes one host at a
 * time (the runtime user, in the shared /etc/passwd, is created by the first host).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationOf } from '../../electron/core/provision/context.js';
import { appSlug, DEFAULT_PATHS, type ProvisionPaths } from '../../electron/core/provision/index.js';
import type { MethodOutput } from '../../shared/contract/index.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { freePort, startHosts, trustAll, type TestHost, type TestHosts } from '../hosts/index.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const prefix = `in${randomBytes(3).toString('hex')}`;
const user = `${prefix}app`;
const base = `/srv/${prefix}`;
const ETC = '/srv/.puesta-etc';
const SUP_CONF = `${ETC}/sup/supervisord.conf`;
const PROV_KEYS = ['provision-user', 'provision-layout', 'provision-logrotate', 'provision-services', 'provision-database', 'provision-backup', 'provision-services-start', 'provision-monitoring'];

let hs: TestHosts;
let tc: TestCore;
let T = '';
let pgSock = '';
let pgData = '';
let pgPort = 0;
let webPort = 0;
let envId = 0;
let appId = 0;
let slug = '';
let serverIds: number[] = [];
let paths: ProvisionPaths;


async function root(h: TestHost, cmd: string): Promise<string> {
  const r = await h.rootExec(cmd);
  if (r.code !== 0) throw new Error(`${h.name}: ${cmd}: ${r.stderr}`);
  return r.stdout;
}

function local(cmd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function get(host: string, port: number, p: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: p, agent: false, timeout: 2000 }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve(b.trim()));
    });
    req.on('error', (e) => resolve(`error: ${e.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/** Running supervisor processes per service on one host. */
async function counts(h: TestHost): Promise<Record<string, number>> {
  const r = await h.rootExec(`supervisorctl -c ${SUP_CONF} status`);
  const out: Record<string, number> = {};
  for (const line of r.stdout.split('\n')) {
    const m = new RegExp(`^puesta-${slug}-(web|worker):\\S+\\s+RUNNING`).exec(line);
    if (m) out[m[1]!] = (out[m[1]!] ?? 0) + 1;
  }
  return out;
}

function release(v: string): { kind: 'directory'; path: string } {
  const d = path.join(T, 'src', v);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'VERSION'), `${v}\n`);
  writeFileSync(path.join(d, 'index.html'), `<h1>sample ${v}</h1>\n`);
  return { kind: 'directory', path: d };
}

async function runToEnd(kind: 'install' | 'upgrade', v: string) {
  const run = await call(tc.core, 'runs.start', { applicationId: appId, environmentId: envId, kind, source: release(v), label: v, parallelism: 1 });
  const r = await tc.core.services.runs.settled(run.id);
  const failed = r.cells.filter((c) => c.state !== 'succeeded' && c.state !== 'skipped');
  expect(r.state, JSON.stringify(failed)).toBe('succeeded');
  return r;
}

/** step key → per-host cell notes of a finished run. */
function notes(r: MethodOutput<'runs.get'>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of r.steps) out[s.key] = r.cells.filter((c) => c.stepIndex === s.index).map((c) => c.note);
  return out;
}

beforeAll(async () => {
  expect(process.getuid?.(), 'the install test starts sshd hosts and PostgreSQL as root').toBe(0);
  T = mkdtempSync(path.join(os.tmpdir(), 'puesta-install-'));
  chmodSync(T, 0o755);
  pgSock = path.join(T, 'pgsock');
  pgData = path.join(T, 'pgdata');
  mkdirSync(pgSock, { mode: 0o755 });
  mkdirSync(pgData, { mode: 0o700 });
  local('chown', ['postgres:postgres', pgData, pgSock]);
  pgPort = await freePort();
  const init = local('runuser', ['-u', 'postgres', '--', `${PG_BIN}/initdb`, '-D', pgData, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8']);
  expect(init.code, init.stderr).toBe(0);
  const start = local('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', pgData, '-l', path.join(pgData, 'log'), '-w', '-o', `-p ${pgPort} -k ${pgSock} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  expect(start.code, start.stderr + start.stdout).toBe(0);

  hs = await startHosts({ count: 2 });
  webPort = 20000 + Math.floor(Math.random() * 20000);
  // each host: its own supervisord and config folders under its private /srv; the address its web binds
  for (const h of hs.hosts) {
    await root(
      h,
      [
        `mkdir -p ${ETC}/logrotate.d ${ETC}/cron.d ${ETC}/conf.d ${ETC}/sup`,
        `printf '[unix_http_server]\\nfile=${ETC}/sup/sock\\nchmod=0700\\n[supervisord]\\nlogfile=${ETC}/sup/supervisord.log\\npidfile=${ETC}/sup/supervisord.pid\\nchildlogdir=${ETC}/sup\\n[rpcinterface:supervisor]\\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\\n[supervisorctl]\\nserverurl=unix://${ETC}/sup/sock\\n[include]\\nfiles = ${ETC}/conf.d/*.conf\\n' > ${SUP_CONF}`,
        `supervisord -c ${SUP_CONF}`,
        `echo ${h.host} > ${ETC}/bind-address && chmod 644 ${ETC}/bind-address`,
        // the second host is like a fresh server: /srv belongs to root (the base is created with sudo)
        h.index === hs.hosts[1]!.index ? 'chown root:root /srv && chmod 755 /srv' : 'true',
      ].join(' && '),
    );
  }
  paths = { ...DEFAULT_PATHS, logrotateDir: `${ETC}/logrotate.d`, cronDir: `${ETC}/cron.d`, supervisorConfDir: `${ETC}/conf.d`, supervisorctl: ['supervisorctl', '-c', SUP_CONF] };

  tc = makeCore();
  tc.core.services.configure({ provision: { paths, database: { host: pgSock, port: pgPort } } });
  await call(tc.core, 'settings.setOperator', { name: 'alice' });
  envId = (await call(tc.core, 'environments.create', { name: `install-${prefix}` })).id;
  const rows = await trustAll(tc.core, hs.hosts);
  serverIds = rows.map((r) => r.serverId);
  for (const id of serverIds) await call(tc.core, 'servers.update', { id, environmentId: envId });
  const app = await call(tc.core, 'applications.create', {
    name: `Sample ${prefix}`,
    runtimeUser: user,
    basePath: base,
    sharedDirs: ['data'],
    services: [
      { name: 'web', kind: 'web', command: `exec /usr/bin/python3 -m http.server $((${webPort} + PUESTA_INSTANCE)) --bind "$(cat ${ETC}/bind-address)" --directory ${base}/current`, instances: 2 },
      { name: 'worker', kind: 'worker', command: 'while :; do echo "tick $PUESTA_INSTANCE"; sleep 1; done', instances: 2 },
    ],
    healthCheck: { kind: 'http', target: `http://{{host.address}}:${webPort + 1}/VERSION`, expectStatus: 200, timeoutSeconds: 15 },
    logRotation: { frequency: 'daily', maxSize: '10M', keep: 7, compress: true, copyTruncate: true },
    backupPolicy: { enabled: true, paths: ['shared/data'], databaseDump: true, schedule: '30 2 * * *', retentionDays: 3, target: '' },
  });
  appId = app.id;
  slug = appSlug(applicationOf(tc.core, appId));
  for (const s of serverIds) await call(tc.core, 'placements.create', { applicationId: appId, serverId: s, role: 'web' });
  await call(tc.core, 'provision.setDbPassword', { applicationId: appId, generate: true });
}, 120_000);

afterAll(async () => {
  for (const h of hs?.hosts ?? []) await h.rootExec(`supervisorctl -c ${SUP_CONF} shutdown >/dev/null 2>&1; true`);
  await new Promise((r) => setTimeout(r, 300));
  local('sh', ['-c', `pkill -u ${user} 2>/dev/null; userdel ${user} 2>/dev/null; groupdel ${user} 2>/dev/null; true`]);
  if (pgData) local('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', pgData, '-m', 'immediate', 'stop']);
  await tc?.cleanup();
  await hs?.stop();
  if (T) rmSync(T, { recursive: true, force: true });
}, 60_000);

describe('new-application install through the runs engine on 2 sshd hosts', () => {
  it('plans the provisioning steps in the install checklist and installs everything on each host', async () => {
    const plan = await call(tc.core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'install', source: release('v1'), label: 'v1' });
    expect(plan.steps.map((s) => s.key)).toEqual([
      'preflight',
      'provision-user',
      'provision-layout',
      'provision-logrotate',
      'provision-services',
      'provision-database',
      'provision-backup',
      'upload',
      'link-shared',
      'switch',
      'provision-services-start',
      'restart',
      'health',
      'provision-monitoring',
      'record',
    ]);
    expect(plan.steps.find((s) => s.key === 'provision-monitoring')!.cells[1]!.command).toContain(`PUESTA_HOST_ADDRESS=${hs.hosts[1]!.host}`);

    const r = await runToEnd('install', 'v1');
    const n = notes(r);
    // the first host creates everything; the runtime user (shared /etc/passwd here) already exists for the second
    for (const k of PROV_KEYS) expect(n[k]![0], k).toBe('changed');
    expect(n['provision-services-start']).toEqual(['changed', 'changed']);

    // host 2 had a root-owned /srv: the run created the base with sudo, owned by the deploy user
    expect((await root(hs.hosts[1]!, 'stat -c %U /srv')).trim()).toBe('root');
    for (const h of hs.hosts) {
      // 1. runtime user
      const pw = (await root(h, `getent passwd ${user}`)).trim().split(':');
      expect(pw[0]).toBe(user);
      // 2. layout: releases belong to the deploying SSH user, shared/ and logs/ to the runtime user
      expect((await root(h, `stat -c '%n %U %a' ${base} ${base}/releases ${base}/shared ${base}/shared/data ${base}/logs ${base}/bin`)).trim().split('\n')).toEqual([
        `${base} ${h.user} 755`,
        `${base}/releases ${h.user} 755`,
        `${base}/shared ${user} 750`,
        `${base}/shared/data ${user} 750`,
        `${base}/logs ${user} 750`,
        `${base}/bin root 755`,
      ]);
      // 3. log rotation, validated by logrotate itself
      const lr = await root(h, `cat ${ETC}/logrotate.d/puesta-${slug}`);
      expect(lr).toContain(`${base}/logs/*.log`);
      expect(lr).toMatch(/rotate 7/);
      expect((await h.rootExec(`logrotate -d ${ETC}/logrotate.d/puesta-${slug}`)).code).toBe(0);
      // 4 + 6. services under supervisor: web ×2, worker ×2, serving the release
      expect(await counts(h)).toEqual({ web: 2, worker: 2 });
      expect(await get(h.host, webPort + 1, '/VERSION')).toBe('v1');
      expect(await get(h.host, webPort + 2, '/VERSION')).toBe('v1');
      // 7. backup: the cron line and the script
      expect(await root(h, `cat ${ETC}/cron.d/puesta-${slug}`)).toContain(`30 2 * * * root /bin/sh ${base}/bin/backup.sh`);
      expect((await root(h, `stat -c '%U %a' ${base}/bin/backup.sh`)).trim()).toMatch(/^root 7[05]0$/);
    }
    // 5. the PostgreSQL role and database (one server for both hosts)
    const psql = (sql: string) => local('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-At', '-h', pgSock, '-p', String(pgPort), '-U', 'postgres', '-d', 'postgres', '-c', sql]).stdout.trim();
    expect(psql(`SELECT rolcanlogin FROM pg_roles WHERE rolname = '${user}'`)).toBe('t');
    expect(psql(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${user}'`)).toBe(user);
    // 7. the backup runs and leaves an archive with the files and the database dump
    const h0 = hs.hosts[0]!;
    await root(h0, `echo hello > ${base}/shared/data/greeting && /bin/sh ${base}/bin/backup.sh`);
    const archive = (await root(h0, `ls -1 ${base}/backups/*.tar`)).trim().split('\n')[0]!;
    const listing = await root(h0, `tar -tf '${archive}'`);
    expect(listing).toContain('db.dump');
    expect(listing).toContain('files.tar.gz');
    expect(listing).toContain('SHA256SUMS');

    // 8. monitoring: the install's own collection is in the history, per host, with the health endpoint
    for (const id of serverIds) {
      const hist = await call(tc.core, 'stats.history', { serverId: id, applicationId: appId, limit: 10 });
      expect(hist.items.length).toBeGreaterThanOrEqual(1);
      const s = hist.items[0]!.stats!;
      expect(s.services).toEqual([
        { name: 'web', expected: 2, running: 2 },
        { name: 'worker', expected: 2, running: 2 },
      ]);
      const addr = hs.hosts[serverIds.indexOf(id)]!.host;
      expect(s.health).toMatchObject({ url: `http://${addr}:${webPort + 1}/VERSION`, status: 200, ok: true });
    }
    // the install is recorded for the upgrade review
    const review = await call(tc.core, 'provision.review', { applicationId: appId, serverId: serverIds[0]! });
    expect(review.firstInstall).toBe(false);
    expect(review.lastRunId).toBe(r.id);
    expect(review.deltas).toEqual([]);
  }, 120_000);

  it('a second install changes nothing: every provisioning step reports "already in place"', async () => {
    const before = await Promise.all(hs.hosts.map((h) => root(h, `supervisorctl -c ${SUP_CONF} pid puesta-${slug}-worker:puesta-${slug}-worker_01`)));
    const r = await runToEnd('install', 'v1b');
    const n = notes(r);
    for (const k of PROV_KEYS) expect(n[k], k).toEqual(['already in place', 'already in place']);
    const logs = await call(tc.core, 'runs.logs', { runId: r.id, stepIndex: r.steps.find((s) => s.key === 'provision-services')!.index, serverId: serverIds[1]! });
    expect(JSON.stringify(logs)).toContain('already in place');
    // the new release is served (the restart step), the counts did not change
    for (const h of hs.hosts) {
      expect(await counts(h)).toEqual({ web: 2, worker: 2 });
      expect(await get(h.host, webPort + 1, '/VERSION')).toBe('v1b');
    }
    const after = await Promise.all(hs.hosts.map((h) => root(h, `supervisorctl -c ${SUP_CONF} pid puesta-${slug}-worker:puesta-${slug}-worker_01`)));
    expect(after).not.toEqual(before); // restarted onto the new release by the restart step, not by provisioning
  }, 120_000);

  it('the upgrade review shows a changed worker count and the upgrade applies it', async () => {
    const app = applicationOf(tc.core, appId);
    await call(tc.core, 'applications.update', { id: appId, services: app.services.map((s) => (s.name === 'worker' ? { ...s, instances: 3 } : s)) });
    const review = await call(tc.core, 'provision.review', { applicationId: appId });
    expect(review.deltas).toEqual([{ kind: 'scale', what: 'worker instances', before: '2', after: '3', action: 'start 1 more instance(s)' }]);

    const r = await runToEnd('upgrade', 'v2');
    expect(r.steps.map((s) => s.key)).toContain('provision-services-start');
    // the services step converges the count (the release is there already); start/scale then finds it in place
    expect(notes(r)['provision-services']).toEqual(['changed', 'changed']);
    expect(notes(r)['provision-user']).toEqual(['already in place', 'already in place']);
    for (const h of hs.hosts) {
      expect(await counts(h)).toEqual({ web: 2, worker: 3 });
      expect(await get(h.host, webPort + 1, '/VERSION')).toBe('v2');
    }
    expect((await call(tc.core, 'provision.review', { applicationId: appId })).deltas).toEqual([]);
    const hist = await call(tc.core, 'stats.history', { serverId: serverIds[1]!, applicationId: appId, limit: 1 });
    expect(hist.items[0]!.stats!.services).toContainEqual({ name: 'worker', expected: 3, running: 3 });
  }, 120_000);

  it('a rollback restarts the services on the previous release', async () => {
    const run = await call(tc.core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'rollback', parallelism: 1 });
    const r = await tc.core.services.runs.settled(run.id);
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
    expect(r.steps.map((s) => s.key)).toEqual(['preflight', 'switch', 'restart', 'health', 'record']);
    for (const h of hs.hosts) {
      expect(await get(h.host, webPort + 1, '/VERSION')).toBe('v1b');
      expect(await counts(h)).toEqual({ web: 2, worker: 3 });
    }
  }, 60_000);
});
