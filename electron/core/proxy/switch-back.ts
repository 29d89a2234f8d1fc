/**
 * Whether going back to an older release's slot is safe for its database: the database patches
 * applied since that release (the database-patch area's rollback plan) that the old code may not
 * survive — `contract` (old code breaks once it ran) and `breaking` ones. Old code over an `expand`
 * patch keeps working, so those never stop a switch back.
 */
import type { UnsafePatch } from '../../../shared/contract/proxy.js';
import type { Core } from '../core.js';
import { databasesIn, rollbackPlan } from '../dbpatch/rollback.js';

/** The contract / breaking patches applied since `releaseKey` (none without a release). */
export function unsafeSince(core: Core, applicationId: number, environmentId: number, releaseKey: string | null): UnsafePatch[] {
  // no database of the application in that environment: nothing to ask the patches' plan
  if (!releaseKey || !databasesIn(core, applicationId, environmentId).length) return [];
  return rollbackPlan(core, applicationId, environmentId, releaseKey).patches.flatMap(({ patchId, compat, databaseName }) =>
    compat === 'expand' ? [] : [{ patchId, compat, databaseName }],
  );
}

/** The refusal's words: which patches, on which database, and what the old code risks. */
export function refusalText(releaseKey: string, patches: readonly UnsafePatch[]): string {
  const list = patches.map((p) => `${p.patchId} (${p.compat}, ${p.databaseName})`).join(', ');
  return `Not switching back to ${releaseKey}: database patch${patches.length > 1 ? 'es' : ''} ${list} applied since then may break its code.`;
}

/** The operator named every such patch in the confirmation (words separated by spaces or commas). */
export function namesEvery(confirm: string | undefined, patches: readonly UnsafePatch[]): boolean {
  const words = new Set((confirm ?? '').split(/[\s,]+/).filter(Boolean));
  return patches.every((p) => words.has(p.patchId));
}
