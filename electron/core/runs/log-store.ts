/** SQL of run logs: output chunks in arrival order, written in batches (see logwriter.ts). */
import type { LogLine } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { prepared, rowMapper, Where, type Row } from '../db/rows.js';

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
  const ins = prepared(core.db, 'INSERT INTO run_logs (run_id, step_index, server_id, attempt, stream, seq, ts, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  return core.tx(() =>
    batch.map((l) => {
      const id = Number(ins.run(l.runId, l.stepIndex, l.serverId, l.attempt, l.stream, l.seq, l.ts, l.text).lastInsertRowid);
      return { id, runId: l.runId, stepIndex: l.stepIndex, serverId: l.serverId, attempt: l.attempt, stream: l.stream, seq: l.seq, ts: l.ts, text: l.text };
    }),
  );
}

const toLine = rowMapper<LogLine>();

export function readLogs(
  core: Core,
  p: { runId: number; stepIndex?: number | undefined; serverId?: number | undefined; afterId: number; query?: string | undefined; limit: number },
): { items: LogLine[]; nextAfterId: number; more: boolean } {
  const where = new Where().add('run_id = ?', p.runId).add('id > ?', p.afterId).when(p.stepIndex, 'step_index = ?').when(p.serverId, 'server_id = ?').search(p.query, ['text']);
  const rows = core.db
    .prepare(`SELECT id, step_index, server_id, attempt, stream, seq, ts, text FROM run_logs${where.sql} ORDER BY id LIMIT ?`)
    .all(...where.args, p.limit + 1) as Row[];
  const more = rows.length > p.limit;
  const items = rows.slice(0, p.limit).map(toLine);
  return { items, nextAfterId: items.length ? items[items.length - 1]!.id : p.afterId, more };
}
