import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { PuestaError } from '../../../shared/errors.js';
import { ensurePrivateDir, ensurePrivateFile } from '../data-folder.js';
import type { Db } from './connection.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads `NNNN_name.sql` files; versions must run 1, 2, 3… with no gap or duplicate. */
export function loadMigrations(dir: string): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const f of files) {
    const m = FILE_RE.exec(f);
    if (!m) throw new PuestaError('MIGRATION_FAILED', `migration file name "${f}" is not NNNN_snake_name.sql`);
    const version = Number(m[1]);
    if (version !== out.length + 1) {
      throw new PuestaError('MIGRATION_FAILED', `migration ${f}: expected version ${out.length + 1}, migrations must be numbered without gaps`);
    }
    out.push({ version, name: m[2]!, sql: readFileSync(path.join(dir, f), 'utf8') });
  }
  return out;
}

export interface MigrateResult {
  from: number;
  to: number;
  backup: string | null;
}

export interface MigrateOptions {
  /** The DB file (for naming the backup); ':memory:' skips the backup. */
  dbFile: string;
  backupDir: string;
  /** How many backups to keep (oldest removed first). */
  keepBackups?: number;
  now?: () => Date;
}

/**
 * Applies every pending migration in ONE transaction and records the version in `user_version`.
 * Before touching an existing database it writes a consistent copy (VACUUM INTO) to backupDir.
 * A database whose version is newer than the code knows is refused, untouched.
 */
export function migrate(db: Db, migrations: Migration[], opts: MigrateOptions): MigrateResult {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (from > latest) {
    throw new PuestaError(
      'DB_TOO_NEW',
      `This data file is at schema version ${from}, but this Puesta only knows versions up to ${latest}. ` +
        `It was written by a newer Puesta: install that version (or newer) to open it. Nothing was changed.`,
      { dbVersion: from, knownVersion: latest },
    );
  }
  if (from === latest) return { from, to: latest, backup: null };

  let backup: string | null = null;
  const hasTables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n > 0;
  if (opts.dbFile !== ':memory:' && (from > 0 || hasTables)) {
    ensurePrivateDir(opts.backupDir);
    const stamp = (opts.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
    backup = path.join(opts.backupDir, `${path.basename(opts.dbFile)}.v${from}.${stamp}.bak`);
    if (existsSync(backup)) unlinkSync(backup);
    // VACUUM INTO fills an empty file and keeps its mode; a file it creates itself would be 0644.
    ensurePrivateFile(backup);
    db.prepare('VACUUM INTO ?').run(backup);
    pruneBackups(opts.backupDir, path.basename(opts.dbFile), opts.keepBackups ?? 10);
  }

  const apply = db.transaction(() => {
    for (const m of migrations.slice(from)) {
      try {
        db.exec(m.sql);
      } catch (e) {
        throw new PuestaError('MIGRATION_FAILED', `migration ${String(m.version).padStart(4, '0')}_${m.name} failed: ${(e as Error).message}. The database was left at version ${from}.`);
      }
    }
    db.pragma(`user_version = ${latest}`);
  });
  apply();
  return { from, to: latest, backup };
}

export function listBackups(backupDir: string): { file: string; bytes: number; at: string }[] {
  if (!existsSync(backupDir)) return [];
  return readdirSync(backupDir)
    .filter((f) => f.endsWith('.bak'))
    .map((f) => {
      const st = statSync(path.join(backupDir, f));
      return { file: path.join(backupDir, f), bytes: st.size, at: st.mtime.toISOString() };
    })
    .sort((a, b) => (a.at < b.at ? 1 : -1));
}

function pruneBackups(dir: string, base: string, keep: number): void {
  const mine = readdirSync(dir)
    .filter((f) => f.startsWith(base + '.v') && f.endsWith('.bak'))
    .map((f) => ({ f, t: statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of mine.slice(keep)) unlinkSync(path.join(dir, f));
}
