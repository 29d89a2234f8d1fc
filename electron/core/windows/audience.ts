/**
 * The audience of a window: window → applications (named, or placed on the touched servers) →
 * contracts in force (active or grace, overlapping the window, grace included) → customers →
 * contacts (opted-out excluded and counted). Two indexed queries, whatever the inventory size.
 */
import type { Audience } from '../../../shared/contract/windows.js';
import type { Core } from '../core.js';
import { audienceContacts, contactCounts, contractsInForce, sharedAddresses, type Scope } from './audience-store.js';
import { storedLanguages } from '../notices/template-store.js';
import { LANGUAGES } from '../notices/templates.js';
import { findWindow, windowScope, windowSpan } from './repo.js';
import { baseLanguage, formatLocal } from './time.js';

export { audienceContacts, contractsInForce, type AudienceContactRow, type ContractInForce, type Scope } from './audience-store.js';

/** A window's span and what it names (empty for an unknown window). */
export function scopeOf(core: Core, windowId: number): Scope {
  const span = windowSpan(core, windowId);
  if (!span) return { start: '', end: '', applicationIds: [], serverIds: [] };
  return { ...span, ...windowScope(core, windowId) };
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
      for (const r of contactCounts(core, ids)) {
        const cu = byCustomer.get(r.customerId)!;
        cu.contactCount = r.contacts;
        cu.excludedOptedOut = r.optedOut;
      }
    }
    for (const cu of byCustomer.values()) {
      total += cu.contactCount;
      excluded += cu.excludedOptedOut;
    }
  }
  const customers = [...byCustomer.values()];
  const shared = ids.length ? sharedAddresses(core, ids).map((s) => ({ email: s.email, customers: s.customerIds.map((id) => byCustomer.get(id)!.name).sort((a, b) => a.localeCompare(b)) })) : [];
  const messages = total - shared.reduce((n, s) => n + s.customers.length - 1, 0);
  return { windowId, customers, total, excludedOptedOut: excluded, messages, shared, languages: audienceLanguages(core, windowId, customers) };
}

/**
 * The languages the audience reads, each with what its notices would lack: a template in that
 * language (else the English one goes out) and, when the window has an impact text, one of its own.
 */
function audienceLanguages(core: Core, windowId: number, customers: Audience['customers']): Audience['languages'] {
  const counts = new Map<string, number>();
  for (const c of customers) counts.set(baseLanguage(c.language), (counts.get(baseLanguage(c.language)) ?? 0) + 1);
  if (!counts.size) return [];
  const templates = new Set<string>([...LANGUAGES, ...storedLanguages(core)]);
  const w = findWindow(core, windowId);
  const anyImpact = Boolean(w && (w.impact.trim() || Object.values(w.impacts).some((t) => t.trim())));
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([language, n]) => ({
      language,
      customers: n,
      hasTemplate: templates.has(language),
      hasImpact: !anyImpact || Boolean(w!.impacts[language]?.trim() || (language === 'en' && w!.impact.trim())),
    }));
}
