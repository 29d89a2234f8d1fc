/**
 * The systemd side of the service manager, for real: a private systemd runs as PID 1 of its own
 * PID + mount (+ UTS, IPC) namespace — SYSTEMD_UNIT_PATH limited to a temp folder bind-mounted on
 * /etc/systemd/system, so it knows only the units Puesta writes. The provisioning scripts run
 * inside that namespace, where `ps -p 1` says systemd, so the detector picks systemd: template
 * units are verified, enabled and started (@1..@N), the backup gets a systemd timer, a second run
 * changes nothing, and scaling the worker 3 → 2 disables and stops worker@3.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Application, ApplicationFields } from '../../shared/contract/inventory.js';
import { parseResult, parseServiceStatus, parseStats, provisionSteps, serviceControlScript, serviceStatusScript, statsScript, type ProvisionOptions } from '../../electron/core/provision/index.js';
import { freePort } from '../hosts/index.js';

const prefix = `pd${randomBytes(3).toString('hex')}`;
const user = `${prefix}app`;
const base = `/srv/${prefix}`;
const slug = `sd-test-${prefix}`;
const CGROUP_ROOT = '/sys/fs/cgroup';

let T = '';
let boot: ChildProcess | null = null;
let pid1 = 0;
let webPort = 0;
let cgroupsBefore = new Set<string>();
const opts: ProvisionOptions = { database: false };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command inside the namespace of the private systemd (its mounts and its PID 1). */
function inNs(script: string): Run {
  const r = spawnSync('nsenter', ['-t', String(pid1), '-m', '-p', '-u', '-i', '--', '/bin/sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}
function must(script: string): string {
  const r = inNs(script);
  if (r.code !== 0) throw new Error(`failed (${r.code}): ${script.slice(0, 200)}\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  return r.stdout;
}

function makeApp(workers: number | null): Application {
  const now = new Date().toISOString();
  return Application.parse({
    ...ApplicationFields.parse({
      name: `SD test ${prefix}`,
      runtimeUser: user,
      basePath: base,
      sharedDirs: ['data'],
      services: [
        { name: 'web', kind: 'web', command: `exec /usr/bin/python3 -m http.server $((${webPort} + PUESTA_INSTANCE)) --bind 127.0.0.1`, instances: 2 },
        ...(workers === null ? [] : [{ name: 'worker', kind: 'worker', command: 'while :; do echo "tick $PUESTA_INSTANCE"; sleep 0.5; done', instances: workers }]),
      ],
      backupPolicy: { enabled: true, paths: ['shared/data'], databaseDump: false, schedule: 'hourly', retentionDays: 2, target: '' },
      monitoring: { healthUrl: `http://127.0.0.1:${webPort + 1}/`, metricsUrl: '' },
    }),
    id: 1,
    createdAt: now,
    updatedAt: now,
  });
}

function runSteps(app: Application): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const s of provisionSteps(app, opts)) {
    if (s.key === 'provision-services-start') must(`[ -e ${base}/current ] || { mkdir -p ${base}/releases/r1 && echo sd > ${base}/releases/r1/index.html && ln -sfn releases/r1 ${base}/current; }`);
    const r = inNs(s.script);
    if (r.code !== 0) throw new Error(`step ${s.key} failed (${r.code}):\n${r.stderr}\n${r.stdout.slice(-3000)}`);
    out[s.key] = parseResult(r.stdout);
  }
  return out;
}

/** cgroup folders (systemd-style names) under every mounted hierarchy. */
function cgroupDirs(): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4) return;
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e);
      if (!/\.(scope|slice|service|timer)$/.test(e)) continue;
      try {
        if (statSync(p).isDirectory()) {
          out.push(p);
          walk(p, depth + 1);
        }
      } catch {
        /* gone */
      }
    }
  };
  for (const h of readdirSync(CGROUP_ROOT)) walk(path.join(CGROUP_ROOT, h), 0);
  return out;
}

const isActive = (u: string) => inNs(`systemctl is-active --quiet ${u}`).code === 0;
const isEnabled = (u: string) => inNs(`systemctl is-enabled --quiet ${u}`).code === 0;

beforeAll(async () => {
  expect(process.getuid?.()).toBe(0);
  cgroupsBefore = new Set(cgroupDirs());
  webPort = 20000 + Math.floor(Math.random() * 20000);
  await freePort(); // loopback is usable
  T = mkdtempSync(path.join(os.tmpdir(), 'puesta-sd-'));
  chmodSync(T, 0o755);
  for (const d of ['units', 'srv', 'logrotate.d', 'cron.d']) mkdirSync(path.join(T, d), { mode: 0o755 });
  writeFileSync(path.join(T, 'units', 'puesta-test.target'), '[Unit]\nDescription=Puesta provisioning test\n');
  // the few standard targets a real system has and units refer to (default dependencies)
  for (const t of ['sysinit', 'basic', 'timers', 'multi-user', 'network-online', 'shutdown', 'time-set', 'time-sync']) {
    writeFileSync(path.join(T, 'units', `${t}.target`), `[Unit]\nDescription=${t} (test stand-in)\n`);
  }
  const bootScript = path.join(T, 'boot.sh');
  writeFileSync(
    bootScript,
    [
      'set -e',
      'mount --make-rprivate /',
      'mount -t tmpfs tmpfs /run',
      `mount --bind '${T}/units' /etc/systemd/system`,
      `mount --bind '${T}/srv' /srv`,
      `mount --bind '${T}/logrotate.d' /etc/logrotate.d`,
      `mount --bind '${T}/cron.d' /etc/cron.d`,
      'export SYSTEMD_UNIT_PATH=/etc/systemd/system',
      'exec /lib/systemd/systemd --system --unit=puesta-test.target --log-target=null',
    ].join('\n'),
  );
  boot = spawn('unshare', ['--pid', '--fork', '--mount', '--mount-proc', '--uts', '--ipc', '/bin/sh', bootScript], { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const child = spawnSync('pgrep', ['-P', String(boot.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    if (child) {
      pid1 = Number(child);
      const st = inNs('systemctl is-system-running 2>/dev/null').stdout.trim();
      if (st === 'running' || st === 'degraded') break;
    }
    if (Date.now() > deadline) throw new Error('the private systemd did not come up');
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(inNs('ps -p 1 -o comm=').stdout.trim()).toBe('systemd');
}, 60_000);

afterAll(async () => {
  if (pid1) spawnSync('kill', ['-KILL', String(pid1)]);
  if (boot && boot.exitCode === null) boot.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  spawnSync('userdel', [user]);
  spawnSync('groupdel', [user]);
  // the private systemd made cgroups in the shared hierarchies: remove the (now empty) new ones
  const fresh = cgroupDirs()
    .filter((d) => !cgroupsBefore.has(d))
    .sort((a, b) => b.length - a.length);
  for (const d of fresh) spawnSync('rmdir', [d]);
  if (T) rmSync(T, { recursive: true, force: true });
}, 30_000);

describe('provisioning with systemd as PID 1', () => {
  it('installs template units, enables and starts @1..@N, a backup timer; re-run unchanged; scaling converges', async () => {
    const first = runSteps(makeApp(3));
    for (const [k, v] of Object.entries(first)) expect(`${k}: ${v}`).toBe(`${k}: changed`);

    for (const u of [`puesta-${slug}-web@1.service`, `puesta-${slug}-web@2.service`, `puesta-${slug}-worker@1.service`, `puesta-${slug}-worker@2.service`, `puesta-${slug}-worker@3.service`]) {
      expect(isEnabled(u), u).toBe(true);
      expect(isActive(u), u).toBe(true);
    }
    expect(must(`readlink /etc/systemd/system/multi-user.target.wants/puesta-${slug}-web@2.service`).trim()).toMatch(new RegExp(`puesta-${slug}-web@\\.service$`));
    expect(must(`systemctl show -p User --value puesta-${slug}-worker@1.service`).trim()).toBe(user);
    const res = await fetch(`http://127.0.0.1:${webPort + 2}/index.html`);
    expect(await res.text()).toBe('sd\n');
    // systemd appends each instance's output to its own log under <base>/logs
    await new Promise((r) => setTimeout(r, 700));
    expect(must(`cat ${base}/logs/worker-3.log`)).toContain('tick 3');
    // backup timer instead of cron
    expect(isActive(`puesta-${slug}-backup.timer`)).toBe(true);
    expect(isEnabled(`puesta-${slug}-backup.timer`)).toBe(true);
    expect(must('ls /etc/cron.d')).not.toContain(slug);
    must(`systemctl start puesta-${slug}-backup.service`);
    expect(must(`ls ${base}/backups`)).toMatch(new RegExp(`^${slug}-\\d{8}T\\d{6}Z\\.tar$`, 'm'));

    const stats = parseStats(must(statsScript(makeApp(3))));
    expect(stats.services).toEqual([
      { name: 'web', expected: 2, running: 2 },
      { name: 'worker', expected: 3, running: 3 },
    ]);

    // start / stop / restart / status through the same detector
    const pidW = must(`systemctl show -p MainPID --value puesta-${slug}-web@1.service`);
    must(serviceControlScript(makeApp(3), 'restart', 'web'));
    expect(must(`systemctl show -p MainPID --value puesta-${slug}-web@1.service`)).not.toBe(pidW);
    must(serviceControlScript(makeApp(3), 'stop', 'worker'));
    expect(parseServiceStatus(must(serviceStatusScript(makeApp(3))))).toEqual([
      { name: 'web', expected: 2, running: 2 },
      { name: 'worker', expected: 3, running: 0 },
    ]);
    must(serviceControlScript(makeApp(3), 'start'));
    expect(parseServiceStatus(must(serviceStatusScript(makeApp(3))))[1]).toEqual({ name: 'worker', expected: 3, running: 3 });

    const pidsBefore = must(`systemctl show -p MainPID --value puesta-${slug}-web@1.service`);
    const again = runSteps(makeApp(3));
    for (const [k, v] of Object.entries(again)) expect(`${k}: ${v}`).toBe(`${k}: unchanged`);
    expect(must(`systemctl show -p MainPID --value puesta-${slug}-web@1.service`)).toBe(pidsBefore);

    // scale the worker down: @3 stopped and disabled, @1 @2 untouched
    const down = runSteps(makeApp(2));
    expect(down['provision-services']).toBe('changed');
    expect(isActive(`puesta-${slug}-worker@3.service`)).toBe(false);
    expect(isEnabled(`puesta-${slug}-worker@3.service`)).toBe(false);
    expect(isActive(`puesta-${slug}-worker@2.service`)).toBe(true);
    const third = runSteps(makeApp(2));
    for (const [k, v] of Object.entries(third)) expect(`${k}: ${v}`).toBe(`${k}: unchanged`);
    expect(parseStats(must(statsScript(makeApp(2)))).services[1]).toEqual({ name: 'worker', expected: 2, running: 2 });

    // the worker leaves the inventory: its instances stop, its unit file goes, web is untouched
    const webPid = must(`systemctl show -p MainPID --value puesta-${slug}-web@1.service`);
    expect(runSteps(makeApp(null))['provision-services']).toBe('changed');
    expect(must('ls /etc/systemd/system')).not.toContain(`puesta-${slug}-worker@.service`);
    expect(isActive(`puesta-${slug}-worker@1.service`)).toBe(false);
    expect(isEnabled(`puesta-${slug}-worker@2.service`)).toBe(false);
    expect(must(`systemctl show -p MainPID --value puesta-${slug}-web@1.service`)).toBe(webPid);
    for (const [k, v] of Object.entries(runSteps(makeApp(null)))) expect(`${k}: ${v}`).toBe(`${k}: unchanged`);
  });
});
