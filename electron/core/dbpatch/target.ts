/**
 * The target database as the patch engine sees it, whatever the engine behind it. PostgreSQL is
 * the one implementation (pg/postgres.ts); another engine implements the same interface.
 */
import type { LedgerEntry, LockMode, TableStats } from '../../../shared/contract/dbpatch.js';

export type NewEntry = Pick<LedgerEntry, 'patchId' | 'direction' | 'state' | 'checksum' | 'operator' | 'runId' | 'releaseKey' | 'estimateMs' | 'note'>;

/** What the trace saw for one statement on the schema-only copy. */
export interface TracedStatement {
  locks: { table: string; mode: LockMode }[];
  rewritten: string[];
  error: string | null;
}

export interface SchemaCopy {
  /** Runs one statement on the copy in its own transaction (alone when it cannot run in one). */
  run(sql: string, alone: boolean): Promise<TracedStatement>;
  /** A text form of the copy's schema (columns, types, defaults, indexes, constraints). */
  shape(): Promise<string>;
  /** The guard's answer on the copy (true: the patch still has to run). */
  guard(sql: string): Promise<boolean>;
  drop(): Promise<void>;
}

export interface PatchTarget {
  readonly engine: string;
  /** Creates the ledger when missing (call with the lock held). */
  ensureLedger(): Promise<void>;
  readLedger(): Promise<Omit<LedgerEntry, 'databaseId'>[]>;
  /** The non-blocking advisory lock: true when taken. */
  tryLock(): Promise<boolean>;
  unlock(): Promise<void>;
  lockHolder(): Promise<{ application: string; since: string } | null>;

  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Lock and statement timeouts for what follows (the transaction's, or the session's outside one). */
  setTimeouts(lockMs: number, statementMs: number, local: boolean): Promise<void>;
  exec(sql: string): Promise<void>;
  /** Runs one statement; the rows it changed (UPDATE / DELETE / INSERT). */
  execCount(sql: string): Promise<number>;
  /** The first column of the first row of the last statement, read as a boolean (verify, guard). */
  bool(sql: string): Promise<boolean | null>;
  insertEntry(e: NewEntry): Promise<number>;
  updateEntry(id: number, set: { state?: LedgerEntry['state']; statementsDone?: number; actualMs?: number; note?: string; finished?: boolean }): Promise<void>;

  /** The error means a lock could not be taken within lock_timeout (retry later). */
  isLockTimeout(e: unknown): boolean;

  tableStats(tables: string[]): Promise<TableStats[]>;
  longTransactions(minSeconds: number): Promise<{ pid: number; seconds: number; state: string; query: string }[]>;
  /** A scratch schema holding an empty copy of each table (named `copyName(table)`, sql-text.ts). */
  schemaCopy(tables: string[]): Promise<SchemaCopy>;

  /** Stops the running statement (abort). */
  cancel(): Promise<void>;
  close(): Promise<void>;
}
