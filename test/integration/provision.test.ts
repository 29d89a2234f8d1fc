/**
 * The provisioning steps of a new-application install, RUN for real as root on this machine and
 * inspected afterwards: a runtime user, the directory layout, a logrotate file (and a forced
 * rotation of a real log), services under a real supervisord (web ×2 serving HTTP, worker ×3),
 * a PostgreSQL role + database in a private PostgreSQL 15, a backup that restores into a scratch
 * folder and a scratch database with identical content, and the monitoring collector's JSON.
 * Then everything runs again and each step reports "unchanged"; then the worker count goes
 * 3 → 2, the upgrade review shows it and re-running converges to 2 processes.
 *
 * Isolation: every script runs inside one private mount namespace (a long-lived `unshare -m`)
 * where /srv, /etc/logrotate.d, /etc/cron.d and /etc/supervisor/conf.d are bind mounts of temp
 * folders, so the scripts use the real default paths without touching the machine's own. The
 * runtime user is real (unique test prefix) and deleted at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Application, ApplicationFields } from '../../shared/contract/inventory.js';
import {
  DEFAULT_PATHS,
  parseBackupArchive,
  parseResult,
  parseStats,
  provisionSteps,
  recordSnapshot,
  restoreScript,
  reviewUpgrade,
  runBackupScript,
  statsScript,
  type ProvisionOptions,
  type ProvisionPaths,
} from '../../electron/core/provision/index.js';
import { freePort } from '../hosts/index.js';
import { makeCore, type TestCore } from '../helpers/core.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const prefix = `pt${randomBytes(3).toString('hex')}`;
const user = `${prefix}app`;
const base = `/srv/${prefix}`;
const DB_PASSWORD = `s3cr'et "${prefix}" $HOME \\ %s`;

let T = '';
let ns: ChildProcess | null = null;
let pgData = '';
let pgSock = '';
let pgPort = 0;
let webPort = 0;
let tc: TestCore;
let app: Application;
let opts: ProvisionOptions;
let paths: ProvisionPaths;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a shell command as root inside the test's mount namespace. */
function inNs(script: string, input = ''): Run {
  const r = spawnSync('nsenter', ['-t', String(ns!.pid), '-m', '--', '/bin/sh', '-c', script], { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function must(script: string, input = ''): string {
  const r = inNs(script, input);
  if (r.code !== 0) throw new Error(`failed (${r.code}): ${script.slice(0, 200)}\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  return r.stdout;
}

function host(cmd: string, args: string[], input = ''): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const psql = (sql: string, db = 'postgres') =>
  must(`runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -h '${pgSock}' -p ${pgPort} -U postgres -d ${db} -c "${sql.replace(/"/g, '\\"')}"`).trim();

/** Runs every step (stdin: the DB password for the database step); returns step key → result. */
function runSteps(a: Application, phase?: 'before-release' | 'after-release'): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const s of provisionSteps(a, opts)) {
    if (phase && s.phase !== phase) continue;
    const r = inNs(s.script, s.stdinSecret ? DB_PASSWORD + '\n' : '');
    if (r.code !== 0) throw new Error(`step ${s.key} failed (${r.code}):\n${r.stderr}\n${r.stdout.slice(-3000)}`);
    expect(r.stdout + r.stderr).not.toContain(DB_PASSWORD);
    out[s.key] = parseResult(r.stdout);
  }
  return out;
}

function supervisorCounts(): Record<string, number> {
  const r = inNs(`${paths.supervisorctl.join(' ')} status`);
  const counts: Record<string, number> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^puesta-[a-z0-9-]+?-(web|worker):\S+\s+RUNNING/.exec(line);
    if (m) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
  }
  return counts;
}

async function waitFor<T>(fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  expect(process.getuid?.(), 'the provisioning test runs scripts as root').toBe(0);
  T = mkdtempSync(path.join(os.tmpdir(), 'puesta-prov-'));
  chmodSync(T, 0o755);
  for (const d of ['srv', 'logrotate.d', 'cron.d', 'supervisor-conf.d', 'sup', 'pgsock', 'restore']) mkdirSync(path.join(T, d), { recursive: true, mode: 0o755 });
  pgSock = path.join(T, 'pgsock');

  // The private mount namespace every script runs in.
  ns = spawn('unshare', ['-m', '--propagation', 'private', 'sleep', '3600'], { stdio: 'ignore' });
  await waitFor(() => (host('nsenter', ['-t', String(ns!.pid), '-m', 'true']).code === 0 && host('readlink', [`/proc/${ns!.pid}/exe`]).stdout.includes('sleep') ? true : undefined));
  must(
    [
      `mount --bind '${T}/srv' /srv`,
      `mount --bind '${T}/logrotate.d' /etc/logrotate.d`,
      `mount --bind '${T}/cron.d' /etc/cron.d`,
      `mount --bind '${T}/supervisor-conf.d' /etc/supervisor/conf.d`,
    ].join(' && '),
  );

  // A private supervisord (no systemd as PID 1 here), including the real conf.d path.
  const supConf = path.join(T, 'sup', 'supervisord.conf');
  writeFileSync(
    supConf,
    `[unix_http_server]\nfile=${T}/sup/sock\nchmod=0700\n[supervisord]\nlogfile=${T}/sup/supervisord.log\npidfile=${T}/sup/supervisord.pid\nchildlogdir=${T}/sup\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[supervisorctl]\nserverurl=unix://${T}/sup/sock\n[include]\nfiles = /etc/supervisor/conf.d/*.conf\n`,
  );
  must(`supervisord -c '${supConf}'`);
  paths = { ...DEFAULT_PATHS, supervisorctl: ['supervisorctl', '-c', supConf] };

  // A private PostgreSQL 15: local socket trusted, TCP needs the password (so the test can prove it).
  pgPort = await freePort();
  pgData = path.join(T, 'pgdata');
  mkdirSync(pgData, { mode: 0o700 });
  host('chown', ['postgres:postgres', pgData, pgSock]);
  const init = host('runuser', ['-u', 'postgres', '--', `${PG_BIN}/initdb`, '-D', pgData, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8']);
  expect(init.code, init.stderr).toBe(0);
  const start = host('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', pgData, '-l', path.join(pgData, 'log'), '-w', '-o', `-p ${pgPort} -k ${pgSock} -c listen_addresses=127.0.0.1 -c fsync=off -c log_statement=all`, 'start']);
  expect(start.code, start.stderr + start.stdout).toBe(0);

  webPort = 20000 + Math.floor(Math.random() * 20000);
  tc = makeCore();
  const created = tc.core.inventory.applications.create(
    ApplicationFields.parse({
      name: `Prov Test ${prefix}`,
      runtimeUser: user,
      basePath: base,
      sharedDirs: ['uploads', 'cache/tmp'],
      sharedFiles: ['.env'],
      services: [
        { name: 'web', kind: 'web', command: `exec /usr/bin/python3 -m http.server $((${webPort} + PUESTA_INSTANCE)) --bind 127.0.0.1`, instances: 2 },
        { name: 'worker', kind: 'worker', command: 'while :; do echo "tick $PUESTA_INSTANCE $(date +%s)"; sleep 0.5; done', instances: 3 },
      ],
      logRotation: { frequency: 'daily', maxSize: '10M', keep: 7, compress: true, copyTruncate: true },
      backupPolicy: { enabled: true, paths: ['shared/uploads', 'shared/.env'], databaseDump: true, schedule: 'daily', retentionDays: 7, target: '' },
      monitoring: { healthUrl: `http://127.0.0.1:${webPort + 1}/`, metricsUrl: '' },
    }),
    'test',
  );
  app = Application.parse(created);
  host('groupadd', ['--system', `${prefix}g`]);
  opts = { paths, database: { host: pgSock, port: pgPort }, user: { groups: [`${prefix}g`] } };
}, 120_000);

afterAll(async () => {
  if (ns?.pid) {
    inNs(`${paths?.supervisorctl.join(' ') ?? 'true'} shutdown >/dev/null 2>&1; sleep 0.3; pkill -u ${user} 2>/dev/null; true`);
  }
  if (pgData) host('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', pgData, '-m', 'immediate', 'stop']);
  if (ns && ns.exitCode === null) ns.kill('SIGKILL');
  host('userdel', [user]);
  host('groupdel', [user]);
  host('groupdel', [`${prefix}g`]);
  if (T) rmSync(T, { recursive: true, force: true });
  await tc?.cleanup();
}, 60_000);

describe('provisioning a new application on a real host', () => {
  it('first install creates everything; the second changes nothing; a new worker count converges', async () => {
    // ---------------------------------------------------------------- first install
    const first = runSteps(app, 'before-release');
    expect(first).toEqual({
      'provision-user': 'changed',
      'provision-layout': 'changed',
      'provision-logrotate': 'changed',
      'provision-services': 'changed',
      'provision-database': 'changed',
      'provision-backup': 'changed',
    });
    // what the release upload + switch does in a real run
    must(`mkdir -p ${base}/releases/r1 && echo 'hello from r1' > ${base}/releases/r1/index.html && ln -sfn releases/r1 ${base}/current && chown -R ${user}:${user} ${base}/releases/r1`);
    const after = runSteps(app, 'after-release');
    expect(after).toEqual({ 'provision-services-start': 'changed', 'provision-monitoring': 'changed' });

    // ---------------------------------------------------------------- inspect: user
    const pw = host('getent', ['passwd', user]).stdout.trim().split(':');
    expect(pw[0]).toBe(user);
    expect(pw[5]).toBe(base);
    expect(pw[6]).toBe('/usr/sbin/nologin');
    expect(Number(pw[2])).toBeLessThan(1000); // --system
    const uid = pw[2];
    expect(host('id', ['-nG', user]).stdout.trim().split(' ')).toEqual([user, `${prefix}g`]);

    // ---------------------------------------------------------------- inspect: layout
    const st = (p: string) => must(`stat -c '%F %a %U:%G' '${p}'`).trim();
    expect(st(base)).toBe(`directory 755 ${user}:${user}`);
    expect(st(`${base}/releases`)).toBe(`directory 755 ${user}:${user}`);
    expect(st(`${base}/shared`)).toBe(`directory 750 ${user}:${user}`);
    expect(st(`${base}/shared/uploads`)).toBe(`directory 750 ${user}:${user}`);
    expect(st(`${base}/shared/cache/tmp`)).toBe(`directory 750 ${user}:${user}`);
    expect(st(`${base}/shared/.env`)).toBe(`regular empty file 640 ${user}:${user}`);
    expect(st(`${base}/logs`)).toBe(`directory 750 ${user}:${user}`);
    expect(st(`${base}/bin`)).toBe('directory 755 root:root');
    expect(st(`${base}/bin/backup.sh`)).toBe('regular file 750 root:root');
    // nothing else appeared under /srv or in the machine's own /etc/logrotate.d
    expect(must('ls -A /srv').trim().split('\n')).toEqual([prefix]);
    expect(host('ls', ['/etc/logrotate.d']).stdout).not.toContain(prefix);

    // ---------------------------------------------------------------- inspect: services
    expect(supervisorCounts()).toEqual({ web: 2, worker: 3 });
    for (const i of [1, 2]) {
      const res = await fetch(`http://127.0.0.1:${webPort + i}/index.html`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('hello from r1');
    }
    // processes run as the runtime user, in <base>/current
    const owners = must(`ps -o user= -u ${uid} | sort | uniq -c`).trim();
    expect(owners).toMatch(new RegExp(`\\d+ (${user}|${uid})`));
    await waitFor(() => (must(`cat ${base}/logs/worker-3.log 2>/dev/null || true`).includes('tick 3') ? true : undefined));

    // ---------------------------------------------------------------- inspect: logrotate (validated + forced rotation of a real log)
    const lr = `/etc/logrotate.d/puesta-prov-test-${prefix}`;
    expect(st(lr)).toBe('regular file 644 root:root');
    expect(must(`cat ${lr}`)).toContain(`${base}/logs/*.log {`);
    must(`logrotate -d ${lr}`);
    const before = Number(must(`stat -c %s ${base}/logs/worker-1.log`).trim());
    expect(before).toBeGreaterThan(0);
    must(`logrotate -f -s '${T}/logrotate.state' ${lr}`);
    expect(must(`ls ${base}/logs`)).toContain('worker-1.log.1.gz');
    expect(must(`zcat ${base}/logs/worker-1.log.1.gz`)).toContain('tick 1');
    expect(Number(must(`stat -c %s ${base}/logs/worker-1.log`).trim())).toBeLessThan(before);

    // ---------------------------------------------------------------- inspect: PostgreSQL role + database, password never leaked
    expect(psql(`SELECT rolcanlogin FROM pg_roles WHERE rolname = '${user}'`)).toBe('t');
    expect(psql(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${user}'`)).toBe(user);
    const login = host('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(pgPort), '-U', user, '-d', user, '-c', 'SELECT current_user'], '');
    expect(login.code).not.toBe(0); // no password → refused (scram over TCP)
    const ok = spawnSync('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(pgPort), '-U', user, '-d', user, '-c', 'SELECT current_user'], {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: DB_PASSWORD },
    });
    expect(ok.stdout.trim(), ok.stderr).toBe(user);
    const bad = spawnSync('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(pgPort), '-U', user, '-d', user, '-c', 'SELECT 1'], {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: 'wrong' },
    });
    expect(bad.status).not.toBe(0);
    // the server logs every statement (log_statement=all) — but not the password
    expect(must(`cat '${pgData}/log'`)).not.toContain(`s3cr''et`);
    for (const s of provisionSteps(app, opts)) expect(s.script).not.toContain('s3cr');

    // ---------------------------------------------------------------- backup: run once, restore into a scratch dir + scratch db, compare
    const cron = must(`cat /etc/cron.d/puesta-prov-test-${prefix}`);
    expect(cron).toMatch(new RegExp(`^\\d+ \\d+ \\* \\* \\* root /bin/sh ${base}/bin/backup.sh >> ${base}/logs/backup.log 2>&1$`, 'm'));
    must(`printf 'a file\\n' > ${base}/shared/uploads/a.txt && mkdir -p ${base}/shared/uploads/sub && head -c 5000 /dev/urandom > ${base}/shared/uploads/sub/b.bin && echo 'KEY=v' > ${base}/shared/.env`);
    psql(`CREATE TABLE items (id int primary key, label text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g`, user);
    const b = inNs(runBackupScript(app));
    expect(b.code, b.stderr).toBe(0);
    const archive = parseBackupArchive(b.stdout);
    expect(archive).toMatch(new RegExp(`^${base}/backups/prov-test-${prefix}-\\d{8}T\\d{6}Z\\.tar$`));
    expect(st(`${base}/backups`)).toBe('directory 700 root:root');
    const scratchDb = `${prefix}_restore`;
    const rs = inNs(restoreScript(app, archive!, { dir: `${T}/restore`, database: { database: scratchDb, host: pgSock, port: pgPort } }));
    expect(rs.code, rs.stderr).toBe(0);
    expect(rs.stdout).toContain('PUESTA_RESTORED');
    expect(host('diff', ['-r', `${T}/restore/shared/uploads`, `${base.replace('/srv', `${T}/srv`)}/shared/uploads`]).code).toBe(0);
    expect(must(`cat '${T}/restore/shared/.env'`)).toBe('KEY=v\n');
    const sum = (db: string) => psql(`SELECT count(*) || ':' || md5(string_agg(id || label, ',' ORDER BY id)) FROM items`, db);
    expect(sum(scratchDb)).toBe(sum(user));
    // a damaged archive is refused
    must(`cp '${archive}' '${T}/broken.tar' && mkdir -p '${T}/x' && tar -xf '${T}/broken.tar' -C '${T}/x' && echo junk >> '${T}/x/MANIFEST' && tar -cf '${T}/broken.tar' -C '${T}/x' .`);
    expect(inNs(restoreScript(app, `${T}/broken.tar`, { dir: `${T}/restore2` })).code).not.toBe(0);

    // ---------------------------------------------------------------- monitoring JSON
    const stats = parseStats(must(statsScript(app, { paths })), `http://127.0.0.1:${webPort + 1}/`);
    expect(stats.services).toEqual([
      { name: 'web', expected: 2, running: 2 },
      { name: 'worker', expected: 3, running: 3 },
    ]);
    expect(stats.health).toMatchObject({ status: 200, ok: true });
    expect(stats.memory.totalKb).toBeGreaterThan(0);
    expect(stats.disk.totalKb).toBeGreaterThan(0);
    expect(stats.load).toHaveLength(3);

    // ---------------------------------------------------------------- second run: everything already in place
    const pids = must(`${paths.supervisorctl.join(' ')} status | awk '{print $4}'`);
    const again = runSteps(app);
    for (const [k, v] of Object.entries(again)) expect(`${k}: ${v}`).toBe(`${k}: unchanged`);
    expect(must(`${paths.supervisorctl.join(' ')} status | awk '{print $4}'`)).toBe(pids); // nothing restarted
    expect(host('id', ['-u', user]).stdout.trim()).toBe(uid);

    // ---------------------------------------------------------------- upgrade review: worker 3 → 2, then converge
    recordSnapshot(tc.core, app, { kind: 'install' });
    tc.core.inventory.applications.update(app.id, { ...tc.core.inventory.applications.get(app.id), services: app.services.map((s) => (s.name === 'worker' ? { ...s, instances: 2 } : s)) }, 'test');
    const app2 = Application.parse(tc.core.inventory.applications.get(app.id));
    const review = reviewUpgrade(tc.core, app2);
    expect(review.firstInstall).toBe(false);
    expect(review.deltas).toEqual([{ kind: 'scale', what: 'worker instances', before: '3', after: '2', action: 'stop 1 instance(s)' }]);
    const conv = runSteps(app2);
    expect(conv['provision-services']).toBe('changed');
    expect(conv['provision-services-start']).toBe('unchanged');
    expect(conv['provision-user']).toBe('unchanged');
    expect(supervisorCounts()).toEqual({ web: 2, worker: 2 });
    const third = runSteps(app2);
    for (const [k, v] of Object.entries(third)) expect(`${k}: ${v}`).toBe(`${k}: unchanged`);
    recordSnapshot(tc.core, app2, { kind: 'upgrade' });
    expect(reviewUpgrade(tc.core, app2).deltas).toEqual([]);

    // the worker leaves the inventory: the review says so, the program goes, web keeps running
    tc.core.inventory.applications.update(app.id, { ...tc.core.inventory.applications.get(app.id), services: app2.services.filter((s) => s.name !== 'worker') }, 'test');
    const app3 = Application.parse(tc.core.inventory.applications.get(app.id));
    expect(reviewUpgrade(tc.core, app3).deltas).toEqual([
      { kind: 'service', what: 'worker service worker', before: expect.stringContaining('2 × while'), after: null, action: 'stop every instance and remove its unit/program' },
    ]);
    const webPids = must(`${paths.supervisorctl.join(' ')} status 'puesta-prov-test-${prefix}-web:*' | awk '{print $4}'`);
    expect(runSteps(app3)['provision-services']).toBe('changed');
    expect(supervisorCounts()).toEqual({ web: 2 });
    expect(must(`${paths.supervisorctl.join(' ')} status 'puesta-prov-test-${prefix}-web:*' | awk '{print $4}'`)).toBe(webPids);
    for (const [k, v] of Object.entries(runSteps(app3))) expect(`${k}: ${v}`).toBe(`${k}: unchanged`);
  });
});
