import Database from 'better-sqlite3';
import { ensurePrivateFile, makePrivate } from '../data-folder.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Electron shell only: path to a better-sqlite3 binary built for Electron's ABI. */
  nativeBinding?: string;
  readonly?: boolean;
}

/** SQLite's files beside the database; it creates them with the database file's mode. */
const SIDE_FILES = ['-wal', '-shm', '-journal'];

/**
 * Opens the local database: WAL, foreign keys on, a busy timeout for concurrent readers. The file
 * (and so its WAL/SHM) is 0600: SQLite would create it 0644, readable by every local user.
 */
export function openDb(file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:' && !opts.readonly) {
    ensurePrivateFile(file);
    for (const side of SIDE_FILES) makePrivate(file + side);
  }
  const db = new Database(file, {
    ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
    ...(opts.readonly ? { readonly: true } : {}),
  });
  // A new file gives pages freed by the history keeper back to the disk in small steps; an older
  // file keeps its mode until the operator compacts it once (electron/core/history/README.md).
  if (!opts.readonly) db.pragma('auto_vacuum = INCREMENTAL');
  if (file !== ':memory:' && !opts.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  return db;
}
