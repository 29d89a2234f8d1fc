/** Host statistics history (all SQL on host_stats): samples kept HISTORY_DAYS per server. */
import type { HostStats } from '../../../shared/contract/provision.js';
import type { Core } from '../core.js';
import { rowMapper, type Row } from '../db/rows.js';

const HISTORY_DAYS = 90;

/** Keeps a sample and drops the server's samples older than the history; returns the sample's id. */
export function storeStats(core: Core, s: HostStats): number {
  const r = core.db
    .prepare('INSERT INTO host_stats (server_id, application_id, at, stats, error) VALUES (?, ?, ?, ?, ?)')
    .run(s.serverId, s.applicationId, s.at, s.stats ? JSON.stringify(s.stats) : null, s.error ? JSON.stringify(s.error) : null);
  core.db.prepare('DELETE FROM host_stats WHERE server_id = ? AND at < ?').run(s.serverId, new Date(Date.now() - HISTORY_DAYS * 86_400_000).toISOString());
  return Number(r.lastInsertRowid);
}

const SELECT = `SELECT h.id, h.at, h.server_id, s.name AS server_name, h.application_id, a.name AS application_name, h.stats, h.error
  FROM host_stats h JOIN servers s ON s.id = h.server_id LEFT JOIN applications a ON a.id = h.application_id`;

const hostStats = rowMapper<HostStats>({ json: ['stats', 'error'] });

/** The newest samples of a server (of one application on it, if given), newest first. */
export function statsHistory(core: Core, serverId: number, applicationId: number | undefined, limit: number): HostStats[] {
  return (
    core.db
      .prepare(`${SELECT} WHERE h.server_id = ? AND (? IS NULL OR h.application_id = ?) ORDER BY h.at DESC, h.id DESC LIMIT ?`)
      .all(serverId, applicationId ?? null, applicationId ?? null, limit) as Row[]
  ).map(hostStats);
}

/** The latest sample of each server × application (application-less samples count as their own pair), by name. */
export function latestStats(core: Core): HostStats[] {
  return (
    core.db
      .prepare(
        `${SELECT}
         WHERE h.id = (SELECT h2.id FROM host_stats h2 WHERE h2.server_id = h.server_id AND h2.application_id IS h.application_id ORDER BY h2.at DESC, h2.id DESC LIMIT 1)
         ORDER BY s.name COLLATE NOCASE, a.name COLLATE NOCASE`,
      )
      .all() as Row[]
  ).map(hostStats);
}
