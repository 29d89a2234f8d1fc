/** Where an application's patches stand, from the local mirror of the ledgers (no connection). */
import type { Core } from '../core.js';
import { ledgerOf, statesOf } from './ledger-store.js';
import { databasesOf, patchesOf } from './patch-store.js';

/** Patches not applied on some database of the application ("0003-x on main"), in apply order: the upgrade review lists them. */
export function pendingPatches(core: Core, applicationId: number): string[] {
  const patches = patchesOf(core, applicationId);
  const sums = new Map(patches.map((p) => [p.patchId, p.checksum]));
  const out: string[] = [];
  for (const db of databasesOf(core, applicationId)) {
    const applied = new Set(statesOf(ledgerOf(core, db.id), sums).filter((s) => s.state === 'applied').map((s) => s.patchId));
    for (const p of patches) if (!applied.has(p.patchId)) out.push(`${p.patchId} on ${db.name}`);
  }
  return out;
}
