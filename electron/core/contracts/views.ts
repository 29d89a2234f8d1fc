/** What the screens read: a contract's status, the timeline of what is due when, a contract's history. */
import type { z } from 'zod';
import type { ContractStatus, DueKind, ReminderSent, TimelineInput, TimelineItem } from '../../../shared/contract/contracts.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { inForceSuspensions } from '../suspension/index.js';
import { verdicts } from './evaluator.js';
import { allContracts, contractById, handledKeys, holdsOf, lastEvaluatedAt, noticesOf, proposalsOf, stagesOf } from './lifecycle-store.js';
import { duePoints, localDate, nextPoint } from './stages.js';

function verdictOf(core: Core, contractId: number, now: string) {
  const c = contractById(core, contractId);
  if (!c) throw new PuestaError('NOT_FOUND', `There is no contract with id ${contractId}.`);
  // Coverage by other contracts needs them all; the verdict asked for is this one's.
  return verdicts(core, now, allContracts(core)).find((v) => v.contract.id === contractId)!;
}

export function contractStatus(core: Core, contractId: number, now = new Date()): ContractStatus {
  const nowIso = now.toISOString();
  const v = verdictOf(core, contractId, nowIso);
  const c = v.contract;
  const today = localDate(now, c.timezone);
  const next = c.state === 'terminated' ? null : nextPoint(c, v.policy, nowIso);
  return {
    contractId,
    reference: c.reference,
    customerId: c.customerId,
    customerName: c.customerName,
    endDate: c.endDate,
    stage: v.stage,
    state: c.state,
    applications: v.applications.map((a) => ({
      applicationId: a.applicationId,
      applicationName: a.applicationName,
      stage: a.stage,
      coveredBy: a.coveredBy,
      suspensions: inForceSuspensions(core, { contractId, applicationId: a.applicationId }).map((s) => ({ id: s.id, reason: s.reason, state: s.state })),
    })),
    hold: holdsOf(core, contractId, today).find((h) => h.inForce) ?? null,
    next: next && { kind: next.kind, at: next.at, days: next.days },
    lastEvaluatedAt: lastEvaluatedAt(core),
  };
}

/** Every due point of every contract (current period) falling in [from, to] in the customer's calendar. */
export function timeline(core: Core, input: z.output<typeof TimelineInput>, now = new Date()): TimelineItem[] {
  const nowIso = now.toISOString();
  const handled = handledKeys(core);
  const evaluated = lastEvaluatedAt(core) ?? '';
  const items: TimelineItem[] = [];
  for (const v of verdicts(core, nowIso)) {
    const c = v.contract;
    if (v.stage === 'terminated') continue;
    if (input.contractId !== undefined && c.id !== input.contractId) continue;
    if (input.customerId !== undefined && c.customerId !== input.customerId) continue;
    if (input.applicationId !== undefined && !c.applications.some((a) => a.id === input.applicationId)) continue;
    const proposals = new Map(proposalsOf(core, c.id).map((p) => [`${p.applicationId}:${p.period}`, p]));
    for (const d of duePoints(c, v.policy)) {
      if (d.date < input.from || d.date > input.to) continue;
      const common = { contractId: c.id, reference: c.reference, customerId: c.customerId, customerName: c.customerName, kind: d.kind, days: d.days, at: d.at, date: d.date, period: d.period };
      if (d.kind !== 'suspension_due') {
        const status = handled.has(d.key) ? 'done' : d.at <= evaluated ? 'skipped' : d.at <= nowIso ? 'due' : 'upcoming';
        items.push({ ...common, applicationId: null, applicationName: null, status });
        continue;
      }
      for (const a of v.applications) {
        if (input.applicationId !== undefined && a.applicationId !== input.applicationId) continue;
        const status = proposals.has(`${a.applicationId}:${d.period}`) ? 'done' : a.held ? 'held' : a.coveredBy.length ? 'covered' : d.at <= nowIso ? 'due' : 'upcoming';
        items.push({ ...common, applicationId: a.applicationId, applicationName: a.applicationName, status });
      }
    }
  }
  return items.sort((a, b) => a.at.localeCompare(b.at) || a.contractId - b.contractId);
}

/** A notice key → what it was: contract:<id>:<kind>[:<days>]:<period> (suspension notices: their own kind). */
function parseKey(key: string): { kind: DueKind; days: number | null; period: string } | null {
  const m = /^contract:\d+:(reminder|expired|overdue_reminder|suspension_due)(?::(\d+))?:(\d{4}-\d{2}-\d{2})$/.exec(key);
  return m ? { kind: m[1] as DueKind, days: m[2] === undefined ? null : Number(m[2]), period: m[3]! } : null;
}

export function contractHistory(core: Core, contractId: number, now = new Date()) {
  const c = contractById(core, contractId);
  if (!c) throw new PuestaError('NOT_FOUND', `There is no contract with id ${contractId}.`);
  const reminders: ReminderSent[] = [];
  for (const { noticeKey, ...row } of noticesOf(core, contractId)) {
    const k = parseKey(noticeKey);
    if (k) reminders.push({ ...row, ...k });
  }
  return {
    stages: stagesOf(core, contractId),
    reminders,
    holds: holdsOf(core, contractId, localDate(now, c.timezone)),
    proposals: proposalsOf(core, contractId),
  };
}
