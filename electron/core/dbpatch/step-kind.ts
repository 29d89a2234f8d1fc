/**
 * Database patches as a runs step kind. An application with databases gets a `db-patches` step in
 * its install and upgrade checklists (before the switch: patches, then switch) and a `db-revert`
 * step in its rollback checklist (after the switch back). The step runs on every host and works on
 * the databases reached through that host: pending patches applied, or the patches of the release
 * being left undone — refused when one is irreversible and no operator decided how to pass it;
 * decided "restore": the database is restored from its pre-patch backup (restore.ts).
 */
import { ChecklistStep, type ChecklistKind } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import type { HostContext, Outcome, StepKind } from '../runs/step-kinds.js';
import type { Patch } from '../../../shared/contract/dbpatch.js';
import { applyPending, revertPatches } from './apply.js';
import { ensureBackup } from './backup.js';
import { withTarget } from './connect.js';
import { openDecision, useDecision } from './ledger-store.js';
import { databasesOf, databasesVia, patchesOf, upsertPatches } from './patch-store.js';
import { RELEASE_PATCH_DIR, readReleasePatches } from './release.js';
import { restoreFromBackup, restoreSource } from './restore.js';
import { recordReleaseSet } from './release-store.js';
import { typeToUndo, undoList } from './rollback.js';

const APPLY = 'db-patches';
const REVERT = 'db-revert';

const stepOf = (key: string, title: string): ChecklistStep => ChecklistStep.parse({ key, title, kind: 'auto', timeoutSeconds: 3600 });

function builtin(core: Core, applicationId: number, kind: ChecklistKind, steps: ChecklistStep[]): ChecklistStep[] {
  if (!databasesOf(core, applicationId).length || steps.some((s) => s.key === APPLY || s.key === REVERT)) return steps;
  const at = steps.findIndex((s) => s.key === 'switch');
  const out = [...steps];
  if (kind === 'rollback') out.splice(at < 0 ? out.length : at + 1, 0, stepOf(REVERT, 'Undo the database patches of the release left'));
  else out.splice(at < 0 ? out.length : at, 0, stepOf(APPLY, 'Apply database patches'));
  return out;
}

/**
 * The patches this run applies: those the uploaded release carries in `db/patches/` (read on the
 * host, stored, recorded as the release's set), in their order; a release without that folder
 * applies the patches imported into Puesta.
 */
async function patchesOfRelease(ctx: HostContext): Promise<Patch[]> {
  const { core, run } = ctx;
  const releasePath = String(ctx.vars['release.path'] ?? '');
  const list = releasePath ? await readReleasePatches(ctx.executor, ctx.target, releasePath, ctx.signal) : null;
  if (!list) {
    ctx.log('system', `The release has no ${RELEASE_PATCH_DIR}/ folder: applying the patches imported into Puesta.\n`);
    return patchesOf(core, run.applicationId);
  }
  const source = `${ctx.target.name}:${releasePath}/${RELEASE_PATCH_DIR}`;
  const changed = core.tx(() => {
    const c = upsertPatches(core, run.applicationId, list);
    if (run.releaseKey) recordReleaseSet(core, run.applicationId, run.releaseKey, source, list.map((p) => ({ patchId: p.meta.id, checksum: p.checksum })));
    core.audit.write(run.operator, 'dbpatch.release-read', 'applications', run.applicationId, null, { releaseKey: run.releaseKey, source, patches: list.map((p) => p.meta.id), changed: c });
    return c;
  });
  core.events.emit('dbpatch.changed', { applicationId: run.applicationId });
  ctx.log('system', `Release patches (${source}): ${list.map((p) => p.meta.id).join(', ') || 'none'}${changed.length ? `; changed since last read: ${changed.join(', ')}` : ''}.\n`);
  const byId = new Map(patchesOf(core, run.applicationId).map((p) => [p.patchId, p]));
  return list.map((p) => byId.get(p.meta.id)!);
}

async function execute(ctx: HostContext): Promise<Outcome> {
  const { core, run } = ctx;
  const dbs = databasesVia(core, run.applicationId, ctx.target.id);
  if (!dbs.length) {
    ctx.log('system', 'No database of the application is reached through this host.\n');
    return { ok: true };
  }
  const who = `${run.operator} run ${run.id}`;
  const base = { core, operator: run.operator, runId: run.id, releaseKey: run.releaseKey, log: ctx.log, signal: ctx.signal };
  try {
    if (ctx.step.key === APPLY) {
      const patches = await patchesOfRelease(ctx);
      const backup = { core, executor: ctx.executor, target: ctx.target, runId: run.id, log: ctx.log, signal: ctx.signal };
      for (const db of dbs) {
        const r = await withTarget(core, db, who, (t) => applyPending({ ...base, db, beforeApply: () => ensureBackup(backup, db) }, t, patches), ctx.executor);
        ctx.log('system', `${db.name}: ${r.applied.length} applied${r.skipped.length ? `, ${r.skipped.length} already in place` : ''}.\n`);
      }
      return { ok: true };
    }
    const patches = patchesOf(core, run.applicationId);
    const to = String(ctx.vars['release.key'] ?? '') || null;
    const list = undoList(core, run.applicationId, run.environmentId, to);
    const irreversible = list.filter((u) => u.patch.meta.reversible === 'no' || u.patch.down == null);
    if (irreversible.length) {
      const decision = openDecision(core, run.applicationId, run.environmentId, to);
      if (!decision) return { ok: false, error: `Rollback blocked: ${irreversible.map((u) => u.patch.patchId).join(', ')} cannot be undone. Decide in the application's patches (app-only, restore from backup or forward-fix), then retry.` };
      if (decision === 'restore') {
        const server = { core, executor: ctx.executor, target: ctx.target, runId: run.id, log: ctx.log, signal: ctx.signal };
        for (const db of dbs) {
          const mine = list.filter((u) => u.db.id === db.id);
          if (!mine.length) continue;
          const backup = restoreSource(core, db, mine);
          await withTarget(core, db, who, (t) => restoreFromBackup({ ...base, db }, t, server, backup, mine.map((u) => u.patch), patches), ctx.executor);
        }
        // used once the restore is done: a failed one is retried under the same decision
        useDecision(core, run.applicationId, run.environmentId, run.id);
        return { ok: true };
      }
      useDecision(core, run.applicationId, run.environmentId, run.id);
      ctx.log('system', `Irreversible patches (${irreversible.map((u) => u.patch.patchId).join(', ')}): decision "${decision}" — the database is left as it is.\n`);
      return { ok: true };
    }
    const untyped = list.filter((u) => typeToUndo(core, u) !== null);
    if (untyped.length) return { ok: false, error: `The down of ${untyped.map((u) => `${u.patch.patchId} loses data of ${typeToUndo(core, u)}`).join(', ')}: type the table's name in the application's patches to allow it, then retry.` };
    for (const db of dbs) {
      const mine = list.filter((u) => u.db.id === db.id).map((u) => u.patch);
      if (!mine.length) continue;
      const done = await withTarget(core, db, who, (t) => revertPatches({ ...base, db }, t, mine, patches), ctx.executor);
      ctx.log('system', `${db.name}: ${done.length} undone.\n`);
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

export const dbpatchStepKind: StepKind = {
  name: 'dbpatch',
  matches: (s) => s.key === APPLY || s.key === REVERT,
  builtin,
  command: () => null,
  detail: (step) => (step.key === APPLY ? 'applies the pending patches of the databases reached through this host (lock, timeouts, verify)' : 'undoes the patches applied since the release rolled back to'),
  execute,
};
