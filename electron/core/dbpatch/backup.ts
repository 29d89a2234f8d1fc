/**
 * The pre-patch backup: a rollback past an irreversible patch restores "from the pre-patch backup,
 * its age shown" (issue 13). On the database's server, through the SSH engine: `pg_dump -Fc` into
 * the database's backup folder before pending patches run (`backupBeforePatch`), or the newest dump
 * or archive already there (the backup policy's `<slug>-<UTC>.tar`, provision/backup.ts). Files
 * are listed as NUL-separated (time, size, path) triples. The newest known backup is recorded;
 * past the database's limit the patches are refused.
 */
import type { Backup, Database } from '../../../shared/contract/dbpatch.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { LogFn } from '../runs/step-kinds.js';
import { sh } from '../ssh/quote.js';
import type { SshEngine, SshTarget } from '../ssh/types.js';
import { ageOf, backupTooOld } from '../../../shared/backup-age.js';
import { formatMs } from './estimate.js';
import { passwordKey } from './patch-store.js';
import { lastBackupOf, recordBackup } from './release-store.js';

const HOUR = 3_600_000;

/** `main-20261202T013000Z.dump`: the database's name made safe for a file name, and the UTC time. */
export function dumpName(db: Pick<Database, 'name'>, at: Date): string {
  return `${db.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.dump`;
}

/** pg_dump of the database into its backup folder (the password on stdin), then the file's triple. */
export function dumpCommand(db: Database, file: string): string {
  return sh`set -eu
umask 077
mkdir -p -- ${db.backupDir}
f=${`${db.backupDir}/${file}`}
IFS= read -r PGPASSWORD || true
export PGPASSWORD
pg_dump -Fc -w --no-owner --no-acl -h ${db.host} -p ${db.port} -U ${db.user} -d ${db.database} -f "$f.part"
mv -f -- "$f.part" "$f"
printf '%s\\0%s\\0%s\\0' "$(stat -c %Y -- "$f")" "$(stat -c %s -- "$f")" "$f"`;
}

/** The dumps and archives in a backup folder (absolute: it starts with /, never read as an option). */
export function scanCommand(dir: string): string {
  return sh`[ -d ${dir} ] || exit 0
find ${dir} -maxdepth 1 -type f \\( -name '*.dump' -o -name '*.tar' -o -name '*.sql.gz' \\) -printf '%T@\\0%s\\0%p\\0'`;
}

/** The newest file of a (time, size, path) listing. */
export function newestFile(stdout: string): { path: string; bytes: number; takenAt: string } | null {
  const p = stdout.split('\0');
  let best: { path: string; bytes: number; takenAt: string; t: number } | null = null;
  for (let i = 0; i + 2 < p.length; i += 3) {
    const t = Number(p[i]) * 1000;
    if (Number.isFinite(t) && (!best || t > best.t)) best = { t, bytes: Number(p[i + 1]), path: p[i + 2]!, takenAt: new Date(t).toISOString() };
  }
  return best && { path: best.path, bytes: best.bytes, takenAt: best.takenAt };
}

export interface BackupContext {
  core: Core;
  executor: SshEngine;
  target: SshTarget;
  runId: number | null;
  log: LogFn;
  signal?: AbortSignal;
}

/** Runs one command on the database's server; its stdout (a non-zero exit: COMMAND_FAILED with stderr's last line). */
export async function runOnServer(ctx: BackupContext, command: string, what: string, stdin?: string) {
  const r = await ctx.executor.exec(ctx.target, command, { timeoutMs: 6 * HOUR, ...(stdin !== undefined ? { stdin } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
  if (r.exitCode !== 0) throw new PuestaError('COMMAND_FAILED', `${what} on ${ctx.target.name} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return r.stdout;
}

/** Runs pg_dump on the server into the database's backup folder; records and returns the dump. */
export async function takeBackup(ctx: BackupContext, db: Database): Promise<Backup> {
  if (!db.backupDir) throw new PuestaError('PRECONDITION_FAILED', `${db.name} has no backup folder: set one to have a dump made before patches.`);
  const t0 = Date.now();
  const out = await runOnServer(ctx, dumpCommand(db, dumpName(db, new Date())), `The pre-patch dump of ${db.name}`, `${ctx.core.secrets.get(passwordKey(db.id)) ?? ''}\n`);
  const f = newestFile(out);
  if (!f) throw new PuestaError('COMMAND_FAILED', `The pre-patch dump of ${db.name} did not say which file it wrote.`);
  const b: Backup = { databaseId: db.id, ...f, source: 'pre-patch', runId: ctx.runId };
  recordBackup(ctx.core, b);
  ctx.log('system', `Pre-patch backup of ${db.name}: ${f.path} (${f.bytes} bytes, ${formatMs(Date.now() - t0)}).\n`);
  return b;
}

/** Records the newest file of the database's backup folder (none there: nothing recorded). */
export async function findBackup(ctx: BackupContext, db: Database): Promise<Backup | null> {
  if (!db.backupDir) return null;
  const f = newestFile(await runOnServer(ctx, scanCommand(db.backupDir), `Listing ${db.backupDir}`));
  if (!f) return null;
  const b: Backup = { databaseId: db.id, ...f, source: 'found', runId: ctx.runId };
  recordBackup(ctx.core, b);
  return b;
}

/** Why patches may not run for lack of a recent backup, or null. */
export function backupRefusal(db: Database, last: Backup | null, now = Date.now()): string | null {
  if (!backupTooOld(db.backupMaxAgeHours, last?.takenAt ?? null, now)) return null;
  if (!last) return `No backup of ${db.name} is known and its patches need one under ${db.backupMaxAgeHours} h old: set its backup folder (and "dump before patches"), then retry.`;
  return `The last backup of ${db.name} (${last.path}) is ${ageOf(last.takenAt, now)} old, over its limit of ${db.backupMaxAgeHours} h: make a fresh one (or turn on "dump before patches"), then retry.`;
}

/** Before pending patches run: the dump (or the newest file found), then the age against the limit. */
export async function ensureBackup(ctx: BackupContext, db: Database): Promise<void> {
  if (db.backupBeforePatch) await takeBackup(ctx, db);
  else await findBackup(ctx, db);
  const last = lastBackupOf(ctx.core, db.id);
  const refused = backupRefusal(db, last);
  if (refused) throw new PuestaError('PRECONDITION_FAILED', refused);
  if (!db.backupBeforePatch) ctx.log('system', last ? `Last backup of ${db.name}: ${last.path}, ${ageOf(last.takenAt)} old.\n` : `No backup of ${db.name} is known (no backup folder set).\n`);
}
