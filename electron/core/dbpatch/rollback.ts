/**
 * What a rollback can undo: the patches applied since the target release (with no target: those
 * of the newest release that applied any — one release back at a time, never everything), newest
 * first. Reversible ones are undone in that order; an irreversible one blocks the rollback unless
 * an operator decided (typed confirmation, audited): app-only when every irreversible patch is
 * `expand`, otherwise restore from the pre-patch backup or forward-fix.
 */
import type { Database, Patch, PatchState, RollbackPlan } from '../../../shared/contract/dbpatch.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { classify } from './classify.js';
import { isAcknowledged, ledgerOf, openDecision, recordDecision, statesOf, type RollbackDecision } from './ledger-store.js';
import { splitStatements } from './sql-text.js';
import { databasesOf, patchesOf } from './patch-store.js';
import { lastBackupOf, releasePatchIds } from './release-store.js';

export interface PlannedUndo {
  db: Database;
  patch: Patch;
  state: PatchState;
}

/** The application's databases on servers of that environment. */
export function databasesIn(core: Core, applicationId: number, environmentId: number): Database[] {
  return databasesOf(core, applicationId).filter((d) => core.inventory.servers.get(d.serverId).environmentId === environmentId);
}

/** The applied patches a rollback to `toReleaseKey` undoes, newest first (from the local mirror). */
export function undoList(core: Core, applicationId: number, environmentId: number, toReleaseKey: string | null): PlannedUndo[] {
  const patches = patchesOf(core, applicationId);
  const byId = new Map(patches.map((p) => [p.patchId, p]));
  const applied = databasesIn(core, applicationId, environmentId).flatMap((db) =>
    statesOf(ledgerOf(core, db.id), new Map(patches.map((p) => [p.patchId, p.checksum])))
      .filter((s) => s.state === 'applied' && byId.has(s.patchId))
      .map((state) => ({ db, patch: byId.get(state.patchId)!, state })),
  );
  const newest = applied.reduce<string>((k, u) => ((u.state.releaseKey ?? '') > k ? (u.state.releaseKey ?? '') : k), '');
  // what came after the target: the patches its release did not carry (when its set was read), else those applied by newer releases' runs
  const carried = toReleaseKey ? releasePatchIds(core, applicationId, toReleaseKey) : null;
  const since = carried
    ? applied.filter((u) => !carried.has(u.patch.patchId))
    : toReleaseKey
      ? applied.filter((u) => (u.state.releaseKey ?? '') > toReleaseKey)
      : applied.filter((u) => (u.state.releaseKey ?? '') === newest && newest !== '');
  return since.sort((a, b) => b.patch.position - a.patch.position);
}

/** The table a lossy down loses data of (the operator types it), from its first destructive statement. */
export function lossyTable(p: Patch): string {
  const st = splitStatements(p.down ?? '').map((s) => classify(s.sql)).find((c) => c.destructive && c.table);
  return st?.table ?? p.patchId;
}

/** The name to type before this undo may run, or null. */
export function typeToUndo(core: Core, u: PlannedUndo): string | null {
  if (u.patch.meta.reversible !== 'lossy' || isAcknowledged(core, u.db.id, u.patch.patchId, u.patch.checksum, 'lossy')) return null;
  return lossyTable(u.patch);
}

/** How far back a restore goes: the oldest of the databases' newest backups (null when one has none). */
function oldestLastBackup(core: Core, dbs: readonly Database[]): string | null {
  const ats = dbs.map((d) => lastBackupOf(core, d.id)?.takenAt ?? null);
  if (!ats.length || ats.includes(null)) return null;
  return (ats as string[]).reduce((a, b) => (a < b ? a : b));
}

export function rollbackPlan(core: Core, applicationId: number, environmentId: number, toReleaseKey: string | null): RollbackPlan {
  const list = undoList(core, applicationId, environmentId, toReleaseKey);
  const irreversible = list.filter((u) => u.patch.meta.reversible === 'no' || u.patch.down == null);
  const decision = irreversible.length ? openDecision(core, applicationId, environmentId, toReleaseKey) : null;
  return {
    applicationId,
    toReleaseKey,
    patches: list.map((u) => ({
      databaseId: u.db.id,
      databaseName: u.db.name,
      patchId: u.patch.patchId,
      reversible: u.patch.meta.reversible,
      compat: u.patch.meta.compat,
      releaseKey: u.state.releaseKey,
      typeToUndo: typeToUndo(core, u),
    })),
    blocked: irreversible.length > 0 && decision === null,
    appOnlyOffered: irreversible.length > 0 && irreversible.every((u) => u.patch.meta.compat === 'expand'),
    lastBackupAt: oldestLastBackup(core, list.length ? [...new Set(list.map((u) => u.db))] : databasesIn(core, applicationId, environmentId)),
    decision,
  };
}

export function decideRollback(core: Core, input: { applicationId: number; environmentId: number; toReleaseKey?: string; decision: RollbackDecision; confirm: string }): RollbackPlan {
  const app = core.inventory.applications.get(input.applicationId);
  const to = input.toReleaseKey ?? null;
  const plan = rollbackPlan(core, app.id, input.environmentId, to);
  if (input.confirm !== app.name) throw new PuestaError('INVALID_INPUT', `Type the application's name (${app.name}) to confirm.`, { field: 'confirm' });
  if (input.decision === 'app-only' && !plan.appOnlyOffered) throw new PuestaError('PRECONDITION_FAILED', 'An application-only rollback is offered only when every irreversible patch is expand-compatible: restore from the backup or fix forward.');
  if (input.decision === 'restore' && !plan.lastBackupAt) throw new PuestaError('PRECONDITION_FAILED', 'No backup of the databases is known to restore from: set their backup folder (the dry run finds the newest file there) or fix forward.');
  core.tx(() => {
    recordDecision(core, { applicationId: app.id, environmentId: input.environmentId, toReleaseKey: to, decision: input.decision, operator: core.operator() });
    core.audit.write(core.operator(), 'dbpatch.rollback-decision', 'applications', app.id, null, { decision: input.decision, toReleaseKey: to, patches: plan.patches.map((p) => p.patchId), lastBackupAt: plan.lastBackupAt });
  });
  return rollbackPlan(core, app.id, input.environmentId, to);
}
