/**
 * All SQL of the delivery metrics: the cache of finished runs' facts (metric_runs,
 * metric_switch_backs), what the operator links (incidents, fixes), the commits each git deployment
 * shipped, and the settings. See migrations/0008_metrics.sql.
 */
import type { ChecklistKind } from '../../../shared/contract/runs.js';
import type { FailureCause, Incident, MetricsSettings } from '../../../shared/contract/metrics.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso, prepared, rowMapper, Where } from '../db/rows.js';
import { byTime, type Analysed, type History, type RunFact } from './history.js';
import type { FoldItem } from './summary.js';

/** SQL: an ISO-8601 text column as epoch milliseconds. */
const ms = (col: string) => `CAST(round(unixepoch(${col}, 'subsec') * 1000) AS INTEGER)`;

const FINAL = `('succeeded', 'aborted')`;

/** A run's facts, once it is final. The `switch` step is the one the health gate replays too. */
const CACHE_RUNS = `
INSERT INTO metric_runs (run_id, application_id, environment_id, role, release_key, left_key, at_ms, finished_ms)
SELECT id, application_id, environment_id,
  CASE WHEN kind IN ('install', 'upgrade') AND sw IS NOT NULL AND (state = 'succeeded' OR gated) THEN 'deployment'
       WHEN kind = 'rollback' AND state = 'succeeded' THEN 'rollback'
       ELSE 'none' END,
  release_key, left_key,
  CASE WHEN kind = 'rollback' THEN ${ms('finished_at')} ELSE ${ms('sw')} END,
  ${ms('finished_at')}
FROM (
  SELECT r.*,
    -- by the run's cells (run_steps_cell), never by run_steps_history: that one holds every run's switch cells
    (SELECT max(s.finished_at) FROM run_steps s WHERE s.run_id = r.id AND +s.step_key = 'switch' AND +s.state = 'succeeded') AS sw,
    EXISTS (SELECT 1 FROM audit a WHERE a.entity = 'runs' AND a.entity_id = r.id AND a.action = 'run.switch-back') AS gated,
    coalesce((SELECT json_extract(v.value, '$."release.previous"') FROM json_each(r.context, '$.vars') v LIMIT 1), '') AS left_key
  FROM runs r WHERE r.id IN (SELECT value FROM json_each(?))
)`;

/**
 * Each host the gate put back, from the audit's `run.switch-back` (a retry that passes clears the
 * cell's switchedBack, the audit stays): the switch back was done at the audit's time; the check
 * had failed at its deadline after it started — when the host's previous cells had finished —
 * capped at the switch back.
 */
const CACHE_SWITCH_BACKS = `
INSERT INTO metric_switch_backs (run_id, server_id, failed_ms, done_ms, ok)
SELECT run_id, server_id,
  CASE WHEN checked_at <= done_at THEN min(${ms('done_at')}, ${ms('checked_at')} + 1000 * deadline) END,
  CASE WHEN ok THEN ${ms('done_at')} END,
  ok
FROM (
  SELECT sb.*,
    (SELECT max(c.finished_at) FROM run_steps c WHERE c.run_id = sb.run_id AND c.step_index < sb.step_index
       AND (c.server_id = sb.server_id OR c.server_id IS NULL)) AS checked_at
  FROM (
    SELECT a.entity_id AS run_id, json_extract(a.after, '$.serverId') AS server_id, a.at AS done_at,
      coalesce(json_extract(a.after, '$.ok'), 0) AS ok,
      (SELECT CAST(st.key AS INTEGER) FROM json_each(r.checklist) st WHERE json_extract(st.value, '$.key') = json_extract(a.after, '$.step')) AS step_index,
      (SELECT json_extract(st.value, '$.check.deadlineSeconds') FROM json_each(r.checklist) st WHERE json_extract(st.value, '$.key') = json_extract(a.after, '$.step')) AS deadline
    FROM audit a JOIN runs r ON r.id = a.entity_id
    WHERE a.entity = 'runs' AND a.action = 'run.switch-back' AND a.entity_id IN (SELECT value FROM json_each(?))
      -- the first switch back of each host
      AND a.id = (SELECT min(b.id) FROM audit b WHERE b.entity = 'runs' AND b.entity_id = a.entity_id AND b.action = 'run.switch-back'
                    AND json_extract(b.after, '$.serverId') = json_extract(a.after, '$.serverId'))
  ) sb
)`;

/** A final deployment ships what its fetch found, except commits an earlier one of its lane shipped. */
const SHIPPED_COMMITS = `
INSERT OR IGNORE INTO metric_commits (application_id, environment_id, sha, committed_at, committed_ms, run_id)
SELECT m.application_id, m.environment_id, f.sha, f.committed_at, f.committed_ms, f.run_id
FROM metric_fetched_commits f JOIN metric_runs m ON m.run_id = f.run_id
WHERE f.run_id IN (SELECT value FROM json_each(?)) AND m.role = 'deployment'
ORDER BY m.at_ms, m.run_id`;

/**
 * Brings the cache up to date: runs newer than any seen, and those seen before they were final.
 * Final runs never change, so each is read once. Its lane becomes dirty (the migration's triggers).
 */
export function cacheFinalRuns(core: Core): void {
  const db = core.db;
  const cursor = (prepared(db, 'SELECT max(m) AS m FROM (SELECT max(run_id) AS m FROM metric_runs UNION ALL SELECT max(run_id) FROM metric_pending)').get() as { m: number | null }).m ?? 0;
  prepared(db, `INSERT OR IGNORE INTO metric_pending (run_id) SELECT id FROM runs WHERE id > ? AND state NOT IN ${FINAL}`).run(cursor);
  const ids = prepared(db, `SELECT id FROM runs WHERE (id > ? OR id IN (SELECT run_id FROM metric_pending)) AND state IN ${FINAL}`).pluck().all(cursor) as number[];
  if (!ids.length) return;
  const list = JSON.stringify(ids);
  db.prepare(CACHE_RUNS).run(list);
  db.prepare(CACHE_SWITCH_BACKS).run(list);
  db.prepare(SHIPPED_COMMITS).run(list);
  db.prepare('DELETE FROM metric_fetched_commits WHERE run_id IN (SELECT value FROM json_each(?))').run(list);
  db.prepare('DELETE FROM metric_pending WHERE run_id IN (SELECT value FROM json_each(?))').run(list);
}

// ---------------------------------------------------------------- analysed lanes (migrations/0016)
export interface Lane {
  applicationId: number;
  environmentId: number;
}

/** The lanes whose facts changed since they were analysed, or analysed with another failure window. */
export function dirtyLanes(core: Core, windowHours: number): Lane[] {
  const rows = prepared(
    core.db,
    `SELECT application_id, environment_id FROM metric_dirty_lanes
     UNION SELECT application_id, environment_id FROM metric_lanes WHERE window_hours <> ?`,
  )
    .raw()
    .all(windowHours) as [number, number][];
  return rows.map(([applicationId, environmentId]) => ({ applicationId, environmentId }));
}

/** Replaces a lane's analysed rows. */
export function writeLane(core: Core, lane: Lane, windowHours: number, analysed: Iterable<Analysed>): void {
  const db = core.db;
  prepared(db, 'DELETE FROM metric_deploys WHERE application_id = ? AND environment_id = ?').run(lane.applicationId, lane.environmentId);
  const ins = prepared(
    db,
    `INSERT INTO metric_deploys (environment_id, at_ms, run_id, application_id, role, release_key, failed, causes, fixed_by, fixes_run_id, recovery_s, recovery_exact, lead_s)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let deployments = 0;
  for (const a of analysed) {
    const r = a.run;
    if (r.role === 'deployment') deployments++;
    ins.run(
      r.environmentId,
      r.atMs,
      r.runId,
      r.applicationId,
      r.role,
      r.releaseKey,
      a.failed ? 1 : 0,
      a.causes.join(','),
      a.fixedBy,
      a.fixesRunId,
      a.recoverySeconds,
      a.recoveryExact ? 1 : 0,
      a.leadSeconds.length ? JSON.stringify(a.leadSeconds) : null,
    );
  }
  prepared(db, 'INSERT OR REPLACE INTO metric_lanes (application_id, environment_id, window_hours, deployments) VALUES (?, ?, ?, ?)').run(
    lane.applicationId,
    lane.environmentId,
    windowHours,
    deployments,
  );
  prepared(db, 'DELETE FROM metric_dirty_lanes WHERE application_id = ? AND environment_id = ?').run(lane.applicationId, lane.environmentId);
}

type DeployRow = [number, number, number, number, 'deployment' | 'rollback', string, number, string, number | null, number | null, number | null, number, string | null];

/** The analysed deployments and rollbacks of a scope that reached production in [startMs, endMs): index ranges. */
export function readDeploys(core: Core, s: Scope, startMs: number, endMs: number): Analysed[] {
  const w = scoped(s, 'd').add('d.at_ms >= ? AND d.at_ms < ?', startMs, endMs);
  const rows = prepared(
    core.db,
    `SELECT run_id, application_id, environment_id, at_ms, role, release_key, failed, causes, fixed_by, fixes_run_id, recovery_s, recovery_exact, lead_s
     FROM metric_deploys d${w.sql}`,
  )
    .raw()
    .all(...w.args) as DeployRow[];
  return rows.map(([runId, applicationId, environmentId, atMs, role, releaseKey, failed, causes, fixedBy, fixesRunId, recoverySeconds, exact, lead]) => ({
    run: { runId, applicationId, environmentId, role, releaseKey, leftKey: '', atMs },
    failed: failed === 1,
    causes: causes ? (causes.split(',') as FailureCause[]) : [],
    fixedBy,
    fixesRunId,
    leadSeconds: lead ? (JSON.parse(lead) as number[]) : [],
    recoverySeconds,
    recoveryExact: exact === 1,
  }));
}

/**
 * What the fold needs of the same rows (summary.ts). SQLite hands them over as one JSON text, which
 * V8 parses several times faster than it receives as many rows (the period is every deployment of
 * five years in the bench); numbers keep their value (integers, and seconds to the millisecond).
 */
export function readFold(core: Core, s: Scope, startMs: number, endMs: number): FoldItem[] {
  const w = scoped(s, 'd').add('d.at_ms >= ? AND d.at_ms < ?', startMs, endMs);
  // the three flags as the bits of one integer
  const json = prepared(
    core.db,
    `SELECT json_group_array(json_array(at_ms, application_id, (role = 'rollback') | (failed << 1) | (recovery_exact << 2), recovery_s, json(coalesce(lead_s, '[]'))))
     FROM metric_deploys d${w.sql}`,
  )
    .pluck()
    .get(...w.args) as string;
  return (JSON.parse(json) as [number, number, number, number | null, number[]][]).map(([atMs, applicationId, flags, recoverySeconds, leadSeconds]) => ({
    atMs,
    applicationId,
    rollback: (flags & 1) !== 0,
    failed: (flags & 2) !== 0,
    recoverySeconds,
    recoveryExact: (flags & 4) !== 0,
    leadSeconds,
  }));
}

/** The applications of the scope with a deployment at any time. */
export function deployedApplications(core: Core, s: Scope): number[] {
  const w = scoped(s, 'l').add('l.deployments > 0');
  return prepared(core.db, `SELECT DISTINCT l.application_id FROM metric_lanes l${w.sql}`).pluck().all(...w.args) as number[];
}

// ---------------------------------------------------------------- settings
const SETTINGS_KEY = 'metrics.settings';

export function readSettings(core: Core): MetricsSettings {
  const saved = core.settings.getJson<Partial<MetricsSettings>>(SETTINGS_KEY, {});
  const ids =
    saved.productionEnvironmentIds ??
    // until the operator says otherwise: the environments named production, prod-eu, …
    (core.db.prepare("SELECT id FROM environments WHERE name LIKE 'prod%' ORDER BY id").pluck().all() as number[]);
  return { productionEnvironmentIds: ids, failureWindowHours: saved.failureWindowHours ?? 24, localClones: saved.localClones ?? [] };
}

export function saveSettings(core: Core, s: MetricsSettings): void {
  core.settings.setJson(SETTINGS_KEY, s);
}

export function environmentNames(core: Core, ids: readonly number[]): { id: number; name: string }[] {
  return core.db.prepare('SELECT id, name FROM environments WHERE id IN (SELECT value FROM json_each(?)) ORDER BY name').all(JSON.stringify(ids)) as {
    id: number;
    name: string;
  }[];
}

export function applicationNames(core: Core): Map<number, string> {
  return new Map((core.db.prepare('SELECT id, name FROM applications').raw().all() as [number, string][]).map(([id, n]) => [id, n]));
}

// ---------------------------------------------------------------- the history of a scope
export interface Scope {
  environmentIds: readonly number[];
  applicationId?: number | undefined;
}

/** `m` restricted to the scope's environments and application. */
function scoped(s: Scope, alias = 'm'): Where {
  return new Where().add(`${alias}.environment_id IN (SELECT value FROM json_each(?))`, JSON.stringify(s.environmentIds)).when(s.applicationId, `${alias}.application_id = ?`);
}

/** The deployments and rollbacks of a scope, with everything that says whether they failed. */
export function readHistory(core: Core, s: Scope): History {
  const db = core.db;
  const w = scoped(s);
  // rows come out as the facts themselves (aliases = field names): one object per row, no copy
  const runs = (
    db
      .prepare(
        `SELECT run_id AS runId, application_id AS applicationId, environment_id AS environmentId, role, release_key AS releaseKey, left_key AS leftKey, at_ms AS atMs
         FROM metric_runs m${w.sql} AND m.role <> 'none'`,
      )
      .all(...w.args) as RunFact[]
  ).sort(byTime);
  const join = (table: string, col = 'run_id') => `FROM ${table} t JOIN metric_runs m ON m.run_id = t.${col}${w.sql}`;
  const switchBacks = (db.prepare(`SELECT t.run_id, t.server_id, t.failed_ms, t.done_ms, t.ok ${join('metric_switch_backs')}`).raw().all(...w.args) as [number, number, number | null, number | null, number][]).map(
    ([runId, serverId, failedMs, doneMs, ok]) => ({ runId, serverId, failedMs, doneMs, ok: ok === 1 }),
  );
  const incidents = (db.prepare(`SELECT t.run_id, ${ms('t.started_at')} ${join('metric_incidents')}`).raw().all(...w.args) as [number, number][]).map(([runId, startedMs]) => ({ runId, startedMs }));
  const fixes = (
    db
      .prepare(
        `SELECT t.run_id, t.fixes_run_id, coalesce(f.at_ms, f.finished_ms) FROM metric_fixes t JOIN metric_runs m ON m.run_id = t.fixes_run_id
         JOIN metric_runs f ON f.run_id = t.run_id${w.sql} ORDER BY t.run_id`,
      )
      .raw()
      .all(...w.args) as [number, number, number | null][]
  )
    .filter(([, , at]) => at !== null)
    .map(([runId, fixesRunId, fixMs]) => ({ runId, fixesRunId, fixMs: fixMs! }));
  // commits carry their application and environment: no join per commit
  const wc = scoped(s, 't');
  const commits = db.prepare(`SELECT t.run_id AS runId, t.committed_ms AS committedMs FROM metric_commits t${wc.sql}`).all(...wc.args) as History['commits'];
  // only incidents of the scope's applications look at windows
  const ww = new Where().add("w.state <> 'cancelled'").when(s.applicationId, 'wa.application_id = ?');
  const windows = (
    db
      .prepare(
        `SELECT ${ms('w.start_at')}, ${ms('w.end_at')}, json_group_array(wa.application_id) FROM windows w JOIN window_applications wa ON wa.window_id = w.id${ww.sql}
         GROUP BY w.id`,
      )
      .raw()
      .all(...ww.args) as [number, number, string][]
  ).map(([startMs, endMs, apps]) => ({ startMs, endMs, applicationIds: JSON.parse(apps) as number[] }));
  return { runs, switchBacks, incidents, fixes, commits, windows };
}

/** How many final runs of the scope (any kind and outcome) ended in [startMs, endMs), the first and last end. */
export function coverOf(core: Core, s: Scope, startMs: number, endMs: number): { runs: number; firstMs: number | null; lastMs: number | null } {
  const w = scoped(s).add('m.finished_ms >= ? AND m.finished_ms < ?', startMs, endMs);
  const [runs, firstMs, lastMs] = core.db.prepare(`SELECT count(*), min(m.finished_ms), max(m.finished_ms) FROM metric_runs m${w.sql}`).raw().get(...w.args) as [number, number | null, number | null];
  return { runs, firstMs, lastMs };
}

/** Kind, application and environment names of runs, and why their commits could not be read, for the drill-down. */
export function runLabels(
  core: Core,
  ids: readonly number[],
): Map<number, { kind: ChecklistKind; applicationName: string; environmentName: string; commitsProblem: string | null }> {
  const rows = core.db
    .prepare(
      `SELECT r.id, r.kind, a.name, e.name, h.problem FROM runs r JOIN applications a ON a.id = r.application_id JOIN environments e ON e.id = r.environment_id
       LEFT JOIN metric_release_heads h ON h.run_id = r.id
       WHERE r.id IN (SELECT value FROM json_each(?))`,
    )
    .raw()
    .all(JSON.stringify(ids)) as [number, ChecklistKind, string, string, string | null][];
  return new Map(rows.map(([id, kind, applicationName, environmentName, commitsProblem]) => [id, { kind, applicationName, environmentName, commitsProblem }]));
}

// ---------------------------------------------------------------- what the operator links
const toIncident = rowMapper<Incident>();

export function listIncidents(core: Core, runId: number): Incident[] {
  return (core.db.prepare('SELECT id, run_id, title, started_at, created_at, created_by FROM metric_incidents WHERE run_id = ? ORDER BY started_at, id').all(runId) as Record<string, unknown>[]).map(toIncident);
}

export function getIncident(core: Core, id: number): Incident {
  const r = core.db.prepare('SELECT id, run_id, title, started_at, created_at, created_by FROM metric_incidents WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no incident with id ${id}.`);
  return toIncident(r);
}

export function addIncident(core: Core, p: { runId: number; title: string; startedAt: string }, actor: string): number {
  const r = core.db
    .prepare('INSERT INTO metric_incidents (run_id, title, started_at, created_at, created_by) VALUES (?, ?, ?, ?, ?)')
    .run(p.runId, p.title, new Date(p.startedAt).toISOString(), nowIso(), actor);
  return Number(r.lastInsertRowid);
}

export function removeIncident(core: Core, id: number): void {
  core.db.prepare('DELETE FROM metric_incidents WHERE id = ?').run(id);
}

export function fixOf(core: Core, runId: number): number | null {
  return (core.db.prepare('SELECT fixes_run_id FROM metric_fixes WHERE run_id = ?').pluck().get(runId) as number | undefined) ?? null;
}

export function setFix(core: Core, runId: number, fixesRunId: number | null): void {
  if (fixesRunId === null) core.db.prepare('DELETE FROM metric_fixes WHERE run_id = ?').run(runId);
  else core.db.prepare('INSERT INTO metric_fixes (run_id, fixes_run_id) VALUES (?, ?) ON CONFLICT(run_id) DO UPDATE SET fixes_run_id = excluded.fixes_run_id').run(runId, fixesRunId);
}

/** A run's application, environment and when it started (for checking links). */
export function runBasics(core: Core, id: number): { applicationId: number; environmentId: number; startedAt: string } {
  const r = core.db.prepare('SELECT application_id, environment_id, started_at FROM runs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  if (!r) throw new PuestaError('NOT_FOUND', `There is no run with id ${id}.`);
  return rowMapper<{ applicationId: number; environmentId: number; startedAt: string }>()(r);
}

// ---------------------------------------------------------------- commits of git deployments
/** Whether this run's commits were read already (by another of its hosts). */
export function headOf(core: Core, runId: number): string | null {
  return (core.db.prepare('SELECT sha FROM metric_release_heads WHERE run_id = ?').pluck().get(runId) as string | undefined) ?? null;
}

/** The commit the last deployment of this application × environment before `runId` shipped. */
export function previousHead(core: Core, runId: number, applicationId: number, environmentId: number): string | null {
  return (
    (core.db
      .prepare(
        `SELECT h.sha FROM metric_release_heads h JOIN metric_runs m ON m.run_id = h.run_id
         WHERE m.application_id = ? AND m.environment_id = ? AND m.role = 'deployment' AND h.run_id < ? ORDER BY m.at_ms DESC, m.run_id DESC LIMIT 1`,
      )
      .pluck()
      .get(applicationId, environmentId, runId) as string | undefined) ?? null
  );
}

/**
 * What the fetch of a run found: its head and the commits since the previous deployment's head; or
 * its head and why its commits could not be read (`problem`, shown with the deployment).
 */
export function recordFetched(core: Core, runId: number, head: string, commits: readonly { sha: string; committedMs: number }[], problem: string | null = null): void {
  core.tx(() => {
    core.db.prepare('INSERT OR REPLACE INTO metric_release_heads (run_id, sha, problem) VALUES (?, ?, ?)').run(runId, head, problem);
    const ins = core.db.prepare('INSERT OR IGNORE INTO metric_fetched_commits (run_id, sha, committed_at, committed_ms) VALUES (?, ?, ?, ?)');
    for (const c of commits) ins.run(runId, c.sha, new Date(c.committedMs).toISOString(), c.committedMs);
  });
}
