/**
 * All SQL on what came with each release (db_release_sets, db_release_patches) and on the backups
 * of the databases (db_backups).
 */
import type { Backup, ReleasePatchSet } from '../../../shared/contract/dbpatch.js';
import type { Core } from '../core.js';
import { nowIso, rowMapper } from '../db/rows.js';

/** Records the patch set a release carried (read again: replaced). */
export function recordReleaseSet(core: Core, applicationId: number, releaseKey: string, source: string, patches: readonly { patchId: string; checksum: string }[]): void {
  core.tx(() => {
    core.db.prepare('DELETE FROM db_release_sets WHERE application_id = ? AND release_key = ?').run(applicationId, releaseKey);
    core.db.prepare('INSERT INTO db_release_sets (application_id, release_key, source, read_at) VALUES (?, ?, ?, ?)').run(applicationId, releaseKey, source, nowIso());
    const ins = core.db.prepare('INSERT INTO db_release_patches (application_id, release_key, patch_id, position, checksum) VALUES (?, ?, ?, ?, ?)');
    patches.forEach((p, i) => ins.run(applicationId, releaseKey, p.patchId, i, p.checksum));
  });
}

/** The patch sets read from the application's releases (all, or the one of `releaseKey`), newest first. */
export function releaseSets(core: Core, applicationId: number, releaseKey?: string): ReleasePatchSet[] {
  const sets = core.db
    .prepare(`SELECT release_key, source, read_at FROM db_release_sets WHERE application_id = ? ${releaseKey === undefined ? '' : 'AND release_key = ?'} ORDER BY release_key DESC`)
    .all(...(releaseKey === undefined ? [applicationId] : [applicationId, releaseKey])) as { release_key: string; source: string; read_at: string }[];
  const patches = core.db.prepare('SELECT patch_id AS patchId, checksum FROM db_release_patches WHERE application_id = ? AND release_key = ? ORDER BY position');
  return sets.map((s) => ({ releaseKey: s.release_key, source: s.source, readAt: s.read_at, patches: patches.all(applicationId, s.release_key) as { patchId: string; checksum: string }[] }));
}

/** The ids of the patches a release carried, or null when its set was never read. */
export function releasePatchIds(core: Core, applicationId: number, releaseKey: string): Set<string> | null {
  const [set] = releaseSets(core, applicationId, releaseKey);
  return set ? new Set(set.patches.map((p) => p.patchId)) : null;
}

const mapBackup = rowMapper<Backup>({ omit: ['id', 'recorded_at'] });

/** Records a backup file (the same file seen again: its size and time refreshed). */
export function recordBackup(core: Core, b: Backup): void {
  core.db
    .prepare(
      `INSERT INTO db_backups (database_id, path, bytes, taken_at, source, run_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (database_id, path) DO UPDATE SET bytes = excluded.bytes, taken_at = excluded.taken_at`,
    )
    .run(b.databaseId, b.path, b.bytes, b.takenAt, b.source, b.runId, nowIso());
}

/** The newest backup known of a database. */
export function lastBackupOf(core: Core, databaseId: number): Backup | null {
  const r = core.db.prepare('SELECT * FROM db_backups WHERE database_id = ? ORDER BY taken_at DESC, id DESC LIMIT 1').get(databaseId) as Record<string, unknown> | undefined;
  return r ? mapBackup(r) : null;
}

/** The newest backup of a database taken at or before `at` (the one from before a patch was applied). */
export function backupBefore(core: Core, databaseId: number, at: string): Backup | null {
  const r = core.db.prepare('SELECT * FROM db_backups WHERE database_id = ? AND taken_at <= ? ORDER BY taken_at DESC, id DESC LIMIT 1').get(databaseId, at) as Record<string, unknown> | undefined;
  return r ? mapBackup(r) : null;
}
