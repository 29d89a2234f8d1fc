/**
 * Rendering of the provisioning scripts: hostile inventory values are refused or quoted (proved by
 * running the generated shell for real), unit files pass `systemd-analyze verify`, logrotate files
 * pass `logrotate -d`, schedules convert to cron and OnCalendar (checked by systemd-analyze
 * calendar), every script parses (`sh -n`) and stays within the checklist's command size.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Application, ApplicationFields } from '../../shared/contract/inventory.js';
import { ChecklistStep } from '../../shared/contract/runs.js';
import { PuestaError } from '../../shared/errors.js';
import {
  appSlug,
  backupStep,
  diffSnapshots,
  frame,
  layoutOf,
  logrotateStep,
  parseResult,
  parseSchedule,
  parseServiceStatus,
  parseStats,
  postgresStep,
  provisionSteps,
  putFile,
  renderBackupScript,
  renderLogrotate,
  renderUnit,
  renderWrapper,
  servicesStep,
  snapshotOf,
  statsScript,
  supervisorManager,
  systemdManager,
  templateSafe,
  userStep,
  DEFAULT_PATHS,
} from '../../electron/core/provision/index.js';
import { render } from '../../electron/core/runs/template.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'puesta-prov-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function makeApp(over: Record<string, unknown> = {}): Application {
  const now = new Date().toISOString();
  return Application.parse({
    ...ApplicationFields.parse({
      name: 'Shop',
      runtimeUser: 'shop',
      basePath: '/srv/shop',
      sharedDirs: ['storage', 'log/archive'],
      sharedFiles: ['.env'],
      services: [
        { name: 'web', kind: 'web', command: 'exec bin/server --port $((8000 + PUESTA_INSTANCE))', instances: 2 },
        { name: 'worker', kind: 'worker', command: 'exec bin/worker', instances: 3 },
      ],
      backupPolicy: { enabled: true, paths: ['shared/storage'], databaseDump: true, schedule: 'daily', retentionDays: 14, target: '' },
      monitoring: { healthUrl: 'http://127.0.0.1:8001/health', metricsUrl: '' },
      ...over,
    }),
    id: 7,
    createdAt: now,
    updatedAt: now,
  });
}

const HOSTILE = [
  `'; rm -rf / #`,
  '$(touch /tmp/puesta-pwned)',
  '`id`',
  'a\nb\r\nc',
  '{{app.name}} {{ release.path }} {{{x}}}',
  '%s %n %(program_name)s',
  '"double" \\back\\slash',
  'ünïcødé ✓',
];

function sh(script: string, input = ''): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', input });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('hostile values', () => {
  it('paths and names that cannot be written safely into unit/INI/cron files are refused with INVALID_INPUT', () => {
    for (const basePath of ['/srv/my app', "/srv/it's", '/srv/a%b', '/srv/x\ny', '/srv/$(id)', '/']) {
      const app = makeApp();
      app.basePath = basePath;
      let err: unknown;
      try {
        provisionSteps(app);
      } catch (e) {
        err = e;
      }
      expect(err, basePath).toBeInstanceOf(PuestaError);
      expect((err as PuestaError).code).toBe('INVALID_INPUT');
    }
    const bad = makeApp();
    bad.sharedDirs = ['ok', 'bad dir'];
    expect(() => provisionSteps(bad)).toThrow(/cannot be provisioned/);
    const badTarget = makeApp();
    badTarget.backupPolicy.target = 's3://bucket';
    expect(() => backupStep(badTarget)).toThrow(/absolute folder/);
  });

  it('a hostile application name becomes a safe slug (units, programs, files)', () => {
    expect(appSlug({ name: `Shop'; rm -rf / # {{x}}`, id: 3 })).toBe('shop-rm-rf-x');
    expect(appSlug({ name: '✓✓✓', id: 3 })).toBe('app-3');
    const app = makeApp({ name: `Shop'; $(id) \`x\`` });
    const l = layoutOf(app);
    expect(l.slug).toMatch(/^[a-z0-9-]+$/);
    for (const f of [...systemdManager.render(app, l, DEFAULT_PATHS), ...supervisorManager.render(app, l, DEFAULT_PATHS)]) expect(f.path).toMatch(/^[A-Za-z0-9._/@+-]+$/);
  });

  it('hostile commands and file contents arrive byte-identical through put_file, with no side effect', () => {
    for (const [i, value] of HOSTILE.entries()) {
      const dest = path.join(tmp, `f${i}`);
      const r = sh(frame(putFile(dest, '640', 'root:root', value)));
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(dest, 'utf8')).toBe(value);
      expect(parseResult(r.stdout)).toBe('changed');
      // again: nothing to do
      expect(parseResult(sh(frame(putFile(dest, '640', 'root:root', value))).stdout)).toBe('unchanged');
    }
    expect(existsSync('/tmp/puesta-pwned')).toBe(false);
    // a service command is data in its wrapper
    const app = makeApp({ services: [{ name: 'web', kind: 'web', command: HOSTILE.join('\n'), instances: 1 }] });
    const wrapper = renderWrapper(app, layoutOf(app), 'web');
    expect(wrapper).toContain(HOSTILE.join('\n'));
    expect(() => renderWrapper(makeApp({ services: [{ name: 'web', kind: 'web', command: 'a\0b', instances: 1 }] }), layoutOf(app), 'web')).toThrow(/NUL/);
  });

  it('templateSafe keeps the checklist renderer from touching {{…}} inside values, and the shell still sees the same bytes', () => {
    const dest = path.join(tmp, 'tpl');
    const value = 'x {{app.name}} y {{{z}}} {{ run.id }}';
    const script = templateSafe(frame(putFile(dest, '644', 'root:root', value)));
    expect(script).not.toMatch(/\{\{/);
    // the runs engine renders step commands: nothing to substitute, nothing unknown
    expect(render(script, {}, 'shell')).toBe(script);
    expect(sh(script).code).toBe(0);
    expect(readFileSync(dest, 'utf8')).toBe(value);
  });

  it('the database password is never in any script', () => {
    for (const s of provisionSteps(makeApp())) {
      expect(s.script).not.toMatch(/PASSWORD '[^%]/);
      expect(s.sudo).toBe(true);
    }
    const db = provisionSteps(makeApp()).find((s) => s.key === 'provision-database')!;
    expect(db.stdinSecret).toBe('application:7:db-password');
    expect(db.script).toContain('read -r PUESTA_PW');
    expect(() => postgresStep(makeApp(), { role: 'Robert"); DROP' })).toThrow(/not allowed/);
  });
});

describe('rendered files are accepted by the real tools', () => {
  const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;

  it('systemd units pass systemd-analyze verify (and a broken one does not)', () => {
    expect(hasSystemd, 'systemd-analyze is installed by scripts/setup-system.sh (package systemd)').toBe(true);
    const app = makeApp({ name: `Weird "name" {{x}}` });
    const l = layoutOf(app);
    const dir = mkdtempSync(path.join(tmp, 'units-'));
    for (const s of app.services) {
      writeFileSync(path.join(dir, `puesta-${l.slug}-${s.name}@.service`), renderUnit(l, s));
      const r = spawnSync('systemd-analyze', ['verify', path.join(dir, `puesta-${l.slug}-${s.name}@1.service`)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toContain(`puesta-${l.slug}`);
    }
    writeFileSync(path.join(dir, 'broken@.service'), '[Service]\nExecStart=relative/path\n');
    const bad = spawnSync('systemd-analyze', ['verify', path.join(dir, 'broken@1.service')], { encoding: 'utf8' });
    expect(bad.status !== 0 || bad.stderr.includes('broken@')).toBe(true);
  });

  it('logrotate files (copytruncate and postrotate variants) pass logrotate -d', () => {
    for (const copyTruncate of [true, false]) {
      for (const maxSize of [null, '100M']) {
        const app = makeApp({ runtimeUser: 'root', logRotation: { frequency: 'weekly', maxSize, keep: 9, compress: !copyTruncate, copyTruncate } });
        const file = path.join(tmp, `lr-${copyTruncate}-${maxSize}`);
        const content = renderLogrotate(app);
        writeFileSync(file, content);
        chmodSync(file, 0o644);
        const r = spawnSync('logrotate', ['-d', '-s', path.join(tmp, 'lr.state'), file], { encoding: 'utf8' });
        expect(r.status, r.stderr + r.stdout).toBe(0);
        expect(content).toContain('rotate 9');
        expect(content).toContain(copyTruncate ? 'copytruncate' : 'postrotate');
        if (maxSize) expect(content).toContain('maxsize 100M');
      }
    }
    expect(logrotateStep(makeApp()).touches).toEqual(['/etc/logrotate.d/puesta-shop']);
  });

  it('supervisor config: one program per service with numprocs = instances, none at 0', () => {
    const app = makeApp({
      services: [
        { name: 'web', kind: 'web', command: 'x', instances: 2 },
        { name: 'worker', kind: 'worker', command: 'y', instances: 0 },
      ],
    });
    const [f] = supervisorManager.render(app, layoutOf(app), DEFAULT_PATHS);
    expect(f!.path).toBe('/etc/supervisor/conf.d/puesta-shop.conf');
    expect(f!.content).toContain('[program:puesta-shop-web]\ncommand=/bin/sh /srv/shop/bin/puesta-web\nprocess_name=%(program_name)s_%(process_num)02d\nnumprocs=2');
    expect(f!.content).toContain('directory=/srv/shop/current\nuser=shop');
    expect(f!.content).toContain('stdout_logfile=/srv/shop/logs/web-%(process_num)d.log');
    expect(f!.content).not.toContain('worker');
  });

  it('schedules: keywords, HH:MM and cron lines convert to OnCalendar that systemd accepts; nonsense is refused', () => {
    const cases: [string, RegExp][] = [
      ['hourly', /^\d+ \* \* \* \*$/],
      ['daily', /^\d+ \d+ \* \* \*$/],
      ['weekly', /^\d+ \d+ \* \* 0$/],
      ['monthly', /^\d+ \d+ 1 \* \*$/],
      ['02:30', /^30 2 \* \* \*$/],
      ['*/15 1-5 * * 1-5', /^\*\/15 1-5 \* \* 1-5$/],
      ['0 3 1,15 * 0', /^0 3 1,15 \* 0$/],
    ];
    for (const [s, cron] of cases) {
      const r = parseSchedule(s, 'shop');
      expect(r.cron, s).toMatch(cron);
      const c = spawnSync('systemd-analyze', ['calendar', r.onCalendar], { encoding: 'utf8' });
      expect(c.status, `${s} → ${r.onCalendar}: ${c.stderr}`).toBe(0);
    }
    expect(parseSchedule('daily', 'shop')).toEqual(parseSchedule('daily', 'shop'));
    for (const bad of ['every day', '61 * * * *', '* * * *', 'L W * * *', '0 0 * * MON#2']) expect(() => parseSchedule(bad, 'x'), bad).toThrow(PuestaError);
  });
});

describe('scripts', () => {
  const app = makeApp();
  const steps = provisionSteps(app);

  it('the steps come in their order, each in its phase', () => {
    expect(steps.map((s) => s.key)).toEqual([
      'provision-user',
      'provision-layout',
      'provision-logrotate',
      'provision-services',
      'provision-database',
      'provision-backup',
      'provision-services-start',
      'provision-monitoring',
    ]);
    expect(steps.map((s) => s.phase)).toEqual(['before-release', 'before-release', 'before-release', 'before-release', 'before-release', 'before-release', 'after-release', 'after-release']);
  });

  describe.each(steps)('$key', (s) => {
    it('parses (sh -n)', () => {
      const r = spawnSync('/bin/sh', ['-n', '-c', s.script], { encoding: 'utf8' });
      expect(r.status, `${s.key}: ${r.stderr}`).toBe(0);
    });
    it('starts with set -eu', () => {
      expect(s.script).toMatch(/^set -eu\n/);
    });
    it('ends with a PUESTA_RESULT line', () => {
      expect(s.script.trimEnd().split('\n').at(-1)).toContain("PUESTA_RESULT unchanged'; fi");
    });
    it('fits the checklist command limit', () => {
      // the runs engine stores the command in a ChecklistStep
      expect(() => ChecklistStep.parse({ key: s.key, title: s.title, command: s.script, sudo: s.sudo })).not.toThrow();
    });
  });

  it('the backup script parses and dumps with pg_dump -Fc', () => {
    const bs = renderBackupScript(app);
    expect(spawnSync('/bin/sh', ['-n', '-c', bs]).status).toBe(0);
    expect(bs).toContain('pg_dump -Fc');
  });

  it('an application without a database has no database step', () => {
    expect(provisionSteps(app, { database: false }).map((s) => s.key)).not.toContain('provision-database');
  });

  it('under supervisor the services step never calls systemctl', () => {
    expect(servicesStep(app, { manager: 'supervisor' }).script).not.toContain('systemctl');
  });

  it('the stats collector runs here and its JSON parses into typed stats', () => {
    const host = parseStats(sh(statsScript(null)).stdout);
    expect(host.memory.totalKb).toBeGreaterThan(1000);
    expect(host.disk.path).toBe('/');
    expect(host.services).toEqual([]);
    expect(host.health).toBeNull();
    // with an application whose services are not running and whose health URL answers nothing
    const app = makeApp({ monitoring: { healthUrl: 'http://127.0.0.1:9/', metricsUrl: '' } });
    const s = parseStats(sh(statsScript(app, { manager: 'supervisor', paths: { ...DEFAULT_PATHS, supervisorctl: ['supervisorctl', '-c', '/nonexistent.conf'] } })).stdout, 'http://127.0.0.1:9/');
    expect(s.services).toEqual([
      { name: 'web', expected: 2, running: 0 },
      { name: 'worker', expected: 3, running: 0 },
    ]);
    expect(s.health).toMatchObject({ url: 'http://127.0.0.1:9/', status: 0, ok: false });
    expect(() => parseStats('nothing')).toThrow(/PUESTA_STATS/);
    expect(parseServiceStatus('PUESTA_SERVICE web 2 1\nnoise\n')).toEqual([{ name: 'web', expected: 2, running: 1 }]);
  });
});

describe('upgrade review', () => {
  it('lists every change with what the upgrade does', () => {
    const a = makeApp();
    expect(diffSnapshots(snapshotOf(a), snapshotOf(a))).toEqual([]);
    const first = diffSnapshots(null, snapshotOf(a));
    expect(first.map((d) => d.kind)).toEqual(['user', 'layout', 'service', 'service']);
    const b = makeApp({
      sharedDirs: ['storage', 'uploads'],
      services: [
        { name: 'web', kind: 'web', command: 'exec bin/server2', instances: 4 },
        { name: 'mailer', kind: 'worker', command: 'exec bin/mailer', instances: 1 },
      ],
      logRotation: { frequency: 'daily', maxSize: null, keep: 30, compress: true, copyTruncate: true },
    });
    const d = diffSnapshots(snapshotOf(a), snapshotOf(b), ['0007_add_index']);
    expect(d).toContainEqual({ kind: 'scale', what: 'web instances', before: '2', after: '4', action: 'start 2 more instance(s)' });
    expect(d).toContainEqual(expect.objectContaining({ kind: 'service', what: 'web command', before: 'exec bin/server --port $((8000 + PUESTA_INSTANCE))', after: 'exec bin/server2' }));
    expect(d).toContainEqual(expect.objectContaining({ kind: 'service', what: 'worker service mailer', before: null }));
    expect(d).toContainEqual(expect.objectContaining({ kind: 'service', what: 'worker service worker', after: null, action: 'stop every instance and remove its unit/program' }));
    expect(d).toContainEqual(expect.objectContaining({ kind: 'layout', what: 'shared folder uploads', after: 'uploads' }));
    expect(d).toContainEqual(expect.objectContaining({ kind: 'layout', what: 'shared folder log/archive', after: null }));
    expect(d).toContainEqual(expect.objectContaining({ kind: 'logrotate', what: 'log rotation keep', before: '14', after: '30' }));
    expect(d).toContainEqual(expect.objectContaining({ kind: 'database', what: 'database patch 0007_add_index' }));
  });
});

describe('the user step on this machine', () => {
  it('an existing user is never modified; a wrong primary group stops the install with what to do', () => {
    // root exists: "in place" (home and shell differ from the inventory: warnings, no change)
    const app = makeApp({ runtimeUser: 'root', basePath: '/srv/shop' });
    const ok = sh(userStep(app).script);
    expect(ok.code, ok.stderr).toBe(0);
    expect(parseResult(ok.stdout)).toBe('unchanged');
    expect(ok.stdout).toContain('PUESTA_WARN user root has home /root');
    const bad = sh(userStep(app, { group: 'daemon' }).script);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('another primary group than daemon');
  });
});
