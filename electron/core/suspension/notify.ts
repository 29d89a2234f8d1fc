/**
 * Tells the customer that an application of their contract was suspended or is served again,
 * through the notices outbox: the contracts area's notice (editable templates, the customer's
 * language and zone), idempotent on the key — a resumed run never tells twice.
 */
import type { Suspension, SuspensionPhase } from '../../../shared/contract/suspension.js';
import { queueContractNotice } from '../contracts/reminders.js';
import type { Core } from '../core.js';
import { notifyOf, setNotice } from './suspension-store.js';

export function notifyCustomer(core: Core, s: Suspension, phase: SuspensionPhase): void {
  if (!notifyOf(core, s.id)) return;
  const ids = queueContractNotice(core, {
    contractId: s.contractId,
    kind: phase === 'suspend' ? 'contract_suspended' : 'contract_reinstated',
    applicationId: s.applicationId,
    key: `suspension:${s.id}:${phase}`,
  });
  setNotice(core, s.id, phase, ids[0] ?? null);
}
