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

function durations(xs: number[]): { count: number; medianSeconds: number | null; p90Seconds: number | null } {
  // a typed array sorts numbers natively: the period's lead times are one value per commit
  const s = Float64Array.from(xs).sort();
  return { count: s.length, medianSeconds: percentile(s, 0.5), p90Seconds: percentile(s, 0.9) };
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

interface Slice {
  weeks: WeekPoint[];
  deployments: Analysed[];
  rollbacks: number;
  days: { monday: LocalDay; days: number }[];
}

/** The analysed runs of a period, per ISO week of the zone. */
function slice(all: Iterable<Analysed>, p: Period): Slice {
  const from = parseDay(p.from);
  const to = parseDay(p.to);
  const startMs = p.zone.midnight(from);
  const endMs = p.zone.midnight(addDays(to, 1));
  const weeks = weeksBetween(from, to);
  const firstMonday = dayNumber(weeks[0]!.monday);
  const per = weeks.map(() => ({ deps: [] as Analysed[], rollbacks: 0, days: new Set<number>() }));
  const deployments: Analysed[] = [];
  let rollbacks = 0;
  for (const a of all) {
    if (a.run.atMs < startMs || a.run.atMs >= endMs) continue;
    const day = p.zone.dayNumberOf(a.run.atMs);
    const w = per[Math.floor((day - firstMonday) / 7)]!;
    if (a.run.role === 'rollback') {
      w.rollbacks++;
      rollbacks++;
      continue;
    }
    w.deps.push(a);
    w.days.add(day);
    deployments.push(a);
  }
  return {
    deployments,
    rollbacks,
    days: weeks.map((w, i) => ({ monday: w.monday, days: per[i]!.days.size })),
    weeks: weeks.map((w, i) => {
      const { deps, rollbacks: rb } = per[i]!;
      const failed = deps.filter((d) => d.failed).length;
      const lead = durations(deps.flatMap((d) => d.leadSeconds));
      const rec = durations(deps.flatMap((d) => (d.recoverySeconds === null ? [] : [d.recoverySeconds])));
      return {
        week: w.week,
        monday: formatDay(w.monday),
        deployments: deps.length,
        rollbacks: rb,
        failed,
        failureRate: deps.length ? failed / deps.length : null,
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
  const failed = s.deployments.filter((d) => d.failed).length;
  const recovered = s.deployments.filter((d) => d.recoverySeconds !== null);
  return {
    perWeek: s.weeks.length ? s.deployments.length / s.weeks.length : 0,
    lead: durations(s.deployments.flatMap((d) => d.leadSeconds)),
    failed,
    rate: s.deployments.length ? failed / s.deployments.length : null,
    recovery: durations(recovered.map((d) => d.recoverySeconds!)),
    exact: recovered.filter((d) => d.recoveryExact).length,
  };
}

/** The period just before `p`, as long as it. */
export function previousPeriod(p: Period): Period {
  const from = parseDay(p.from);
  const len = dayNumber(parseDay(p.to)) - dayNumber(from) + 1;
  return { ...p, from: formatDay(addDays(from, -len)), to: formatDay(addDays(from, -1)) };
}

export type KeyFigures = Omit<MetricsSummary, 'cover'>;

/** The four keys over the period, per week, with bands and trends. `appName` names the applications. */
export function summarise(analysed: Map<number, Analysed>, p: Period, appName: (id: number) => string): KeyFigures {
  const cur = slice(analysed.values(), p);
  const prev = slice(analysed.values(), previousPeriod(p));
  const k = keys(cur);
  const kp = keys(prev);
  const apps = new Map<number, number>();
  for (const a of analysed.values()) if (a.run.role === 'deployment') apps.set(a.run.applicationId, 0);
  for (const d of cur.deployments) apps.set(d.run.applicationId, apps.get(d.run.applicationId)! + 1);
  return {
    frequency: {
      deployments: cur.deployments.length,
      rollbacks: cur.rollbacks,
      perWeek: k.perWeek,
      bucket: frequencyBucket(cur.days),
      trend: trend(k.perWeek, prev.weeks.length ? kp.perWeek : null, true),
      byApplication: [...apps]
        .map(([id, n]) => ({ applicationId: id, applicationName: appName(id), deployments: n, perWeek: cur.weeks.length ? n / cur.weeks.length : 0 }))
        .sort((a, b) => b.deployments - a.deployments || a.applicationName.localeCompare(b.applicationName)),
    },
    leadTime: { ...k.lead, bucket: durationBucket(k.lead.medianSeconds), trend: trend(k.lead.medianSeconds, kp.lead.medianSeconds, false) },
    changeFailure: { deployments: cur.deployments.length, failed: k.failed, rate: k.rate, bucket: failureBucket(k.rate), trend: trend(k.rate, kp.rate, false) },
    recovery: { ...k.recovery, exact: k.exact, bucket: durationBucket(k.recovery.medianSeconds), trend: trend(k.recovery.medianSeconds, kp.recovery.medianSeconds, false) },
    weeks: cur.weeks,
  };
}

/** The runs behind a key (optionally in one week): deployments; with commits; failed; recovered. */
export function behind(analysed: Map<number, Analysed>, p: Period, key: MetricKey, week: string | undefined): Omit<MetricRun, 'applicationName' | 'environmentName' | 'kind'>[] {
  const s = slice(analysed.values(), p);
  const keep: Record<MetricKey, (a: Analysed) => boolean> = {
    frequency: () => true,
    leadTime: (a) => a.leadSeconds.length > 0,
    changeFailure: (a) => a.failed,
    recovery: (a) => a.recoverySeconds !== null,
  };
  const rows = [...s.deployments, ...(key === 'frequency' ? [...analysed.values()].filter((a) => a.run.role === 'rollback') : [])];
  const from = p.zone.midnight(parseDay(p.from));
  const end = p.zone.midnight(addDays(parseDay(p.to), 1));
  return rows
    .filter((a) => a.run.atMs >= from && a.run.atMs < end && keep[key](a))
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
