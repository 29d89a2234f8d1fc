/** The last check of each server (all SQL on server_checks): one row per server, replaced by each check. */
import type { ServerCheck } from '../../../shared/contract/provision.js';
import type { Db } from '../db/connection.js';
import { rowMapper, type Row } from '../db/rows.js';

const checkRow = rowMapper<ServerCheck>({ bool: ['ok'] });

/** Keeps `c` as the server's last check (a check of a server deleted meanwhile is dropped). */
export function recordCheck(db: Db, c: ServerCheck): void {
  db.prepare(
    `INSERT INTO server_checks (server_id, at, kind, ok, code, message)
     SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM servers WHERE id = ?)
     ON CONFLICT (server_id) DO UPDATE SET at = excluded.at, kind = excluded.kind, ok = excluded.ok, code = excluded.code, message = excluded.message
     WHERE excluded.at >= server_checks.at`,
  ).run(c.serverId, c.at, c.kind, c.ok ? 1 : 0, c.code, c.message, c.serverId);
}

/** The last check of every server that had one. */
export function lastChecks(db: Db): ServerCheck[] {
  return (db.prepare('SELECT server_id, at, kind, ok, code, message FROM server_checks ORDER BY server_id').all() as Row[]).map(checkRow);
}

/** The servers whose last check was a connection test that failed, with their names. */
export function failedConnections(db: Db): (ServerCheck & { serverName: string })[] {
  return (
    db
      .prepare(
        `SELECT c.server_id, s.name AS server_name, c.at, c.kind, c.ok, c.code, c.message
           FROM server_checks c JOIN servers s ON s.id = c.server_id
          WHERE c.kind = 'connection' AND c.ok = 0 ORDER BY s.name COLLATE NOCASE`,
      )
      .all() as Row[]
  ).map((r) => checkRow(r) as ServerCheck & { serverName: string });
}
