/** The lifecycle ladder, pure: due points, stages, catch-up windows and periods (electron/core/contracts/stages.ts). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIFECYCLE_POLICY, type LifecyclePolicy } from '../../shared/contract/contracts.js';
import { calendarStage, dayStart, dueBetween, duePoints, effectivePolicy, localDate, nextPoint, storedState } from '../../electron/core/contracts/stages.js';

const policy: LifecyclePolicy = { ...DEFAULT_LIFECYCLE_POLICY, reminderDaysBefore: [30, 14, 7, 1], overdueReminderDaysAfter: [1, 7], graceDays: 15 };
const madrid = { id: 7, endDate: '2026-11-30', timezone: 'Europe/Madrid' };

describe('due points', () => {
  it('falls on the customer’s calendar days: reminders before the end, expiry the day after, overdue after, suspension after the grace', () => {
    const points = duePoints(madrid, policy);
    expect(points.map((p) => [p.kind, p.days, p.date])).toEqual([
      ['reminder', 30, '2026-10-31'],
      ['reminder', 14, '2026-11-16'],
      ['reminder', 7, '2026-11-23'],
      ['reminder', 1, '2026-11-29'],
      ['expired', null, '2026-12-01'],
      ['overdue_reminder', 1, '2026-12-01'],
      ['overdue_reminder', 7, '2026-12-07'],
      ['suspension_due', null, '2026-12-16'],
    ]);
    // Midnight in Madrid: 23:00 UTC the day before in winter (CET), 22:00 in summer (CEST, until 2026-10-25).
    expect(points[1]!.at).toBe('2026-11-15T23:00:00.000Z');
    expect(dayStart('2026-10-20', 'Europe/Madrid').at).toBe('2026-10-19T22:00:00.000Z');
    expect(points.every((p) => p.period === '2026-11-30')).toBe(true);
  });

  it('keys each point by contract, stage and period; a renewal (new end date) gives new keys', () => {
    const keys = duePoints(madrid, policy).map((p) => p.key);
    expect(keys).toContain('contract:7:reminder:14:2026-11-30');
    expect(keys).toContain('contract:7:expired:2026-11-30');
    expect(new Set(keys).size).toBe(keys.length);
    const renewed = duePoints({ ...madrid, endDate: '2027-11-30' }, policy).map((p) => p.key);
    expect(renewed.filter((k) => keys.includes(k))).toEqual([]);
  });

  it('ignores repeated days in a policy', () => {
    expect(duePoints(madrid, { ...policy, reminderDaysBefore: [7, 7, 1] }).filter((p) => p.kind === 'reminder')).toHaveLength(2);
  });
});

describe('catch-up', () => {
  it('a clock jumped 40 days yields every point in between once, in order; the next window yields none of them again', () => {
    const since = '2026-10-25T12:00:00.000Z';
    const jumped = new Date(Date.parse(since) + 40 * 86_400_000).toISOString();
    const first = dueBetween(madrid, policy, since, jumped);
    expect(first.map((p) => p.key)).toEqual([
      'contract:7:reminder:30:2026-11-30',
      'contract:7:reminder:14:2026-11-30',
      'contract:7:reminder:7:2026-11-30',
      'contract:7:reminder:1:2026-11-30',
      'contract:7:expired:2026-11-30',
      'contract:7:overdue_reminder:1:2026-11-30',
    ]);
    const later = new Date(Date.parse(jumped) + 3_600_000).toISOString();
    expect(dueBetween(madrid, policy, jumped, later)).toEqual([]);
  });

  it('hourly windows that tile the same span give the same points as one jump', () => {
    const from = Date.parse('2026-10-25T12:00:00.000Z');
    const hourly: string[] = [];
    for (let t = from; t < from + 40 * 86_400_000; t += 3_600_000) {
      hourly.push(...dueBetween(madrid, policy, new Date(t).toISOString(), new Date(t + 3_600_000).toISOString()).map((p) => p.key));
    }
    expect(hourly).toEqual(dueBetween(madrid, policy, new Date(from).toISOString(), new Date(from + 40 * 86_400_000).toISOString()).map((p) => p.key));
  });

  it('a point exactly at the window end is in it, at its start is not', () => {
    const at = duePoints(madrid, policy).find((p) => p.kind === 'expired')!.at;
    expect(dueBetween(madrid, policy, '2026-11-01T00:00:00.000Z', at).map((p) => p.kind)).toContain('expired');
    expect(dueBetween(madrid, policy, at, '2026-12-02T00:00:00.000Z').map((p) => p.kind)).not.toContain('expired');
  });
});

describe('stages', () => {
  const at = (iso: string) => calendarStage(madrid, policy, iso);
  it('active → expiring at the first reminder → grace after the end date → suspension_due after the grace days', () => {
    expect(at('2026-10-30T22:59:59.000Z')).toBe('active');
    expect(at('2026-10-30T23:00:00.000Z')).toBe('expiring');
    expect(at('2026-11-30T22:59:59.000Z')).toBe('expiring'); // the end date is the contract's last day
    expect(at('2026-11-30T23:00:00.000Z')).toBe('grace');
    expect(at('2026-12-15T22:59:59.000Z')).toBe('grace');
    expect(at('2026-12-15T23:00:00.000Z')).toBe('suspension_due');
  });

  it('without reminders a contract is active until it ends; zero grace days: suspension due the day after the end', () => {
    const p = { ...policy, reminderDaysBefore: [], graceDays: 0 };
    expect(calendarStage(madrid, p, '2026-11-29T12:00:00.000Z')).toBe('active');
    expect(calendarStage(madrid, p, '2026-12-01T00:00:00.000Z')).toBe('suspension_due');
  });

  it('maps to the stored label: expiring is active, suspension_due is grace', () => {
    expect(['active', 'expiring', 'grace', 'suspension_due', 'suspended', 'terminated'].map((s) => storedState(s as never))).toEqual(['active', 'active', 'grace', 'grace', 'suspended', 'terminated']);
  });

  it('names the next point', () => {
    expect(nextPoint(madrid, policy, '2026-11-20T00:00:00.000Z')).toMatchObject({ kind: 'reminder', days: 7 });
    expect(nextPoint(madrid, policy, '2027-01-01T00:00:00.000Z')).toBeNull();
  });
});

describe('zones and policy', () => {
  it('reads dates in the customer’s zone; an unknown zone reads as UTC', () => {
    expect(dayStart('2026-03-29', 'America/New_York')).toEqual({ date: '2026-03-29', at: '2026-03-29T04:00:00.000Z' });
    expect(dayStart('2026-03-29', 'Nowhere/City', 2)).toEqual({ date: '2026-03-31', at: '2026-03-31T00:00:00.000Z' });
    expect(localDate(new Date('2026-11-30T23:30:00.000Z'), 'Europe/Madrid')).toBe('2026-12-01');
    expect(localDate(new Date('2026-11-30T23:30:00.000Z'), 'UTC')).toBe('2026-11-30');
  });

  it('a contract’s own settings override the defaults; null keeps the default', () => {
    const p = effectivePolicy(policy, { reminderDaysBefore: [10], suspensionMode: null, stopWorkers: ['queue'] });
    expect(p).toMatchObject({ reminderDaysBefore: [10], suspensionMode: 'propose', stopWorkers: ['queue'], overdueReminderDaysAfter: [1, 7] });
  });
});
