/**
 * Contract notices into the notices outbox ledger, one queued row per contact of the customer (not
 * opted out), rendered now in the customer's language and zone and stored whole, so the sender
 * (notices/sender.ts) sends them like any other row and a resend is byte-identical.
 *
 * Exactly once: each notice has an idempotency key — (contract, stage, period) for the lifecycle's
 * reminders, `suspension:<id>:suspend|reinstate` for the suspension runs — and the ledger holds at most
 * one row per key and contact (unique index), so a second evaluation, a crash between two steps or a
 * retried run queue nothing again.
 */
import type { ContractNoticeKind } from '../../../shared/contract/contracts.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { newMessageId } from '../notices/materialise.js';
import { getSmtp } from '../notices/smtp.js';
import { baseLanguage, formatDate } from '../windows/time.js';
import { contactsOf, contractById, insertNotice, noticeIds } from './lifecycle-store.js';
import { dayStart } from './stages.js';
import { renderContractNotice } from './templates.js';

export interface ContractNotice {
  contractId: number;
  kind: ContractNoticeKind;
  /** The idempotency key: one message per key and contact, ever. */
  key: string;
  /** Days before / after the end date (reminders). */
  days?: number | null;
  /** The application concerned (suspension notices); default: every application of the contract. */
  applicationId?: number;
}

/**
 * Queues the notice for every contact of the contract's customer (inside the caller's transaction if
 * any) and wakes the sender (a caller with a transaction open does that after its commit). Returns every ledger row of the key (also those queued before: calling
 * again with the same key returns the same ids and queues nothing); empty when the customer has no
 * contact to tell.
 */
export function queueContractNotice(core: Core, n: ContractNotice): number[] {
  const queued = core.tx(() => {
    const c = contractById(core, n.contractId);
    if (!c) throw new PuestaError('NOT_FOUND', `There is no contract with id ${n.contractId}.`);
    const lang = baseLanguage(c.language);
    const smtp = getSmtp(core);
    const apps = n.applicationId === undefined ? c.applications : c.applications.filter((a) => a.id === n.applicationId);
    const vars = {
      customerName: c.customerName,
      reference: c.reference,
      endDate: formatDate(dayStart(c.endDate, c.timezone).at, c.timezone, lang),
      days: n.days ?? '',
      graceEndDate: formatDate(dayStart(c.endDate, c.timezone, c.graceDays).at, c.timezone, lang),
      applications: apps.map((a) => a.name).join(', '),
      operator: smtp.senderName || core.operator(),
      signature: smtp.signature.trim(),
    };
    const ts = new Date().toISOString();
    let added = 0;
    for (const contact of contactsOf(core, c.customerId)) {
      const message = renderContractNotice(core, n.kind, lang, { ...vars, contactName: contact.name });
      const id = insertNotice(
        core,
        { contractId: c.id, contactId: contact.id, customerId: c.customerId, customerName: c.customerName, contactName: contact.name, email: contact.email, key: n.key, messageId: newMessageId(), message },
        ts,
      );
      if (id !== null) added++;
    }
    return added;
  });
  // Inside a caller's transaction the caller wakes the sender once it has committed (the rows are not visible before).
  if (queued && !core.db.inTransaction) core.services.notices.kick();
  return noticeIds(core, n.key);
}

/** The kind of notice a due point sends, if any (suspension_due is the operator's decision, not a message). */
export function noticeKindOf(kind: 'reminder' | 'expired' | 'overdue_reminder' | 'suspension_due'): ContractNoticeKind | null {
  if (kind === 'reminder') return 'contract_reminder';
  if (kind === 'expired') return 'contract_expired';
  if (kind === 'overdue_reminder') return 'contract_overdue';
  return null;
}
