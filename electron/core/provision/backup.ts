/**
 * Backup policy: <base>/bin/backup.sh (root-owned) archives the policy's paths (tar, relative to
 * <base>) and, with databaseDump, a `pg_dump -Fc` of the application's database into ONE archive
 * `<target>/<slug>-<UTC time>.tar` (files.tar.gz, db.dump, MANIFEST, SHA256SUMS), then deletes
 * archives older than the retention. Scheduled by a systemd timer where systemd is PID 1, else by
 * `<cronDir>/puesta-<slug>`. `restoreScript` is the way back (checksums verified first).
 */
import type { Application } from '../../../shared/contract/inventory.js';
import { PuestaError } from '../../../shared/errors.js';
import { shJoin, shq } from '../ssh/quote.js';
import { assertSafePath, DEFAULT_PATHS, frame, IS_SYSTEMD, layoutOf, pgConnWords, pgFunctions, putFile, type AppLayout, type Built, type DatabaseTarget, type ProvisionPaths } from './common.js';
import { databaseTarget, sqlIdent, sqlLiteral } from './postgres.js';

export interface BackupOptions {
  paths?: ProvisionPaths;
  group?: string;
  /** Database to dump (default: databaseTarget(app)). */
  database?: Partial<DatabaseTarget>;
}

export interface Schedule {
  /** The five time fields of a cron line. */
  cron: string;
  /** The same moment as a systemd OnCalendar expression. */
  onCalendar: string;
}

function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function cronFieldToCalendar(f: string, min: number, max: number, what: string, dow = false): string {
  if (f === '*') return '*';
  const bad = () => new PuestaError('INVALID_INPUT', `The backup schedule's ${what} field "${f}" is not supported: use *, numbers, lists (1,15), ranges (1-5) or steps (*/15).`);
  const step = /^\*\/(\d+)$/.exec(f);
  if (step) {
    if (dow) throw bad();
    return `${min}/${Number(step[1])}`;
  }
  return f
    .split(',')
    .map((part) => {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!m) throw bad();
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (a < min || b > max || b < a) throw bad();
      if (dow) return a === b ? DOW[a]! : `${DOW[a]}..${DOW[b]}`;
      const pad = (n: number) => String(n).padStart(2, '0');
      return a === b ? pad(a) : `${pad(a)}..${pad(b)}`;
    })
    .join(',');
}

/**
 * The inventory's schedule: hourly | daily | weekly | monthly | HH:MM (daily at that time) | a
 * five-field cron line (numbers, lists, ranges, steps). Keywords get a fixed minute/hour derived
 * from the application so that applications do not all start at once.
 */
export function parseSchedule(schedule: string, seed: string): Schedule {
  const s = schedule.trim();
  const h = hash(seed);
  const mm = h % 60;
  const hh = 1 + ((h >>> 8) % 5); // 01:00–05:59
  const p2 = (n: number) => String(n).padStart(2, '0');
  switch (s) {
    case 'hourly':
      return { cron: `${mm} * * * *`, onCalendar: `*-*-* *:${p2(mm)}:00` };
    case '':
    case 'daily':
      return { cron: `${mm} ${hh} * * *`, onCalendar: `*-*-* ${p2(hh)}:${p2(mm)}:00` };
    case 'weekly':
      return { cron: `${mm} ${hh} * * 0`, onCalendar: `Sun *-*-* ${p2(hh)}:${p2(mm)}:00` };
    case 'monthly':
      return { cron: `${mm} ${hh} 1 * *`, onCalendar: `*-*-01 ${p2(hh)}:${p2(mm)}:00` };
  }
  const at = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(s);
  if (at) return { cron: `${Number(at[2])} ${Number(at[1])} * * *`, onCalendar: `*-*-* ${p2(Number(at[1]))}:${at[2]}:00` };
  const f = s.split(/\s+/);
  if (f.length !== 5 || !f.every((x) => /^[0-9*,/-]+$/.test(x))) {
    throw new PuestaError('INVALID_INPUT', `The backup schedule "${schedule}" is not understood: use hourly, daily, weekly, monthly, HH:MM or a five-field cron line such as "30 2 * * *".`);
  }
  const [mi, ho, dom, mon, dw] = f as [string, string, string, string, string];
  const cal = `${cronFieldToCalendar(mon, 1, 12, 'month')}-${cronFieldToCalendar(dom, 1, 31, 'day of month')}`;
  const time = `${cronFieldToCalendar(ho, 0, 23, 'hour')}:${cronFieldToCalendar(mi, 0, 59, 'minute')}:00`;
  const days = dw === '*' ? '' : `${cronFieldToCalendar(dw, 0, 7, 'day of week', true)} `;
  return { cron: f.join(' '), onCalendar: `${days}*-${cal} ${time}` };
}

/** Where archives go: the policy's target (an absolute folder) or <base>/backups. */
export function backupTarget(app: Application, l: AppLayout = layoutOf(app)): string {
  const t = app.backupPolicy.target.trim().replace(/\/+$/, '');
  if (!t) return `${l.base}/backups`;
  if (!t.startsWith('/')) throw new PuestaError('INVALID_INPUT', `The backup target "${t}" must be an absolute folder on the host (remote targets are not supported yet).`);
  return assertSafePath(t, 'backup target');
}

export const backupScriptPath = (l: AppLayout) => `${l.bin}/backup.sh`;

/** The content of <base>/bin/backup.sh. */
export function renderBackupScript(app: Application, opts: BackupOptions = {}): string {
  const l = layoutOf(app, opts.group);
  const p = app.backupPolicy;
  const target = backupTarget(app, l);
  const files = p.paths.map((x) => assertSafePath(x.replace(/\/+$/, ''), 'backup path'));
  const lines = [
    '#!/bin/sh',
    `# Written by Puesta: backup of application ${l.slug}; changes here are overwritten by the next install.`,
    `# Prints "PUESTA_BACKUP <archive>" at the end. Restore: see Puesta's restore procedure.`,
    'set -eu',
    'umask 077',
    `TARGET=${shq(target)}`,
    `BASE=${shq(l.base)}`,
    'ts=$(date -u +%Y%m%dT%H%M%SZ)',
    'mkdir -p "$TARGET"',
    'work=$(mktemp -d "$TARGET/.work-XXXXXX")',
    `trap 'rm -rf "$work"' EXIT`,
    'cd "$BASE"',
  ];
  if (files.length) {
    lines.push(
      'set --',
      ...files.map((f) => `if [ -e ${shq(f)} ]; then set -- "$@" ${shq(f)}; else echo ${shq(`warning: ${l.base}/${f} does not exist; not in this backup`)} >&2; fi`),
      'if [ "$#" -gt 0 ]; then tar -czf "$work/files.tar.gz" -C "$BASE" -- "$@"; fi',
    );
  }
  if (p.databaseDump) {
    const t = databaseTarget(app, opts.database);
    lines.push(
      pgFunctions(t).trim(),
      `pg_run pg_dump -Fc --no-owner --no-acl ${shJoin(pgConnWords(t))} -U ${shq(t.superuser)} -d ${shq(t.database)} > "$work/db.dump"`,
    );
  }
  lines.push(
    `printf 'application=%s\\ncreated=%s\\n' ${shq(l.slug)} "$ts" > "$work/MANIFEST"`,
    '(cd "$work" && sha256sum -- * > SHA256SUMS)',
    `name=${shq(l.slug)}-$ts.tar`,
    'tar -cf "$TARGET/.$name.part" -C "$work" .',
    'mv -f "$TARGET/.$name.part" "$TARGET/$name"',
    `find "$TARGET" -maxdepth 1 -type f -name ${shq(`${l.slug}-*.tar`)} -mmin +${p.retentionDays * 1440} -print -exec rm -f {} + | sed 's/^/removed old backup: /'`,
    'echo "PUESTA_BACKUP $TARGET/$name"',
    '',
  );
  return lines.join('\n');
}

const timerNames = (l: AppLayout) => ({ service: `puesta-${l.slug}-backup.service`, timer: `puesta-${l.slug}-backup.timer` });

export function backupStep(app: Application, opts: BackupOptions = {}): Built {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const l = layoutOf(app, opts.group);
  const p = app.backupPolicy;
  const cronFile = `${paths.cronDir}/puesta-${l.slug}`;
  const { service, timer } = timerNames(l);
  const unitDir = paths.systemdUnitDir;
  const touches = [cronFile, `${unitDir}/${service}`, `${unitDir}/${timer}`];
  if (!p.enabled) {
    const body = `
${remove(IS_SYSTEMD, unitDir, service, timer)}
remove_file ${shq(cronFile)}
note 'backups are disabled in the inventory: no schedule installed'
`;
    return { title: 'Backup policy (disabled: schedule removed if present)', script: frame(body), touches };
  }
  const target = backupTarget(app, l);
  const script = backupScriptPath(l);
  const sched = parseSchedule(p.schedule, l.slug);
  const log = `${l.logs}/backup.log`;
  const serviceUnit = [
    `# Written by Puesta for application ${l.slug}.`,
    '[Unit]',
    `Description=Puesta backup of ${l.slug}`,
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=/bin/sh ${script}`,
    '',
  ].join('\n');
  const timerUnit = [
    `# Written by Puesta for application ${l.slug}.`,
    '[Unit]',
    `Description=Puesta backup of ${l.slug} (${p.schedule || 'daily'})`,
    '',
    '[Timer]',
    `OnCalendar=${sched.onCalendar}`,
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  const cronLine = `# Written by Puesta for application ${l.slug}; changes here are overwritten by the next install.\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n${sched.cron} root /bin/sh ${script} >> ${log} 2>&1\n`;
  touches.push(target, script);
  const body = `
[ -d ${shq(l.bin)} ] || { echo ${shq(`${l.bin} is missing: run the directory layout step first.`)} >&2; exit 1; }
ensure_dir ${shq(target)} 700 root:root
${putFile(script, '750', 'root:root', renderBackupScript(app, opts))}
sh -n ${shq(script)}
if ${IS_SYSTEMD}; then
  _vdir=$(mktemp -d); trap 'rm -rf "$_vdir"' EXIT
  printf '%s' ${shq(serviceUnit)} > "$_vdir/"${shq(service)}
  printf '%s' ${shq(timerUnit)} > "$_vdir/"${shq(timer)}
  if ! systemd-analyze verify "$_vdir/"${shq(timer)} > "$_vdir/verify.log" 2>&1 || grep -q ${shq(`puesta-${l.slug}-backup`)} "$_vdir/verify.log"; then echo 'systemd-analyze verify rejected the backup timer:' >&2; cat "$_vdir/verify.log" >&2; exit 1; fi
  PUESTA_RELOAD=0
  ${putFile(`${unitDir}/${service}`, '644', 'root:root', serviceUnit)}
  [ "$PUESTA_WROTE" = 0 ] || PUESTA_RELOAD=1
  ${putFile(`${unitDir}/${timer}`, '644', 'root:root', timerUnit)}
  [ "$PUESTA_WROTE" = 0 ] || PUESTA_RELOAD=1
  [ "$PUESTA_RELOAD" = 0 ] || systemctl daemon-reload
  systemctl is-enabled --quiet ${shq(timer)} || { systemctl enable --quiet ${shq(timer)}; changed ${shq(`${timer} enabled`)}; }
  if [ "$PUESTA_RELOAD" = 1 ] && systemctl is-active --quiet ${shq(timer)}; then systemctl restart ${shq(timer)}; fi
  systemctl is-active --quiet ${shq(timer)} || { systemctl start ${shq(timer)}; changed ${shq(`${timer} started`)}; }
  remove_file ${shq(cronFile)}
  note ${shq(`backup scheduled: OnCalendar=${sched.onCalendar}`)}
else
  [ -d ${shq(paths.cronDir)} ] || { echo ${shq(`${paths.cronDir} does not exist: install cron (apt-get install cron) and retry.`)} >&2; exit 1; }
  command -v cron >/dev/null 2>&1 || echo 'PUESTA_WARN cron is not installed on this host: the schedule is written but nothing will run it until cron is installed.'
  ${putFile(cronFile, '644', 'root:root', cronLine)}
  note ${shq(`backup scheduled: ${sched.cron} (cron)`)}
fi
note ${shq(`backups kept ${p.retentionDays} day(s) in ${target}`)}
`;
  return { title: `Backup policy (${p.schedule || 'daily'}, ${p.retentionDays} days)`, script: frame(body), touches };
}

function remove(isSystemd: string, unitDir: string, service: string, timer: string): string {
  return `if ${isSystemd} && [ -f ${shq(`${unitDir}/${timer}`)} ]; then systemctl disable --now --quiet ${shq(timer)} || true; fi
remove_file ${shq(`${unitDir}/${timer}`)}
remove_file ${shq(`${unitDir}/${service}`)}`;
}

/** The command that runs one backup now (prints PUESTA_BACKUP <archive>). */
export function runBackupScript(app: Application): string {
  return `/bin/sh ${shq(backupScriptPath(layoutOf(app)))}`;
}

export function parseBackupArchive(stdout: string): string | null {
  const m = [...stdout.matchAll(/^PUESTA_BACKUP (\S+)\s*$/gm)];
  return m.at(-1)?.[1] ?? null;
}

/**
 * Restores one archive: checksums verified, files extracted into `dir`, and (when the archive has
 * a dump and `database` is given) the dump restored into that database, created when missing.
 */
export function restoreScript(app: Application, archive: string, to: { dir: string; database?: Partial<DatabaseTarget> & { database: string } }): string {
  assertSafePath(archive, 'backup archive');
  assertSafePath(to.dir, 'restore folder');
  const lines = [
    'set -eu',
    'umask 077',
    'w=$(mktemp -d)',
    `trap 'rm -rf "$w"' EXIT`,
    `tar -xf ${shq(archive)} -C "$w"`,
    '(cd "$w" && sha256sum --quiet -c SHA256SUMS) || { echo "the archive fails its checksums: it is damaged; restore nothing from it." >&2; exit 1; }',
    `mkdir -p ${shq(to.dir)}`,
    `if [ -f "$w/files.tar.gz" ]; then tar -xzf "$w/files.tar.gz" -C ${shq(to.dir)}; echo ${shq(`restored files into ${to.dir}`)}; fi`,
  ];
  if (to.database) {
    const t = databaseTarget(app, to.database);
    lines.push(
      pgFunctions(t).trim(),
      'if [ -f "$w/db.dump" ]; then',
      `  if [ "$(pg_sql -d postgres -c ${shq(`SELECT 1 FROM pg_database WHERE datname = ${sqlLiteral(t.database)}`)} </dev/null)" != 1 ]; then pg_sql -d postgres -c ${shq(`CREATE DATABASE ${sqlIdent(t.database)}`)} </dev/null; fi`,
      `  pg_run pg_restore --no-owner --no-acl --exit-on-error ${shJoin(pgConnWords(t))} -U ${shq(t.superuser)} -d ${shq(t.database)} < "$w/db.dump"`,
      `  echo ${shq(`restored the database dump into ${t.database}`)}`,
      'fi',
    );
  }
  lines.push('echo PUESTA_RESTORED', '');
  return lines.join('\n');
}
