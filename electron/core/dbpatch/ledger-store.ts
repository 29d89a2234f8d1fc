/**
 * All SQL on the local mirror of the ledgers (db_ledger), the acknowledgements and the rollback
 * decisions. The ledger in the target database is the truth; the mirror is rewritten from it.
 */
import type { LedgerEntry, PatchState } from '../../../shared/contract/dbpatch.js';
import type { Core } from '../core.js';
import { nowIso, rowMapper } from '../db/rows.js';

const mapEntry = rowMapper<LedgerEntry>();

/** Replaces the mirror of one database with the entries read from its ledger. */
export function mirrorLedger(core: Core, databaseId: number, entries: Omit<LedgerEntry, 'databaseId'>[]): void {
  core.tx(() => {
    core.db.prepare('DELETE FROM db_ledger WHERE database_id = ?').run(databaseId);
    const ins = core.db.prepare(
      `INSERT INTO db_ledger (database_id, remote_id, patch_id, direction, state, checksum, operator, run_id, release_key, started_at, finished_at, estimate_ms, actual_ms, statements_done, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const e of entries) ins.run(databaseId, e.remoteId, e.patchId, e.direction, e.state, e.checksum, e.operator, e.runId, e.releaseKey, e.startedAt, e.finishedAt, e.estimateMs, e.actualMs, e.statementsDone, e.note);
  });
}

export function ledgerOf(core: Core, databaseId: number): LedgerEntry[] {
  return core.db
    .prepare('SELECT * FROM db_ledger WHERE database_id = ? ORDER BY remote_id')
    .all(databaseId)
    .map((r) => mapEntry(r as Record<string, unknown>));
}

/** The state of each patch from its last entries (an accepted checksum replaces the applied one). */
export function statesOf(entries: readonly LedgerEntry[], checksums: ReadonlyMap<string, string>): PatchState[] {
  const byPatch = new Map<string, { last: LedgerEntry; checksum: string }>();
  for (const e of entries) {
    const cur = byPatch.get(e.patchId);
    if (e.direction === 'accept') {
      if (cur) cur.checksum = e.checksum;
      continue;
    }
    byPatch.set(e.patchId, { last: e, checksum: e.checksum });
  }
  return [...byPatch.entries()].map(([patchId, { last, checksum }]) => {
    const state: PatchState['state'] =
      last.state === 'applying' ? 'applying' : last.state === 'failed' ? 'failed' : last.direction === 'up' ? 'applied' : 'reverted';
    const now = checksums.get(patchId);
    return {
      databaseId: last.databaseId,
      patchId,
      state,
      mismatch: state !== 'reverted' && now !== undefined && now !== checksum,
      at: last.finishedAt ?? last.startedAt,
      operator: last.operator,
      runId: last.runId,
      releaseKey: last.releaseKey,
    };
  });
}

/** Measured / estimated on this database (the median ratio; 1 with nothing measured). */
export function calibrationOf(core: Core, databaseId: number): number {
  const r = core.db
    .prepare("SELECT actual_ms / estimate_ms AS k FROM db_ledger WHERE database_id = ? AND direction = 'up' AND state = 'done' AND estimate_ms >= 50 AND actual_ms > 0 ORDER BY k")
    .all(databaseId) as { k: number }[];
  return r.length ? Math.min(20, Math.max(0.05, r[Math.floor(r.length / 2)]!.k)) : 1;
}

export type AckKind = 'risk' | 'lossy';

export function acknowledge(core: Core, a: { databaseId: number; patchId: string; checksum: string; kind: AckKind; operator: string; reason: string }): void {
  core.db
    .prepare('INSERT OR REPLACE INTO db_acknowledgements (database_id, patch_id, checksum, kind, operator, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(a.databaseId, a.patchId, a.checksum, a.kind, a.operator, a.reason, nowIso());
}

export function isAcknowledged(core: Core, databaseId: number, patchId: string, checksum: string, kind: AckKind = 'risk'): boolean {
  return core.db.prepare('SELECT 1 FROM db_acknowledgements WHERE database_id = ? AND patch_id = ? AND checksum = ? AND kind = ?').get(databaseId, patchId, checksum, kind) !== undefined;
}

export type RollbackDecision = 'app-only' | 'restore' | 'forward-fix';

export function recordDecision(core: Core, d: { applicationId: number; environmentId: number; toReleaseKey: string | null; decision: RollbackDecision; operator: string }): number {
  return Number(
    core.db
      .prepare('INSERT INTO db_rollback_decisions (application_id, environment_id, to_release_key, decision, operator, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(d.applicationId, d.environmentId, d.toReleaseKey, d.decision, d.operator, nowIso()).lastInsertRowid,
  );
}

/** The decision not yet used by a rollback run, for that target (or any target when none). */
export function openDecision(core: Core, applicationId: number, environmentId: number, toReleaseKey: string | null): RollbackDecision | null {
  const r = core.db
    .prepare('SELECT decision FROM db_rollback_decisions WHERE application_id = ? AND environment_id = ? AND used_by_run_id IS NULL AND (to_release_key IS ? OR to_release_key IS NULL OR ? IS NULL) ORDER BY id DESC LIMIT 1')
    .get(applicationId, environmentId, toReleaseKey, toReleaseKey) as { decision: RollbackDecision } | undefined;
  return r?.decision ?? null;
}

export function useDecision(core: Core, applicationId: number, environmentId: number, runId: number): void {
  core.db.prepare('UPDATE db_rollback_decisions SET used_by_run_id = ? WHERE application_id = ? AND environment_id = ? AND used_by_run_id IS NULL').run(runId, applicationId, environmentId);
}
