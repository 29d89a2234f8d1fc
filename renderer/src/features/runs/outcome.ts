/**
 * What a run's state means for its hosts and the next run, as pure functions of the contract's
 * data (unit-tested without a browser): progress, the default kind, rollback targets, an abort's outcome.
 */
import type { ChecklistKind, Release, Run } from '../../../../shared/contract/runs.js';

/**
 * Share of finished cells (0–1). A succeeded run is done whatever its cells say, and the cells of
 * a host excluded from the run count as done: nothing more will run there.
 */
export function progressOf(run: Run): number {
  if (run.state === 'succeeded') return 1;
  const enabled = new Set(run.steps.filter((s) => s.enabled).map((s) => s.index));
  const cells = run.cells.filter((c) => enabled.has(c.stepIndex));
  if (!cells.length) return 0;
  const out = new Set(run.excludedServerIds);
  const done = cells.filter((c) => c.state === 'succeeded' || c.state === 'skipped' || c.state === 'excluded' || (c.serverId !== null && out.has(c.serverId))).length;
  return done / cells.length;
}

/** The kind a new run of an application starts with: install until a release of it was ever recorded. */
export function defaultKind(releases: readonly Pick<Release, 'applicationId'>[], applicationId: number): ChecklistKind {
  return releases.some((r) => r.applicationId === applicationId) ? 'upgrade' : 'install';
}

/**
 * The releases a rollback on these hosts can go back to (key → label): present on at least one of
 * them, and not the current release of every host that holds it (going "back" there changes nothing).
 */
export function rollbackChoices(releases: readonly Release[], serverIds: readonly number[]): [string, string][] {
  const on = new Set(serverIds);
  const keys = new Map<string, { label: string; notCurrent: boolean }>();
  for (const r of releases) {
    if (!on.has(r.serverId) || r.removedAt) continue;
    const k = keys.get(r.key) ?? { label: r.label, notCurrent: false };
    k.notCurrent ||= !r.current;
    keys.set(r.key, k);
  }
  return [...keys].filter(([, k]) => k.notCurrent).map(([key, k]) => [key, k.label]);
}

/**
 * What an aborted run left on its hosts, from the cells' switch-back records: the hosts the health
 * gate already put back on their previous release, and the hosts a rollback would still change.
 */
export function abortOutcome(run: Run): { back: { names: string[]; to: string }; rollback: string[] } {
  const back = run.cells.filter((c) => c.switchedBack?.ok);
  const backIds = new Set(back.map((c) => c.serverId));
  const offered = run.rollbackOffer?.serverIds ?? [];
  return {
    back: { names: [...new Set(back.map((c) => c.serverName))], to: [...new Set(back.map((c) => c.switchedBack!.to))].join(' / ') },
    rollback: run.hosts.filter((h) => offered.includes(h.serverId) && !backIds.has(h.serverId)).map((h) => h.serverName),
  };
}
