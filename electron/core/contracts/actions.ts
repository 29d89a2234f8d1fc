/**
 * The operator's lifecycle decisions, each audited: holds, renewals (one or imported), termination,
 * and the decision on a proposed suspension. Suspension runs are started through suspension/ after
 * the transaction that records the decision (each is its own guided run).
 */
import Papa from 'papaparse';
import type { z } from 'zod';
import { DateOnly } from '../../../shared/contract/common.js';
import type { Hold, Proposal, RenewalImportInput, RenewalImportOutput, RenewOutput } from '../../../shared/contract/contracts.js';
import { liftedByRenewal } from '../../../shared/contract/suspension.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { inForceSuspensions, startReinstatement, startSuspension } from '../suspension/index.js';
import { contractStatus } from './views.js';
import {
  contractById,
  contractIdsByReference,
  decideProposal,
  holdById,
  holdsOf,
  insertHold,
  insertStage,
  proposalById,
  releaseHold as releaseHoldRow,
  setContractState,
  setEndDate,
  supersedeOpen,
  type LifecycleContract,
} from './lifecycle-store.js';
import { policyOf } from './policy.js';
import { calendarStage, localDate, storedState } from './stages.js';

type Reinstated = z.infer<typeof RenewOutput>['reinstated'][number];

function contractOr404(core: Core, id: number): LifecycleContract {
  const c = contractById(core, id);
  if (!c) throw new PuestaError('NOT_FOUND', `There is no contract with id ${id}.`);
  return c;
}

const lifecycleChanged = (core: Core, contractId: number | null, action: 'hold' | 'release' | 'renew' | 'import' | 'terminate' | 'decide') =>
  core.events.emit('contracts.lifecycle', { contractId, action });

// ---------------------------------------------------------------- holds

export function putOnHold(core: Core, input: { contractId: number; reason: string; until: string }): Hold {
  const hold = core.tx(() => {
    const c = contractOr404(core, input.contractId);
    const today = localDate(new Date(), c.timezone);
    if (input.until < today) throw new PuestaError('INVALID_INPUT', `A hold must last until today (${today}) or later.`, { field: 'until' });
    const ts = new Date().toISOString();
    const id = insertHold(core, { contractId: c.id, reason: input.reason, until: input.until, by: core.operator(), ts });
    // An open proposal stays open but leaves Today while the hold lasts (contracts.due), and cannot be confirmed.
    const h = holdById(core, id, today)!;
    core.audit.write(core.operator(), 'hold', 'contracts', c.id, null, h);
    return h;
  });
  lifecycleChanged(core, input.contractId, 'hold');
  return hold;
}

export function releaseHold(core: Core, input: { holdId: number; why: string }): Hold {
  const hold = core.tx(() => {
    const before = holdById(core, input.holdId, '0000-00-00');
    if (!before) throw new PuestaError('NOT_FOUND', `There is no hold with id ${input.holdId}.`);
    if (before.releasedAt) throw new PuestaError('PRECONDITION_FAILED', `Hold #${input.holdId} was already released by ${before.releasedBy}.`);
    const c = contractOr404(core, before.contractId);
    releaseHoldRow(core, input.holdId, core.operator(), input.why, new Date().toISOString());
    const after = holdById(core, input.holdId, localDate(new Date(), c.timezone))!;
    core.audit.write(core.operator(), 'release', 'contracts', c.id, before, { ...after, why: input.why });
    return after;
  });
  lifecycleChanged(core, hold.contractId, 'release');
  return hold;
}

// ---------------------------------------------------------------- renewals

/** Why a renewal of this contract to this date is refused, or null. */
function renewalProblem(c: LifecycleContract | undefined, newEndDate: string): { field: string; message: string } | null {
  if (!c) return { field: 'reference', message: 'no contract has this reference' };
  if (!DateOnly.safeParse(newEndDate).success || Number.isNaN(Date.parse(newEndDate))) return { field: 'newEndDate', message: 'expected a date as YYYY-MM-DD' };
  if (c.state === 'terminated') return { field: 'reference', message: `contract ${c.reference} is terminated: a renewal cannot revive it` };
  if (newEndDate <= c.endDate) return { field: 'newEndDate', message: `a renewal moves the end date later than ${c.endDate}` };
  return null;
}

/** The database part of a renewal (inside the caller's transaction). */
function recordRenewal(core: Core, c: LifecycleContract, newEndDate: string, why: string): void {
  const ts = new Date().toISOString();
  const operator = core.operator();
  setEndDate(core, c.id, newEndDate, ts);
  supersedeOpen(core, c.id, operator, `renewed to ${newEndDate}`, ts);
  const renewed = { ...c, endDate: newEndDate };
  const stage = calendarStage(renewed, policyOf(core, renewed), ts);
  insertStage(core, { contractId: c.id, applicationId: null, stage, at: ts, why: `renewed to ${newEndDate} by ${operator}${why ? `: ${why}` : ''}`, actor: operator });
  setContractState(core, c.id, storedState(stage), ts);
  core.audit.write(operator, 'renew', 'contracts', c.id, { endDate: c.endDate, state: c.state }, { endDate: newEndDate, state: storedState(stage), why });
}

/** After a renewal: overdue suspensions are reinstated (reverse runs); terms and manual ones are kept. */
function liftOverdue(core: Core, c: LifecycleContract, newEndDate: string) {
  const reinstated: Reinstated[] = [];
  const kept: z.infer<typeof RenewOutput>['kept'] = [];
  for (const s of inForceSuspensions(core, { contractId: c.id })) {
    if (!liftedByRenewal(s.reason)) {
      kept.push({ applicationId: s.applicationId, applicationName: s.applicationName, suspensionId: s.id, reason: s.reason });
      continue;
    }
    try {
      const r = startReinstatement(core, s.id, { note: `contract ${c.reference} renewed to ${newEndDate}` });
      reinstated.push({ applicationId: s.applicationId, applicationName: s.applicationName, suspensionId: s.id, runId: r.reinstateRun?.id ?? null });
    } catch (e) {
      reinstated.push({ applicationId: s.applicationId, applicationName: s.applicationName, suspensionId: s.id, runId: null, error: (e as Error).message });
    }
  }
  return { reinstated, kept };
}

export function renew(core: Core, input: { contractId: number; newEndDate: string; why: string }): z.infer<typeof RenewOutput> {
  const c = core.tx(() => {
    const c = contractOr404(core, input.contractId);
    const problem = renewalProblem(c, input.newEndDate);
    if (problem) throw new PuestaError('INVALID_INPUT', `${problem.message}.`, { field: problem.field });
    recordRenewal(core, c, input.newEndDate, input.why);
    return c;
  });
  const { reinstated, kept } = liftOverdue(core, c, input.newEndDate);
  lifecycleChanged(core, c.id, 'renew');
  return { status: contractStatus(core, c.id), reinstated, kept };
}

interface RenewalRow {
  row: number;
  reference: string;
  newEndDate: string;
}

function parseRenewals(input: z.output<typeof RenewalImportInput>): { rows: RenewalRow[]; errors: z.infer<typeof RenewalImportOutput>['errors'] } {
  const text = input.content.replace(/^\uFEFF/, '');
  const cell = (v: unknown) => (typeof v === 'string' ? v.trim() : v === undefined || v === null ? '' : String(v as string | number));
  if (input.format === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      return { rows: [], errors: [{ row: 0, message: `not valid JSON: ${(e as Error).message}` }] };
    }
    const list = Array.isArray(doc) ? doc : (doc as { renewals?: unknown } | null)?.renewals;
    if (!Array.isArray(list)) return { rows: [], errors: [{ row: 0, message: 'expected a list of {reference, newEndDate} (or {"renewals": [...]})' }] };
    return { rows: list.map((r, i) => ({ row: i + 1, reference: cell((r as Record<string, unknown>)?.reference), newEndDate: cell((r as Record<string, unknown>)?.newEndDate) })), errors: [] };
  }
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim() });
  const fields = parsed.meta.fields ?? [];
  const missing = ['reference', 'newEndDate'].filter((f) => !fields.includes(f));
  if (missing.length) return { rows: [], errors: [{ row: 1, message: `the header must name the columns reference,newEndDate (missing: ${missing.join(', ')})` }] };
  const errors = parsed.errors.filter((e) => e.code !== 'UndetectableDelimiter').map((e) => ({ row: (e.row ?? 0) + 2, message: e.message }));
  return { rows: parsed.data.map((r, i) => ({ row: i + 2, reference: cell(r.reference), newEndDate: cell(r.newEndDate) })), errors };
}

/** All or nothing: every row is checked first; one wrong row and nothing is written. */
export function importRenewals(core: Core, input: z.output<typeof RenewalImportInput>): z.infer<typeof RenewalImportOutput> {
  const { rows, errors } = parseRenewals(input);
  const byRef = contractIdsByReference(core);
  const seen = new Map<string, number>();
  const planned: { c: LifecycleContract; newEndDate: string }[] = [];
  for (const r of rows) {
    const key = r.reference.toLowerCase();
    if (!r.reference) {
      errors.push({ row: r.row, field: 'reference', message: 'required' });
      continue;
    }
    if (seen.has(key)) {
      errors.push({ row: r.row, reference: r.reference, field: 'reference', message: `also on row ${seen.get(key)}: one renewal per contract` });
      continue;
    }
    seen.set(key, r.row);
    const id = byRef.get(key);
    const c = id === undefined ? undefined : contractById(core, id);
    const problem = renewalProblem(c, r.newEndDate);
    if (problem) errors.push({ row: r.row, reference: r.reference, ...problem });
    else planned.push({ c: c!, newEndDate: r.newEndDate });
  }
  if (!rows.length && !errors.length) errors.push({ row: 0, message: 'the file holds no renewal' });
  if (errors.length || input.dryRun) return { ok: errors.length === 0, renewed: errors.length ? 0 : planned.length, errors: errors.sort((a, b) => a.row - b.row), reinstated: [] };
  core.tx(() => {
    for (const p of planned) recordRenewal(core, p.c, p.newEndDate, 'imported renewal');
    core.audit.write(core.operator(), 'import', 'contracts.renewals', null, null, { renewed: planned.map((p) => ({ reference: p.c.reference, newEndDate: p.newEndDate })) });
  });
  const reinstated = planned.flatMap((p) => liftOverdue(core, p.c, p.newEndDate).reinstated.map((r) => ({ ...r, contractId: p.c.id })));
  lifecycleChanged(core, null, 'import');
  return { ok: true, renewed: planned.length, errors: [], reinstated };
}

// ---------------------------------------------------------------- termination

/** Manual and confirmed (the reference typed again). Nothing is deleted: the contract, its history and the servers' data stay. */
export function terminate(core: Core, input: { contractId: number; confirmReference: string; why: string }) {
  core.tx(() => {
    const c = contractOr404(core, input.contractId);
    if (c.state === 'terminated') throw new PuestaError('PRECONDITION_FAILED', `Contract ${c.reference} is already terminated.`);
    if (input.confirmReference.trim().toLowerCase() !== c.reference.toLowerCase()) {
      throw new PuestaError('INVALID_INPUT', `Type the contract's reference (${c.reference}) to confirm the termination.`, { field: 'confirmReference' });
    }
    const ts = new Date().toISOString();
    const operator = core.operator();
    supersedeOpen(core, c.id, operator, 'contract terminated', ts);
    setContractState(core, c.id, 'terminated', ts);
    insertStage(core, { contractId: c.id, applicationId: null, stage: 'terminated', at: ts, why: `terminated by ${operator}: ${input.why}`, actor: operator });
    core.audit.write(operator, 'terminate', 'contracts', c.id, { state: c.state }, { state: 'terminated', why: input.why });
  });
  lifecycleChanged(core, input.contractId, 'terminate');
  return contractStatus(core, input.contractId);
}

// ---------------------------------------------------------------- proposed suspensions

export function decide(core: Core, input: { proposalId: number; decision: 'suspend' | 'dismiss'; why: string }): Proposal {
  const p = proposalById(core, input.proposalId);
  if (!p) throw new PuestaError('NOT_FOUND', `There is no proposed suspension with id ${input.proposalId}.`);
  if (p.state !== 'open') throw new PuestaError('PRECONDITION_FAILED', `This proposal was already ${p.state}${p.decidedBy ? ` by ${p.decidedBy}` : ''}.`);
  const ts = new Date().toISOString();
  const operator = core.operator();
  if (input.decision === 'dismiss') {
    core.tx(() => {
      decideProposal(core, p.id, { state: 'dismissed', by: operator, why: input.why, suspensionIds: [], ts });
      core.audit.write(operator, 'dismiss:suspend', 'contracts', p.contractId, null, { proposalId: p.id, applicationId: p.applicationId, why: input.why });
    });
  } else {
    const c = contractOr404(core, p.contractId);
    const hold = holdsOf(core, c.id, localDate(new Date(), c.timezone)).find((h) => h.inForce);
    if (hold) throw new PuestaError('PRECONDITION_FAILED', `Contract ${c.reference} is on hold until ${hold.until} (${hold.reason}): release the hold first.`);
    const policy = policyOf(core, c);
    // The run is started first: if it is refused (no placement, already suspended elsewhere) the proposal stays open.
    const started = startSuspension(core, {
      contractId: p.contractId,
      applicationId: p.applicationId,
      reason: p.reason,
      retryAfterSeconds: policy.retryAfterSeconds,
      stopWorkers: policy.stopWorkers,
      note: input.why || `proposed suspension #${p.id} confirmed`,
    });
    core.tx(() => {
      decideProposal(core, p.id, { state: 'accepted', by: operator, why: input.why, suspensionIds: started.map((s) => s.id), ts });
      core.audit.write(operator, 'confirm:suspend', 'contracts', p.contractId, null, { proposalId: p.id, applicationId: p.applicationId, suspensionIds: started.map((s) => s.id) });
    });
  }
  lifecycleChanged(core, p.contractId, 'decide');
  return proposalById(core, p.id)!;
}
