/** Provision snapshots (all SQL on provision_snapshots): what each install or upgrade applied. */
import type { Core } from '../core.js';
import type { ProvisionSnapshot } from './review.js';

export interface SnapshotRecord {
  applicationId: number;
  serverId: number | null;
  runId: number | null;
  kind: 'install' | 'upgrade';
  appliedAt: string;
  appliedBy: string;
  inventory: ProvisionSnapshot;
}

export function insertSnapshot(core: Core, s: SnapshotRecord): number {
  const r = core.db
    .prepare('INSERT INTO provision_snapshots (application_id, server_id, run_id, kind, applied_at, applied_by, inventory) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(s.applicationId, s.serverId, s.runId, s.kind, s.appliedAt, s.appliedBy, JSON.stringify(s.inventory));
  return Number(r.lastInsertRowid);
}

/** The last snapshot for the application on that server (or applied to all its servers); any server when none is given. */
export function lastSnapshot(core: Core, applicationId: number, serverId?: number | null): { snapshot: ProvisionSnapshot; appliedAt: string; runId: number | null } | null {
  const row = (
    serverId
      ? core.db
          .prepare('SELECT applied_at, run_id, inventory FROM provision_snapshots WHERE application_id = ? AND (server_id = ? OR server_id IS NULL) ORDER BY applied_at DESC, id DESC LIMIT 1')
          .get(applicationId, serverId)
      : core.db.prepare('SELECT applied_at, run_id, inventory FROM provision_snapshots WHERE application_id = ? ORDER BY applied_at DESC, id DESC LIMIT 1').get(applicationId)
  ) as { applied_at: string; run_id: number | null; inventory: string } | undefined;
  return row ? { snapshot: JSON.parse(row.inventory) as ProvisionSnapshot, appliedAt: row.applied_at, runId: row.run_id } : null;
}
