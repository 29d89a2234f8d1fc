/**
 * The audience of a window: window → applications (named, or placed on the touched servers) →
 * contracts in force (active or grace, overlapping the window, grace included) → customers →
 * contacts (opted-out excluded and counted). Two indexed queries, whatever the inventory size.
 */
import type { Audience } from '../../../shared/contract/windows.js';
import type { Core } from '../core.js';
import { formatLocal } from './time.js';

export interface Scope {
  start: string;
  end: string;
  applicationIds: number[];
  serverIds: number[];
}

export interface ContractInForce {
  id: number;
  reference: string;
  state: string;
  customerId: number;
  endDate: string;
  graceDays: number;
  allowedHours: { days: number[]; from: string; to: string } | null;
  customerName: string;
  timezone: string;
  language: string;
}

export interface AudienceContactRow {
  id: number;
  customerId: number;
  name: string;
  email: string;
  role: string;
}

const CONTRACTS_SQL = `
WITH apps(id) AS (
  SELECT value FROM json_each(?)
  UNION
  SELECT p.application_id FROM placements p WHERE p.server_id IN (SELECT value FROM json_each(?))
)
SELECT DISTINCT ct.id, ct.reference, ct.state, ct.customer_id, ct.end_date, ct.grace_days, ct.allowed_hours,
       cu.name AS customer_name, cu.timezone, cu.language
FROM apps
JOIN contract_applications ca ON ca.application_id = apps.id
JOIN contracts ct ON ct.id = ca.contract_id
JOIN customers cu ON cu.id = ct.customer_id
WHERE ct.state IN ('active', 'grace')
  AND ct.start_date <= ?
  AND date(ct.end_date, '+' || ct.grace_days || ' days') >= ?
ORDER BY cu.name COLLATE NOCASE, ct.reference`;

export function scopeOf(core: Core, windowId: number): Scope {
  const w = core.db.prepare('SELECT start_at, end_at FROM windows WHERE id = ?').get(windowId) as { start_at: string; end_at: string } | undefined;
  if (!w) return { start: '', end: '', applicationIds: [], serverIds: [] };
  const applicationIds = (core.db.prepare('SELECT application_id AS v FROM window_applications WHERE window_id = ?').all(windowId) as { v: number }[]).map((r) => r.v);
  const serverIds = (core.db.prepare('SELECT server_id AS v FROM window_servers WHERE window_id = ?').all(windowId) as { v: number }[]).map((r) => r.v);
  return { start: w.start_at, end: w.end_at, applicationIds, serverIds };
}

/** Contracts in force on the scope's applications during the scope's span. */
export function contractsInForce(core: Core, s: Scope): ContractInForce[] {
  if (!s.applicationIds.length && !s.serverIds.length) return [];
  const rows = core.db
    .prepare(CONTRACTS_SQL)
    .all(JSON.stringify(s.applicationIds), JSON.stringify(s.serverIds), s.end.slice(0, 10), s.start.slice(0, 10)) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r.id as number,
    reference: r.reference as string,
    state: r.state as string,
    customerId: r.customer_id as number,
    endDate: r.end_date as string,
    graceDays: r.grace_days as number,
    allowedHours: r.allowed_hours ? (JSON.parse(r.allowed_hours as string) as ContractInForce['allowedHours']) : null,
    customerName: r.customer_name as string,
    timezone: r.timezone as string,
    language: r.language as string,
  }));
}

export function audienceContacts(core: Core, customerIds: number[]): { contacts: AudienceContactRow[]; optedOut: Map<number, number> } {
  const rows = core.db
    .prepare(
      'SELECT id, customer_id, name, email, role, opted_out FROM contacts WHERE customer_id IN (SELECT value FROM json_each(?)) ORDER BY customer_id, name COLLATE NOCASE, id',
    )
    .raw()
    .all(JSON.stringify(customerIds)) as [number, number, string, string, string, number][];
  const contacts: AudienceContactRow[] = [];
  const optedOut = new Map<number, number>();
  for (const [id, customerId, name, email, role, out] of rows) {
    if (out) optedOut.set(customerId, (optedOut.get(customerId) ?? 0) + 1);
    else contacts.push({ id, customerId, name, email, role });
  }
  return { contacts, optedOut };
}

export function computeAudience(core: Core, windowId: number, includeContacts = true): Audience {
  const scope = scopeOf(core, windowId);
  const contracts = contractsInForce(core, scope);
  const byCustomer = new Map<number, Audience['customers'][number]>();
  for (const c of contracts) {
    let cu = byCustomer.get(c.customerId);
    if (!cu) {
      cu = {
        customerId: c.customerId,
        name: c.customerName,
        timezone: c.timezone,
        language: c.language,
        startLocal: formatLocal(scope.start, c.timezone, c.language),
        endLocal: formatLocal(scope.end, c.timezone, c.language),
        contracts: [],
        contacts: [],
        contactCount: 0,
        excludedOptedOut: 0,
      };
      byCustomer.set(c.customerId, cu);
    }
    cu.contracts.push({ id: c.id, reference: c.reference, state: c.state });
  }
  const ids = [...byCustomer.keys()];
  let total = 0;
  let excluded = 0;
  if (ids.length) {
    if (includeContacts) {
      const { contacts, optedOut } = audienceContacts(core, ids);
      for (const c of contacts) {
        const cu = byCustomer.get(c.customerId)!;
        cu.contacts.push({ id: c.id, name: c.name, email: c.email, role: c.role });
        cu.contactCount++;
      }
      for (const [cid, n] of optedOut) byCustomer.get(cid)!.excludedOptedOut = n;
    } else {
      const rows = core.db
        .prepare(
          'SELECT customer_id, sum(opted_out = 0) AS n, sum(opted_out) AS o FROM contacts WHERE customer_id IN (SELECT value FROM json_each(?)) GROUP BY customer_id',
        )
        .raw()
        .all(JSON.stringify(ids)) as [number, number, number][];
      for (const [cid, n, o] of rows) {
        const cu = byCustomer.get(cid)!;
        cu.contactCount = n;
        cu.excludedOptedOut = o;
      }
    }
    for (const cu of byCustomer.values()) {
      total += cu.contactCount;
      excluded += cu.excludedOptedOut;
    }
  }
  return { windowId, customers: [...byCustomer.values()], total, excludedOptedOut: excluded };
}
