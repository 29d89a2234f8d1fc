/**
 * Every SQL statement of the contract lifecycle: the contracts as the evaluator reads them, the
 * per-contract policy, holds, stage history, handled due points, suspension proposals, the evaluator's
 * last run, and contract notices in the outbox ledger.
 */
import type { Hold, LifecycleStage, PolicyOverrides, Proposal, ReminderSent, StageEntry } from '../../../shared/contract/contracts.js';
import type { Core } from '../core.js';
import { prepared, rowMapper, type Row } from '../db/rows.js';

const q = (core: Core, sql: string) => prepared(core.db, sql);

// ---------------------------------------------------------------- contracts

export interface LifecycleContract {
  id: number;
  reference: string;
  customerId: number;
  customerName: string;
  timezone: string;
  language: string;
  endDate: string;
  graceDays: number;
  state: 'active' | 'grace' | 'suspended' | 'terminated';
  applications: { id: number; name: string }[];
}

const CONTRACT_SELECT = `SELECT c.id, c.reference, c.customer_id, cu.name AS customer_name, cu.timezone, cu.language, c.end_date, c.grace_days, c.state,
  (SELECT json_group_array(json_object('id', a.id, 'name', a.name)) FROM contract_applications ca JOIN applications a ON a.id = ca.application_id
    WHERE ca.contract_id = c.id) AS applications
  FROM contracts c JOIN customers cu ON cu.id = c.customer_id`;
const mapContract = rowMapper<LifecycleContract>({ json: ['applications'] });
const sortApps = (c: LifecycleContract): LifecycleContract => ({ ...c, applications: c.applications.sort((a, b) => a.id - b.id) });

/** Every contract (terminated ones too: they still cover nothing, and their history stays). */
export function allContracts(core: Core): LifecycleContract[] {
  return (q(core, `${CONTRACT_SELECT} ORDER BY c.id`).all() as Row[]).map(mapContract).map(sortApps);
}

export function contractById(core: Core, id: number): LifecycleContract | undefined {
  const r = q(core, `${CONTRACT_SELECT} WHERE c.id = ?`).get(id) as Row | undefined;
  return r && sortApps(mapContract(r));
}

/** By reference (case-insensitive, as the column is). */
export function contractIdsByReference(core: Core): Map<string, number> {
  const rows = q(core, 'SELECT id, reference FROM contracts').all() as { id: number; reference: string }[];
  return new Map(rows.map((r) => [r.reference.toLowerCase(), r.id]));
}

export function setContractState(core: Core, id: number, state: string, ts: string): boolean {
  return q(core, 'UPDATE contracts SET state = ?, updated_at = ? WHERE id = ? AND state <> ?').run(state, ts, id, state).changes > 0;
}

export function setEndDate(core: Core, id: number, endDate: string, ts: string): void {
  q(core, 'UPDATE contracts SET end_date = ?, updated_at = ? WHERE id = ?').run(endDate, ts, id);
}

export function contactsOf(core: Core, customerId: number): { id: number; name: string; email: string }[] {
  return q(core, 'SELECT id, name, email FROM contacts WHERE customer_id = ? AND opted_out = 0 ORDER BY id').all(customerId) as { id: number; name: string; email: string }[];
}

// ---------------------------------------------------------------- policy

const POLICY_COLUMNS = {
  reminderDaysBefore: 'reminder_days_before',
  overdueReminderDaysAfter: 'overdue_reminder_days_after',
  suspensionMode: 'suspension_mode',
  suspensionReason: 'suspension_reason',
  retryAfterSeconds: 'retry_after_seconds',
  stopWorkers: 'stop_workers',
} as const;
const JSON_POLICY = new Set(['reminderDaysBefore', 'overdueReminderDaysAfter', 'stopWorkers']);
type OwnPolicy = Omit<Required<PolicyOverrides>, 'graceDays'>;

/** A contract's own policy columns (all null when it has no row). */
export function ownPolicy(core: Core, contractId: number): OwnPolicy {
  const r = q(core, 'SELECT * FROM contract_policies WHERE contract_id = ?').get(contractId) as Row | undefined;
  const out = {} as Record<string, unknown>;
  for (const [field, col] of Object.entries(POLICY_COLUMNS)) {
    const v = r?.[col] ?? null;
    out[field] = v !== null && JSON_POLICY.has(field) ? JSON.parse(v as string) : v;
  }
  return out as OwnPolicy;
}

export function saveOwnPolicy(core: Core, contractId: number, p: OwnPolicy, ts: string): void {
  const v = (f: keyof OwnPolicy) => (p[f] === null ? null : JSON_POLICY.has(f) ? JSON.stringify(p[f]) : p[f]);
  q(
    core,
    `INSERT INTO contract_policies (contract_id, reminder_days_before, overdue_reminder_days_after, suspension_mode, suspension_reason, retry_after_seconds, stop_workers, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(contract_id) DO UPDATE SET reminder_days_before = excluded.reminder_days_before,
       overdue_reminder_days_after = excluded.overdue_reminder_days_after, suspension_mode = excluded.suspension_mode, suspension_reason = excluded.suspension_reason,
       retry_after_seconds = excluded.retry_after_seconds, stop_workers = excluded.stop_workers, updated_at = excluded.updated_at`,
  ).run(contractId, v('reminderDaysBefore'), v('overdueReminderDaysAfter'), v('suspensionMode'), v('suspensionReason'), v('retryAfterSeconds'), v('stopWorkers'), ts);
}

export function setGraceDays(core: Core, contractId: number, days: number, ts: string): void {
  q(core, 'UPDATE contracts SET grace_days = ?, updated_at = ? WHERE id = ?').run(days, ts, contractId);
}

// ---------------------------------------------------------------- holds

const mapHold = rowMapper<Omit<Hold, 'inForce'>>({ omit: ['release_why'] });
const holdOf = (r: Row, today: string): Hold => {
  const h = mapHold(r);
  return { ...h, inForce: h.releasedAt === null && h.until >= today };
};

export function insertHold(core: Core, h: { contractId: number; reason: string; until: string; by: string; ts: string }): number {
  return Number(q(core, 'INSERT INTO contract_holds (contract_id, reason, until, created_at, created_by) VALUES (?, ?, ?, ?, ?)').run(h.contractId, h.reason, h.until, h.ts, h.by).lastInsertRowid);
}

export function holdById(core: Core, id: number, today: string): Hold | undefined {
  const r = q(core, 'SELECT * FROM contract_holds WHERE id = ?').get(id) as Row | undefined;
  return r && holdOf(r, today);
}

export function releaseHold(core: Core, id: number, by: string, why: string, ts: string): void {
  q(core, 'UPDATE contract_holds SET released_at = ?, released_by = ?, release_why = ? WHERE id = ? AND released_at IS NULL').run(ts, by, why, id);
}

/** A contract's holds, newest first; `today` is the customer's date (a hold lasts through its `until`). */
export function holdsOf(core: Core, contractId: number, today: string): Hold[] {
  return (q(core, 'SELECT * FROM contract_holds WHERE contract_id = ? ORDER BY id DESC').all(contractId) as Row[]).map((r) => holdOf(r, today));
}

// ---------------------------------------------------------------- stage history

const mapStage = rowMapper<StageEntry>();

/** The last recorded stage of the contract (applicationId null) or of one of its applications. */
export function lastStage(core: Core, contractId: number, applicationId: number | null): LifecycleStage | null {
  const r = q(core, 'SELECT stage FROM contract_stages WHERE contract_id = ? AND application_id IS ? ORDER BY id DESC LIMIT 1').get(contractId, applicationId) as { stage: LifecycleStage } | undefined;
  return r?.stage ?? null;
}

export function insertStage(core: Core, s: { contractId: number; applicationId: number | null; stage: LifecycleStage; at: string; why: string; actor: string }): void {
  q(core, 'INSERT INTO contract_stages (contract_id, application_id, stage, at, why, actor) VALUES (?, ?, ?, ?, ?, ?)').run(s.contractId, s.applicationId, s.stage, s.at, s.why, s.actor);
}

export function stagesOf(core: Core, contractId: number): StageEntry[] {
  return (
    q(
      core,
      `SELECT s.id, s.contract_id, s.application_id, a.name AS application_name, s.stage, s.at, s.why, s.actor
       FROM contract_stages s LEFT JOIN applications a ON a.id = s.application_id WHERE s.contract_id = ? ORDER BY s.id DESC`,
    ).all(contractId) as Row[]
  ).map(mapStage);
}

// ---------------------------------------------------------------- due points handled

/** Records a due point as handled; false if it already was (the caller then does nothing). */
export function claimDue(core: Core, d: { key: string; contractId: number; kind: string; days: number | null; period: string; dueAt: string; ts: string; outcome: string }): boolean {
  return (
    q(core, 'INSERT OR IGNORE INTO contract_due_handled (key, contract_id, kind, days, period, due_at, handled_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      d.key,
      d.contractId,
      d.kind,
      d.days,
      d.period,
      d.dueAt,
      d.ts,
      d.outcome,
    ).changes > 0
  );
}

export function setDueOutcome(core: Core, key: string, outcome: string): void {
  q(core, 'UPDATE contract_due_handled SET outcome = ? WHERE key = ?').run(outcome, key);
}

export function handledKeys(core: Core): Set<string> {
  return new Set((q(core, 'SELECT key FROM contract_due_handled').all() as { key: string }[]).map((r) => r.key));
}

// ---------------------------------------------------------------- proposals

const PROPOSAL_SELECT = `SELECT p.id, p.contract_id, c.reference, c.customer_id, cu.name AS customer_name, p.application_id, a.name AS application_name,
  p.period, p.due_at, p.reason, p.state, p.decided_at, p.decided_by, p.why, p.suspension_ids
  FROM contract_proposals p JOIN contracts c ON c.id = p.contract_id JOIN customers cu ON cu.id = c.customer_id JOIN applications a ON a.id = p.application_id`;
const mapProposal = rowMapper<Proposal>({ json: ['suspension_ids'] });

/** A suspension came due: recorded once per contract × application × period. Returns its id when new. */
export function insertProposal(
  core: Core,
  p: { contractId: number; applicationId: number; period: string; dueAt: string; reason: string; state: 'open' | 'accepted'; by: string | null; ts: string },
): number | null {
  const r = q(
    core,
    `INSERT OR IGNORE INTO contract_proposals (contract_id, application_id, period, due_at, reason, state, decided_at, decided_by, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(p.contractId, p.applicationId, p.period, p.dueAt, p.reason, p.state, p.state === 'open' ? null : p.ts, p.by, p.ts);
  return r.changes ? Number(r.lastInsertRowid) : null;
}

export function proposalById(core: Core, id: number): Proposal | undefined {
  const r = q(core, `${PROPOSAL_SELECT} WHERE p.id = ?`).get(id) as Row | undefined;
  return r && mapProposal(r);
}

export function proposalFor(core: Core, contractId: number, applicationId: number, period: string): Proposal | undefined {
  const r = q(core, `${PROPOSAL_SELECT} WHERE p.contract_id = ? AND p.application_id = ? AND p.period = ?`).get(contractId, applicationId, period) as Row | undefined;
  return r && mapProposal(r);
}

export function openProposals(core: Core): Proposal[] {
  return (q(core, `${PROPOSAL_SELECT} WHERE p.state = 'open' ORDER BY p.due_at, p.id`).all() as Row[]).map(mapProposal);
}

export function proposalsOf(core: Core, contractId: number): Proposal[] {
  return (q(core, `${PROPOSAL_SELECT} WHERE p.contract_id = ? ORDER BY p.id DESC`).all(contractId) as Row[]).map(mapProposal);
}

export function decideProposal(core: Core, id: number, d: { state: 'accepted' | 'dismissed' | 'superseded'; by: string; why: string; suspensionIds: number[]; ts: string }): void {
  q(core, "UPDATE contract_proposals SET state = ?, decided_at = ?, decided_by = ?, why = ?, suspension_ids = ? WHERE id = ? AND state = 'open'").run(
    d.state,
    d.ts,
    d.by,
    d.why,
    JSON.stringify(d.suspensionIds),
    id,
  );
}

export function setProposalSuspensions(core: Core, id: number, suspensionIds: number[]): void {
  q(core, 'UPDATE contract_proposals SET suspension_ids = ? WHERE id = ?').run(JSON.stringify(suspensionIds), id);
}

/** An automatic suspension that could not start goes back to the operator as an open proposal. */
export function reopenProposal(core: Core, id: number, why: string): void {
  q(core, "UPDATE contract_proposals SET state = 'open', decided_at = NULL, decided_by = NULL, why = ? WHERE id = ?").run(why, id);
}

/** Open proposals of a contract become moot (renewal, termination, a hold). */
export function supersedeOpen(core: Core, contractId: number, by: string, why: string, ts: string): number {
  return q(core, "UPDATE contract_proposals SET state = 'superseded', decided_at = ?, decided_by = ?, why = ? WHERE contract_id = ? AND state = 'open'").run(ts, by, why, contractId).changes;
}

// ---------------------------------------------------------------- the evaluator's state

export function lastEvaluatedAt(core: Core): string | null {
  return (q(core, 'SELECT last_evaluated_at AS t FROM contract_evaluator WHERE id = 1').get() as { t: string | null } | undefined)?.t ?? null;
}

export function setLastEvaluatedAt(core: Core, ts: string): void {
  q(core, 'UPDATE contract_evaluator SET last_evaluated_at = ? WHERE id = 1').run(ts);
}

// ---------------------------------------------------------------- contract notices in the outbox ledger

export interface NoticeRow {
  contractId: number;
  contactId: number;
  customerId: number;
  customerName: string;
  contactName: string;
  email: string;
  key: string;
  messageId: string;
  message: { subject: string; html: string; text: string };
}

/** Queues a rendered contract notice for one contact; nothing if this key already reached them. Returns the row id when new. */
export function insertNotice(core: Core, n: NoticeRow, ts: string): number | null {
  const r = q(
    core,
    `INSERT OR IGNORE INTO outbox (campaign_id, contract_id, notice_key, contact_id, customer_id, customer_name, contact_name, email, subject, ics_method,
       state, attempts, next_attempt_at, message_id, created_at, updated_at)
     VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, '', 'queued', 0, ?, ?, ?, ?)`,
  ).run(n.contractId, n.key, n.contactId, n.customerId, n.customerName, n.contactName, n.email, n.message.subject, ts, n.messageId, ts, ts);
  if (!r.changes) return null;
  const id = Number(r.lastInsertRowid);
  q(core, "INSERT INTO outbox_bodies (outbox_id, html, text, ics) VALUES (?, ?, ?, '')").run(id, n.message.html, n.message.text);
  return id;
}

export function noticeIds(core: Core, key: string): number[] {
  return (q(core, 'SELECT id FROM outbox WHERE notice_key = ? ORDER BY id').all(key) as { id: number }[]).map((r) => r.id);
}

const mapReminder = rowMapper<ReminderSent & { noticeKey: string }>({ rename: { id: 'outboxId' } });

/** The contract's notices in the ledger, newest first, with their key (the caller reads kind/days/period from it). */
export function noticesOf(core: Core, contractId: number): (Omit<ReminderSent, 'kind' | 'days' | 'period'> & { noticeKey: string })[] {
  return (
    q(
      core,
      `SELECT id, notice_key, email, contact_name, subject, state, sent_at, created_at FROM outbox WHERE contract_id = ? AND notice_key IS NOT NULL ORDER BY id DESC`,
    ).all(contractId) as Row[]
  ).map(mapReminder);
}
