/**
 * Conflicts of a window (or a draft scope): the same server or customer in two overlapping windows,
 * a window outside the hours a contract allows (in the customer's zone, DST-correct), blackout dates,
 * and contracts that expire (or leave their grace period) inside the window.
 */
import { DateTime } from 'luxon';
import { describeAllowedHours, rangeMinutes, type AllowedRange } from '../../../shared/allowed-hours.js';
import type { Blackout, Conflict } from '../../../shared/contract/windows.js';
import type { Core } from '../core.js';
import { contractsInForce, effectiveServers, type ContractInForce, type Scope } from './audience-store.js';
import { blackoutsMeeting, liveWindowsOverlapping, toUtc, windowScope, type LiveWindow } from './repo.js';

const MAX_PER_KIND = 50;

/**
 * The facts the checks read. `findConflicts` reads them from the database for one window;
 * the calendar's counts (conflict-counts.ts) load them once for many windows and answer in memory,
 * so both go through the same checks.
 */
export interface ConflictFacts {
  /** Live windows overlapping [start, end), except `selfId`, by start. */
  liveWindows(start: string, end: string, selfId: number | null): LiveWindow[];
  /** The applications and servers another window names. */
  scopeOf(windowId: number): Pick<Scope, 'applicationIds' | 'serverIds' | 'environmentId'>;
  /** The servers a scope touches (id → name). */
  servers(s: Pick<Scope, 'applicationIds' | 'serverIds' | 'environmentId'>): Map<number, string>;
  contracts(s: Scope): ContractInForce[];
  /** Blackouts meeting [fromDate, toDate] (whole days). */
  blackouts(fromDate: string, toDate: string): Omit<Blackout, 'createdAt'>[];
}

const databaseFacts = (core: Core): ConflictFacts => ({
  liveWindows: (start, end, selfId) => liveWindowsOverlapping(core, start, end, selfId),
  scopeOf: (id) => windowScope(core, id),
  servers: (s) => effectiveServers(core, s),
  contracts: (s) => contractsInForce(core, s),
  blackouts: (from, to) => blackoutsMeeting(core, from, to),
});

const list = (names: string[]): string => (names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`);

/**
 * true when [start, end) lies entirely within the allowed ranges, read in `zone` (DST-correct). Each
 * range is laid out on the days around the window, a range that crosses midnight ending on the next
 * day; the window must be covered by their union (two ranges that touch count as one).
 */
export function withinAllowedHours(startIso: string, endIso: string, zone: string, ranges: AllowedRange[]): boolean {
  const start = DateTime.fromISO(startIso, { zone: 'utc' }).setZone(zone);
  const end = DateTime.fromISO(endIso, { zone: 'utc' }).setZone(zone);
  const spans: [number, number][] = [];
  // from the day before (its range may run into the window's first day) to the window's last day
  for (let day = start.startOf('day').minus({ days: 1 }); day < end; day = day.plus({ days: 1 })) {
    for (const r of ranges) {
      if (!r.days.includes(day.weekday)) continue;
      const { from, to } = rangeMinutes(r);
      const at = (m: number) => day.plus({ days: Math.floor(m / 1440) }).set({ hour: Math.floor(m / 60) % 24, minute: m % 60 }).toMillis();
      spans.push([at(from), at(to)]);
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  let covered = start.toMillis();
  for (const [a, b] of spans) {
    if (a > covered) break;
    if (b > covered) covered = b;
  }
  return covered >= end.toMillis();
}

/** When a contract expires (the day after its end date, in its customer's zone) and leaves its grace period, in ms. */
const ends = new WeakMap<ContractInForce, { expiry: number; graceEnd: number }>();
function endsOf(c: ContractInForce): { expiry: number; graceEnd: number } {
  let e = ends.get(c);
  if (!e) {
    const expiry = DateTime.fromISO(c.endDate, { zone: c.timezone }).plus({ days: 1 });
    e = { expiry: expiry.toMillis(), graceEnd: expiry.plus({ days: c.graceDays }).toMillis() };
    ends.set(c, e);
  }
  return e;
}

export function findConflicts(core: Core, scope: Scope, selfId: number | null): Conflict[] {
  return conflictsOf(databaseFacts(core), scope, selfId);
}

/** The conflicts of a scope (a window's own, `selfId`, excluded from the overlaps), from `facts`. */
export function conflictsOf(facts: ConflictFacts, scope: Scope, selfId: number | null): Conflict[] {
  const start = toUtc(scope.start);
  const end = toUtc(scope.end);
  const s: Scope = { ...scope, start, end };
  const out: Conflict[] = [];

  // Other live windows overlapping in time.
  const others = facts.liveWindows(start, end, selfId);
  const mine = others.length ? facts.servers(s) : new Map<number, string>();
  const contracts = facts.contracts(s);
  const myCustomers = new Map<number, ContractInForce>();
  for (const c of contracts) if (!myCustomers.has(c.customerId)) myCustomers.set(c.customerId, c);

  let serverN = 0;
  let customerN = 0;
  for (const o of others) {
    const os: Scope = { start: o.start, end: o.end, ...facts.scopeOf(o.id) };
    if (mine.size && serverN < MAX_PER_KIND) {
      const theirs = facts.servers(os);
      const shared = [...mine.keys()].filter((id) => theirs.has(id));
      if (shared.length) {
        serverN++;
        out.push({
          kind: 'server_overlap',
          message: `Window "${o.title}" (${o.start.slice(0, 16).replace('T', ' ')} UTC) also touches ${shared.length === 1 ? 'server' : 'servers'} ${list(shared.map((id) => mine.get(id)!))} at the same time.`,
          otherWindowId: o.id,
          serverId: shared[0]!,
        });
      }
    }
    if (myCustomers.size && customerN < MAX_PER_KIND) {
      const seen = new Set<number>();
      for (const c of facts.contracts(os)) {
        if (seen.has(c.customerId) || !myCustomers.has(c.customerId)) continue;
        seen.add(c.customerId);
        if (customerN++ >= MAX_PER_KIND) break;
        out.push({
          kind: 'customer_overlap',
          message: `Customer ${c.customerName} is also affected by window "${o.title}" at the same time.`,
          otherWindowId: o.id,
          customerId: c.customerId,
        });
      }
    }
  }

  // Contract hours and expiry. Contracts often share a zone and hours: each pair is checked once.
  const st = Date.parse(start);
  const en = Date.parse(end);
  const within = new Map<string, boolean>();
  for (const c of contracts) {
    const hours = c.allowedHours;
    const key = hours ? `${c.timezone} ${JSON.stringify(hours)}` : '';
    const inside = !hours || (within.get(key) ?? withinAllowedHours(start, end, c.timezone, hours));
    if (hours) within.set(key, inside);
    if (hours && !inside) {
      out.push({
        kind: 'outside_contract_hours',
        message: `Contract ${c.reference} (${c.customerName}) allows maintenance only on ${describeAllowedHours(hours)}, ${c.timezone} time; this window falls outside.`,
        customerId: c.customerId,
        contractId: c.id,
      });
    }
    const { expiry, graceEnd } = endsOf(c);
    if (expiry > st && expiry < en) {
      out.push({
        kind: 'contract_expires',
        message: `Contract ${c.reference} (${c.customerName}) expires on ${c.endDate}, during this window.`,
        customerId: c.customerId,
        contractId: c.id,
      });
    } else if (c.graceDays > 0 && graceEnd > st && graceEnd < en) {
      out.push({
        kind: 'contract_expires',
        message: `Contract ${c.reference} (${c.customerName}) leaves its grace period (suspension due) during this window.`,
        customerId: c.customerId,
        contractId: c.id,
      });
    }
  }

  // Blackout dates (whole days in the blackout's zone). A day of slack on each side, then exact checks.
  const blackouts = facts.blackouts(DateTime.fromISO(start).minus({ days: 1 }).toISODate()!, DateTime.fromISO(end).plus({ days: 1 }).toISODate()!);
  for (const b of blackouts) {
    const bs = DateTime.fromISO(b.startDate, { zone: b.timezone }).toMillis();
    const be = DateTime.fromISO(b.endDate, { zone: b.timezone }).plus({ days: 1 }).toMillis();
    if (bs < Date.parse(end) && be > Date.parse(start)) {
      out.push({
        kind: 'blackout',
        message: `The window falls in the blackout ${b.startDate}${b.endDate !== b.startDate ? ` – ${b.endDate}` : ''} (${b.reason}).`,
        blackoutId: b.id,
      });
    }
  }
  return out;
}
