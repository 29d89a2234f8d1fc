/**
 * Restore from the pre-patch backup: how a rollback passes an irreversible patch when an operator
 * decided "restore" (dbpatch.decideRollback: the application's name typed, audited). The rollback
 * run's db-revert step does it on the database's server, under the patch lock: the newest backup
 * taken before the first of the patches being undone, `pg_restore --clean --single-transaction`
 * of it (a `.sql.gz`: `psql --single-transaction`), all or nothing; its age logged, an audit
 * entry; then a `down` entry per undone patch in the target's ledger ("restored from …").
 */
import type { Backup, Database, Patch } from '../../../shared/contract/dbpatch.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { sh } from '../ssh/quote.js';
import { syncLedger, withPatchLock, type PatchRunContext } from './apply.js';
import { ageOf } from '../../../shared/backup-age.js';
import { runOnServer, type BackupContext } from './backup.js';
import { passwordKey } from './patch-store.js';
import { backupBefore } from './release-store.js';
import type { PlannedUndo } from './rollback.js';
import type { PatchTarget } from './target.js';

/** The restore of one backup file into the database (the password on stdin). */
export function restoreCommand(db: Database, file: string): string {
  return sh`set -eu
IFS= read -r PGPASSWORD || true
export PGPASSWORD
f=${file}
case "$f" in
  *.sql.gz) gunzip -c -- "$f" | psql -X -q -w -v ON_ERROR_STOP=1 --single-transaction -h ${db.host} -p ${db.port} -U ${db.user} -d ${db.database} ;;
  *) pg_restore --clean --if-exists --single-transaction --exit-on-error --no-owner --no-acl -w -h ${db.host} -p ${db.port} -U ${db.user} -d ${db.database} "$f" ;;
esac`;
}

/** The backup to restore a database from: the newest taken before the first undone patch was applied. */
export function restoreSource(core: Core, db: Database, undone: readonly PlannedUndo[]): Backup {
  const first = undone.reduce<string | null>((a, u) => (u.state.at && (!a || u.state.at < a) ? u.state.at : a), null);
  const b = first ? backupBefore(core, db.id, first) : null;
  if (!b) throw new PuestaError('PRECONDITION_FAILED', `No backup of ${db.name} from before ${undone.map((u) => u.patch.patchId).join(', ')} is known: nothing to restore from. Fix forward instead.`);
  return b;
}

export async function restoreFromBackup(ctx: PatchRunContext, target: PatchTarget, server: BackupContext, backup: Backup, undone: readonly Patch[], all: readonly Patch[]): Promise<void> {
  const { core, db } = ctx;
  const age = ageOf(backup.takenAt);
  const ids = undone.map((p) => p.patchId);
  await withPatchLock(ctx, target, async () => {
    ctx.log('system', `Restoring ${db.name} from ${backup.path} (taken ${backup.takenAt}, ${age} old): undoes ${ids.join(', ')}; everything written since is lost.\n`);
    const t0 = Date.now();
    await runOnServer(server, restoreCommand(db, backup.path), `The restore of ${db.name} from ${backup.path}`, `${core.secrets.get(passwordKey(db.id)) ?? ''}\n`);
    core.audit.write(ctx.operator, 'dbpatch.restore', 'applications', db.applicationId, null, { database: db.name, backup: backup.path, takenAt: backup.takenAt, patches: ids, runId: ctx.runId });
    // the ledger as restored may still hold those patches (a backup older than the ledger): say they were undone
    await target.ensureLedger();
    for (const p of undone) {
      await target.insertEntry({ patchId: p.patchId, direction: 'down', state: 'done', checksum: p.checksum, operator: ctx.operator, runId: ctx.runId, releaseKey: ctx.releaseKey, estimateMs: null, note: `restored from ${backup.path} (${backup.takenAt})` });
    }
    await syncLedger(ctx, target, all);
    ctx.log('system', `${db.name} restored in ${Math.round((Date.now() - t0) / 100) / 10} s.\n`);
  });
}
