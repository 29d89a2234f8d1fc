/** The Windows screens' time helpers (renderer, luxon): zones, DST gaps, calendar geometry. */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { dayFraction, fmtDateTime, fmtSpan, fromLocalInput, lanes, monthGrid, toLocalInput, touchesDay, weekDays, zoneAbbr } from '../../renderer/src/features/windows/time.js';

describe('windows time helpers', () => {
  it('reads a typed local time in the operator zone and writes UTC, both sides of a DST change', () => {
    expect(fromLocalInput('2026-03-28T22:00', 'Europe/Madrid')).toEqual({ iso: '2026-03-28T21:00:00Z', gap: false }); // CET, UTC+1
    expect(fromLocalInput('2026-03-29T22:00', 'Europe/Madrid')).toEqual({ iso: '2026-03-29T20:00:00Z', gap: false }); // CEST, UTC+2
    expect(fromLocalInput('2026-11-03T22:00', 'America/New_York')).toEqual({ iso: '2026-11-04T03:00:00Z', gap: false }); // EST
    expect(fromLocalInput('', 'UTC')).toBeNull();
    expect(toLocalInput('2026-03-29T20:00:00Z', 'Europe/Madrid')).toBe('2026-03-29T22:00');
    expect(toLocalInput('2026-03-29T20:00:00Z', 'America/New_York')).toBe('2026-03-29T16:00');
  });

  it('flags a wall time skipped by spring-forward instead of silently reading another hour', () => {
    const r = fromLocalInput('2026-03-29T02:30', 'Europe/Madrid')!;
    expect(r.gap).toBe(true);
    expect(r.iso).toBe('2026-03-29T01:30:00Z'); // shown as 03:30 CEST
    expect(fmtDateTime(r.iso, 'Europe/Madrid')).toBe('Sun 29 Mar 2026, 03:30 CEST');
  });

  it('names the zone as people read it (CET/CEST, EST/EDT, BST) and marks a span crossing a change', () => {
    const d = DateTime.fromISO('2026-07-01T12:00:00Z');
    expect(zoneAbbr(d.setZone('Europe/Madrid'))).toBe('CEST');
    expect(zoneAbbr(d.setZone('America/New_York'))).toBe('EDT');
    expect(zoneAbbr(d.setZone('Europe/London'))).toBe('BST');
    expect(zoneAbbr(d.setZone('Asia/Tokyo'))).toBe('GMT+9');
    // 25 Oct 2026: clocks go back at 03:00 CEST → 02:00 CET.
    expect(fmtSpan('2026-10-24T23:00:00Z', '2026-10-25T03:00:00Z', 'Europe/Madrid')).toBe('Sun 25 Oct 2026, 01:00 – 04:00 CEST→CET');
    expect(fmtSpan('2026-12-01T21:00:00Z', '2026-12-02T00:00:00Z', 'Europe/Madrid')).toBe('Tue 1 Dec 2026, 22:00 – 01:00 (next day) CET');
  });

  it('builds month grids from Monday and week days in the zone', () => {
    const grid = monthGrid(DateTime.fromISO('2026-03-15', { zone: 'Europe/Madrid' }));
    expect(grid[0]![0]!.toISODate()).toBe('2026-02-23');
    expect(grid.every((w) => w.length === 7 && w[0]!.weekday === 1)).toBe(true);
    expect(grid[grid.length - 1]![6]!.toISODate()).toBe('2026-04-05');
    const week = weekDays(DateTime.fromISO('2026-03-29T12:00', { zone: 'Europe/Madrid' }));
    expect(week.map((d) => d.toISODate())).toEqual(['2026-03-23', '2026-03-24', '2026-03-25', '2026-03-26', '2026-03-27', '2026-03-28', '2026-03-29']);
  });

  it('places windows on days by real elapsed time, also on a 23-hour DST day', () => {
    const day = DateTime.fromISO('2026-03-29', { zone: 'Europe/Madrid' }); // 23 hours long
    // 00:00–01:00 CET → the first 1/23 of the day.
    const f = dayFraction('2026-03-28T23:00:00Z', '2026-03-29T00:00:00Z', day)!;
    expect(f.top).toBe(0);
    expect(f.bottom).toBeCloseTo(1 / 23, 6);
    expect(touchesDay('2026-03-28T22:00:00Z', '2026-03-28T23:00:00Z', day)).toBe(false); // ends at local midnight
    expect(touchesDay('2026-03-28T22:00:00Z', '2026-03-28T23:30:00Z', day)).toBe(true);
    expect(dayFraction('2026-03-30T10:00:00Z', '2026-03-30T11:00:00Z', day)).toBeNull();
  });

  it('puts overlapping windows side by side', () => {
    const placed = lanes([
      { start: '2026-01-01T10:00:00Z', end: '2026-01-01T12:00:00Z' },
      { start: '2026-01-01T11:00:00Z', end: '2026-01-01T13:00:00Z' },
      { start: '2026-01-01T12:00:00Z', end: '2026-01-01T14:00:00Z' },
    ]);
    expect(placed.map((p) => p.lane)).toEqual([0, 1, 0]);
    expect(placed.every((p) => p.lanes === 2)).toBe(true);
  });
});
