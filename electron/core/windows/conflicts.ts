/**
 * Conflicts of a window (or a draft scope): the same server or customer in two overlapping windows,
 * a window outside the hours a contract allows (in the customer's zone, DST-correct), blackout dates,
 * and contracts that expire (or leave their grace period) inside the window.
 */
import { DateTime } from 'luxon';
import type { Conflict } from '../../../shared/contract/windows.js';
import type { Core } from '../core.js';
import { contractsInForce, type ContractInForce, type Scope } from './audience.js';
import { toUtc } from './repo.js';

const MAX_PER_KIND = 50;

/** Effective servers of a scope: those named plus those hosting its applications. */
function effectiveServers(core: Core, s: Scope): Map<number, string> {
  const rows = core.db
    .prepare(
      `SELECT s.id, s.name FROM servers s WHERE s.id IN (
         SELECT value FROM json_each(?)
         UNION SELECT p.server_id FROM placements p WHERE p.application_id IN (SELECT value FROM json_each(?)))`,
    )
    .raw()
    .all(JSON.stringify(s.serverIds), JSON.stringify(s.applicationIds)) as [number, string][];
  return new Map(rows);
}

function otherScope(core: Core, id: number, start: string, end: string): Scope {
  return {
    start,
    end,
    applicationIds: (core.db.prepare('SELECT application_id AS v FROM window_applications WHERE window_id = ?').all(id) as { v: number }[]).map((r) => r.v),
    serverIds: (core.db.prepare('SELECT server_id AS v FROM window_servers WHERE window_id = ?').all(id) as { v: number }[]).map((r) => r.v),
  };
}

const list = (names: string[]): string => (names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`);

/** true when [start, end) lies entirely within the allowed days/hours, read in `zone`. */
export function withinAllowedHours(startIso: string, endIso: string, zone: string, allowed: { days: number[]; from: string; to: string }): boolean {
  const start = DateTime.fromISO(startIso, { zone: 'utc' }).setZone(zone);
  const end = DateTime.fromISO(endIso, { zone: 'utc' }).setZone(zone);
  const [fh, fm] = allowed.from.split(':').map(Number) as [number, number];
  const [th, tm] = allowed.to.split(':').map(Number) as [number, number];
  let day = start.startOf('day');
  while (day < end) {
    const next = day.plus({ days: 1 });
    const segStart = start > day ? start : day;
    const segEnd = end < next ? end : next;
    if (segEnd > segStart) {
      if (!allowed.days.includes(day.weekday)) return false;
      const from = day.set({ hour: fh, minute: fm });
      const to = th === 24 ? next : day.set({ hour: th, minute: tm });
      if (segStart < from || segEnd > to) return false;
    }
    day = next;
  }
  return true;
}

export function findConflicts(core: Core, scope: Scope, selfId: number | null): Conflict[] {
  const start = toUtc(scope.start);
  const end = toUtc(scope.end);
  const s: Scope = { ...scope, start, end };
  const out: Conflict[] = [];

  // Other live windows overlapping in time.
  const others = core.db
    .prepare("SELECT id, title, start_at, end_at FROM windows WHERE start_at < ? AND end_at > ? AND state NOT IN ('cancelled', 'done') AND id <> ? ORDER BY start_at")
    .all(end, start, selfId ?? -1) as { id: number; title: string; start_at: string; end_at: string }[];
  const mine = others.length ? effectiveServers(core, s) : new Map<number, string>();
  const contracts = contractsInForce(core, s);
  const myCustomers = new Map<number, ContractInForce>();
  for (const c of contracts) if (!myCustomers.has(c.customerId)) myCustomers.set(c.customerId, c);

  let serverN = 0;
  let customerN = 0;
  for (const o of others) {
    const os = otherScope(core, o.id, o.start_at, o.end_at);
    if (mine.size && serverN < MAX_PER_KIND) {
      const theirs = effectiveServers(core, os);
      const shared = [...mine.keys()].filter((id) => theirs.has(id));
      if (shared.length) {
        serverN++;
        out.push({
          kind: 'server_overlap',
          message: `Window "${o.title}" (${o.start_at.slice(0, 16).replace('T', ' ')} UTC) also touches ${shared.length === 1 ? 'server' : 'servers'} ${list(shared.map((id) => mine.get(id)!))} at the same time.`,
          otherWindowId: o.id,
          serverId: shared[0]!,
        });
      }
    }
    if (myCustomers.size && customerN < MAX_PER_KIND) {
      const seen = new Set<number>();
      for (const c of contractsInForce(core, os)) {
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

  // Contract hours and expiry.
  for (const c of contracts) {
    if (c.allowedHours && !withinAllowedHours(start, end, c.timezone, c.allowedHours)) {
      const dayNames = c.allowedHours.days.map((d) => ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][d - 1]).join(', ');
      out.push({
        kind: 'outside_contract_hours',
        message: `Contract ${c.reference} (${c.customerName}) allows maintenance only on ${dayNames} ${c.allowedHours.from}–${c.allowedHours.to} ${c.timezone}; this window falls outside.`,
        customerId: c.customerId,
        contractId: c.id,
      });
    }
    const expiry = DateTime.fromISO(c.endDate, { zone: c.timezone }).plus({ days: 1 });
    const graceEnd = expiry.plus({ days: c.graceDays });
    const st = DateTime.fromISO(start);
    const en = DateTime.fromISO(end);
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
  const blackouts = core.db
    .prepare('SELECT id, start_date, end_date, reason, timezone FROM blackouts WHERE start_date <= ? AND end_date >= ?')
    .all(DateTime.fromISO(end).plus({ days: 1 }).toISODate(), DateTime.fromISO(start).minus({ days: 1 }).toISODate()) as {
    id: number;
    start_date: string;
    end_date: string;
    reason: string;
    timezone: string;
  }[];
  for (const b of blackouts) {
    const bs = DateTime.fromISO(b.start_date, { zone: b.timezone }).toMillis();
    const be = DateTime.fromISO(b.end_date, { zone: b.timezone }).plus({ days: 1 }).toMillis();
    if (bs < Date.parse(end) && be > Date.parse(start)) {
      out.push({
        kind: 'blackout',
        message: `The window falls in the blackout ${b.start_date}${b.end_date !== b.start_date ? ` – ${b.end_date}` : ''} (${b.reason}).`,
        blackoutId: b.id,
      });
    }
  }
  return out;
}
