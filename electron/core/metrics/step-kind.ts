/**
 * Lead time's source: after the upload step of an install or upgrade ran on the first host, what
 * the release ships is read and kept for the run — for a git source the commits between the
 * previous deployment's head and this one, read in the operator's local clone of the application
 * when the metrics settings name one (its commit times, on this machine), else on the host (a
 * blobless fetch of the same ref); for an archive the commits its release manifest lists. They
 * count once the run is a final deployment (lanes.ts). Advisory: a failure is logged (and, for a
 * clone without the release's commit, kept with the deployment), the run goes on.
 */
import { userInfo } from 'node:os';
import { LocalExecutor } from '../runs/local-exec.js';
import type { HostContext, StepKind } from '../runs/step-kinds.js';
import type { SshTarget } from '../ssh/types.js';
import { CLONE_LACKS_COMMIT, cloneLogScript, commitLogScript, MANIFEST_FILE, manifestScript, parseCommitLog, parseManifest, type CommitLog } from './commands.js';
import { refreshAnalysis } from './lanes.js';
import { headOf, previousHead, readSettings, recordFetched } from './metrics-store.js';

interface Shipped {
  found: CommitLog | null;
  from: string;
  /** Why the commits could not be read (kept with the deployment). */
  problem?: string;
}

/** This machine, as the local executor's target (the clone is read with `bash -c`, never over SSH). */
const THIS_MACHINE: SshTarget = { id: 0, name: 'this machine', host: 'localhost', port: 22, user: userInfo().username, auth: 'agent', keyPath: null };

/** The commits from `since` to `head` in the operator's clone. */
export async function readClone(clone: string, head: string, since: string | null, signal: AbortSignal): Promise<Shipped> {
  const r = await new LocalExecutor().exec(THIS_MACHINE, cloneLogScript({ clone, head, since }), { signal, timeoutMs: 120_000 });
  if (r.exitCode === CLONE_LACKS_COMMIT) {
    return { found: { head, commits: [] }, from: `the local clone ${clone}`, problem: `The local clone ${clone} does not hold commit ${head.slice(0, 12)} (fetch it there).` };
  }
  const found = r.exitCode === 0 ? parseCommitLog(r.stdout) : null;
  if (!found) throw new Error(`git in the local clone ${clone} exited with ${r.exitCode ?? r.signal ?? '?'}${r.stderr.trim() ? `: ${r.stderr.trim().slice(0, 200)}` : ''}`);
  return { found, from: `the local clone ${clone}${since ? `, since ${since.slice(0, 12)}` : ', the whole history'}` };
}

async function shipped({ core, run, target, vars, executor, signal }: HostContext): Promise<Shipped> {
  const release = String(vars['release.path']);
  const git = run.context.git;
  if (!git) {
    const r = await executor.exec(target, manifestScript(release), { signal, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`reading ${MANIFEST_FILE} exited with ${r.exitCode ?? r.signal ?? '?'}`);
    return { found: parseManifest(r.stdout), from: MANIFEST_FILE };
  }
  const since = previousHead(core, run.id, run.applicationId, run.environmentId);
  const clone = readSettings(core).localClones.find((c) => c.applicationId === run.applicationId);
  // the commit the upload step fetched on this host
  const head = String(vars['upload.commit'] ?? '');
  if (clone && /^[0-9a-f]{40,64}$/.test(head)) return readClone(clone.path, head, since, signal);
  const r = await executor.exec(target, commitLogScript({ tmp: `${release}.metrics-git`, url: git.url, ref: git.ref, since }), { signal, timeoutMs: 600_000 });
  const found = r.exitCode === 0 ? parseCommitLog(r.stdout) : null;
  if (!found) throw new Error(`git exited with ${r.exitCode ?? r.signal ?? '?'}`);
  return { found, from: since ? `git, since ${since.slice(0, 12)}` : 'git, the whole history' };
}

/**
 * The read of one run's upload step: its hosts get the same run object, so one host reads what the
 * release ships and the others wait for it (one command per run, not one per host); true when it
 * was read (found or not), false when it failed (the next host tries).
 */
const reads = new WeakMap<HostContext['run'], Promise<boolean>>();

async function readShipped(ctx: HostContext): Promise<boolean> {
  const { core, run, signal, log } = ctx;
  try {
    const { found, from, problem } = await shipped(ctx);
    if (!found) return true;
    recordFetched(core, run.id, found.head, found.commits, problem ?? null);
    if (problem) log('system', `delivery metrics: ${problem} Lead time will not count this release's commits.\n`);
    else log('system', `delivery metrics: ${found.commits.length} commit${found.commits.length === 1 ? '' : 's'} (${from})\n`);
    return true;
  } catch (e) {
    if (signal.aborted) throw e;
    log('system', `delivery metrics: the commits of this release could not be read (${(e as Error).message}); lead time will not count them\n`);
    return false;
  }
}

export const metricsStepKind: StepKind = {
  name: 'metrics-commits',
  matches: (s) => s.action === 'upload',
  afterHost: async (ctx) => {
    const { core, run } = ctx;
    if (run.kind === 'rollback' || headOf(core, run.id)) return null;
    const other = reads.get(run);
    if (other && (await other)) return null;
    const mine = readShipped(ctx);
    reads.set(run, mine.catch(() => false));
    await mine;
    return null;
  },
  // the run is final: its deployment row (and those it changes in its lane) are ready before the next read
  afterRun: (core) => refreshAnalysis(core, readSettings(core).failureWindowHours),
};
