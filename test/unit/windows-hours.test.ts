import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withinAllowedHours } from '../../electron/core/windows/conflicts.js';
import { describeAllowedHours } from '../../shared/allowed-hours.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { seedSmallInventory, type SmallInventory } from '../helpers/windows-fixture.js';

/** Issue 11, item 1: contract hours that cross midnight, and several ranges per contract. */

const MADRID = 'Europe/Madrid';
const NIGHTS = [{ days: [1, 2, 3, 4, 5], from: '22:00', to: '06:00' }];
// Monday 6 April 2026, Madrid is UTC+2 (CEST).
const local = (d: string, hm: string) => new Date(Date.parse(`${d}T${hm}:00+02:00`)).toISOString();

describe('contract hours crossing midnight', () => {
  it('Mon–Fri 22:00–06:00 allows the evening, the small hours after a weekday and a window across midnight', () => {
    expect(withinAllowedHours(local('2026-04-06', '22:15'), local('2026-04-06', '22:45'), MADRID, NIGHTS)).toBe(true);
    expect(withinAllowedHours(local('2026-04-07', '00:15'), local('2026-04-07', '00:45'), MADRID, NIGHTS)).toBe(true);
    expect(withinAllowedHours(local('2026-04-06', '23:30'), local('2026-04-07', '00:30'), MADRID, NIGHTS)).toBe(true);
    expect(withinAllowedHours(local('2026-04-06', '22:00'), local('2026-04-07', '06:00'), MADRID, NIGHTS)).toBe(true);
  });

  it('the early part belongs to the previous day: Monday 00:15 is Sunday night, Saturday 05:00 is Friday night', () => {
    expect(withinAllowedHours(local('2026-04-06', '00:15'), local('2026-04-06', '00:45'), MADRID, NIGHTS)).toBe(false);
    expect(withinAllowedHours(local('2026-04-11', '05:00'), local('2026-04-11', '05:30'), MADRID, NIGHTS)).toBe(true);
    expect(withinAllowedHours(local('2026-04-11', '22:15'), local('2026-04-11', '22:45'), MADRID, NIGHTS)).toBe(false);
    expect(withinAllowedHours(local('2026-04-07', '05:30'), local('2026-04-07', '06:30'), MADRID, NIGHTS)).toBe(false);
    expect(withinAllowedHours(local('2026-04-06', '21:30'), local('2026-04-06', '22:30'), MADRID, NIGHTS)).toBe(false);
  });

  it('several ranges: a window may span two that touch, never the gap between them', () => {
    const ranges = [
      { days: [6], from: '08:00', to: '12:00' },
      { days: [6, 7], from: '20:00', to: '24:00' },
      { days: [7], from: '00:00', to: '04:00' },
    ];
    expect(withinAllowedHours(local('2026-04-11', '09:00'), local('2026-04-11', '10:00'), MADRID, ranges)).toBe(true);
    expect(withinAllowedHours(local('2026-04-11', '23:00'), local('2026-04-12', '03:00'), MADRID, ranges)).toBe(true);
    expect(withinAllowedHours(local('2026-04-11', '11:00'), local('2026-04-11', '21:00'), MADRID, ranges)).toBe(false);
  });

  it('says in words when a range runs into the next day', () => {
    expect(describeAllowedHours(NIGHTS)).toBe('Mon–Fri 22:00–06:00 (into the next day)');
    expect(describeAllowedHours([{ days: [6, 7], from: '00:00', to: '24:00' }, { days: [1, 3], from: '01:00', to: '05:00' }])).toBe('Sat, Sun 00:00–24:00; Mon, Wed 01:00–05:00');
  });
});

describe('through the API', () => {
  let t: TestCore;
  let inv: SmallInventory;
  beforeEach(() => {
    t = makeCore();
    inv = seedSmallInventory(t.core);
  });
  afterEach(async () => {
    await t.cleanup();
  });
  const kinds = async (start: string, end: string) =>
    (await call(t.core, 'windows.conflicts', { start, end, applicationIds: [inv.appBilling] })).items.map((c) => c.kind);

  it('a night contract flags nothing for the night windows of the issue, and says what it allows when it does flag', async () => {
    const c = await call(t.core, 'contracts.update', { id: inv.contracts.madrid, allowedHours: NIGHTS });
    expect(c.allowedHours).toEqual(NIGHTS);
    expect(await kinds(local('2026-04-06', '22:15'), local('2026-04-06', '22:45'))).toEqual([]);
    expect(await kinds(local('2026-04-07', '00:15'), local('2026-04-07', '00:45'))).toEqual([]);
    expect(await kinds(local('2026-04-06', '23:30'), local('2026-04-07', '00:30'))).toEqual([]);
    const day = await call(t.core, 'windows.conflicts', { start: local('2026-04-07', '10:00'), end: local('2026-04-07', '11:00'), applicationIds: [inv.appBilling] });
    expect(day.items).toEqual([expect.objectContaining({ kind: 'outside_contract_hours', message: expect.stringContaining('Mon–Fri 22:00–06:00 (into the next day)') })]);
  });

  it('one range given as an object (older files and clients) is read as a list of one', async () => {
    const c = await call(t.core, 'contracts.update', { id: inv.contracts.madrid, allowedHours: { days: [6, 7], from: '00:00', to: '06:00' } });
    expect(c.allowedHours).toEqual([{ days: [6, 7], from: '00:00', to: '06:00' }]);
  });
});
