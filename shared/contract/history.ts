/**
 * History: how long run logs are kept (the retention policy), pruning them in the background,
 * exporting a run's full log (before it is pruned), and the database's size and compaction.
 * Run summaries, step results, the audit and the metrics are kept forever: only `run_logs` rows
 * are pruned, and a pruned run says when (`Run.logPrunedAt`). The core is electron/core/history/.
 */
import { z } from 'zod';
import { Id, method, Timestamp } from './common.js';

export const RetentionSettings = z.object({
  /** Keep full logs of runs that finished within this many days (null: no age limit). */
  keepDays: z.number().int().min(1).max(36_500).nullable(),
  /** Keep full logs of at least the last N finished runs of each application (null: no count limit). */
  keepRuns: z.number().int().min(1).max(100_000).nullable(),
});
export type RetentionSettings = z.infer<typeof RetentionSettings>;

export const HistoryStatus = z.object({
  retention: RetentionSettings,
  dbBytes: z.number().int().min(0),
  /** Pages SQLite holds free inside the file; compaction gives them back to the disk. */
  freeBytes: z.number().int().min(0),
  /** 'incremental': free pages are returned in small background steps; 'none': an older database that needs one full VACUUM (compact). */
  autoVacuum: z.enum(['none', 'full', 'incremental']),
  logLines: z.number().int().min(0),
  runsWithLogs: z.number().int().min(0),
  prunedRuns: z.number().int().min(0),
  lastPruneAt: Timestamp.nullable(),
  /** The background keeper is pruning or compacting right now. */
  busy: z.boolean(),
});
export type HistoryStatus = z.infer<typeof HistoryStatus>;

export const PruneResult = z.object({ runs: z.number().int().min(0), lines: z.number().int().min(0), at: Timestamp });

export const LogExport = z.object({
  runId: Id,
  /** A file name to save it under: puesta-run-<id>-<application>-<environment>.log */
  fileName: z.string(),
  /** The whole log as plain text, one line per stored line with its step, host and stream. */
  text: z.string(),
  lines: z.number().int().min(0),
  /** When the log was pruned (the export then only holds the notice saying so). */
  prunedAt: Timestamp.nullable(),
});
export type LogExport = z.infer<typeof LogExport>;

export const historyMethods = {
  'history.status': method(z.object({}).strict(), HistoryStatus, 'The retention policy, the database size and the log history held'),
  'history.setRetention': method(RetentionSettings.strict(), HistoryStatus, 'Set how long run logs are kept (summaries, step results, audit and metrics are kept forever)'),
  'history.prune': method(z.object({}).strict(), PruneResult, 'Prune the logs the retention policy no longer keeps, now (the keeper also does it in the background)'),
  'history.compact': method(
    z.object({}).strict(),
    HistoryStatus,
    'Give free pages back to the disk (an older database is switched to incremental compaction by one full VACUUM)',
  ),
  'runs.exportLog': method(z.object({ runId: Id }).strict(), LogExport, "A run's full log as one text, to save before it is pruned"),
} as const;

export const historyEvents = {
  /** Logs were pruned or the policy changed: run views show "log pruned on …". */
  'history.changed': z.object({ prunedRuns: z.number().int().min(0) }),
  /**
   * The shell dropped events this window could not take in time (a stalled tab, a frozen renderer):
   * reload what is shown from the API. In the browser shell it is the last event before the stream
   * closes; the client reports it when the stream is open again.
   */
  'events.resync': z.object({ reason: z.enum(['overflow', 'stalled', 'reconnected']) }),
} as const;
