/**
 * The patch format kept with the application's releases: a folder holding one folder per patch,
 * each with `patch.json` (PatchMeta), `up.sql`, `down.sql` (absent = irreversible) and `verify.sql`.
 * Patches are ordered by folder name, then by `requires`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PatchMeta } from '../../../shared/contract/dbpatch.js';
import { PuestaError } from '../../../shared/errors.js';
import { patchChecksum } from './sql-text.js';

export interface PatchFiles {
  meta: PatchMeta;
  up: string;
  down: string | null;
  verify: string | null;
  checksum: string;
  sourcePath: string;
}

const readOpt = (p: string): string | null => (existsSync(p) ? readFileSync(p, 'utf8') : null);

/** The text of one patch folder's files (null: absent). */
export interface PatchTexts {
  patchJson: string | null;
  up: string | null;
  down: string | null;
  verify: string | null;
}

/** One patch from its files' text, wherever they were read (a local folder, a release on a host). */
export function patchFromTexts(where: string, t: PatchTexts, sourcePath: string): PatchFiles {
  let raw: unknown;
  try {
    if (t.patchJson == null) throw new Error('missing');
    raw = JSON.parse(t.patchJson);
  } catch (e) {
    throw new PuestaError('IMPORT_INVALID', `${where}/patch.json: ${(e as Error).message}`);
  }
  const parsed = PatchMeta.safeParse(raw);
  if (!parsed.success) throw new PuestaError('IMPORT_INVALID', `${where}/patch.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const meta = parsed.data;
  if (meta.id !== where) throw new PuestaError('IMPORT_INVALID', `${where}/patch.json: id "${meta.id}" is not the folder's name.`);
  if (t.up == null) throw new PuestaError('IMPORT_INVALID', `${where}: up.sql is missing.`);
  const { up, down, verify } = t;
  return { meta, up, down, verify, checksum: patchChecksum({ up, down, verify, guard: meta.guard }), sourcePath };
}

export function readPatchFolder(dir: string): PatchFiles {
  const f = (name: string) => readOpt(path.join(dir, name));
  return patchFromTexts(path.basename(dir), { patchJson: f('patch.json'), up: f('up.sql'), down: f('down.sql'), verify: f('verify.sql') }, dir);
}

/** Patches in apply order: by folder name; a patch must come after the ones it requires. */
export function inApplyOrder(list: PatchFiles[]): PatchFiles[] {
  const sorted = [...list].sort((a, b) => (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0));
  const seen = new Set<string>();
  for (const p of sorted) {
    for (const r of p.meta.requires) {
      if (!seen.has(r)) throw new PuestaError('IMPORT_INVALID', `${p.meta.id} requires ${r}, which does not come before it.`);
    }
    seen.add(p.meta.id);
  }
  return sorted;
}

/** Every patch folder under `root`, in apply order (name order; a patch after the ones it requires). */
export function readPatches(root: string): PatchFiles[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new PuestaError('NOT_FOUND', `No patch folder at ${root}.`);
  return inApplyOrder(
    readdirSync(root)
      .filter((n) => statSync(path.join(root, n)).isDirectory() && existsSync(path.join(root, n, 'patch.json')))
      .map((n) => readPatchFolder(path.join(root, n))),
  );
}
