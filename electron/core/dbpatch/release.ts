/**
 * The patches a release carries: `db/patches/` in the release folder uploaded on the host, one
 * folder per patch (format.ts). Read over SSH when the run reaches the db-patches step, as
 * structured output — a NUL-separated list of file names, each followed by its content in base64 —
 * so no name or SQL text is ever split on prose.
 */
import { PuestaError } from '../../../shared/errors.js';
import { sh } from '../ssh/quote.js';
import type { SshEngine, SshTarget } from '../ssh/types.js';
import { inApplyOrder, patchFromTexts, type PatchFiles, type PatchTexts } from './format.js';

/** Where a release keeps its patches, relative to the release folder. */
export const RELEASE_PATCH_DIR = 'db/patches';

const FILES = { 'patch.json': 'patchJson', 'up.sql': 'up', 'down.sql': 'down', 'verify.sql': 'verify' } as const satisfies Record<string, keyof PatchTexts>;

/**
 * Prints `absent` or `present`, a NUL, then for each file of a patch folder its name
 * (`<patch>/<file>`), a NUL, its content in base64, a NUL; then `end` and a NUL, so a listing cut
 * short (the engine keeps 1 MiB of output) is never taken for a whole one.
 */
export function listPatchesCommand(releasePath: string): string {
  const dir = `${releasePath}/${RELEASE_PATCH_DIR}`;
  return sh`set -e
[ -d ${dir} ] || { printf 'absent\\0'; exit 0; }
cd -- ${dir}
printf 'present\\0'
for f in */patch.json */up.sql */down.sql */verify.sql; do
  [ -f "$f" ] || continue
  printf '%s\\0' "$f"
  base64 -w0 -- "$f"
  printf '\\0'
done
printf 'end\\0'`;
}

/** The listing's patches in apply order, or null when the release has no patch folder. */
export function parsePatchListing(stdout: string, sourceDir: string): PatchFiles[] | null {
  const parts = stdout.split('\0');
  const head = parts.shift();
  if (head === 'absent') return null;
  if (head !== 'present' || parts.pop() !== '' || parts.pop() !== 'end' || parts.length % 2)
    throw new PuestaError('COMMAND_FAILED', `The patch listing of ${sourceDir} is incomplete (more than 1 MiB of patches, or cut off): keep the release's patches smaller, or import them with dbpatch.import.`);
  const files: [string, string][] = [];
  for (let i = 0; i < parts.length; i += 2) files.push([parts[i]!, Buffer.from(parts[i + 1]!, 'base64').toString('utf8')]);
  return patchesOfFiles(files, sourceDir);
}

/** Patches from `<folder>/<file>` texts (other file names ignored), in apply order. */
export function patchesOfFiles(files: readonly [string, string][], sourceDir: string): PatchFiles[] {
  const folders = new Map<string, PatchTexts>();
  for (const [name, text] of files) {
    const [folder, file, more] = name.split('/');
    if (!folder || more !== undefined || !Object.hasOwn(FILES, file ?? '')) continue;
    const texts = folders.get(folder) ?? { patchJson: null, up: null, down: null, verify: null };
    texts[FILES[file as keyof typeof FILES]] = text;
    folders.set(folder, texts);
  }
  // a folder without patch.json is not a patch (as for a local folder)
  return inApplyOrder([...folders].filter(([, t]) => t.patchJson != null).map(([id, t]) => patchFromTexts(id, t, `${sourceDir}/${id}`)));
}

/** Reads the patches of the release at `releasePath` on a host; null when it carries none. */
export async function readReleasePatches(executor: SshEngine, target: SshTarget, releasePath: string, signal?: AbortSignal): Promise<PatchFiles[] | null> {
  const r = await executor.exec(target, listPatchesCommand(releasePath), { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
  const where = `${target.name}:${releasePath}/${RELEASE_PATCH_DIR}`;
  if (r.exitCode !== 0) throw new PuestaError('COMMAND_FAILED', `Reading the patches of the release at ${where} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return parsePatchListing(r.stdout, where);
}
