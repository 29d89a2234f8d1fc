/** The pure parts of the contract lifecycle screens (renderer/src/features/contracts). */
import { describe, expect, it } from 'vitest';
import type { TimelineItem } from '../../shared/contract/contracts.js';
import type { Suspension } from '../../shared/contract/suspension.js';
import { byMonth, dueLabel, parseDays, renewEffects, retryAfterText } from '../../renderer/src/features/contracts/lifecycle.js';
import { draftOf, readDraft } from '../../renderer/src/features/contracts/policyDraft.js';
import { DEFAULT_LIFECYCLE_POLICY } from '../../shared/contract/contracts.js';

const item = (date: string, reference: string, kind: TimelineItem['kind'] = 'reminder'): TimelineItem => ({
  contractId: 1,
  reference,
  customerId: 1,
  customerName: 'Acme',
  applicationId: null,
  applicationName: null,
  kind,
  days: 7,
  at: `${date}T00:00:00.000Z`,
  date,
  period: '2027-01-31',
  status: 'upcoming',
});

const suspension = (over: Partial<Suspension>): Suspension =>
  ({
    id: 1,
    contractId: 1,
    contractReference: 'HC-1',
    applicationId: 1,
    applicationName: 'shop',
    environmentId: 1,
    environmentName: 'production',
    reason: 'overdue',
    state: 'suspended',
    hosts: [{ serverName: 'web-1' }, { serverName: 'web-2' }],
    ...over,
  }) as Suspension;

describe('contract lifecycle screens', () => {
  it('groups the timeline by month in date order', () => {
    const g = byMonth([item('2027-01-30', 'B'), item('2026-12-20', 'A'), item('2027-01-02', 'C'), item('2027-01-30', 'A')]);
    expect(g.map((x) => x.month)).toEqual(['2026-12', '2027-01']);
    expect(g[1]!.items.map((i) => `${i.date} ${i.reference}`)).toEqual(['2027-01-02 C', '2027-01-30 A', '2027-01-30 B']);
  });

  it('names what is due', () => {
    expect(dueLabel('reminder', 14)).toBe('Reminder, 14 days before the end');
    expect(dueLabel('reminder', 1)).toBe('Reminder: ends tomorrow');
    expect(dueLabel('overdue_reminder', 1)).toBe('Overdue reminder, 1 day after the end');
    expect(dueLabel('suspension_due', null)).toBe('Suspension due');
  });

  it('a renewal reinstates overdue suspensions and names the hosts; terms and manual stay', () => {
    const fx = renewEffects([suspension({}), suspension({ id: 2, applicationName: 'api', reason: 'terms', hosts: [] })]);
    expect(fx.reinstates).toEqual(['Reinstates shop on web-1, web-2 (production): the site answers again and the stopped workers start.']);
    expect(fx.keeps).toEqual(['api on no host (production) stays suspended: a terms of service suspension is not lifted by a renewal.']);
    expect(renewEffects([])).toEqual({ reinstates: [], keeps: [] });
  });

  it('reads day lists and Retry-After values as people type them', () => {
    expect(parseDays('1, 30 ,14;7 7')).toEqual([30, 14, 7, 1]);
    expect(parseDays('7, 1', true)).toEqual([1, 7]);
    expect(parseDays('30, x')).toBeNull();
    expect(parseDays('0')).toBeNull();
    expect(retryAfterText(86_400)).toBe('1 day');
    expect(retryAfterText(7_200)).toBe('2 hours');
    expect(retryAfterText(90)).toBe('90 seconds');
  });

  it('a policy draft round-trips, and empty fields of a contract mean the default', () => {
    expect(readDraft(draftOf(DEFAULT_LIFECYCLE_POLICY), false)).toEqual({ value: DEFAULT_LIFECYCLE_POLICY, errors: {} });
    const blank = draftOf({ graceDays: 10 });
    expect(readDraft(blank, true)).toEqual({
      value: { reminderDaysBefore: null, overdueReminderDaysAfter: null, graceDays: 10, suspensionMode: null, suspensionReason: null, retryAfterSeconds: null, stopWorkers: null },
      errors: {},
    });
    expect(readDraft({ ...blank, stopWorkers: 'none' }, true).value.stopWorkers).toEqual([]);
    const bad = readDraft({ ...blank, graceDays: '', reminderDaysBefore: '400', retryAfterHours: '0', stopWorkers: 'Bad Name' }, true).errors;
    expect(Object.keys(bad).sort()).toEqual(['graceDays', 'reminderDaysBefore', 'retryAfterHours', 'stopWorkers']);
    expect(readDraft(draftOf({}), false).errors.suspensionMode).toBe('required');
  });
});
