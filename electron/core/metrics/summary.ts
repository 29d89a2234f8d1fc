/**
 * Folds analysed deployments into a period: per ISO week (weeks without a deployment are zeros),
 * the period's four keys, their DORA bands and the trend against the period of the same length just
 * before. Pure; the bands follow Google's fourkeys dashboard.
 */
import type { MetricKey, MetricRun, MetricsSummary, WeekPoint } from '../../../shared/contract/metrics.js';
import type { Analysed } from './history.js';
import { addDays, dayNumber, formatDay, isoWeek, parseDay, weeksBetween, Zone, type LocalDay } from './weeks.js';

export interface Period {
  from: string;
  to: string;
  zone: Zone;
}

/** Linear-interpolated percentile (PERCENTILE_CONT) of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const sortNum = (xs: number[]): number[] => xs.sort((a, b) => a - b);

/** Puts the k-th smallest of a[left..right] at a[k], smaller ones before it, larger after (quickselect, Hoare). */
function nth(a: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    const mid = (left + right) >>> 1;
    const [x, y, z] = [a[left]!, a[mid]!, a[right]!];
    // the median of three: sorted or equal runs do not make it quadratic
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

/**
 * `percentile(sorted(a), p)` without sorting: the two order statistics it reads, by selection —
 * linear instead of n log n on the period's lead times (one per commit). Reorders `a`; `from`: an
 * index below which every value is known to be smaller (an earlier, lower percentile's).
 */
function selected(a: Float64Array, p: number, from = 0): number | null {
  if (!a.length) return null;
  const pos = (a.length - 1) * p;
  const lo = Math.floor(pos);
  nth(a, lo, from, a.length - 1);
  const low = a[lo]!;
  if (lo === pos) return low;
  let high = Infinity;
  for (let i = lo + 1; i < a.length; i++) if (a[i]! < high) high = a[i]!;
  return low + (high - low) * (pos - lo);
}

export function durations(xs: readonly number[]): { count: number; medianSeconds: number | null; p90Seconds: number | null } {
  const a = Float64Array.from(xs);
  const medianSeconds = selected(a, 0.5);
  return { count: a.length, medianSeconds, p90Seconds: selected(a, 0.9, Math.floor((a.length - 1) * 0.5)) };
}

const HOUR = 3600;
export function durationBucket(seconds: number | null): MetricsSummary['leadTime']['bucket'] {
  if (seconds === null) return null;
  if (seconds < HOUR) return 'hour';
  if (seconds < 24 * HOUR) return 'day';
  if (seconds < 7 * 24 * HOUR) return 'week';
  if (seconds < 30 * 24 * HOUR) return 'month';
  if (seconds < 180 * 24 * HOUR) return 'six months';
  return 'longer';
}

export function failureBucket(rate: number | null): MetricsSummary['changeFailure']['bucket'] {
  if (rate === null) return null;
  if (rate <= 0.15) return '0-15%';
  if (rate <= 0.3) return '16-30%';
  if (rate <= 0.45) return '31-45%';
  return '46-100%';
}

/**
 * fourkeys: daily when the median week has deployments on 3 days or more; weekly when most weeks
 * have one; monthly when the median week's month has one; else yearly.
 */
export function frequencyBucket(weeks: { monday: LocalDay; days: number }[]): MetricsSummary['frequency']['bucket'] {
  if (!weeks.some((w) => w.days > 0)) return null;
  if (percentile(sortNum(weeks.map((w) => w.days)), 0.5)! >= 3) return 'daily';
  if (percentile(sortNum(weeks.map((w) => (w.days > 0 ? 1 : 0))), 0.5)! >= 1) return 'weekly';
  const perMonth = new Map<string, number>();
  for (const w of weeks) {
    const m = `${w.monday.y}-${w.monday.m}`;
    perMonth.set(m, (perMonth.get(m) ?? 0) + (w.days > 0 ? 1 : 0));
  }
  if (percentile(sortNum(weeks.map((w) => perMonth.get(`${w.monday.y}-${w.monday.m}`)!)), 0.5)! >= 1) return 'monthly';
  return 'yearly';
}

function trend(current: number | null, previous: number | null, higherIsBetter: boolean): MetricsSummary['leadTime']['trend'] {
  if (current === null || previous === null) return { previous, direction: 'none' };
  if (current === previous) return { previous, direction: 'same' };
  return { previous, direction: current > previous === higherIsBetter ? 'better' : 'worse' };
}

/** What the fold needs of an analysed deployment or rollback (read lean from the store, see readFold). */
export interface FoldItem {
  atMs: number;
  applicationId: number;
  rollback: boolean;
  failed: boolean;
  recoverySeconds: number | null;
  recoveryExact: boolean;
  leadSeconds: readonly number[];
}

export const foldItem = (a: Analysed): FoldItem => ({
  atMs: a.run.atMs,
  applicationId: a.run.applicationId,
  rollback: a.run.role === 'rollback',
  failed: a.failed,
  recoverySeconds: a.recoverySeconds,
  recoveryExact: a.recoveryExact,
  leadSeconds: a.leadSeconds,
});

/** Counts and durations of a week, or of the whole period. */
interface Tally {
  deployments: number;
  rollbacks: number;
  failed: number;
  lead: number[];
  recovery: number[];
  exact: number;
  days: Set<number>;
}

const tally = (): Tally => ({ deployments: 0, rollbacks: 0, failed: 0, lead: [], recovery: [], exact: 0, days: new Set() });

interface Slice {
  weeks: WeekPoint[];
  total: Tally;
  perApplication: Map<number, number>;
  days: { monday: LocalDay; days: number }[];
}

/** The runs of a period, per ISO week of the zone, in one pass. */
function slice(all: readonly FoldItem[], p: Period): Slice {
  const from = parseDay(p.from);
  const to = parseDay(p.to);
  const startMs = p.zone.midnight(from);
  const endMs = p.zone.midnight(addDays(to, 1));
  const weeks = weeksBetween(from, to);
  const firstMonday = dayNumber(weeks[0]!.monday);
  const per = weeks.map(tally);
  const total = tally();
  const perApplication = new Map<number, number>();
  for (const a of all) {
    if (a.atMs < startMs || a.atMs >= endMs) continue;
    const day = p.zone.dayNumberOf(a.atMs);
    const w = per[Math.floor((day - firstMonday) / 7)]!;
    if (a.rollback) {
      w.rollbacks++;
      total.rollbacks++;
      continue;
    }
    w.deployments++;
    total.deployments++;
    w.days.add(day);
    perApplication.set(a.applicationId, (perApplication.get(a.applicationId) ?? 0) + 1);
    if (a.failed) {
      w.failed++;
      total.failed++;
    }
    for (const l of a.leadSeconds) {
      w.lead.push(l);
      total.lead.push(l);
    }
    if (a.recoverySeconds !== null) {
      w.recovery.push(a.recoverySeconds);
      total.recovery.push(a.recoverySeconds);
      if (a.recoveryExact) total.exact++;
    }
  }
  return {
    total,
    perApplication,
    days: weeks.map((w, i) => ({ monday: w.monday, days: per[i]!.days.size })),
    weeks: weeks.map((w, i) => {
      const t = per[i]!;
      const lead = durations(t.lead);
      const rec = durations(t.recovery);
      return {
        week: w.week,
        monday: formatDay(w.monday),
        deployments: t.deployments,
        rollbacks: t.rollbacks,
        failed: t.failed,
        failureRate: t.deployments ? t.failed / t.deployments : null,
        leadCommits: lead.count,
        leadMedianSeconds: lead.medianSeconds,
        leadP90Seconds: lead.p90Seconds,
        recoveries: rec.count,
        recoveryMedianSeconds: rec.medianSeconds,
        recoveryP90Seconds: rec.p90Seconds,
      };
    }),
  };
}

function keys(s: Slice) {
  const t = s.total;
  return {
    perWeek: s.weeks.length ? t.deployments / s.weeks.length : 0,
    lead: durations(t.lead),
    failed: t.failed,
    rate: t.deployments ? t.failed / t.deployments : null,
    recovery: durations(t.recovery),
    exact: t.exact,
  };
}

/** The period just before `p`, as long as it. */
export function previousPeriod(p: Period): Period {
  const from = parseDay(p.from);
  const len = dayNumber(parseDay(p.to)) - dayNumber(from) + 1;
  return { ...p, from: formatDay(addDays(from, -len)), to: formatDay(addDays(from, -1)) };
}

export type KeyFigures = Omit<MetricsSummary, 'cover'>;

/**
 * The four keys over the period, per week, with bands and trends. `analysed`: at least the runs of
 * the period and of the one before (any order); `applications`: those of the scope with a deployment
 * at any time (listed in the frequency, with 0 when none in the period); `appName` names them.
 */
export function summarise(analysed: readonly FoldItem[], p: Period, applications: Iterable<number>, appName: (id: number) => string): KeyFigures {
  const cur = slice(analysed, p);
  const prev = slice(analysed, previousPeriod(p));
  const k = keys(cur);
  const kp = keys(prev);
  const apps = new Map<number, number>();
  for (const id of applications) apps.set(id, 0);
  for (const [id, n] of cur.perApplication) apps.set(id, n);
  return {
    frequency: {
      deployments: cur.total.deployments,
      rollbacks: cur.total.rollbacks,
      perWeek: k.perWeek,
      bucket: frequencyBucket(cur.days),
      trend: trend(k.perWeek, prev.weeks.length ? kp.perWeek : null, true),
      byApplication: [...apps]
        .map(([id, n]) => ({ applicationId: id, applicationName: appName(id), deployments: n, perWeek: cur.weeks.length ? n / cur.weeks.length : 0 }))
        .sort((a, b) => b.deployments - a.deployments || a.applicationName.localeCompare(b.applicationName)),
    },
    leadTime: { ...k.lead, bucket: durationBucket(k.lead.medianSeconds), trend: trend(k.lead.medianSeconds, kp.lead.medianSeconds, false) },
    changeFailure: { deployments: cur.total.deployments, failed: k.failed, rate: k.rate, bucket: failureBucket(k.rate), trend: trend(k.rate, kp.rate, false) },
    recovery: { ...k.recovery, exact: k.exact, bucket: durationBucket(k.recovery.medianSeconds), trend: trend(k.recovery.medianSeconds, kp.recovery.medianSeconds, false) },
    weeks: cur.weeks,
  };
}

/** The runs behind a key (optionally in one week): deployments (and rollbacks); with commits; failed; recovered. */
export function behind(analysed: readonly Analysed[], p: Period, key: MetricKey, week: string | undefined): Omit<MetricRun, 'applicationName' | 'environmentName' | 'kind' | 'commitsProblem'>[] {
  const keep: Record<MetricKey, (a: Analysed) => boolean> = {
    frequency: () => true,
    leadTime: (a) => a.leadSeconds.length > 0,
    changeFailure: (a) => a.failed,
    recovery: (a) => a.recoverySeconds !== null,
  };
  const from = p.zone.midnight(parseDay(p.from));
  const end = p.zone.midnight(addDays(parseDay(p.to), 1));
  return analysed
    .filter((a) => a.run.atMs >= from && a.run.atMs < end && (a.run.role === 'rollback' ? key === 'frequency' : keep[key](a)))
    .map((a) => ({ a, week: isoWeek(p.zone.dayOf(a.run.atMs)) }))
    .filter((x) => !week || x.week === week)
    .sort((x, y) => x.a.run.atMs - y.a.run.atMs || x.a.run.runId - y.a.run.runId)
    .map(({ a, week: w }) => ({
      runId: a.run.runId,
      applicationId: a.run.applicationId,
      environmentId: a.run.environmentId,
      releaseKey: a.run.releaseKey,
      week: w,
      at: new Date(a.run.atMs).toISOString(),
      failed: a.failed,
      causes: a.causes,
      fixedBy: a.fixedBy,
      fixesRunId: a.fixesRunId,
      leadCommits: a.leadSeconds.length,
      leadMedianSeconds: percentile(sortNum([...a.leadSeconds]), 0.5),
      recoverySeconds: a.recoverySeconds,
      recoveryExact: a.recoveryExact,
    }));
}
