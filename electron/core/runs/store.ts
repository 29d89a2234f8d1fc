/** Every SQL statement of guided runs: checklists, releases, runs and their cells, logs, locks. */
import type { Checklist, ChecklistKind, ChecklistStep, CurrentRelease, Lock, LogLine, PlanHost, Release, RunCell, RunState, RunSummary } from '../../../shared/contract/runs.js';
import { ChecklistStep as StepSchema } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso } from '../repos/entity.js';
import { provisionedBuiltin, refreshProvisioning } from '../provision/checklist.js';
import { builtinChecklist, type AppForChecklist } from './builtin.js';
import { VARIABLES, type Vars } from './template.js';

type R = Record<string, unknown>;

// ---------------------------------------------------------------- checklists
export function getChecklist(core: Core, applicationId: number, kind: ChecklistKind): Checklist {
  const app = core.inventory.applications.get(applicationId) as unknown as AppForChecklist & { updatedAt: string };
  const row = core.db.prepare('SELECT id, updated_at FROM checklists WHERE application_id = ? AND kind = ?').get(applicationId, kind) as R | undefined;
  // applications with services: the provisioning steps (user, layout, logrotate, services, database, backup, monitoring) are part of install/upgrade
  if (!row) return { applicationId, kind, steps: provisionedBuiltin(core, applicationId, kind, builtinChecklist(kind, app)), builtin: true, updatedAt: app.updatedAt, variables: VARIABLES };
  const steps = (core.db.prepare('SELECT spec FROM checklist_steps WHERE checklist_id = ? ORDER BY position').all(row.id) as R[]).map((r) =>
    StepSchema.parse(JSON.parse(String(r.spec))),
  );
  return { applicationId, kind, steps: refreshProvisioning(core, applicationId, kind, steps), builtin: false, updatedAt: String(row.updated_at), variables: VARIABLES };
}

export function saveChecklist(core: Core, applicationId: number, kind: ChecklistKind, steps: ChecklistStep[]): void {
  core.tx(() => {
    const ts = nowIso();
    core.db
      .prepare('INSERT INTO checklists (application_id, kind, updated_at) VALUES (?, ?, ?) ON CONFLICT (application_id, kind) DO UPDATE SET updated_at = excluded.updated_at')
      .run(applicationId, kind, ts);
    const id = (core.db.prepare('SELECT id FROM checklists WHERE application_id = ? AND kind = ?').get(applicationId, kind) as { id: number }).id;
    core.db.prepare('DELETE FROM checklist_steps WHERE checklist_id = ?').run(id);
    const ins = core.db.prepare('INSERT INTO checklist_steps (checklist_id, position, key, spec) VALUES (?, ?, ?, ?)');
    steps.forEach((s, i) => ins.run(id, i, s.key, JSON.stringify(s)));
  });
}

export function deleteChecklist(core: Core, applicationId: number, kind: ChecklistKind): void {
  core.db.prepare('DELETE FROM checklists WHERE application_id = ? AND kind = ?').run(applicationId, kind);
}

// ---------------------------------------------------------------- releases
const RELEASE_SELECT = `SELECT r.*, s.name AS server_name,
  EXISTS (SELECT 1 FROM current_releases c WHERE c.release_id = r.id) AS is_current
  FROM releases r JOIN servers s ON s.id = r.server_id`;

function toRelease(r: R): Release {
  return {
    id: r.id as number,
    applicationId: r.application_id as number,
    serverId: r.server_id as number,
    serverName: String(r.server_name),
    key: String(r.key),
    label: String(r.label),
    sha256: String(r.sha256),
    source: String(r.source),
    path: String(r.path),
    runId: (r.run_id as number | null) ?? null,
    createdAt: String(r.created_at),
    removedAt: (r.removed_at as string | null) ?? null,
    current: r.is_current === 1,
  };
}

export function listReleases(core: Core, applicationId: number, serverId?: number, includeRemoved = false): Release[] {
  const where = ['r.application_id = ?'];
  const args: unknown[] = [applicationId];
  if (serverId) {
    where.push('r.server_id = ?');
    args.push(serverId);
  }
  if (!includeRemoved) where.push('r.removed_at IS NULL');
  return (core.db.prepare(`${RELEASE_SELECT} WHERE ${where.join(' AND ')} ORDER BY r.key DESC, s.name`).all(...args) as R[]).map(toRelease);
}

export function getRelease(core: Core, id: number): Release {
  const r = core.db.prepare(`${RELEASE_SELECT} WHERE r.id = ?`).get(id) as R | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no release with id ${id}.`);
  return toRelease(r);
}

export interface ReleaseInfo {
  label?: string;
  sha256?: string;
  source?: string;
  runId?: number | null;
}

/** Makes sure a release row exists (and is not marked removed); returns its id. */
export function upsertRelease(core: Core, applicationId: number, serverId: number, key: string, path: string, info: ReleaseInfo = {}): number {
  const row = core.db.prepare('SELECT id FROM releases WHERE application_id = ? AND server_id = ? AND key = ?').get(applicationId, serverId, key) as { id: number } | undefined;
  if (row) {
    core.db
      .prepare(
        `UPDATE releases SET removed_at = NULL, path = ?,
           label = coalesce(?, label), sha256 = coalesce(?, sha256), source = coalesce(?, source), run_id = coalesce(?, run_id) WHERE id = ?`,
      )
      .run(path, info.label ?? null, info.sha256 ?? null, info.source ?? null, info.runId ?? null, row.id);
    return row.id;
  }
  return Number(
    core.db
      .prepare('INSERT INTO releases (application_id, server_id, key, label, sha256, source, path, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(applicationId, serverId, key, info.label ?? '', info.sha256 ?? '', info.source ?? '', path, info.runId ?? null, nowIso()).lastInsertRowid,
  );
}

/** Sets the current release of a host; the one it replaces becomes the previous (rollback target). */
export function setCurrent(core: Core, applicationId: number, serverId: number, releaseId: number, runId: number | null): void {
  const cur = core.db.prepare('SELECT release_id, previous_release_id FROM current_releases WHERE application_id = ? AND server_id = ?').get(applicationId, serverId) as
    | { release_id: number; previous_release_id: number | null }
    | undefined;
  if (cur && cur.release_id === releaseId) return;
  core.db
    .prepare(
      `INSERT INTO current_releases (application_id, server_id, release_id, previous_release_id, run_id, switched_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (application_id, server_id) DO UPDATE SET release_id = excluded.release_id, previous_release_id = excluded.previous_release_id,
         run_id = excluded.run_id, switched_at = excluded.switched_at`,
    )
    .run(applicationId, serverId, releaseId, cur?.release_id ?? null, runId, nowIso());
}

/** Marks releases of a host absent from `present` as removed. */
export function markRemoved(core: Core, applicationId: number, serverId: number, present: readonly string[]): void {
  const rows = core.db.prepare('SELECT id, key FROM releases WHERE application_id = ? AND server_id = ? AND removed_at IS NULL').all(applicationId, serverId) as { id: number; key: string }[];
  const set = new Set(present);
  const upd = core.db.prepare('UPDATE releases SET removed_at = ? WHERE id = ?');
  for (const r of rows) if (!set.has(r.key)) upd.run(nowIso(), r.id);
}

export function currentReleases(core: Core, applicationId: number, environmentId?: number): CurrentRelease[] {
  const rows = core.db
    .prepare(
      `SELECT c.*, s.name AS server_name, s.environment_id, r.key, r.label, p.key AS previous_key
       FROM current_releases c JOIN servers s ON s.id = c.server_id JOIN releases r ON r.id = c.release_id
       LEFT JOIN releases p ON p.id = c.previous_release_id
       WHERE c.application_id = ? ${environmentId ? 'AND s.environment_id = ?' : ''} ORDER BY s.name`,
    )
    .all(...(environmentId ? [applicationId, environmentId] : [applicationId])) as R[];
  return rows.map((r) => ({
    applicationId: r.application_id as number,
    serverId: r.server_id as number,
    serverName: String(r.server_name),
    environmentId: (r.environment_id as number | null) ?? null,
    key: String(r.key),
    label: String(r.label),
    previousKey: (r.previous_key as string | null) ?? null,
    switchedAt: String(r.switched_at),
    runId: (r.run_id as number | null) ?? null,
  }));
}

export function currentOf(core: Core, applicationId: number, serverId: number): { key: string; previousKey: string | null } | null {
  const r = core.db
    .prepare(
      `SELECT r.key, p.key AS previous_key FROM current_releases c JOIN releases r ON r.id = c.release_id
       LEFT JOIN releases p ON p.id = c.previous_release_id WHERE c.application_id = ? AND c.server_id = ?`,
    )
    .get(applicationId, serverId) as R | undefined;
  return r ? { key: String(r.key), previousKey: (r.previous_key as string | null) ?? null } : null;
}

// ---------------------------------------------------------------- runs
export interface RunContext {
  /** Per-host template variables, keyed by server id. */
  vars: Record<string, Vars>;
  /** The release archive on the laptop (install / upgrade). */
  archive: { path: string; sha256: string; bytes: number; source: string } | null;
  /** A git source, fetched and packed on each host by the upload step instead of an SFTP upload. */
  git?: { url: string; ref: string } | null;
  /** Identifies this run's lock file on the hosts (run ids are only unique per laptop). */
  lockToken: string;
  serverIds: number[];
}

export interface RunRow {
  id: number;
  applicationId: number;
  applicationName: string;
  environmentId: number;
  environmentName: string;
  kind: ChecklistKind;
  releaseKey: string;
  label: string;
  steps: ChecklistStep[];
  hosts: PlanHost[];
  context: RunContext;
  excluded: number[];
  operator: string;
  reason: string;
  state: RunState;
  waitingFor: 'confirm' | 'decision' | null;
  currentStep: number;
  parallelism: number;
  rollbackOffer: unknown;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

const RUN_SELECT = `SELECT t.*, a.name AS application_name, e.name AS environment_name FROM runs t
  JOIN applications a ON a.id = t.application_id JOIN environments e ON e.id = t.environment_id`;

function toRun(r: R): RunRow {
  return {
    id: r.id as number,
    applicationId: r.application_id as number,
    applicationName: String(r.application_name),
    environmentId: r.environment_id as number,
    environmentName: String(r.environment_name),
    kind: r.kind as ChecklistKind,
    releaseKey: String(r.release_key),
    label: String(r.label),
    steps: JSON.parse(String(r.checklist)) as ChecklistStep[],
    hosts: JSON.parse(String(r.targets)) as PlanHost[],
    context: JSON.parse(String(r.context)) as RunContext,
    excluded: JSON.parse(String(r.excluded)) as number[],
    operator: String(r.operator),
    reason: String(r.reason),
    state: r.state as RunState,
    waitingFor: (r.waiting_for as 'confirm' | 'decision' | null) ?? null,
    currentStep: r.current_step as number,
    parallelism: r.parallelism as number,
    rollbackOffer: r.rollback_offer == null ? null : JSON.parse(String(r.rollback_offer)),
    error: (r.error as string | null) ?? null,
    startedAt: String(r.started_at),
    finishedAt: (r.finished_at as string | null) ?? null,
  };
}

export function summaryOf(r: RunRow): RunSummary {
  return {
    id: r.id,
    applicationId: r.applicationId,
    applicationName: r.applicationName,
    environmentId: r.environmentId,
    environmentName: r.environmentName,
    kind: r.kind,
    releaseKey: r.releaseKey,
    label: r.label,
    state: r.state,
    waitingFor: r.waitingFor,
    currentStep: r.currentStep,
    stepCount: r.steps.length,
    parallelism: r.parallelism,
    operator: r.operator,
    reason: r.reason,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    error: r.error,
  };
}

export function getRun(core: Core, id: number): RunRow {
  const r = core.db.prepare(`${RUN_SELECT} WHERE t.id = ?`).get(id) as R | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no run with id ${id}.`);
  return toRun(r);
}

export function listRuns(core: Core, p: { applicationId?: number | undefined; environmentId?: number | undefined; state?: RunState | undefined; limit: number; offset: number }): { items: RunSummary[]; total: number } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (p.applicationId) {
    where.push('t.application_id = ?');
    args.push(p.applicationId);
  }
  if (p.environmentId) {
    where.push('t.environment_id = ?');
    args.push(p.environmentId);
  }
  if (p.state) {
    where.push('t.state = ?');
    args.push(p.state);
  }
  const w = where.length ? ' WHERE ' + where.join(' AND ') : '';
  const total = (core.db.prepare(`SELECT count(*) AS n FROM runs t${w}`).get(...args) as { n: number }).n;
  const rows = core.db.prepare(`${RUN_SELECT}${w} ORDER BY t.id DESC LIMIT ? OFFSET ?`).all(...args, p.limit, p.offset) as R[];
  return { items: rows.map((r) => summaryOf(toRun(r))), total };
}

export function insertRun(
  core: Core,
  r: Pick<RunRow, 'applicationId' | 'environmentId' | 'kind' | 'releaseKey' | 'label' | 'steps' | 'hosts' | 'context' | 'operator' | 'reason' | 'parallelism'>,
): number {
  return Number(
    core.db
      .prepare(
        `INSERT INTO runs (application_id, environment_id, kind, release_key, label, checklist, targets, context, operator, reason, state, current_step, parallelism, started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', 0, ?, ?)`,
      )
      .run(r.applicationId, r.environmentId, r.kind, r.releaseKey, r.label, JSON.stringify(r.steps), JSON.stringify(r.hosts), JSON.stringify(r.context), r.operator, r.reason, r.parallelism, nowIso())
      .lastInsertRowid,
  );
}

export function updateRun(
  core: Core,
  id: number,
  p: Partial<Pick<RunRow, 'state' | 'waitingFor' | 'currentStep' | 'error' | 'finishedAt' | 'steps' | 'excluded' | 'rollbackOffer' | 'context'>>,
): void {
  const sets: string[] = [];
  const args: unknown[] = [];
  const col: Record<string, string> = { state: 'state', waitingFor: 'waiting_for', currentStep: 'current_step', error: 'error', finishedAt: 'finished_at', steps: 'checklist', excluded: 'excluded', rollbackOffer: 'rollback_offer', context: 'context' };
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    sets.push(`${col[k]} = ?`);
    args.push(k === 'steps' || k === 'excluded' || k === 'context' || (k === 'rollbackOffer' && v !== null) ? JSON.stringify(v) : v);
  }
  if (sets.length) core.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
}

// ---------------------------------------------------------------- cells (step × host)
const CELL_SELECT = `SELECT c.*, s.name AS server_name FROM run_steps c LEFT JOIN servers s ON s.id = c.server_id`;

export interface CellRow extends RunCell {
  id: number;
  runId: number;
  stepKey: string;
}

function toCell(r: R): CellRow {
  return {
    id: r.id as number,
    runId: r.run_id as number,
    stepKey: String(r.step_key),
    stepIndex: r.step_index as number,
    serverId: (r.server_id as number | null) ?? null,
    serverName: r.server_id == null ? '' : String(r.server_name),
    state: r.state as RunCell['state'],
    attempt: r.attempt as number,
    exitCode: (r.exit_code as number | null) ?? null,
    startedAt: (r.started_at as string | null) ?? null,
    finishedAt: (r.finished_at as string | null) ?? null,
    durationMs: (r.duration_ms as number | null) ?? null,
    note: String(r.note),
    command: (r.command as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    switchedBack: null,
  };
}

export function cellsOf(core: Core, runId: number, stepIndex?: number): CellRow[] {
  const rows = stepIndex === undefined
    ? core.db.prepare(`${CELL_SELECT} WHERE c.run_id = ? ORDER BY c.step_index, s.name`).all(runId)
    : core.db.prepare(`${CELL_SELECT} WHERE c.run_id = ? AND c.step_index = ? ORDER BY s.name`).all(runId, stepIndex);
  return (rows as R[]).map(toCell);
}

export function getCell(core: Core, id: number): CellRow {
  return toCell(core.db.prepare(`${CELL_SELECT} WHERE c.id = ?`).get(id) as R);
}

export function insertCell(core: Core, runId: number, stepIndex: number, stepKey: string, serverId: number | null, state: RunCell['state'], note = ''): void {
  core.db.prepare('INSERT INTO run_steps (run_id, step_index, step_key, server_id, state, note) VALUES (?, ?, ?, ?, ?, ?)').run(runId, stepIndex, stepKey, serverId, state, note);
}

export function updateCell(
  core: Core,
  id: number,
  p: Partial<Pick<RunCell, 'state' | 'attempt' | 'exitCode' | 'startedAt' | 'finishedAt' | 'durationMs' | 'note' | 'command' | 'error'>>,
): void {
  const col: Record<string, string> = {
    state: 'state', attempt: 'attempt', exitCode: 'exit_code', startedAt: 'started_at', finishedAt: 'finished_at', durationMs: 'duration_ms', note: 'note', command: 'command', error: 'error',
  };
  const sets: string[] = [];
  const args: unknown[] = [];
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    sets.push(`${col[k]} = ?`);
    args.push(v);
  }
  if (sets.length) core.db.prepare(`UPDATE run_steps SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
}

/** Median duration of a step key in past successful cells of the same application. */
export function usualDurations(core: Core, applicationId: number): Map<string, number> {
  const rows = core.db
    .prepare(
      `SELECT c.step_key, c.duration_ms FROM run_steps c JOIN runs r ON r.id = c.run_id
       WHERE r.application_id = ? AND c.state = 'succeeded' AND c.duration_ms IS NOT NULL
       ORDER BY c.id DESC LIMIT 2000`,
    )
    .all(applicationId) as { step_key: string; duration_ms: number }[];
  const by = new Map<string, number[]>();
  for (const r of rows) {
    const a = by.get(r.step_key) ?? [];
    if (a.length < 50) a.push(r.duration_ms);
    by.set(r.step_key, a);
  }
  const out = new Map<string, number>();
  for (const [k, a] of by) {
    a.sort((x, y) => x - y);
    out.set(k, a[Math.floor(a.length / 2)]!);
  }
  return out;
}

// ---------------------------------------------------------------- logs
export interface PendingLog {
  runId: number;
  stepIndex: number;
  serverId: number | null;
  attempt: number;
  stream: LogLine['stream'];
  seq: number;
  ts: string;
  text: string;
}

/** Inserts a batch in one transaction; returns the stored lines with their ids. */
export function insertLogs(core: Core, batch: PendingLog[]): (LogLine & { runId: number })[] {
  const ins = core.db.prepare('INSERT INTO run_logs (run_id, step_index, server_id, attempt, stream, seq, ts, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  return core.tx(() =>
    batch.map((l) => {
      const id = Number(ins.run(l.runId, l.stepIndex, l.serverId, l.attempt, l.stream, l.seq, l.ts, l.text).lastInsertRowid);
      return { id, runId: l.runId, stepIndex: l.stepIndex, serverId: l.serverId, attempt: l.attempt, stream: l.stream, seq: l.seq, ts: l.ts, text: l.text };
    }),
  );
}

export function readLogs(
  core: Core,
  p: { runId: number; stepIndex?: number | undefined; serverId?: number | undefined; afterId: number; query?: string | undefined; limit: number },
): { items: LogLine[]; nextAfterId: number; more: boolean } {
  const where = ['run_id = ?', 'id > ?'];
  const args: unknown[] = [p.runId, p.afterId];
  if (p.stepIndex !== undefined) {
    where.push('step_index = ?');
    args.push(p.stepIndex);
  }
  if (p.serverId !== undefined) {
    where.push('server_id = ?');
    args.push(p.serverId);
  }
  if (p.query && p.query.trim()) {
    where.push("text LIKE ? ESCAPE '\\'");
    args.push('%' + p.query.trim().replace(/[\\%_]/g, (c) => '\\' + c) + '%');
  }
  const rows = core.db
    .prepare(`SELECT id, step_index, server_id, attempt, stream, seq, ts, text FROM run_logs WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`)
    .all(...args, p.limit + 1) as R[];
  const more = rows.length > p.limit;
  const items = rows.slice(0, p.limit).map((r) => ({
    id: r.id as number,
    stepIndex: r.step_index as number,
    serverId: (r.server_id as number | null) ?? null,
    attempt: r.attempt as number,
    stream: r.stream as LogLine['stream'],
    seq: r.seq as number,
    ts: String(r.ts),
    text: String(r.text),
  }));
  return { items, nextAfterId: items.length ? items[items.length - 1]!.id : p.afterId, more };
}

// ---------------------------------------------------------------- locks
const LOCK_SELECT = `SELECT l.*, a.name AS application_name, e.name AS environment_name FROM locks l
  JOIN applications a ON a.id = l.application_id JOIN environments e ON e.id = l.environment_id`;

function toLock(r: R, now = nowIso()): Lock {
  return {
    applicationId: r.application_id as number,
    applicationName: String(r.application_name),
    environmentId: r.environment_id as number,
    environmentName: String(r.environment_name),
    owner: String(r.owner),
    reason: String(r.reason),
    runId: (r.run_id as number | null) ?? null,
    since: String(r.since),
    leaseExpiresAt: String(r.lease_expires_at),
    expired: String(r.lease_expires_at) <= now,
  };
}

export function listLocks(core: Core): Lock[] {
  return (core.db.prepare(`${LOCK_SELECT} ORDER BY l.since`).all() as R[]).map((r) => toLock(r));
}

export function getLock(core: Core, applicationId: number, environmentId: number): Lock | null {
  const r = core.db.prepare(`${LOCK_SELECT} WHERE l.application_id = ? AND l.environment_id = ?`).get(applicationId, environmentId) as R | undefined;
  return r ? toLock(r) : null;
}

export function putLock(core: Core, l: { applicationId: number; environmentId: number; owner: string; reason: string; runId: number | null; since: string; leaseExpiresAt: string }): void {
  core.db
    .prepare(
      `INSERT INTO locks (application_id, environment_id, owner, reason, run_id, since, lease_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (application_id, environment_id) DO UPDATE SET owner = excluded.owner, reason = excluded.reason, run_id = excluded.run_id,
         since = excluded.since, lease_expires_at = excluded.lease_expires_at`,
    )
    .run(l.applicationId, l.environmentId, l.owner, l.reason, l.runId, l.since, l.leaseExpiresAt);
}

export function renewLock(core: Core, runId: number, leaseExpiresAt: string): void {
  core.db.prepare('UPDATE locks SET lease_expires_at = ? WHERE run_id = ?').run(leaseExpiresAt, runId);
}

export function deleteLock(core: Core, applicationId: number, environmentId: number, runId?: number): boolean {
  const info = runId === undefined
    ? core.db.prepare('DELETE FROM locks WHERE application_id = ? AND environment_id = ?').run(applicationId, environmentId)
    : core.db.prepare('DELETE FROM locks WHERE application_id = ? AND environment_id = ? AND run_id = ?').run(applicationId, environmentId, runId);
  return info.changes > 0;
}
