import Database from 'better-sqlite3';

export type Db = Database.Database;

export interface OpenOptions {
  /** Electron shell only: path to a better-sqlite3 binary built for Electron's ABI. */
  nativeBinding?: string;
  readonly?: boolean;
}

/** Opens the local database: WAL, foreign keys on, a busy timeout for concurrent readers. */
export function openDb(file: string, opts: OpenOptions = {}): Db {
  const db = new Database(file, {
    ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
    ...(opts.readonly ? { readonly: true } : {}),
  });
  if (file !== ':memory:' && !opts.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  return db;
}
