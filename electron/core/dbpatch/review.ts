/**
 * The database part of the upgrade review, at plan time: the patches the release source carries
 * (its `db/patches/`, read on this computer before anything is uploaded; none there: the patches
 * imported into Puesta), which of them are pending on each database of the application, and the
 * dry run's verdict of each. An applied patch the release carries edited is listed as refused.
 */
import type { Patch, SourceReview } from '../../../shared/contract/dbpatch.js';
import type { Core } from '../core.js';
import { nowIso } from '../db/rows.js';
import { withTarget } from './connect.js';
import { dryRun } from './dryrun.js';
import { ledgerOf, statesOf } from './ledger-store.js';
import { readSourcePatches, type LocalSource } from './local-source.js';
import { databasesOf, patchesOf } from './patch-store.js';

export async function reviewSource(core: Core, applicationId: number, source: LocalSource): Promise<SourceReview> {
  const files = readSourcePatches(source);
  const patches: Patch[] = files
    ? files.map((f, position) => ({ applicationId, patchId: f.meta.id, position, meta: f.meta, up: f.up, down: f.down, verify: f.verify, checksum: f.checksum, sourcePath: f.sourcePath, importedAt: nowIso() }))
    : patchesOf(core, applicationId);
  const sums = new Map(patches.map((p) => [p.patchId, p.checksum]));
  const databases: SourceReview['databases'] = [];
  for (const db of databasesOf(core, applicationId)) {
    try {
      const dry = await withTarget(core, db, `${core.operator()} review`, (t) => dryRun(core, db, t, patches));
      const edited = statesOf(ledgerOf(core, db.id), sums).filter((s) => s.mismatch);
      databases.push({
        databaseId: db.id,
        name: db.name,
        error: null,
        pending: [
          ...edited.map((s) => ({ patchId: s.patchId, verdict: 'refused' as const, reasons: [`${s.patchId} was edited after it was applied (checksum differs): accept the edit first.`], estimateMs: null })),
          ...dry.patches.map((p) => ({ patchId: p.patchId, verdict: p.verdict, reasons: p.reasons, estimateMs: p.estimateMs })),
        ],
      });
    } catch (e) {
      // unreachable now: what the local mirror of its ledger says is pending, without verdicts
      const applied = new Set(statesOf(ledgerOf(core, db.id), sums).filter((s) => s.state === 'applied').map((s) => s.patchId));
      const pending = patches.filter((p) => !applied.has(p.patchId)).map((p) => ({ patchId: p.patchId, verdict: null, reasons: [], estimateMs: null }));
      databases.push({ databaseId: db.id, name: db.name, error: (e as Error).message, pending });
    }
  }
  return { from: files ? 'release' : 'imported', patches: patches.map((p) => p.patchId), databases };
}
