/**
 * The facts the four keys are computed from, and what each deployment's history says about it:
 * failed or not (and why), when the failure started and when service came back. Pure: the store
 * reads the facts, `summary.ts` folds the analysed deployments into periods.
 */
import type { FailureCause } from '../../../shared/contract/metrics.js';

/** A production deployment or rollback (cached per finished run, see metrics-store.ts). */
export interface RunFact {
  runId: number;
  applicationId: number;
  environmentId: number;
  role: 'deployment' | 'rollback';
  /** The release it put in place (a rollback: its target). */
  releaseKey: string;
  /** A rollback: the release it left ('' when unknown). */
  leftKey: string;
  /** Deployment: when production switched to it; rollback: when it finished. */
  atMs: number;
}

export interface SwitchBackFact {
  runId: number;
  serverId: number;
  /** The failed check's deadline (null when the cell no longer tells it). */
  failedMs: number | null;
  /** The switch back done (null when it failed). */
  doneMs: number | null;
  ok: boolean;
}

export interface History {
  /** Sorted by (atMs, runId). */
  runs: RunFact[];
  switchBacks: SwitchBackFact[];
  incidents: { runId: number; startedMs: number }[];
  /** `fixMs`: when the fixing run reached production (or finished). */
  fixes: { runId: number; fixesRunId: number; fixMs: number }[];
  commits: { runId: number; committedMs: number }[];
  /** Planned maintenance windows and the applications they touch. */
  windows: { applicationIds: number[]; startMs: number; endMs: number }[];
}

export interface Analysed {
  run: RunFact;
  failed: boolean;
  causes: FailureCause[];
  /** The rollback or fix that names it (the first one). */
  fixedBy: number | null;
  /** Rollbacks: the deployment they name. */
  fixesRunId: number | null;
  /** Seconds from each shipped commit to this deployment. */
  leadSeconds: number[];
  recoverySeconds: number | null;
  recoveryExact: boolean;
}

/** Orders runs the way the history reads: by the instant they reached production, then by id. */
export const byTime = (a: RunFact, b: RunFact): number => a.atMs - b.atMs || a.runId - b.runId;

function groupBy<T, K>(xs: readonly T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/**
 * Every run of the history, analysed. A failure counts when its evidence shows within `windowMs`
 * after the deployment reached production; the failure starts at the earliest failed check or
 * incident Puesta saw (else at the deployment itself, and the recovery is not exact), and ends at
 * the earliest of: the hosts switched back, a rollback naming it finished, the next deployment of
 * the same application and environment that did not fail.
 */
export function analyse(h: History, windowMs: number): Map<number, Analysed> {
  const out = new Map<number, Analysed>();
  for (const run of h.runs) {
    out.set(run.runId, { run, failed: false, causes: [], fixedBy: null, fixesRunId: null, leadSeconds: [], recoverySeconds: null, recoveryExact: false });
  }
  const within = (d: Analysed, ms: number) => ms >= d.run.atMs && ms - d.run.atMs <= windowMs;
  const fail = (d: Analysed, cause: FailureCause, by: number | null) => {
    d.failed = true;
    if (!d.causes.includes(cause)) d.causes.push(cause);
    if (by !== null && d.fixedBy === null) d.fixedBy = by;
  };
  const deployment = (runId: number) => {
    const a = out.get(runId);
    return a && a.run.role === 'deployment' ? a : undefined;
  };

  // failure starts Puesta saw, and recoveries by its own hand, per deployment
  const starts = new Map<number, number>();
  const ends = new Map<number, number[]>();
  const startAt = (runId: number, ms: number) => starts.set(runId, Math.min(ms, starts.get(runId) ?? Infinity));
  const endAt = (runId: number, ms: number) => {
    const e = ends.get(runId);
    if (e) e.push(ms);
    else ends.set(runId, [ms]);
  };

  for (const [runId, sbs] of groupBy(h.switchBacks, (s) => s.runId)) {
    const d = deployment(runId);
    if (!d) continue;
    fail(d, 'switch-back', null);
    const failedAt = sbs.map((s) => s.failedMs).filter((x): x is number => x !== null);
    if (failedAt.length) startAt(runId, Math.min(...failedAt));
    // service is back when every host that switched back is back
    if (sbs.every((s) => s.ok && s.doneMs !== null)) endAt(runId, Math.max(...sbs.map((s) => s.doneMs!)));
  }

  const lanes = groupBy(h.runs, (r) => `${r.applicationId}:${r.environmentId}`);
  for (const lane of lanes.values()) {
    lane.forEach((r, i) => {
      if (r.role !== 'rollback') return;
      // the run that put the left release in place; a rollback of a rollback names no deployment
      let k = i - 1;
      while (k >= 0 && r.leftKey && lane[k]!.releaseKey !== r.leftKey) k--;
      const named = k >= 0 ? lane[k]! : undefined;
      if (!named || named.role !== 'deployment') return;
      const d = out.get(named.runId)!;
      out.get(r.runId)!.fixesRunId = named.runId;
      if (!within(d, r.atMs)) return;
      fail(d, 'rollback', r.runId);
      endAt(named.runId, r.atMs);
    });
  }

  for (const f of h.fixes) {
    const d = deployment(f.fixesRunId);
    if (d && within(d, f.fixMs)) fail(d, 'fix', f.runId);
  }

  const planned = (appId: number, ms: number) => h.windows.some((w) => ms >= w.startMs && ms < w.endMs && w.applicationIds.includes(appId));
  for (const inc of h.incidents) {
    const d = deployment(inc.runId);
    if (!d || !within(d, inc.startedMs) || planned(d.run.applicationId, inc.startedMs)) continue;
    fail(d, 'incident', null);
    startAt(inc.runId, inc.startedMs);
  }

  for (const c of h.commits) {
    const d = deployment(c.runId);
    if (d) d.leadSeconds.push((d.run.atMs - c.committedMs) / 1000);
  }

  // recovery: the next deployment that did not fail needs every failure known first
  for (const lane of lanes.values()) {
    const deps = lane.filter((r) => r.role === 'deployment');
    deps.forEach((r, i) => {
      const d = out.get(r.runId)!;
      if (!d.failed) return;
      const seen = starts.get(r.runId);
      const from = seen ?? r.atMs;
      const candidates = (ends.get(r.runId) ?? []).filter((ms) => ms >= from);
      for (let k = i + 1; k < deps.length; k++) {
        const x = deps[k]!;
        if (x.atMs >= from && !out.get(x.runId)!.failed) {
          candidates.push(x.atMs);
          break;
        }
      }
      if (!candidates.length) return;
      d.recoverySeconds = (Math.min(...candidates) - from) / 1000;
      d.recoveryExact = seen !== undefined;
    });
  }
  return out;
}
