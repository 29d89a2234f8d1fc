/**
 * Suspension and reinstatement on the servers: what other areas call (the contracts lifecycle
 * starts a suspension when due, reinstates an `overdue` one on renewal) and the handlers use.
 */
import {
  SuspendRequest,
  type SuspendParsed,
  type Suspension,
  type SuspensionPlan,
  type SuspendRequest as SuspendInput,
} from '../../../shared/contract/suspension.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { checkRequest, planSuspension as plan, targetEnvironments } from './plan.js';
import { drive, isMoving, lockAll, refreshInterrupted } from './runner.js';
import { getSuspension as read, insertRun, insertSuspension, listSuspensions as list, reopenRun, setNotify, type SuspensionFilter } from './suspension-store.js';

/** Runs in flight, by suspension id (to await them: tests, the bench, scripts). */
const flights = new WeakMap<Core, Map<number, Promise<unknown>>>();
const flightsOf = (core: Core): Map<number, Promise<unknown>> => {
  let m = flights.get(core);
  if (!m) flights.set(core, (m = new Map()));
  return m;
};

function launch(core: Core, ids: number[], phase: 'suspend' | 'reinstate', runIds: Map<number, number>): void {
  const p = drive(core, ids, phase, runIds).catch((e: unknown) => console.error(`[puesta] suspension run ${ids.join(', ')} stopped:`, e));
  for (const id of ids) flightsOf(core).set(id, p);
  void p.finally(() => ids.forEach((id) => flightsOf(core).get(id) === p && flightsOf(core).delete(id)));
}

export function getSuspension(core: Core, id: number): Suspension {
  const s = read(core, id);
  refreshInterrupted(core, [s]);
  return read(core, id);
}

export function listSuspensions(core: Core, f: SuspensionFilter): Suspension[] {
  refreshInterrupted(core, list(core, { ...f, inForce: true }));
  return list(core, f);
}

export const suspensionsOfContract = (core: Core, contractId: number): Suspension[] => listSuspensions(core, { contractId });
export const inForceSuspensions = (core: Core, f: { contractId?: number; applicationId?: number }): Suspension[] => listSuspensions(core, { ...f, inForce: true });

export function planSuspension(core: Core, req: SuspendInput): SuspensionPlan {
  return plan(core, SuspendRequest.parse(req));
}

/**
 * Suspends the application of the contract in each environment asked (one suspension each),
 * several at once in one batched run: per host one script, one verification pass. An environment
 * where a suspension of this contract is already in force keeps it unchanged (idempotent).
 * Resolves once the runs started; `settledSuspension` waits for one to end.
 */
export function startSuspensions(core: Core, reqs: SuspendInput[]): Suspension[] {
  const operator = core.operator();
  const created: number[] = [];
  const out: number[] = [];
  const runIds = new Map<number, number>();
  core.tx(() => {
    for (const raw of reqs) {
      const req: SuspendParsed = SuspendRequest.parse(raw);
      checkRequest(core, req);
      for (const env of targetEnvironments(core, req.applicationId, req.environmentId)) {
        const existing = list(core, { applicationId: req.applicationId, environmentId: env.environmentId, inForce: true, limit: 1 })[0];
        if (existing) {
          if (existing.contractId !== req.contractId) {
            throw new PuestaError('CONFLICT', `${existing.applicationName} on ${existing.environmentName} is already suspended under contract ${existing.contractReference} (suspension #${existing.id}).`);
          }
          out.push(existing.id);
          continue;
        }
        const id = insertSuspension(core, { ...req, environmentId: env.environmentId, hosts: env.hosts });
        runIds.set(id, insertRun(core, id, 'suspend', operator));
        created.push(id);
        out.push(id);
      }
    }
    lockAll(core, created.map((id) => read(core, id)), operator);
  });
  if (created.length) launch(core, created, 'suspend', runIds);
  return out.map((id) => read(core, id));
}

export function startSuspension(core: Core, req: SuspendInput): Suspension[] {
  return startSuspensions(core, [req]);
}

/** The reverse run of suspensions in force (several at once: one script per host). */
export function startReinstatements(core: Core, ids: number[], opts: { notify?: boolean } = {}): Suspension[] {
  const runIds = new Map<number, number>();
  core.tx(() => {
    for (const id of ids) {
      const s = getSuspension(core, id);
      if (s.state === 'reinstated') throw new PuestaError('PRECONDITION_FAILED', `Suspension #${id} is already reinstated.`);
      if (isMoving(core, id)) throw new PuestaError('CONFLICT', `Suspension #${id} is running (${s.state}): wait for it to end.`);
      runIds.set(id, insertRun(core, id, 'reinstate', core.operator()));
      setNotify(core, id, opts.notify ?? true);
    }
    lockAll(core, ids.map((id) => read(core, id)), core.operator());
  });
  launch(core, ids, 'reinstate', runIds);
  return ids.map((id) => read(core, id));
}

/** The reverse run of one suspension (`notify`: tell the customer, default yes; `note` goes to the audit). */
export function startReinstatement(core: Core, id: number, opts: { notify?: boolean; note?: string } = {}): Suspension {
  if (opts.note) core.audit.write(core.operator(), 'suspension.reinstate.note', 'suspensions', id, null, { note: opts.note });
  return startReinstatements(core, [id], opts)[0]!;
}

/** Continues an interrupted or failed run (the same phase, on the hosts not done). */
export function resumeSuspension(core: Core, id: number): Suspension {
  const s = getSuspension(core, id);
  if (s.state !== 'interrupted' && s.state !== 'failed') throw new PuestaError('PRECONDITION_FAILED', `Suspension #${id} is ${s.state}: only an interrupted or failed run can be resumed.`);
  const runId = s.phase === 'suspend' ? s.suspendRun?.id : s.reinstateRun?.id;
  core.tx(() => {
    reopenRun(core, id, s.phase);
    lockAll(core, [s], core.operator());
  });
  launch(core, [id], s.phase, new Map(runId ? [[id, runId]] : []));
  return read(core, id);
}

/** Resolves when the suspension's run stops moving. */
export async function settledSuspension(core: Core, id: number): Promise<Suspension> {
  await flightsOf(core).get(id);
  return getSuspension(core, id);
}

