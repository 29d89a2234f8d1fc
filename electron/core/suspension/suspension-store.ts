/** SQL of the suspension area: suspensions, their hosts and their two runs (migration 0014). */
import {
  SUSPENSION_IN_FORCE,
  type Suspension,
  type SuspensionHost,
  type SuspensionPhase,
  type SuspensionReason,
  type SuspensionRun,
  type SuspensionState,
} from '../../../shared/contract/suspension.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso, prepared, Where, type Row } from '../db/rows.js';

export interface NewSuspension {
  contractId: number;
  applicationId: number;
  environmentId: number;
  reason: SuspensionReason;
  retryAfterSeconds: number;
  message: string;
  stopWorkers: string[];
  notify: boolean;
  note: string;
  hosts: { serverId: number; serverName: string }[];
}

/** Inserts the suspension (state `suspending`) with its hosts pending. */
export function insertSuspension(core: Core, s: NewSuspension): number {
  const now = nowIso();
  const id = Number(
    core.db
      .prepare(
        `INSERT INTO suspensions (contract_id, application_id, environment_id, reason, state, phase, retry_after, message, stop_workers, notify, note, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'suspending', 'suspend', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.contractId, s.applicationId, s.environmentId, s.reason, s.retryAfterSeconds, s.message, JSON.stringify(s.stopWorkers), s.notify ? 1 : 0, s.note, now, now).lastInsertRowid,
  );
  const host = core.db.prepare("INSERT INTO suspension_hosts (suspension_id, server_id, server_name, state) VALUES (?, ?, ?, 'pending')");
  for (const h of s.hosts) host.run(id, h.serverId, h.serverName);
  return id;
}

/** A new run of a suspension; the suspension moves to that phase's moving state, its hosts to pending. */
export function insertRun(core: Core, suspensionId: number, phase: SuspensionPhase, operator: string): number {
  const now = nowIso();
  const runId = Number(core.db.prepare('INSERT INTO suspension_runs (suspension_id, phase, operator, started_at) VALUES (?, ?, ?, ?)').run(suspensionId, phase, operator, now).lastInsertRowid);
  core.db
    .prepare(`UPDATE suspensions SET phase = ?, state = ?, ${phase === 'suspend' ? 'suspend_run_id' : 'reinstate_run_id'} = ?, updated_at = ? WHERE id = ?`)
    .run(phase, phase === 'suspend' ? 'suspending' : 'reinstating', runId, now, suspensionId);
  core.db.prepare("UPDATE suspension_hosts SET state = 'pending', error = NULL, log = '' WHERE suspension_id = ?").run(suspensionId);
  return runId;
}

/** A run resumed: its hosts not done go back to pending, the suspension to its moving state. */
export function reopenRun(core: Core, suspensionId: number, phase: SuspensionPhase): void {
  core.db.prepare("UPDATE suspension_hosts SET state = 'pending', error = NULL WHERE suspension_id = ? AND state <> 'done'").run(suspensionId);
  setState(core, suspensionId, phase === 'suspend' ? 'suspending' : 'reinstating');
}

export function finishRun(core: Core, runId: number): void {
  core.db.prepare('UPDATE suspension_runs SET finished_at = ? WHERE id = ?').run(nowIso(), runId);
}

export function setState(core: Core, id: number, state: SuspensionState): void {
  core.db.prepare('UPDATE suspensions SET state = ?, updated_at = ? WHERE id = ?').run(state, nowIso(), id);
}

export function setNotice(core: Core, id: number, phase: SuspensionPhase, outboxId: number | null): void {
  core.db.prepare(`UPDATE suspensions SET ${phase === 'suspend' ? 'suspend_notice_id' : 'reinstate_notice_id'} = ? WHERE id = ?`).run(outboxId, id);
}

export type HostUpdate = Partial<Pick<SuspensionHost, 'state' | 'step' | 'previousTarget' | 'stoppedWorkers' | 'verification' | 'error'>> & { appendLog?: string };

/** Host logs keep their last lines (the live view; the whole output is not needed afterwards). */
const LOG_KEEP = 8000;

export function updateHost(core: Core, id: number, serverId: number, u: HostUpdate): void {
  const sets: string[] = [];
  const args: unknown[] = [];
  const put = (col: string, v: unknown): void => {
    sets.push(`${col} = ?`);
    args.push(v);
  };
  if (u.state !== undefined) put('state', u.state);
  if (u.step !== undefined) put('step', u.step);
  if (u.previousTarget !== undefined) put('previous_target', u.previousTarget);
  if (u.stoppedWorkers !== undefined) put('stopped_workers', JSON.stringify(u.stoppedWorkers));
  if (u.verification !== undefined) put('verification', u.verification === null ? null : JSON.stringify(u.verification));
  if (u.error !== undefined) put('error', u.error);
  if (u.appendLog) {
    sets.push(`log = substr(log || ?, -${LOG_KEEP})`);
    args.push(u.appendLog);
  }
  if (!sets.length) return;
  core.db.prepare(`UPDATE suspension_hosts SET ${sets.join(', ')} WHERE suspension_id = ? AND server_id = ?`).run(...args, id, serverId);
}

/** Runs left moving by a process that is gone: interrupted, with the hosts that were running. */
export function markInterrupted(core: Core, ids: number[]): void {
  const s = core.db.prepare("UPDATE suspensions SET state = 'interrupted', updated_at = ? WHERE id = ? AND state IN ('suspending', 'reinstating')");
  const h = core.db.prepare("UPDATE suspension_hosts SET state = 'interrupted' WHERE suspension_id = ? AND state IN ('running', 'pending')");
  const now = nowIso();
  for (const id of ids) if (s.run(now, id).changes) h.run(id);
}

const SELECT = `SELECT s.*, c.reference AS contract_reference, a.name AS application_name, e.name AS environment_name
  FROM suspensions s JOIN contracts c ON c.id = s.contract_id JOIN applications a ON a.id = s.application_id JOIN environments e ON e.id = s.environment_id`;

function runOf(core: Core, id: unknown): SuspensionRun | null {
  if (id == null) return null;
  const r = prepared(core.db, 'SELECT * FROM suspension_runs WHERE id = ?').get(id) as Row | undefined;
  if (!r) return null;
  const finishedAt = (r.finished_at as string | null) ?? null;
  return {
    id: Number(r.id),
    phase: r.phase as SuspensionPhase,
    operator: String(r.operator),
    startedAt: String(r.started_at),
    finishedAt,
    ms: finishedAt ? Date.parse(finishedAt) - Date.parse(String(r.started_at)) : null,
  };
}

function hostsOf(core: Core, id: number): SuspensionHost[] {
  const rows = prepared(core.db, 'SELECT * FROM suspension_hosts WHERE suspension_id = ? ORDER BY server_name').all(id) as Row[];
  return rows.map((r) => ({
    serverId: Number(r.server_id),
    serverName: String(r.server_name),
    state: r.state as SuspensionHost['state'],
    step: (r.step as SuspensionHost['step']) ?? null,
    previousTarget: (r.previous_target as string | null) ?? null,
    stoppedWorkers: JSON.parse(String(r.stopped_workers)) as string[],
    verification: r.verification == null ? null : (JSON.parse(String(r.verification)) as SuspensionHost['verification']),
    error: (r.error as string | null) ?? null,
    log: String(r.log),
  }));
}

function toSuspension(core: Core, r: Row): Suspension {
  const id = Number(r.id);
  return {
    id,
    contractId: Number(r.contract_id),
    contractReference: String(r.contract_reference),
    applicationId: Number(r.application_id),
    applicationName: String(r.application_name),
    environmentId: Number(r.environment_id),
    environmentName: String(r.environment_name),
    reason: r.reason as SuspensionReason,
    state: r.state as SuspensionState,
    phase: r.phase as SuspensionPhase,
    retryAfterSeconds: Number(r.retry_after),
    message: String(r.message),
    stopWorkers: JSON.parse(String(r.stop_workers)) as string[],
    hosts: hostsOf(core, id),
    suspendRun: runOf(core, r.suspend_run_id),
    reinstateRun: runOf(core, r.reinstate_run_id),
    suspendNoticeId: (r.suspend_notice_id as number | null) ?? null,
    reinstateNoticeId: (r.reinstate_notice_id as number | null) ?? null,
    note: String(r.note),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

export function getSuspension(core: Core, id: number): Suspension {
  const r = prepared(core.db, `${SELECT} WHERE s.id = ?`).get(id) as Row | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no suspension #${id}.`);
  return toSuspension(core, r);
}

/** Whether the customer is told at the end of the current run (asked at its start). */
export function notifyOf(core: Core, id: number): boolean {
  return (prepared(core.db, 'SELECT notify FROM suspensions WHERE id = ?').get(id) as { notify: number } | undefined)?.notify === 1;
}

export function setNotify(core: Core, id: number, notify: boolean): void {
  core.db.prepare('UPDATE suspensions SET notify = ? WHERE id = ?').run(notify ? 1 : 0, id);
}

export interface SuspensionFilter {
  contractId?: number | undefined;
  applicationId?: number | undefined;
  environmentId?: number | undefined;
  inForce?: boolean | undefined;
  limit?: number | undefined;
}

export function listSuspensions(core: Core, f: SuspensionFilter): Suspension[] {
  const w = new Where().when(f.contractId, 's.contract_id = ?').when(f.applicationId, 's.application_id = ?').when(f.environmentId, 's.environment_id = ?');
  if (f.inForce !== undefined) w.add(`s.state ${f.inForce ? '' : 'NOT '}IN (${SUSPENSION_IN_FORCE.map(() => '?').join(', ')})`, ...SUSPENSION_IN_FORCE);
  const rows = core.db.prepare(`${SELECT}${w.sql} ORDER BY s.id DESC LIMIT ?`).all(...w.args, f.limit ?? 1000) as Row[];
  return rows.map((r) => toSuspension(core, r));
}

/** The customer of a contract (for the page and the notice). */
export function contractParty(core: Core, contractId: number): { reference: string; customerName: string } {
  const r = prepared(core.db, 'SELECT c.reference, cu.name FROM contracts c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?').get(contractId) as { reference: string; name: string } | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no contract #${contractId}.`);
  return { reference: r.reference, customerName: r.name };
}

/** Whether the contract covers the application. */
export function contractCovers(core: Core, contractId: number, applicationId: number): boolean {
  return prepared(core.db, 'SELECT 1 FROM contract_applications WHERE contract_id = ? AND application_id = ?').get(contractId, applicationId) !== undefined;
}
