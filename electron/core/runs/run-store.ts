/** SQL of runs and their cells (step × host): the state machine's memory on disk. */
import type { ChecklistKind, ChecklistStep, PlanHost, RunCell, RunState, RunSummary } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso, pageOf, prepared, rowMapper, snake, Where, type Row } from '../db/rows.js';
import type { Vars } from './template.js';

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
  logPrunedAt: string | null;
}

const RUN_SELECT = `SELECT t.*, a.name AS application_name, e.name AS environment_name FROM runs t
  JOIN applications a ON a.id = t.application_id JOIN environments e ON e.id = t.environment_id`;

/** Stored columns whose field name differs from the column's camelCase, and the JSON ones. */
const RUN_RENAME = { checklist: 'steps', targets: 'hosts' } as const;
const RUN_JSON = ['checklist', 'targets', 'context', 'excluded', 'rollback_offer'] as const;
const toRun = rowMapper<RunRow>({ rename: RUN_RENAME, json: RUN_JSON });

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
    logPrunedAt: r.logPrunedAt,
  };
}

export function getRun(core: Core, id: number): RunRow {
  const r = prepared(core.db, `${RUN_SELECT} WHERE t.id = ?`).get(id) as Row | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no run with id ${id}.`);
  return toRun(r);
}

/** The state of a run, or null when there is none (a lock may name a run that is gone). */
export function runState(core: Core, id: number): RunState | null {
  const r = prepared(core.db, 'SELECT state FROM runs WHERE id = ?').get(id) as { state: RunState } | undefined;
  return r?.state ?? null;
}

export function listRuns(core: Core, p: { applicationId?: number | undefined; environmentId?: number | undefined; state?: RunState | undefined; limit: number; offset: number }): { items: RunSummary[]; total: number } {
  const where = new Where().when(p.applicationId, 't.application_id = ?').when(p.environmentId, 't.environment_id = ?').when(p.state, 't.state = ?');
  return pageOf(core.db, { select: RUN_SELECT, from: 'FROM runs t', where, orderBy: 't.id DESC', limit: p.limit, offset: p.offset, map: (r) => summaryOf(toRun(r)) });
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

/**
 * `UPDATE table SET col = ?, … WHERE id = ?` for the fields given (undefined ones are left as they
 * are); `json` fields are stored as JSON text, except null.
 */
function updateById(core: Core, table: string, id: number, p: Record<string, unknown>, columns: Readonly<Record<string, string>>, json: readonly string[]): void {
  const sets: string[] = [];
  const args: unknown[] = [];
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    sets.push(`${columns[k] ?? snake(k)} = ?`);
    args.push(json.includes(k) && v !== null ? JSON.stringify(v) : v);
  }
  if (sets.length) prepared(core.db, `UPDATE ${table} SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
}

export function updateRun(
  core: Core,
  id: number,
  p: Partial<Pick<RunRow, 'state' | 'waitingFor' | 'currentStep' | 'error' | 'finishedAt' | 'steps' | 'excluded' | 'rollbackOffer' | 'context'>>,
): void {
  updateById(core, 'runs', id, p, { steps: 'checklist' }, ['steps', 'excluded', 'context', 'rollbackOffer']);
}

/**
 * Crash recovery: runs left 'running' by a process that is gone become 'interrupted' at their
 * step, and so do their running cells. Only safe while this process drives no run.
 */
export function recoverInterrupted(core: Core): void {
  core.tx(() => {
    // A cell cut off by a crash ends at its last output (or its start), not when Puesta came back:
    // the time Puesta was down is not step time.
    core.db
      .prepare(
        `UPDATE run_steps SET state = 'interrupted',
           finished_at = coalesce(finished_at, (SELECT max(l.ts) FROM run_logs l WHERE l.run_id = run_steps.run_id AND l.step_index = run_steps.step_index
             AND l.server_id IS run_steps.server_id AND l.attempt = run_steps.attempt), started_at, ?)
         WHERE state = 'running' AND run_id IN (SELECT id FROM runs WHERE state = 'running')`,
      )
      .run(nowIso());
    core.db
      .prepare(
        `UPDATE run_steps SET duration_ms = CAST(round((julianday(finished_at) - julianday(started_at)) * 86400000) AS INTEGER)
         WHERE state = 'interrupted' AND duration_ms IS NULL AND started_at IS NOT NULL AND run_id IN (SELECT id FROM runs WHERE state = 'running')`,
      )
      .run();
    // where Puesta stopped, in each cut-off cell's log
    core.db
      .prepare(
        `INSERT INTO run_logs (run_id, step_index, server_id, attempt, stream, seq, ts, text)
         SELECT c.run_id, c.step_index, c.server_id, c.attempt, 'system', 1000000, coalesce(c.finished_at, ?),
           '— Puesta stopped here (at ' || coalesce(c.finished_at, ?) || '); whether the command finished on the host is unknown —' || char(10)
         FROM run_steps c WHERE c.state = 'interrupted' AND c.run_id IN (SELECT id FROM runs WHERE state = 'running')`,
      )
      .run(nowIso(), nowIso());
    core.db.prepare(`UPDATE runs SET state = 'interrupted', waiting_for = NULL WHERE state = 'running'`).run();
  });
}

// ---------------------------------------------------------------- cells (step × host)
const CELL_SELECT = `SELECT c.*, s.name AS server_name FROM run_steps c LEFT JOIN servers s ON s.id = c.server_id`;

export interface CellRow extends RunCell {
  id: number;
  runId: number;
  stepKey: string;
}

const cellOf = rowMapper<CellRow>({ json: ['switched_back'] });
const toCell = (r: Row): CellRow => {
  const c = cellOf(r);
  // a manual step's cell has no server
  if (c.serverName === null) c.serverName = '';
  return c;
};

export function cellsOf(core: Core, runId: number, stepIndex?: number): CellRow[] {
  const rows = stepIndex === undefined
    ? prepared(core.db, `${CELL_SELECT} WHERE c.run_id = ? ORDER BY c.step_index, s.name`).all(runId)
    : prepared(core.db, `${CELL_SELECT} WHERE c.run_id = ? AND c.step_index = ? ORDER BY s.name`).all(runId, stepIndex);
  return (rows as Row[]).map(toCell);
}

/** A cell as the contract shows it. */
export function publicCell(c: CellRow): RunCell {
  return {
    stepIndex: c.stepIndex,
    serverId: c.serverId,
    serverName: c.serverName,
    state: c.state,
    attempt: c.attempt,
    exitCode: c.exitCode,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    durationMs: c.durationMs,
    note: c.note,
    command: c.command,
    error: c.error,
    switchedBack: c.switchedBack,
  };
}

export function getCell(core: Core, id: number): CellRow {
  return toCell(prepared(core.db, `${CELL_SELECT} WHERE c.id = ?`).get(id) as Row);
}

export function insertCell(core: Core, runId: number, stepIndex: number, stepKey: string, serverId: number | null, state: RunCell['state'], note = ''): void {
  prepared(core.db, 'INSERT INTO run_steps (run_id, step_index, step_key, server_id, state, note) VALUES (?, ?, ?, ?, ?, ?)').run(runId, stepIndex, stepKey, serverId, state, note);
}

export type CellUpdate = Partial<Pick<RunCell, 'state' | 'attempt' | 'exitCode' | 'startedAt' | 'finishedAt' | 'durationMs' | 'note' | 'command' | 'error' | 'switchedBack'>>;

export function updateCell(core: Core, id: number, p: CellUpdate): void {
  updateById(core, 'run_steps', id, p, {}, ['switchedBack']);
}

/** How many of an application's latest finished runs the usual durations are taken from. */
export const USUAL_RUNS = 50;

/**
 * Median duration of each step key in the successful cells of the application's last USUAL_RUNS
 * finished runs. The medians are kept in `step_usual` with the run they were computed through, so
 * a view reads one row per step; they are computed again (bounded: USUAL_RUNS runs, from the
 * runs_app index, no sort) the first time they are asked for after another run of the application
 * has finished. test/unit/history-plans.test.ts checks the plans.
 */
export function usualDurations(core: Core, applicationId: number): Map<string, number> {
  const latest = prepared(core.db, 'SELECT id FROM runs WHERE application_id = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1').get(applicationId) as
    | { id: number }
    | undefined;
  if (!latest) return new Map();
  const kept = prepared(core.db, 'SELECT step_key, median_ms, through_run_id FROM step_usual WHERE application_id = ?').all(applicationId) as {
    step_key: string;
    median_ms: number;
    through_run_id: number;
  }[];
  if (kept.length && kept.every((k) => k.through_run_id === latest.id)) return new Map(kept.map((k) => [k.step_key, k.median_ms]));
  const rows = prepared(
    core.db,
    `SELECT c.step_key, c.duration_ms FROM run_steps c
     WHERE c.run_id IN (SELECT id FROM runs WHERE application_id = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT ${USUAL_RUNS})
       AND c.state = 'succeeded' AND c.duration_ms IS NOT NULL`,
  ).all(applicationId) as { step_key: string; duration_ms: number }[];
  const by = new Map<string, number[]>();
  for (const r of rows) {
    const a = by.get(r.step_key) ?? [];
    a.push(r.duration_ms);
    by.set(r.step_key, a);
  }
  const out = new Map<string, number>();
  for (const [k, a] of by) {
    a.sort((x, y) => x - y);
    out.set(k, a[Math.floor(a.length / 2)]!);
  }
  core.tx(() => {
    prepared(core.db, 'DELETE FROM step_usual WHERE application_id = ?').run(applicationId);
    const ins = prepared(core.db, 'INSERT INTO step_usual (application_id, step_key, median_ms, samples, through_run_id) VALUES (?, ?, ?, ?, ?)');
    for (const [k, ms] of out) ins.run(applicationId, k, ms, by.get(k)!.length, latest.id);
  });
  return out;
}
