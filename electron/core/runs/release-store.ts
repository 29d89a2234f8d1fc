/** SQL of releases: the release folders on each host and which one is current (and was before). */
import type { CurrentRelease, Release } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso, prepared, rowMapper, Where, type Row } from '../db/rows.js';

const RELEASE_SELECT = `SELECT r.*, s.name AS server_name,
  EXISTS (SELECT 1 FROM current_releases c WHERE c.release_id = r.id) AS is_current
  FROM releases r JOIN servers s ON s.id = r.server_id`;

const toRelease = rowMapper<Release>({ rename: { is_current: 'current' }, bool: ['is_current'] });

export function listReleases(core: Core, applicationId: number, serverId?: number, includeRemoved = false): Release[] {
  const where = new Where().add('r.application_id = ?', applicationId).when(serverId || undefined, 'r.server_id = ?');
  if (!includeRemoved) where.add('r.removed_at IS NULL');
  return (core.db.prepare(`${RELEASE_SELECT}${where.sql} ORDER BY r.key DESC, s.name`).all(...where.args) as Row[]).map(toRelease);
}

export function getRelease(core: Core, id: number): Release {
  const r = core.db.prepare(`${RELEASE_SELECT} WHERE r.id = ?`).get(id) as Row | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no release with id ${id}.`);
  return toRelease(r);
}

export interface ReleaseInfo {
  label?: string;
  sha256?: string;
  source?: string;
  runId?: number | null;
}

/** Makes sure a release row exists (and is not marked removed); returns its id. */
export function upsertRelease(core: Core, applicationId: number, serverId: number, key: string, path: string, info: ReleaseInfo = {}): number {
  const row = prepared(core.db, 'SELECT id FROM releases WHERE application_id = ? AND server_id = ? AND key = ?').get(applicationId, serverId, key) as { id: number } | undefined;
  if (row) {
    prepared(
      core.db,
        `UPDATE releases SET removed_at = NULL, path = ?,
           label = coalesce(?, label), sha256 = coalesce(?, sha256), source = coalesce(?, source), run_id = coalesce(?, run_id) WHERE id = ?`,
    ).run(path, info.label ?? null, info.sha256 ?? null, info.source ?? null, info.runId ?? null, row.id);
    return row.id;
  }
  return Number(
    prepared(core.db, 'INSERT INTO releases (application_id, server_id, key, label, sha256, source, path, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(applicationId, serverId, key, info.label ?? '', info.sha256 ?? '', info.source ?? '', path, info.runId ?? null, nowIso()).lastInsertRowid,
  );
}

/** Sets the current release of a host; the one it replaces becomes the previous (rollback target). */
export function setCurrent(core: Core, applicationId: number, serverId: number, releaseId: number, runId: number | null): void {
  const cur = prepared(core.db, 'SELECT release_id, previous_release_id FROM current_releases WHERE application_id = ? AND server_id = ?').get(applicationId, serverId) as
    | { release_id: number; previous_release_id: number | null }
    | undefined;
  if (cur && cur.release_id === releaseId) return;
  prepared(
    core.db,
      `INSERT INTO current_releases (application_id, server_id, release_id, previous_release_id, run_id, switched_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (application_id, server_id) DO UPDATE SET release_id = excluded.release_id, previous_release_id = excluded.previous_release_id,
         run_id = excluded.run_id, switched_at = excluded.switched_at`,
  ).run(applicationId, serverId, releaseId, cur?.release_id ?? null, runId, nowIso());
}

/** Marks releases of a host absent from `present` as removed. */
export function markRemoved(core: Core, applicationId: number, serverId: number, present: readonly string[]): void {
  const rows = prepared(core.db, 'SELECT id, key FROM releases WHERE application_id = ? AND server_id = ? AND removed_at IS NULL').all(applicationId, serverId) as { id: number; key: string }[];
  const set = new Set(present);
  const upd = prepared(core.db, 'UPDATE releases SET removed_at = ? WHERE id = ?');
  for (const r of rows) if (!set.has(r.key)) upd.run(nowIso(), r.id);
}

const toCurrent = rowMapper<CurrentRelease>();

export function currentReleases(core: Core, applicationId: number, environmentId?: number): CurrentRelease[] {
  const where = new Where().add('c.application_id = ?', applicationId).when(environmentId || undefined, 's.environment_id = ?');
  const rows = prepared(
    core.db,
      `SELECT c.application_id, c.server_id, s.name AS server_name, s.environment_id, r.key, r.label, p.key AS previous_key, c.switched_at, c.run_id
       FROM current_releases c JOIN servers s ON s.id = c.server_id JOIN releases r ON r.id = c.release_id
       LEFT JOIN releases p ON p.id = c.previous_release_id${where.sql} ORDER BY s.name`,
  ).all(...where.args) as Row[];
  return rows.map(toCurrent);
}

export function currentOf(core: Core, applicationId: number, serverId: number): { key: string; previousKey: string | null } | null {
  const r = prepared(
    core.db,
      `SELECT r.key, p.key AS previous_key FROM current_releases c JOIN releases r ON r.id = c.release_id
       LEFT JOIN releases p ON p.id = c.previous_release_id WHERE c.application_id = ? AND c.server_id = ?`,
  ).get(applicationId, serverId) as Row | undefined;
  return r ? { key: String(r.key), previousKey: (r.previous_key as string | null) ?? null } : null;
}
