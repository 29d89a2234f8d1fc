/**
 * Time for the Windows screens, with luxon (IANA zones, DST). The core stores every instant in UTC;
 * the UI shows them in the operator's zone (the machine's, or one chosen on the Windows screen) and,
 * per customer, in the customer's own zone.
 */
import { DateTime, Interval } from 'luxon';

export function systemZone(): string {
  return DateTime.local().zoneName ?? 'UTC';
}

export function isValidZone(z: string): boolean {
  return z.length > 0 && DateTime.local().setZone(z).isValid;
}

/** Some zones worth offering in the zone picker (plus whatever the data uses). */
export const COMMON_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Lisbon',
  'Europe/Madrid',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Athens',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Mexico_City',
  'America/Bogota',
  'America/Sao_Paulo',
  'America/Argentina/Buenos_Aires',
  'Asia/Dubai',
  'Asia/Kolkata',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Pacific/Auckland',
];

/**
 * The zone's abbreviation at that instant (CET/CEST, EST/EDT, BST…): each English locale knows only
 * its own region's names, so try both before falling back to "GMT+9".
 */
export function zoneAbbr(d: DateTime): string {
  let fallback = '';
  for (const locale of ['en-GB', 'en-US']) {
    const n = d.setLocale(locale).offsetNameShort ?? '';
    if (n && !/^GMT[+-]/.test(n)) return n;
    fallback ||= n;
  }
  return fallback || d.toFormat('ZZ');
}

export function inZone(iso: string, zone: string): DateTime {
  return DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone);
}

/** "Tue 1 Dec 2026, 22:00 CET". */
export function fmtDateTime(iso: string, zone: string, locale = 'en-GB'): string {
  const d = inZone(iso, zone).setLocale(locale);
  return `${d.toFormat('ccc d LLL yyyy, HH:mm')} ${zoneAbbr(d)}`;
}

export function fmtTime(iso: string, zone: string): string {
  return inZone(iso, zone).toFormat('HH:mm');
}

/** A window's span, compact: "Tue 1 Dec 22:00 – 02:00 (+1 day) CET". */
export function fmtSpan(startIso: string, endIso: string, zone: string, locale = 'en-GB'): string {
  const s = inZone(startIso, zone).setLocale(locale);
  const e = inZone(endIso, zone).setLocale(locale);
  const abbrS = zoneAbbr(s);
  const abbrE = zoneAbbr(e);
  const sameDay = s.hasSame(e, 'day');
  const days = Math.round(e.startOf('day').diff(s.startOf('day'), 'days').days);
  const endPart = sameDay ? e.toFormat('HH:mm') : days === 1 ? `${e.toFormat('HH:mm')} (next day)` : e.toFormat('ccc d LLL HH:mm');
  return `${s.toFormat('ccc d LLL yyyy, HH:mm')} – ${endPart} ${abbrS === abbrE ? abbrS : `${abbrS}→${abbrE}`}`;
}

export function fmtDuration(startIso: string, endIso: string): string {
  const mins = Math.round((Date.parse(endIso) - Date.parse(startIso)) / 60_000);
  if (mins < 60) return `${mins} min`;
  const h = Math.floor(mins / 60);
  const m = mins % 60;
  if (h < 48) return m ? `${h} h ${m} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return `${d} days ${h % 24} h`;
}

/** "in 3 days", "in 5 h", "2 h ago" — relative to now. */
export function fmtRelative(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const mins = Math.round(abs / 60_000);
  let s: string;
  if (mins < 1) return 'now';
  if (mins < 60) s = `${mins} min`;
  else if (mins < 48 * 60) s = `${Math.round(mins / 60)} h`;
  else s = `${Math.round(mins / 1440)} days`;
  return ms >= 0 ? `in ${s}` : `${s} ago`;
}

/** The value of an <input type="datetime-local"> showing `iso` in `zone`. */
export function toLocalInput(iso: string, zone: string): string {
  const d = inZone(iso, zone);
  return d.isValid ? d.toFormat("yyyy-LL-dd'T'HH:mm") : '';
}

/**
 * A datetime-local value read in `zone` → UTC ISO. Wall times skipped by a DST jump (e.g. 02:30 on
 * the spring-forward night) do not exist: `gap` is true and the instant is the one luxon shifts to.
 */
export function fromLocalInput(value: string, zone: string): { iso: string; gap: boolean } | null {
  if (!value) return null;
  const d = DateTime.fromISO(value, { zone });
  if (!d.isValid) return null;
  const gap = d.toFormat("yyyy-LL-dd'T'HH:mm") !== value.slice(0, 16);
  return { iso: d.toUTC().toISO({ suppressMilliseconds: true }) ?? '', gap };
}

/** The weeks (Mon–Sun) of the month containing `anchor`, as day starts in `zone`. */
export function monthGrid(anchor: DateTime): DateTime[][] {
  const first = anchor.startOf('month');
  let day = first.minus({ days: first.weekday - 1 });
  const weeks: DateTime[][] = [];
  for (let w = 0; w < 6; w++) {
    const week: DateTime[] = [];
    for (let i = 0; i < 7; i++) {
      week.push(day);
      day = day.plus({ days: 1 });
    }
    weeks.push(week);
    if (day.month !== anchor.month && day > first) break;
  }
  return weeks;
}

export function weekDays(anchor: DateTime): DateTime[] {
  const monday = anchor.startOf('day').minus({ days: anchor.weekday - 1 });
  return Array.from({ length: 7 }, (_, i) => monday.plus({ days: i }));
}

/** Whether [startIso, endIso) touches the calendar day `day` (in day's zone). */
export function touchesDay(startIso: string, endIso: string, day: DateTime): boolean {
  const s = DateTime.fromISO(startIso, { zone: 'utc' });
  const e = DateTime.fromISO(endIso, { zone: 'utc' });
  const d0 = day.startOf('day');
  const d1 = d0.plus({ days: 1 });
  return s < d1 && e > d0;
}

/**
 * Where a window sits in a week-view day column: fractions [top, bottom] of the day (0–1), using
 * real elapsed time so a 23- or 25-hour DST day still maps correctly.
 */
export function dayFraction(startIso: string, endIso: string, day: DateTime): { top: number; bottom: number } | null {
  const d0 = day.startOf('day');
  const d1 = d0.plus({ days: 1 });
  const iv = Interval.fromDateTimes(d0, d1);
  const s = DateTime.fromISO(startIso, { zone: 'utc' });
  const e = DateTime.fromISO(endIso, { zone: 'utc' });
  if (!(s < d1 && e > d0)) return null;
  const len = iv.length('milliseconds');
  const top = Math.max(0, s.diff(d0).as('milliseconds') / len);
  const bottom = Math.min(1, e.diff(d0).as('milliseconds') / len);
  return { top, bottom };
}

/** Lanes for overlapping blocks in one day column (greedy by start). */
export function lanes<T extends { start: string; end: string }>(items: T[]): { item: T; lane: number; lanes: number }[] {
  const sorted = [...items].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const laneEnds: number[] = [];
  const placed = sorted.map((item) => {
    const s = Date.parse(item.start);
    let lane = laneEnds.findIndex((end) => end <= s);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(0);
    }
    laneEnds[lane] = Date.parse(item.end);
    return { item, lane };
  });
  const total = Math.max(1, laneEnds.length);
  return placed.map((p) => ({ ...p, lanes: total }));
}

export function utcIso(d: DateTime): string {
  return d.toUTC().toISO({ suppressMilliseconds: true }) ?? '';
}
