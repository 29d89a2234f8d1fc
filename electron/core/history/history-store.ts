/**
 * SQL of the history keeper: which runs' logs the retention policy no longer keeps, deleting them
 * in small chunks, the figures Settings shows, the database's compaction, and a run's whole log
 * for an export. Only `run_logs` rows are ever deleted: runs, step results, audit and metrics stay.
 */
import type { LogLine } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { prepared, rowMapper } from '../db/rows.js';

export interface Retention {
  keepDays: number | null;
  keepRuns: number | null;
}

/**
 * Finished runs (succeeded, aborted: an interrupted run may still be resumed) whose log the policy
 * no longer keeps, oldest first. A log is kept while EITHER rule keeps it: finished within keepDays,
 * or among the last keepRuns runs of its application. No rule at all keeps everything.
 * Index only (runs rows are wide: each holds its checklist): per application, the keepRuns-th
 * newest run from runs_app, then the candidates from the partial index runs_unpruned.
 */
export function prunableRuns(core: Core, r: Retention, now: Date, limit: number): number[] {
  if (r.keepDays === null && r.keepRuns === null) return [];
  const cutoff = r.keepDays === null ? null : new Date(now.getTime() - r.keepDays * 86_400_000).toISOString();
  const apps = prepared(core.db, 'SELECT id FROM applications ORDER BY id').all() as { id: number }[];
  const out: number[] = [];
  for (const { id: app } of apps) {
    if (out.length >= limit) break;
    // runs older than the keepRuns-th newest one (none when the application has fewer)
    const before =
      r.keepRuns === null
        ? Number.MAX_SAFE_INTEGER
        : ((prepared(core.db, 'SELECT id FROM runs WHERE application_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?').get(app, r.keepRuns - 1) as { id: number } | undefined)?.id ?? 0);
    const rows = prepared(
      core.db,
      // named: without statistics the planner prefers runs_app, which reads every row it passes
      `SELECT id FROM runs INDEXED BY runs_unpruned WHERE application_id = @app AND log_pruned_at IS NULL AND id < @before
         AND state IN ('succeeded', 'aborted') AND (@cutoff IS NULL OR finished_at < @cutoff)
       ORDER BY id LIMIT @limit`,
    ).all({ app, before, cutoff, limit: limit - out.length }) as { id: number }[];
    for (const x of rows) out.push(x.id);
  }
  return out;
}

/** Deletes up to `limit` log rows of a run; returns how many went (0: none left). */
export function deleteLogChunk(core: Core, runId: number, limit: number): number {
  return prepared(core.db, 'DELETE FROM run_logs WHERE id IN (SELECT id FROM run_logs WHERE run_id = ? ORDER BY id LIMIT ?)').run(runId, limit).changes;
}

export function markPruned(core: Core, runId: number, at: string): void {
  prepared(core.db, 'UPDATE runs SET log_pruned_at = ? WHERE id = ? AND log_pruned_at IS NULL').run(at, runId);
}

export interface HistoryFigures {
  dbBytes: number;
  freeBytes: number;
  autoVacuum: 'none' | 'full' | 'incremental';
  logLines: number;
  runsWithLogs: number;
  prunedRuns: number;
}

const AUTO_VACUUM = ['none', 'full', 'incremental'] as const;

export function autoVacuumMode(core: Core): HistoryFigures['autoVacuum'] {
  return AUTO_VACUUM[core.db.pragma('auto_vacuum', { simple: true }) as number] ?? 'none';
}

export function historyFigures(core: Core): HistoryFigures {
  const pageSize = core.db.pragma('page_size', { simple: true }) as number;
  const pages = core.db.pragma('page_count', { simple: true }) as number;
  const free = core.db.pragma('freelist_count', { simple: true }) as number;
  const logs = prepared(core.db, 'SELECT count(*) AS lines, count(DISTINCT run_id) AS runs FROM run_logs').get() as { lines: number; runs: number };
  const pruned = prepared(core.db, 'SELECT count(*) AS n FROM runs WHERE log_pruned_at IS NOT NULL').get() as { n: number };
  return {
    dbBytes: pages * pageSize,
    freeBytes: free * pageSize,
    autoVacuum: autoVacuumMode(core),
    logLines: logs.lines,
    runsWithLogs: logs.runs,
    prunedRuns: pruned.n,
  };
}

/** Gives up to `pages` free pages back to the disk (incremental auto-vacuum only); returns the free pages left. */
export function vacuumStep(core: Core, pages: number): number {
  core.db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
  return core.db.pragma('freelist_count', { simple: true }) as number;
}

/**
 * Switches the file to incremental auto-vacuum and rebuilds it (VACUUM): the one way SQLite lets an
 * existing database change its mode. It blocks the connection for as long as the rebuild takes, so
 * only the operator starts it (Settings → History → Compact), never the background keeper.
 */
export function rebuildIncremental(core: Core): void {
  core.db.pragma('auto_vacuum = INCREMENTAL');
  core.db.exec('VACUUM');
}

export interface ExportLine extends LogLine {
  stepKey: string | null;
  serverName: string | null;
}

const toExportLine = rowMapper<ExportLine>();

/** A page of a run's log lines after `afterId`, in arrival order, with their step key and host name. */
export function exportPage(core: Core, runId: number, afterId: number, limit: number): ExportLine[] {
  return (
    prepared(
      core.db,
      `SELECT l.id, l.step_index, l.server_id, l.attempt, l.stream, l.seq, l.ts, l.text, c.step_key, s.name AS server_name
       FROM run_logs l
       LEFT JOIN run_steps c ON c.run_id = l.run_id AND c.step_index = l.step_index AND ifnull(c.server_id, 0) = ifnull(l.server_id, 0)
       LEFT JOIN servers s ON s.id = l.server_id
       WHERE l.run_id = ? AND l.id > ? ORDER BY l.id LIMIT ?`,
    ).all(runId, afterId, limit) as Record<string, unknown>[]
  ).map(toExportLine);
}
