/**
 * The lifecycle evaluator: at launch and every hour while Puesta is open (both shells start it with
 * the notices sender, startup.ts), and on demand (`contracts.evaluate`).
 *
 * One evaluation at `now` handles every due point in (last evaluation, now] — a laptop that slept
 * for weeks catches up in one go — and each exactly once: a point is claimed in
 * `contract_due_handled` (key = contract, stage, period) in the same transaction that queues its
 * notice (the ledger's own unique key is the second guard). The very first evaluation looks back one
 * day only: a new install does not mail every reminder of every contract's past.
 *
 * Then, per contract and per application it covers (killbill#1997: never per customer), the stage:
 * the calendar's (stages.ts), `suspended` while a suspension is in force, and when suspension is due:
 * nothing while a hold is in force or another contract in good standing covers the application;
 * otherwise a proposal (a decision on Today) or, when the policy says `automatic`, the suspension
 * itself (suspension/). Stage changes are recorded, and `contracts.state` follows them.
 */
import type { z } from 'zod';
import type { EvaluateOutput as EvaluateOutputSchema, LifecyclePolicy, LifecycleStage } from '../../../shared/contract/contracts.js';
import type { Core } from '../core.js';
import { inForceSuspensions, startSuspension } from '../suspension/index.js';
import {
  allContracts,
  claimDue,
  holdsOf,
  insertProposal,
  insertStage,
  lastEvaluatedAt,
  lastStage,
  reopenProposal,
  setContractState,
  setDueOutcome,
  setLastEvaluatedAt,
  setProposalSuspensions,
  type LifecycleContract,
} from './lifecycle-store.js';
import { policyDefaults, policyOf } from './policy.js';
import { noticeKindOf, queueContractNotice } from './reminders.js';
import { calendarStage, dueBetween, duePoints, localDate, storedState } from './stages.js';

const DAY_MS = 86_400_000;
export const EVALUATOR_ACTOR = 'puesta';

export interface ApplicationVerdict {
  applicationId: number;
  applicationName: string;
  stage: LifecycleStage;
  coveredBy: { contractId: number; reference: string }[];
  /** A hold in force blocks its suspension. */
  held: boolean;
}

export interface ContractVerdict {
  contract: LifecycleContract;
  policy: LifecyclePolicy;
  stage: LifecycleStage;
  applications: ApplicationVerdict[];
}

/** In good standing: not terminated and not past its end date (or held): it keeps its applications served. */
function inGoodStanding(stage: LifecycleStage, held: boolean): boolean {
  return stage === 'active' || stage === 'expiring' || (held && stage !== 'terminated');
}

/** Where every contract stands at `now` (reads only). */
export function verdicts(core: Core, now: string, contracts = allContracts(core)): ContractVerdict[] {
  const defaults = policyDefaults(core);
  const base = contracts.map((contract) => {
    const policy = policyOf(core, contract, defaults);
    const today = localDate(new Date(now), contract.timezone);
    const held = holdsOf(core, contract.id, today).some((h) => h.inForce);
    const calendar: LifecycleStage = contract.state === 'terminated' ? 'terminated' : calendarStage(contract, policy, now);
    return { contract, policy, calendar, held };
  });
  return base.map(({ contract, policy, calendar, held }) => {
    const applications = contract.applications.map((a): ApplicationVerdict => {
      const coveredBy = base
        .filter((o) => o.contract.id !== contract.id && inGoodStanding(o.calendar, o.held) && o.contract.applications.some((x) => x.id === a.id))
        .map((o) => ({ contractId: o.contract.id, reference: o.contract.reference }));
      const suspended = calendar !== 'terminated' && inForceSuspensions(core, { contractId: contract.id, applicationId: a.id }).length > 0;
      return { applicationId: a.id, applicationName: a.name, stage: suspended ? 'suspended' : calendar, coveredBy, held };
    });
    const stage: LifecycleStage = applications.some((a) => a.stage === 'suspended') ? 'suspended' : calendar;
    return { contract, policy, stage, applications };
  });
}

/** Records a stage change of a contract (applicationId null) or of one application; false when unchanged. */
function recordStage(core: Core, contractId: number, applicationId: number | null, stage: LifecycleStage, at: string, why: string): boolean {
  if (lastStage(core, contractId, applicationId) === stage) return false;
  insertStage(core, { contractId, applicationId, stage, at, why, actor: EVALUATOR_ACTOR });
  return true;
}

function stageWhy(v: ContractVerdict, stage: LifecycleStage): string {
  const end = v.contract.endDate;
  switch (stage) {
    case 'active':
      return `in force until ${end}`;
    case 'expiring':
      return `ends on ${end}`;
    case 'grace':
      return `ended on ${end}; ${v.policy.graceDays} days of grace`;
    case 'suspension_due':
      return `grace of ${v.policy.graceDays} days after ${end} is over`;
    case 'suspended':
      return 'a suspension is in force';
    default:
      return stage;
  }
}

/** One evaluation at `now` (tests pass the clock; the scheduler passes its own). */
export function evaluateContracts(core: Core, now: Date = new Date()): EvaluateOutput {
  const nowIso = now.toISOString();
  const previous = lastEvaluatedAt(core);
  const since = previous ?? new Date(now.getTime() - DAY_MS).toISOString();
  const out: EvaluateOutput = { evaluatedAt: nowIso, since: previous, reminders: 0, stages: 0, proposals: 0, suspensionsStarted: 0 };
  const automatic: { proposalId: number; contractId: number; applicationId: number; policy: LifecyclePolicy }[] = [];
  core.tx(() => {
    const contracts = allContracts(core);
    for (const c of contracts) {
      if (c.state === 'terminated') continue;
      const policy = policyOf(core, c);
      for (const d of dueBetween(c, policy, since, nowIso)) {
        const kind = noticeKindOf(d.kind);
        if (!kind) continue;
        if (!claimDue(core, { key: d.key, contractId: c.id, kind: d.kind, days: d.days, period: d.period, dueAt: d.at, ts: nowIso, outcome: 'queued' })) continue;
        const ids = queueContractNotice(core, { contractId: c.id, kind, key: d.key, days: d.days });
        setDueOutcome(core, d.key, ids.length ? `queued for ${ids.length} contact${ids.length === 1 ? '' : 's'}` : 'no contact to tell');
        out.reminders++;
      }
    }
    for (const v of verdicts(core, nowIso, contracts)) {
      const c = v.contract;
      if (v.stage === 'terminated') continue;
      const due = duePoints(c, v.policy).find((d) => d.kind === 'suspension_due')!;
      for (const a of v.applications) {
        if (recordStage(core, c.id, a.applicationId, a.stage, nowIso, stageWhy(v, a.stage))) out.stages++;
        if (a.stage !== 'suspension_due' || a.held || a.coveredBy.length) continue;
        const auto = v.policy.suspensionMode === 'automatic';
        const id = insertProposal(core, {
          contractId: c.id,
          applicationId: a.applicationId,
          period: c.endDate,
          dueAt: due.at,
          reason: v.policy.suspensionReason,
          state: auto ? 'accepted' : 'open',
          by: auto ? EVALUATOR_ACTOR : null,
          ts: nowIso,
        });
        if (id === null) continue;
        out.proposals++;
        core.audit.write(EVALUATOR_ACTOR, auto ? 'suspend:due' : 'propose:suspend', 'contracts', c.id, null, { applicationId: a.applicationId, period: c.endDate, reason: v.policy.suspensionReason });
        if (auto) automatic.push({ proposalId: id, contractId: c.id, applicationId: a.applicationId, policy: v.policy });
      }
      if (recordStage(core, c.id, null, v.stage, nowIso, stageWhy(v, v.stage))) out.stages++;
      if (setContractState(core, c.id, storedState(v.stage), nowIso)) {
        core.audit.write(EVALUATOR_ACTOR, 'lifecycle', 'contracts', c.id, { state: c.state }, { state: storedState(v.stage), stage: v.stage });
      }
    }
    setLastEvaluatedAt(core, nowIso);
  });
  if (out.reminders) core.services.notices.kick();
  // Suspension runs start after the evaluation's transaction: each is its own guided run.
  for (const s of automatic) {
    try {
      const started = startSuspension(core, {
        contractId: s.contractId,
        applicationId: s.applicationId,
        reason: s.policy.suspensionReason,
        retryAfterSeconds: s.policy.retryAfterSeconds,
        stopWorkers: s.policy.stopWorkers,
        note: 'carried out when due (contract policy: automatic)',
      });
      setProposalSuspensions(core, s.proposalId, started.map((x) => x.id));
      out.suspensionsStarted += started.length;
    } catch (e) {
      // Not started (no placement, suspended under another contract…): the operator decides on Today.
      const why = `automatic suspension could not start: ${(e as Error).message}`;
      reopenProposal(core, s.proposalId, why);
      core.audit.write(EVALUATOR_ACTOR, 'suspend:failed', 'contracts', s.contractId, null, { applicationId: s.applicationId, error: (e as Error).message });
    }
  }
  if (out.reminders || out.stages || out.proposals) core.events.emit('contracts.lifecycle', { contractId: null, action: 'evaluate' });
  return out;
}

type EvaluateOutput = z.infer<typeof EvaluateOutputSchema>;

export interface EvaluatorOptions {
  intervalMs?: number;
  /** Tests: a clock of their own. */
  clock?: () => Date;
}

/**
 * Evaluates now and then every `intervalMs` (default one hour) until stopped. A tick after the
 * computer slept simply finds more due since the last evaluation.
 */
export function startEvaluator(core: Core, opts: EvaluatorOptions = {}): () => void {
  const clock = opts.clock ?? (() => new Date());
  let stopped = false;
  const tick = () => {
    if (stopped || !core.db.open) return;
    try {
      evaluateContracts(core, clock());
    } catch (e) {
      console.error('[puesta] contract evaluation failed:', e);
    }
  };
  const first = setTimeout(tick, 0);
  const every = setInterval(tick, opts.intervalMs ?? 3_600_000);
  first.unref();
  every.unref();
  // a suspension or reinstatement that finished changes the stages: record them now, not within the hour
  let soon: NodeJS.Timeout | null = null;
  const off = core.events.subscribe((event, payload) => {
    if (event !== 'suspension.changed' || soon) return;
    const { state } = payload as { state: string };
    if (state !== 'suspended' && state !== 'reinstated') return;
    soon = setTimeout(() => {
      soon = null;
      tick();
    }, 50);
    soon.unref();
  });
  return () => {
    stopped = true;
    off();
    if (soon) clearTimeout(soon);
    clearTimeout(first);
    clearInterval(every);
  };
}
