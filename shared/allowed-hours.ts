/**
 * A contract's maintenance hours: one or more ranges of local time on chosen weekdays. A range whose
 * end is not after its start (22:00–06:00) runs into the next day, and the early hours belong to the
 * day it started on: Mon–Fri 22:00–06:00 allows Friday night until Saturday 06:00, not Monday 00:15.
 */

export interface AllowedRange {
  /** ISO weekdays 1 (Mon) … 7 (Sun) on which the range starts. */
  days: number[];
  /** HH:MM, local time in the customer's zone. */
  from: string;
  /** HH:MM (24:00 = midnight at the end of the day); not after `from` means the next day. */
  to: string;
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const minutes = (hm: string): number => {
  const [h, m] = hm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

/** The range's start and end in minutes after midnight of its starting day (the end may pass 24:00). */
export function rangeMinutes(r: AllowedRange): { from: number; to: number } {
  const from = minutes(r.from);
  const to = minutes(r.to);
  return { from, to: to > from ? to : to + 24 * 60 };
}

export const crossesMidnight = (r: AllowedRange): boolean => rangeMinutes(r).to > 24 * 60;

/** "Mon–Fri", "Sat, Sun", "Mon, Wed–Fri": runs of three or more days as a span. */
export function describeDays(days: number[]): string {
  const ds = [...new Set(days)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < ds.length; ) {
    let j = i;
    while (j + 1 < ds.length && ds[j + 1] === ds[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${DAY_NAMES[ds[i]! - 1]}–${DAY_NAMES[ds[j]! - 1]}`);
    else for (let k = i; k <= j; k++) parts.push(DAY_NAMES[ds[k]! - 1]!);
    i = j + 1;
  }
  return parts.join(', ');
}

/** e.g. "Mon–Fri 22:00–06:00 (into the next day); Sat, Sun 00:00–24:00". */
export function describeAllowedHours(ranges: AllowedRange[]): string {
  return ranges.map((r) => `${describeDays(r.days)} ${r.from}–${r.to}${crossesMidnight(r) ? ' (into the next day)' : ''}`).join('; ');
}
