/**
 * The cost of a statement from the live size of its table (heap + indexes: a rewrite rebuilds them)
 * and a per-operation time per MB, times the server's own correction (measured / estimated in its
 * ledger). None of the lint tools reads sizes. The times per MB are the geometric mean of two
 * PostgreSQL 15 machines with 2 cores: the (a 3 M-row 296 MB table: volatile default 12.7 s,
 * type change 11.6 s, CREATE INDEX 2.5 s, CONCURRENTLY 3.2 s, SET NOT NULL 0.58 s) and the bench's
 * (1 M rows, 104 MB: 2.5 s, 0.96 s, 0.39 s, 0.40 s, 0.06 s), so either is within about 2×.
 */
import type { LockMode, TableStats } from '../../../shared/contract/dbpatch.js';
import type { CostClass } from './classify.js';

const MB = 1024 * 1024;
/** Milliseconds per MB of heap + indexes, per operation class. */
const MS_PER_MB: Record<Exclude<CostClass, 'catalog' | 'none' | 'rows'>, number> = {
  rewrite: 15.6,
  'rewrite-volatile': 26.4,
  index: 5.6,
  'index-concurrently': 6.4,
  scan: 1.1,
};
/** Rows per millisecond of an UPDATE / DELETE / INSERT … SELECT. */
const ROWS_PER_MS = 120;

export function estimateMs(cost: CostClass, stats: TableStats | undefined, calibration: number): number {
  if (cost === 'none') return 0;
  if (cost === 'catalog' || !stats) return 1;
  const ms = cost === 'rows' ? stats.rows / ROWS_PER_MS : (MS_PER_MB[cost] * (cost === 'rewrite' || cost === 'rewrite-volatile' ? stats.tableBytes + stats.indexBytes : stats.tableBytes)) / MB;
  return Math.max(1, Math.round(ms * calibration));
}

const BLOCKS: Partial<Record<LockMode, string>> = {
  AccessExclusiveLock: 'blocks reads and writes',
  ExclusiveLock: 'blocks writes (reads go on)',
  ShareRowExclusiveLock: 'blocks writes',
  ShareLock: 'blocks writes',
  ShareUpdateExclusiveLock: 'reads and writes go on',
  RowExclusiveLock: 'row locks: writers of the same rows wait',
};

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 6_000) / 10} min`;
}

/** "AccessExclusive on orders ≈ 13 s: blocks reads and writes" */
export function summary(lock: LockMode, table: string | null, ms: number): string {
  if (lock === 'none' || !table) return `≈ ${formatMs(ms)}`;
  return `${lock.replace(/Lock$/, '')} on ${table} ≈ ${formatMs(ms)}: ${BLOCKS[lock] ?? 'no conflict with reads or writes'}`;
}
