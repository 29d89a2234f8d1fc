/** Words, tones and small computations of the contract lifecycle screens (pure, unit-tested). */
import type { DueKind, LifecycleStage, TimelineItem } from '../../../../shared/contract/contracts.js';
import { liftedByRenewal, type Suspension, type SuspensionReason } from '../../../../shared/contract/suspension.js';

export const STAGE_LABEL: Record<LifecycleStage, string> = {
  active: 'active',
  expiring: 'expiring',
  grace: 'in grace',
  suspension_due: 'suspension due',
  suspended: 'suspended',
  terminated: 'terminated',
};

export const REASON_LABEL: Record<SuspensionReason, string> = { overdue: 'overdue payment', terms: 'terms of service', manual: 'manual' };

export type TimelineStatus = TimelineItem['status'];

export const STATUS_LABEL: Record<TimelineStatus, string> = {
  done: 'done',
  due: 'due now',
  upcoming: 'upcoming',
  held: 'on hold',
  covered: 'covered by another contract',
  skipped: 'not sent (already past when entered)',
};

/** What happens at a due point, in the operator's words. */
export function dueLabel(kind: DueKind, days: number | null): string {
  switch (kind) {
    case 'reminder':
      return days === 1 ? 'Reminder: ends tomorrow' : `Reminder, ${days ?? '?'} days before the end`;
    case 'expired':
      return 'End date passes: grace starts';
    case 'overdue_reminder':
      return `Overdue reminder, ${days ?? '?'} ${days === 1 ? 'day' : 'days'} after the end`;
    case 'suspension_due':
      return 'Suspension due';
  }
}

/** Timeline items in date order, in one group per month (`2026-12`). */
export function byMonth(items: readonly TimelineItem[]): { month: string; items: TimelineItem[] }[] {
  const sorted = [...items].sort((a, b) => a.at.localeCompare(b.at) || a.reference.localeCompare(b.reference));
  const groups: { month: string; items: TimelineItem[] }[] = [];
  for (const it of sorted) {
    const month = it.date.slice(0, 7);
    const last = groups[groups.length - 1];
    if (last?.month === month) last.items.push(it);
    else groups.push({ month, items: [it] });
  }
  return groups;
}

/** "December 2026" for a `2026-12` key, in the browser's language. */
export function monthTitle(month: string): string {
  const d = new Date(`${month}-01T00:00:00Z`);
  return d.toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** The hosts a suspension covers, by name, in its order. */
export const hostNames = (s: Suspension): string[] => s.hosts.map((h) => h.serverName);

/**
 * What recording a renewal does to the suspensions in force: an `overdue` one is reinstated (the
 * reverse run), a `terms` or `manual` one stays — only the operator lifts those.
 */
export function renewEffects(inForce: readonly Suspension[]): { reinstates: string[]; keeps: string[] } {
  const reinstates: string[] = [];
  const keeps: string[] = [];
  for (const s of inForce) {
    const where = `${s.applicationName} on ${hostNames(s).join(', ') || 'no host'} (${s.environmentName})`;
    if (liftedByRenewal(s.reason)) reinstates.push(`Reinstates ${where}: the site answers again and the stopped workers start.`);
    else keeps.push(`${where} stays suspended: a ${REASON_LABEL[s.reason]} suspension is not lifted by a renewal.`);
  }
  return { reinstates, keeps };
}

/** "1 day", "2 hours", "90 seconds": a Retry-After value for people. */
export function retryAfterText(seconds: number): string {
  const unit = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  if (seconds % 86_400 === 0) return unit(seconds / 86_400, 'day');
  if (seconds % 3_600 === 0) return unit(seconds / 3_600, 'hour');
  if (seconds % 60 === 0) return unit(seconds / 60, 'minute');
  return unit(seconds, 'second');
}

/**
 * "30, 14, 7, 1" ⇄ [30, 14, 7, 1]: day lists as typed in a field, without repeats, in the order they
 * come due (days before the end: descending; after: `ascending`); null when a part is not a whole day count 1–365.
 */
export function parseDays(text: string, ascending = false): number[] | null {
  const parts = text
    .split(/[\s,;]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const days = parts.map(Number);
  if (days.some((d) => !Number.isInteger(d) || d < 1 || d > 365)) return null;
  return [...new Set(days)].sort((a, b) => (ascending ? a - b : b - a));
}

export const daysText = (days: readonly number[]): string => days.join(', ');
