/**
 * The commands that read what a deployment ships, built through the one quoting function, and the
 * reading of their output: for git, our own format (`head <sha>`, then `<sha> <committer epoch s>`
 * lines); for an archive, its release manifest (MANIFEST_FILE at its root, when present).
 */
import { z } from 'zod';
import { sh } from '../ssh/quote.js';

/** At most this many commits per deployment (a first deployment reads the whole history). */
export const MAX_COMMITS = 10_000;

/**
 * Fetches `ref`'s history without file contents into `tmp` and prints its head, then the commits
 * since `since` (when that commit is in the history; else every commit), newest first.
 */
export function commitLogScript(p: { tmp: string; url: string; ref: string; since: string | null }): string {
  return sh`set -e
rm -rf ${p.tmp}
git init -q ${p.tmp}
git -C ${p.tmp} fetch -q --filter=blob:none -- ${p.url} ${p.ref}
echo "head $(git -C ${p.tmp} rev-parse FETCH_HEAD)"
range=FETCH_HEAD
if [ -n ${p.since ?? ''} ] && git -C ${p.tmp} cat-file -e ${(p.since ?? '') + '^{commit}'} 2>/dev/null; then range=${(p.since ?? '') + '..FETCH_HEAD'}; fi
git -C ${p.tmp} log -n ${MAX_COMMITS} --format=${'%H %ct'} "$range" --
rm -rf ${p.tmp}`;
}

/** Exit status of `cloneLogScript` when the clone does not hold the release's commit. */
export const CLONE_LACKS_COMMIT = 3;

/**
 * In the operator's local clone: the commits since `since` (when the clone holds it; else every
 * commit) up to `head`, newest first, in `commitLogScript`'s format; exits CLONE_LACKS_COMMIT when
 * the clone does not hold `head` (not fetched yet, or another repository).
 */
export function cloneLogScript(p: { clone: string; head: string; since: string | null }): string {
  const since = p.since ?? '';
  return sh`set -e
git -C ${p.clone} rev-parse --git-dir >/dev/null
git -C ${p.clone} cat-file -e ${p.head + '^{commit}'} 2>/dev/null || exit ${CLONE_LACKS_COMMIT}
echo ${'head ' + p.head}
range=${p.head}
if [ -n ${since} ] && git -C ${p.clone} cat-file -e ${since + '^{commit}'} 2>/dev/null; then range=${since + '..' + p.head}; fi
git -C ${p.clone} log -n ${MAX_COMMITS} --format=${'%H %ct'} "$range" --`;
}

export interface CommitLog {
  head: string;
  commits: { sha: string; committedMs: number }[];
}

export function parseCommitLog(stdout: string): CommitLog | null {
  const head = /^head ([0-9a-f]{40,64})$/m.exec(stdout)?.[1];
  if (!head) return null;
  const commits = [...stdout.matchAll(/^([0-9a-f]{40,64}) (\d+)$/gm)].map((m) => ({ sha: m[1]!, committedMs: Number(m[2]) * 1000 }));
  return { head, commits };
}

/** The release manifest a build may put at the root of its archive. */
export const MANIFEST_FILE = 'puesta-release.json';

const Manifest = z.object({
  head: z.string().regex(/^[0-9a-f]{7,64}$/).optional(),
  commits: z
    .array(z.object({ sha: z.string().regex(/^[0-9a-f]{7,64}$/), committedAt: z.union([z.string().datetime({ offset: true }), z.number().int().positive()]) }))
    .max(MAX_COMMITS),
});

/** Prints the extracted release's manifest, or nothing when it has none. */
export function manifestScript(releasePath: string): string {
  return sh`if [ -f ${releasePath}/${MANIFEST_FILE} ]; then cat -- ${releasePath}/${MANIFEST_FILE}; fi`;
}

/** The manifest's commits (committedAt as ISO-8601 or epoch seconds); null when absent or not one. */
export function parseManifest(text: string): CommitLog | null {
  if (!text.trim()) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const m = Manifest.safeParse(json);
  if (!m.success || !m.data.commits.length) return null;
  const commits = m.data.commits.map((c) => ({ sha: c.sha, committedMs: typeof c.committedAt === 'number' ? c.committedAt * 1000 : Date.parse(c.committedAt) }));
  return { head: m.data.head ?? commits[0]!.sha, commits };
}
