/** SQL of the application × environment locks (the laptop side; the host side is a file, see locks.ts). */
import type { Lock } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { nowIso, rowMapper, type Row } from '../db/rows.js';

const LOCK_SELECT = `SELECT l.*, a.name AS application_name, e.name AS environment_name FROM locks l
  JOIN applications a ON a.id = l.application_id JOIN environments e ON e.id = l.environment_id`;

const lockOf = rowMapper<Omit<Lock, 'expired'>>();
const toLock = (r: Row, now = nowIso()): Lock => {
  const l = lockOf(r);
  return { ...l, expired: l.leaseExpiresAt <= now };
};

export function listLocks(core: Core): Lock[] {
  return (core.db.prepare(`${LOCK_SELECT} ORDER BY l.since`).all() as Row[]).map((r) => toLock(r));
}

export function getLock(core: Core, applicationId: number, environmentId: number): Lock | null {
  const r = core.db.prepare(`${LOCK_SELECT} WHERE l.application_id = ? AND l.environment_id = ?`).get(applicationId, environmentId) as Row | undefined;
  return r ? toLock(r) : null;
}

export function putLock(core: Core, l: { applicationId: number; environmentId: number; owner: string; reason: string; runId: number | null; since: string; leaseExpiresAt: string }): void {
  core.db
    .prepare(
      `INSERT INTO locks (application_id, environment_id, owner, reason, run_id, since, lease_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (application_id, environment_id) DO UPDATE SET owner = excluded.owner, reason = excluded.reason, run_id = excluded.run_id,
         since = excluded.since, lease_expires_at = excluded.lease_expires_at`,
    )
    .run(l.applicationId, l.environmentId, l.owner, l.reason, l.runId, l.since, l.leaseExpiresAt);
}

export function renewLock(core: Core, runId: number, leaseExpiresAt: string): void {
  core.db.prepare('UPDATE locks SET lease_expires_at = ? WHERE run_id = ?').run(leaseExpiresAt, runId);
}

export function deleteLock(core: Core, applicationId: number, environmentId: number, runId?: number): boolean {
  const info = runId === undefined
    ? core.db.prepare('DELETE FROM locks WHERE application_id = ? AND environment_id = ?').run(applicationId, environmentId)
    : core.db.prepare('DELETE FROM locks WHERE application_id = ? AND environment_id = ? AND run_id = ?').run(applicationId, environmentId, runId);
  return info.changes > 0;
}
