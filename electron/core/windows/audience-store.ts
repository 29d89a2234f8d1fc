/**
 * What a window's scope reaches in the inventory (all SQL of the audience and conflict checks):
 * applications (named, or placed on the touched servers) → contracts in force → customers → contacts,
 * and the servers a scope touches. Indexed queries, whatever the inventory size; the `all*` readers
 * load the same facts once for many windows (the calendar's conflict counts).
 */
import type { AllowedRange } from '../../../shared/allowed-hours.js';
import type { Core } from '../core.js';
import { rowMapper } from '../db/rows.js';

/** A time span and what it names (the scope of a window or of a draft). */
export interface Scope {
  start: string;
  end: string;
  applicationIds: number[];
  serverIds: number[];
  /** Limited to this environment: servers of others are out, and so are applications not placed in it. */
  environmentId?: number | null;
}

export interface ContractInForce {
  id: number;
  reference: string;
  state: string;
  customerId: number;
  endDate: string;
  graceDays: number;
  allowedHours: AllowedRange[] | null;
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

const CONTRACT_COLUMNS = `ct.id, ct.reference, ct.state, ct.customer_id, ct.end_date, ct.grace_days, ct.allowed_hours,
       cu.name AS customer_name, cu.timezone, cu.language`;

/** The order contracts are listed in (customer, then reference). */
const CONTRACT_ORDER = 'cu.name COLLATE NOCASE, ct.reference';

const CONTRACTS_SQL = `
WITH apps(id) AS (
  SELECT value FROM json_each(@apps)
   WHERE @env IS NULL OR value IN (SELECT p.application_id FROM placements p JOIN servers s ON s.id = p.server_id WHERE s.environment_id = @env)
  UNION
  SELECT p.application_id FROM placements p JOIN servers s ON s.id = p.server_id
   WHERE p.server_id IN (SELECT value FROM json_each(@servers)) AND (@env IS NULL OR s.environment_id = @env)
)
SELECT DISTINCT ${CONTRACT_COLUMNS}
FROM apps
JOIN contract_applications ca ON ca.application_id = apps.id
JOIN contracts ct ON ct.id = ca.contract_id
JOIN customers cu ON cu.id = ct.customer_id
WHERE ct.state IN ('active', 'grace')
  AND ct.start_date <= @last
  AND date(ct.end_date, '+' || ct.grace_days || ' days') >= @first
ORDER BY ${CONTRACT_ORDER}`;

const contractRow = rowMapper<ContractInForce>({ json: ['allowed_hours'] });

/** Contracts in force on the scope's applications during the scope's span (grace included). */
export function contractsInForce(core: Core, s: Scope): ContractInForce[] {
  if (!s.applicationIds.length && !s.serverIds.length) return [];
  return (
    core.db.prepare(CONTRACTS_SQL).all({
      apps: JSON.stringify(s.applicationIds),
      servers: JSON.stringify(s.serverIds),
      env: s.environmentId ?? null,
      last: s.end.slice(0, 10),
      first: s.start.slice(0, 10),
    }) as Record<string, unknown>[]
  ).map(contractRow);
}

/** Contacts of these customers (opted-out ones only counted, per customer). */
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

/** Addresses (not opted out) that are contacts of more than one of these customers, with those customers' ids. */
export function sharedAddresses(core: Core, customerIds: number[]): { email: string; customerIds: number[] }[] {
  return (
    core.db
      .prepare(
        `SELECT min(email), json_group_array(customer_id) FROM contacts
         WHERE customer_id IN (SELECT value FROM json_each(?)) AND opted_out = 0
         GROUP BY email COLLATE NOCASE HAVING count(*) > 1 ORDER BY min(email) COLLATE NOCASE`,
      )
      .raw()
      .all(JSON.stringify(customerIds)) as [string, string][]
  ).map(([email, ids]) => ({ email, customerIds: JSON.parse(ids) as number[] }));
}

/** Per customer: how many contacts would be told, how many opted out. */
export function contactCounts(core: Core, customerIds: number[]): { customerId: number; contacts: number; optedOut: number }[] {
  return (
    core.db
      .prepare('SELECT customer_id, sum(opted_out = 0) AS n, sum(opted_out) AS o FROM contacts WHERE customer_id IN (SELECT value FROM json_each(?)) GROUP BY customer_id')
      .raw()
      .all(JSON.stringify(customerIds)) as [number, number, number][]
  ).map(([customerId, contacts, optedOut]) => ({ customerId, contacts, optedOut }));
}

/** Effective servers of a scope: those named plus those hosting its applications (id → name). */
export function effectiveServers(core: Core, s: Pick<Scope, 'applicationIds' | 'serverIds' | 'environmentId'>): Map<number, string> {
  const rows = core.db
    .prepare(
      `SELECT s.id, s.name FROM servers s WHERE s.id IN (
         SELECT value FROM json_each(@servers)
         UNION SELECT p.server_id FROM placements p WHERE p.application_id IN (SELECT value FROM json_each(@apps)))
       AND (@env IS NULL OR s.environment_id = @env)`,
    )
    .raw()
    .all({ servers: JSON.stringify(s.serverIds), apps: JSON.stringify(s.applicationIds), env: s.environmentId ?? null }) as [number, string][];
  return new Map(rows);
}

// ---------------------------------------------------------------- for many windows at once

/** Every placement as [applicationId, serverId]. */
export function allPlacements(core: Core): [number, number][] {
  return core.db.prepare('SELECT application_id, server_id FROM placements').raw().all() as [number, number][];
}

/** Every server's name and environment, by id. */
export function allServers(core: Core): Map<number, { name: string; environmentId: number | null }> {
  return new Map((core.db.prepare('SELECT id, name, environment_id FROM servers').raw().all() as [number, string, number | null][]).map(([id, name, environmentId]) => [id, { name, environmentId }]));
}

/** A contract in force with its span and the applications it covers (the in-memory form of CONTRACTS_SQL). */
export interface ContractSpan extends ContractInForce {
  startDate: string;
  /** The last day in force: end date + grace days. */
  lastDay: string;
  applicationIds: number[];
}

const contractSpanRow = rowMapper<ContractSpan>({ json: ['allowed_hours', 'application_ids'] });

/** Contracts active or in grace whose span (grace included) meets [fromDate, toDate], in list order. */
export function contractsInForceBetween(core: Core, fromDate: string, toDate: string): ContractSpan[] {
  const rows = core.db
    .prepare(
      `SELECT ${CONTRACT_COLUMNS}, ct.start_date, date(ct.end_date, '+' || ct.grace_days || ' days') AS last_day,
              (SELECT json_group_array(ca.application_id) FROM contract_applications ca WHERE ca.contract_id = ct.id) AS application_ids
       FROM contracts ct JOIN customers cu ON cu.id = ct.customer_id
       WHERE ct.state IN ('active', 'grace') AND ct.start_date <= ? AND date(ct.end_date, '+' || ct.grace_days || ' days') >= ?
       ORDER BY ${CONTRACT_ORDER}`,
    )
    .all(toDate, fromDate) as Record<string, unknown>[];
  return rows.map(contractSpanRow);
}
