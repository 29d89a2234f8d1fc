/** Who a window's notices go to: its audience now (contracts in force on what it touches), opted-out excluded. */
import type { Core } from '../core.js';
import { audienceContacts, contractsInForce, scopeOf } from '../windows/audience.js';
import { baseLanguage } from '../windows/time.js';
import { contactWithCustomer } from './render-store.js';

export interface Recipient {
  contactId: number | null;
  customerId: number | null;
  customerName: string;
  contactName: string;
  email: string;
  timezone: string;
  language: string;
}

/**
 * Recipients of a window now: its audience, opted-out excluded, one per address. A mailbox that is a
 * contact of several customers gets one message naming all of them, as the contact with the lowest
 * id (so the choice is the same after a crash, and the ledger's UNIQUE(campaign, contact) still holds),
 * in that contact's customer's zone and language.
 */
export function recipientsOf(core: Core, windowId: number): Recipient[] {
  const contracts = contractsInForce(core, scopeOf(core, windowId));
  const customers = new Map<number, { name: string; timezone: string; language: string }>();
  for (const c of contracts) customers.set(c.customerId, { name: c.customerName, timezone: c.timezone, language: c.language });
  if (!customers.size) return [];
  const byAddress = new Map<string, { r: Recipient; names: string[] }>();
  for (const c of audienceContacts(core, [...customers.keys()]).contacts) {
    const cu = customers.get(c.customerId)!;
    const key = c.email.toLowerCase();
    const seen = byAddress.get(key);
    if (seen) {
      if (c.id < seen.r.contactId!) seen.r = { ...seen.r, contactId: c.id, customerId: c.customerId, contactName: c.name, email: c.email, timezone: cu.timezone, language: cu.language };
      if (!seen.names.includes(cu.name)) seen.names.push(cu.name);
      continue;
    }
    byAddress.set(key, { r: { contactId: c.id, customerId: c.customerId, customerName: cu.name, contactName: c.name, email: c.email, timezone: cu.timezone, language: cu.language }, names: [cu.name] });
  }
  return [...byAddress.values()].map(({ r, names }) => (names.length > 1 ? { ...r, customerName: joinNames(names.sort((a, b) => a.localeCompare(b)), r.language) } : r));
}

/** "A and B", "A y B", "A, B and C": the customer names of a shared mailbox, as {{customerName}}, in the message's language. */
const joinNames = (names: string[], language: string): string => new Intl.ListFormat(baseLanguage(language), { style: 'long', type: 'conjunction' }).format(names);

/** One contact as a recipient (whether or not it is in a window's audience), or undefined. */
export function contactRecipient(core: Core, contactId: number): Recipient | undefined {
  const c = contactWithCustomer(core, contactId);
  return c && { contactId: c.id, customerId: c.customerId, customerName: c.customerName, contactName: c.name, email: c.email, timezone: c.timezone, language: c.language };
}

/** A stand-in when a window has no audience yet (previews). */
export const SAMPLE_RECIPIENT: Readonly<Recipient> = {
  contactId: null,
  customerId: null,
  customerName: 'Sample customer',
  contactName: 'Sample contact',
  email: 'recipient@example.invalid',
  timezone: 'UTC',
  language: 'en',
};
