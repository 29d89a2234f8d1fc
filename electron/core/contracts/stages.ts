/**
 * The lifecycle ladder of one contract, PURE: contract + policy + instants in → due points and stage
 * out. No database, no clock of its own (the evaluator passes `now`), so catch-up after a laptop slept
 * for weeks is the same computation as an hourly tick.
 *
 * Dates are the customer's calendar: a point "due on 2026-11-16" is due from 00:00 that day in the
 * customer's zone. The end date is the contract's last day, so it expires at the start of the next
 * day. A point's period is the end date it was about: after a renewal (a new end date) the same
 * kinds of reminder come due again, under new keys.
 */
import { DateTime } from 'luxon';
import type { DueKind, LifecyclePolicy, LifecycleStage } from '../../../shared/contract/contracts.js';

export interface StageContract {
  id: number;
  /** Last day of the contract, YYYY-MM-DD. */
  endDate: string;
  /** The customer's IANA zone. */
  timezone: string;
}

export interface DuePoint {
  kind: DueKind;
  /** Days before (reminder) or after (overdue_reminder) the end date; null otherwise. */
  days: number | null;
  /** The end date the point is about. */
  period: string;
  /** The customer's calendar day it falls on, and that day's start as a UTC instant. */
  date: string;
  at: string;
  /** Idempotency key: contract, stage, period. */
  key: string;
}

/** Start of a calendar day (plus `days`) in a zone, as an ISO UTC instant; an unknown zone reads as UTC. */
export function dayStart(date: string, timezone: string, days = 0): { date: string; at: string } {
  let d = DateTime.fromISO(date, { zone: timezone });
  if (!d.isValid) d = DateTime.fromISO(date, { zone: 'utc' });
  const day = d.startOf('day').plus({ days });
  return { date: day.toISODate()!, at: day.toUTC().toISO()! };
}

/** Today's date in a zone at `now`. */
export function localDate(now: Date, timezone: string): string {
  const d = DateTime.fromJSDate(now, { zone: timezone });
  return (d.isValid ? d : DateTime.fromJSDate(now, { zone: 'utc' })).toISODate()!;
}

export function dueKey(contractId: number, kind: DueKind, days: number | null, period: string): string {
  return `contract:${contractId}:${kind}${days === null ? '' : `:${days}`}:${period}`;
}

/** Every point of the contract's current period, in time order. */
export function duePoints(c: StageContract, p: LifecyclePolicy): DuePoint[] {
  const point = (kind: DueKind, days: number | null, offset: number): DuePoint => ({
    kind,
    days,
    period: c.endDate,
    ...dayStart(c.endDate, c.timezone, offset),
    key: dueKey(c.id, kind, days, c.endDate),
  });
  const out = [
    ...[...new Set(p.reminderDaysBefore)].map((d) => point('reminder', d, -d)),
    point('expired', null, 1),
    ...[...new Set(p.overdueReminderDaysAfter)].map((d) => point('overdue_reminder', d, d)),
    point('suspension_due', null, p.graceDays + 1),
  ];
  // Same instant: the ladder's order (an overdue reminder on the day suspension comes due goes first).
  const rank: Record<DueKind, number> = { reminder: 0, expired: 1, overdue_reminder: 2, suspension_due: 3 };
  return out.sort((a, b) => a.at.localeCompare(b.at) || rank[a.kind] - rank[b.kind]);
}

/** The points that came due in (since, now]: what an evaluation at `now` handles. */
export function dueBetween(c: StageContract, p: LifecyclePolicy, since: string, now: string): DuePoint[] {
  return duePoints(c, p).filter((d) => d.at > since && d.at <= now);
}

/**
 * The stage the calendar alone gives at `now` (before suspensions, holds and termination are laid
 * over it by the evaluator): expiring from the first reminder, grace after the end date,
 * suspension_due once the grace days are over.
 */
export function calendarStage(c: StageContract, p: LifecyclePolicy, now: string): Exclude<LifecycleStage, 'suspended' | 'terminated'> {
  const points = duePoints(c, p);
  const at = (k: DueKind) => points.find((d) => d.kind === k)!.at;
  if (now >= at('suspension_due')) return 'suspension_due';
  if (now >= at('expired')) return 'grace';
  const first = points.find((d) => d.kind === 'reminder');
  return first && now >= first.at ? 'expiring' : 'active';
}

/** The next point after `now`, if any. */
export function nextPoint(c: StageContract, p: LifecyclePolicy, now: string): DuePoint | null {
  return duePoints(c, p).find((d) => d.at > now) ?? null;
}

/** The coarse label stored in `contracts.state` for a stage. */
export function storedState(stage: LifecycleStage): 'active' | 'grace' | 'suspended' | 'terminated' {
  if (stage === 'active' || stage === 'expiring') return 'active';
  if (stage === 'grace' || stage === 'suspension_due') return 'grace';
  return stage;
}

/** Merges a contract's own settings over the defaults (null/absent: the default). */
export function effectivePolicy(defaults: LifecyclePolicy, own: Partial<{ [K in keyof LifecyclePolicy]: LifecyclePolicy[K] | null }>): LifecyclePolicy {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(own)) if (v !== null && v !== undefined) out[k] = v;
  return out as unknown as LifecyclePolicy;
}
