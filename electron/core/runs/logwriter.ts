/**
 * Writes log chunks to SQLite in batches as they arrive (every 100 ms or 500 chunks, and at the
 * end of every step), and only then emits them to the UI: whatever the UI has shown is on disk.
 */
import type { Core } from '../core.js';
import { insertLogs, type PendingLog } from './log-store.js';

export class LogWriter {
  private buf: PendingLog[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly core: Core,
    private readonly opts: { intervalMs: number; maxBatch: number } = { intervalMs: 100, maxBatch: 500 },
  ) {}

  push(line: PendingLog): void {
    this.buf.push(line);
    if (this.buf.length >= this.opts.maxBatch) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.opts.intervalMs);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.buf.length || !this.core.db.open) return;
    const batch = this.buf;
    this.buf = [];
    const stored = insertLogs(this.core, batch);
    const byRun = new Map<number, typeof stored>();
    for (const l of stored) {
      const a = byRun.get(l.runId) ?? [];
      a.push(l);
      byRun.set(l.runId, a);
    }
    for (const [runId, lines] of byRun) {
      this.core.events.emit('runs.log', { runId, lines: lines.map(({ runId: _r, ...l }) => l) });
    }
  }
}
