/** The per-recipient ledger: listing, resend of failed/unknown rows, and "mark sent" for unknown ones. */
import type { z } from 'zod';
import type { OutboxListInput, OutboxMessage } from '../../../shared/contract/notices.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { campaignsOfRows, markRowsSent, outboxMessageRow, outboxPage, requeueRows, statesOf } from './outbox-store.js';
import { RenderCache, storedMessage } from './render.js';

export function listOutbox(core: Core, p: z.output<typeof OutboxListInput>) {
  return outboxPage(core, p);
}

export function getOutbox(core: Core, id: number): z.output<typeof OutboxMessage> {
  const r = outboxMessageRow(core, id);
  if (!r) throw new PuestaError('NOT_FOUND', `There is no outbox message with id ${id}.`);
  const stored = storedMessage(r.stored);
  if (!stored && r.row.state === 'queued') {
    // Not rendered yet (that happens when it is sent): show what it would be now.
    const m = new RenderCache(core).render({
      id,
      campaign_id: r.row.campaignId,
      customer_id: r.customerId,
      customer_name: r.row.customerName,
      contact_name: r.row.contactName,
      email: r.row.email,
    });
    return { ...r.row, subject: m.subject, html: m.html, text: m.text, ics: m.ics };
  }
  return { ...r.row, html: stored?.html ?? '', text: stored?.text ?? '', ics: stored?.ics ?? '' };
}

/** failed/unknown → queued, due now, same Message-ID (a receiving system can recognise a duplicate). */
export function resend(core: Core, ids: number[]): { updated: number; campaignIds: number[] } {
  return core.tx(() => {
    const st = statesOf(core, ids);
    const missing = ids.filter((i) => !st.has(i));
    if (missing.length) throw new PuestaError('NOT_FOUND', `There is no outbox message with id ${missing.slice(0, 10).join(', ')}.`);
    const bad = ids.filter((i) => !['failed', 'unknown'].includes(st.get(i)!));
    if (bad.length) {
      throw new PuestaError('PRECONDITION_FAILED', `Only failed or unknown messages can be resent; message ${bad.slice(0, 10).join(', ')} ${bad.length === 1 ? 'is' : 'are'} ${st.get(bad[0]!)}.`, { ids: bad });
    }
    const updated = requeueRows(core, ids, core.operator(), new Date().toISOString());
    core.audit.write(core.operator(), 'resend', 'outbox', null, { ids, states: Object.fromEntries(st) }, { state: 'queued' });
    return { updated, campaignIds: campaignsOfRows(core, ids) };
  });
}

/** unknown → sent, with the operator's note; audited. */
export function markSent(core: Core, ids: number[], note: string): { updated: number; campaignIds: number[] } {
  return core.tx(() => {
    const st = statesOf(core, ids);
    const bad = ids.filter((i) => st.get(i) !== 'unknown');
    if (bad.length) {
      throw new PuestaError(
        'PRECONDITION_FAILED',
        `Only messages in the "unknown" state can be marked sent; message ${bad.slice(0, 10).join(', ')} ${bad.length === 1 ? 'is' : 'are'} ${st.get(bad[0]!) ?? 'missing'}.`,
        { ids: bad },
      );
    }
    const updated = markRowsSent(core, ids, `marked sent by ${core.operator()}: ${note}`, new Date().toISOString());
    core.audit.write(core.operator(), 'markSent', 'outbox', null, { ids, state: 'unknown' }, { state: 'sent', note });
    return { updated, campaignIds: campaignsOfRows(core, ids) };
  });
}
