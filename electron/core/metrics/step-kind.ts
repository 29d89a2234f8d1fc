/**
 * Lead time's source: after the upload step of an install or upgrade ran on the first host, what
 * the release ships is read there and kept for the run — for a git source the commits between the
 * previous deployment's head and this one (a blobless fetch of the same ref), for an archive the
 * commits its release manifest lists. They count once the run is a final deployment
 * (metrics-store.ts, refreshCache). Advisory: a failure is logged, the run goes on.
 */
import type { HostContext, StepKind } from '../runs/step-kinds.js';
import { commitLogScript, MANIFEST_FILE, manifestScript, parseCommitLog, parseManifest, type CommitLog } from './commands.js';
import { headOf, previousHead, recordFetched } from './metrics-store.js';

async function shipped({ core, run, target, vars, executor, signal }: HostContext): Promise<{ found: CommitLog | null; from: string }> {
  const release = String(vars['release.path']);
  const git = run.context.git;
  if (!git) {
    const r = await executor.exec(target, manifestScript(release), { signal, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`reading ${MANIFEST_FILE} exited with ${r.exitCode ?? r.signal ?? '?'}`);
    return { found: parseManifest(r.stdout), from: MANIFEST_FILE };
  }
  const since = previousHead(core, run.id, run.applicationId, run.environmentId);
  const r = await executor.exec(target, commitLogScript({ tmp: `${release}.metrics-git`, url: git.url, ref: git.ref, since }), { signal, timeoutMs: 600_000 });
  const found = r.exitCode === 0 ? parseCommitLog(r.stdout) : null;
  if (!found) throw new Error(`git exited with ${r.exitCode ?? r.signal ?? '?'}`);
  return { found, from: since ? `git, since ${since.slice(0, 12)}` : 'git, the whole history' };
}

export const metricsStepKind: StepKind = {
  name: 'metrics-commits',
  matches: (s) => s.action === 'upload',
  afterHost: async (ctx) => {
    const { core, run, signal, log } = ctx;
    if (run.kind === 'rollback' || headOf(core, run.id)) return null;
    try {
      const { found, from } = await shipped(ctx);
      if (!found) return null;
      recordFetched(core, run.id, found.head, found.commits);
      log('system', `delivery metrics: ${found.commits.length} commit${found.commits.length === 1 ? '' : 's'} (${from})\n`);
    } catch (e) {
      if (signal.aborted) throw e;
      log('system', `delivery metrics: the commits of this release could not be read (${(e as Error).message}); lead time will not count them\n`);
    }
    return null;
  },
};
