/**
 * Calendar arithmetic in one IANA zone, fast enough for 100 000 instants: local days, ISO weeks
 * (Monday first, week 1 holds the year's first Thursday) and local midnights, right across DST
 * changes. The zone's offset is read from Intl once per UTC day (twice when it changes that day).
 */

const DAY = 86_400_000;

export interface LocalDay {
  y: number;
  m: number;
  d: number;
}

export class Zone {
  private readonly fmt: Intl.DateTimeFormat;
  /** Offset (ms) at the start and at the end of each UTC day, keyed by the day's number. */
  private readonly days = new Map<number, [number, number]>();

  constructor(readonly name: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The zone's offset from UTC at instant `ms`, in ms. */
  offset(ms: number): number {
    const day = Math.floor(ms / DAY);
    let o = this.days.get(day);
    if (!o) {
      o = [this.exactOffset(day * DAY), this.exactOffset(day * DAY + DAY - 1)];
      this.days.set(day, o);
    }
    return o[0] === o[1] ? o[0] : this.exactOffset(ms);
  }

  private exactOffset(ms: number): number {
    const p: Record<string, number> = {};
    for (const part of this.fmt.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
  }

  /** The local calendar day of an instant, as days since 1970-01-01 (see `dayNumber`). */
  dayNumberOf(ms: number): number {
    return Math.floor((ms + this.offset(ms)) / DAY);
  }

  /** The local calendar day of an instant. */
  dayOf(ms: number): LocalDay {
    const t = new Date(ms + this.offset(ms));
    return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
  }

  /** The instant of a local day's midnight (the first instant of that day, across a DST change too). */
  midnight(day: LocalDay): number {
    const wall = Date.UTC(day.y, day.m - 1, day.d);
    let ms = wall - this.offset(wall);
    ms = wall - this.offset(ms);
    return ms;
  }
}

/** Days since 1970-01-01 of a calendar day (no zone: a plain date). */
export const dayNumber = (day: LocalDay): number => Date.UTC(day.y, day.m - 1, day.d) / DAY;

export function parseDay(s: string): LocalDay {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  return { y, m, d };
}

export function formatDay(day: LocalDay): string {
  return `${String(day.y).padStart(4, '0')}-${String(day.m).padStart(2, '0')}-${String(day.d).padStart(2, '0')}`;
}

/** The day `n` days after `day`. */
export function addDays(day: LocalDay, n: number): LocalDay {
  const t = new Date((dayNumber(day) + n) * DAY);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** The Monday of the ISO week holding `day`. */
export function mondayOf(day: LocalDay): LocalDay {
  const dow = (new Date(dayNumber(day) * DAY).getUTCDay() + 6) % 7;
  return addDays(day, -dow);
}

/** ISO week label (2026-W05) of the week holding `day`: the year is the one of its Thursday. */
export function isoWeek(day: LocalDay): string {
  const thursday = addDays(mondayOf(day), 3);
  const jan1 = dayNumber({ y: thursday.y, m: 1, d: 1 });
  const week = Math.floor((dayNumber(thursday) - jan1) / 7) + 1;
  return `${thursday.y}-W${String(week).padStart(2, '0')}`;
}

/** The ISO weeks touching [from, to] (local days), each with its Monday, in order. */
export function weeksBetween(from: LocalDay, to: LocalDay): { week: string; monday: LocalDay }[] {
  const out: { week: string; monday: LocalDay }[] = [];
  for (let m = mondayOf(from); dayNumber(m) <= dayNumber(to); m = addDays(m, 7)) out.push({ week: isoWeek(m), monday: m });
  return out;
}

const zones = new Map<string, Zone>();
/** One Zone per name for the process, so its per-day offsets are read once. */
export function zoneOf(name: string): Zone {
  let z = zones.get(name);
  if (!z) zones.set(name, (z = new Zone(name)));
  return z;
}
