/** All SQL on db_databases and db_patches: an application's databases and its imported patches. */
import type { Database, Patch, PatchMeta } from '../../../shared/contract/dbpatch.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso, rowMapper } from '../db/rows.js';
import type { PatchFiles } from './format.js';

export const passwordKey = (databaseId: number): string => `database:${databaseId}:password`;

const DB_SELECT = 'SELECT d.*, s.name AS server_name FROM db_databases d JOIN servers s ON s.id = d.server_id';
type DbRow = Omit<Database, 'passwordSet'>;
const mapDb = rowMapper<DbRow>({ rename: { dbname: 'database' }, bool: ['backup_before_patch'], omit: ['created_at', 'updated_at'] });

export function databasesOf(core: Core, applicationId: number): Database[] {
  return core.db
    .prepare(`${DB_SELECT} WHERE d.application_id = ? ORDER BY d.name`)
    .all(applicationId)
    .map((r) => withSecret(core, mapDb(r as Record<string, unknown>)));
}

export function databaseOf(core: Core, id: number): Database {
  const r = core.db.prepare(`${DB_SELECT} WHERE d.id = ?`).get(id) as Record<string, unknown> | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `Database ${id} not found.`);
  return withSecret(core, mapDb(r));
}

/** Databases reached through a server, for an application. */
export function databasesVia(core: Core, applicationId: number, serverId: number): Database[] {
  return databasesOf(core, applicationId).filter((d) => d.serverId === serverId);
}

const withSecret = (core: Core, d: DbRow): Database => ({ ...d, passwordSet: core.secrets.has(passwordKey(d.id)) });

export type DatabaseFields = Pick<Database, 'applicationId' | 'name' | 'serverId' | 'host' | 'port' | 'database' | 'user' | 'backupDir' | 'backupBeforePatch' | 'backupMaxAgeHours'> & { id?: number };

export function saveDatabase(core: Core, d: DatabaseFields): number {
  const t = nowIso();
  const values = [d.name, d.serverId, d.host, d.port, d.database, d.user, d.backupDir, d.backupBeforePatch ? 1 : 0, d.backupMaxAgeHours];
  if (d.id) {
    const r = core.db
      .prepare('UPDATE db_databases SET name = ?, server_id = ?, host = ?, port = ?, dbname = ?, user = ?, backup_dir = ?, backup_before_patch = ?, backup_max_age_hours = ?, updated_at = ? WHERE id = ? AND application_id = ?')
      .run(...values, t, d.id, d.applicationId);
    if (!r.changes) throw new PuestaError('NOT_FOUND', `Database ${d.id} not found.`);
    return d.id;
  }
  const r = core.db
    .prepare('INSERT INTO db_databases (application_id, name, server_id, host, port, dbname, user, backup_dir, backup_before_patch, backup_max_age_hours, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(d.applicationId, ...values, t, t);
  return Number(r.lastInsertRowid);
}

const mapPatch = rowMapper<Patch>({ rename: { up_sql: 'up', down_sql: 'down', verify_sql: 'verify' }, json: ['meta'] });

export function patchesOf(core: Core, applicationId: number): Patch[] {
  return core.db
    .prepare('SELECT * FROM db_patches WHERE application_id = ? ORDER BY position, patch_id')
    .all(applicationId)
    .map((r) => mapPatch(r as Record<string, unknown>));
}

/** Imports (or refreshes) patches; returns the ids whose checksum changed. */
export function upsertPatches(core: Core, applicationId: number, list: PatchFiles[]): string[] {
  const t = nowIso();
  const old = new Map(patchesOf(core, applicationId).map((p) => [p.patchId, p.checksum]));
  const up = core.db.prepare(
    `INSERT INTO db_patches (application_id, patch_id, position, meta, up_sql, down_sql, verify_sql, checksum, source_path, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (application_id, patch_id) DO UPDATE SET position = excluded.position, meta = excluded.meta, up_sql = excluded.up_sql, down_sql = excluded.down_sql,
       verify_sql = excluded.verify_sql, checksum = excluded.checksum, source_path = excluded.source_path, imported_at = excluded.imported_at`,
  );
  const changed: string[] = [];
  list.forEach((p, i) => {
    if (old.has(p.meta.id) && old.get(p.meta.id) !== p.checksum) changed.push(p.meta.id);
    up.run(applicationId, p.meta.id, i, JSON.stringify(p.meta satisfies PatchMeta), p.up, p.down, p.verify, p.checksum, p.sourcePath, t);
  });
  return changed;
}
