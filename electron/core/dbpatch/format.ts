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

export function readPatchFolder(dir: string): PatchFiles {
  const where = path.basename(dir);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(dir, 'patch.json'), 'utf8'));
  } catch (e) {
    throw new PuestaError('IMPORT_INVALID', `${where}/patch.json: ${(e as Error).message}`);
  }
  const parsed = PatchMeta.safeParse(raw);
  if (!parsed.success) throw new PuestaError('IMPORT_INVALID', `${where}/patch.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const meta = parsed.data;
  if (meta.id !== where) throw new PuestaError('IMPORT_INVALID', `${where}/patch.json: id "${meta.id}" is not the folder's name.`);
  const up = readOpt(path.join(dir, 'up.sql'));
  if (up == null) throw new PuestaError('IMPORT_INVALID', `${where}: up.sql is missing.`);
  const down = readOpt(path.join(dir, 'down.sql'));
  const verify = readOpt(path.join(dir, 'verify.sql'));
  return { meta, up, down, verify, checksum: patchChecksum({ up, down, verify, guard: meta.guard }), sourcePath: dir };
}

/** Every patch folder under `root`, in apply order (name order; a patch after the ones it requires). */
export function readPatches(root: string): PatchFiles[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new PuestaError('NOT_FOUND', `No patch folder at ${root}.`);
  const list = readdirSync(root)
    .filter((n) => statSync(path.join(root, n)).isDirectory() && existsSync(path.join(root, n, 'patch.json')))
    .sort()
    .map((n) => readPatchFolder(path.join(root, n)));
  const seen = new Set<string>();
  for (const p of list) {
    for (const r of p.meta.requires) {
      if (!seen.has(r)) throw new PuestaError('IMPORT_INVALID', `${p.meta.id} requires ${r}, which does not come before it.`);
    }
    seen.add(p.meta.id);
  }
  return list;
}
