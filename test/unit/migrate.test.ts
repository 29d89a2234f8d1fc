import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../electron/core/db/connection.js';
import { loadMigrations, migrate } from '../../electron/core/db/migrate.js';
import { PuestaError } from '../../shared/errors.js';
import { MIGRATIONS } from '../helpers/core.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'puesta-mig-'));

/** The schema as SQLite describes it, normalised, so two databases can be compared. */
function schemaOf(db: Db): string[] {
  const objects = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
    .all() as { type: string; name: string; sql: string | null }[];
  const out = objects.map((o) => `${o.type} ${o.name}`);
  for (const t of objects.filter((o) => o.type === 'table')) {
    for (const c of db.prepare(`PRAGMA table_xinfo(${t.name})`).all() as Record<string, unknown>[]) {
      out.push(`${t.name}.${String(c.name)} ${String(c.type)} nn=${String(c.notnull)} d=${String(c.dflt_value)} pk=${String(c.pk)}`);
    }
    for (const f of db.prepare(`PRAGMA foreign_key_list(${t.name})`).all() as Record<string, unknown>[]) {
      out.push(`${t.name} fk ${String(f.from)} -> ${String(f.table)}.${String(f.to)} ${String(f.on_delete)}`);
    }
  }
  return out.sort();
}

describe('migrations', () => {
  const all = loadMigrations(MIGRATIONS);

  it('are numbered 1..N without gaps and each applies on its own', () => {
    expect(all.length).toBeGreaterThan(0);
    all.forEach((m, i) => expect(m.version).toBe(i + 1));
  });

  it('a fresh database at the latest version equals one upgraded step by step, for every migration', () => {
    const dir = tmp();
    const fresh = openDb(path.join(dir, 'fresh.sqlite'));
    migrate(fresh, all, { dbFile: path.join(dir, 'fresh.sqlite'), backupDir: path.join(dir, 'b') });
    const stepped = openDb(path.join(dir, 'stepped.sqlite'));
    for (let v = 1; v <= all.length; v++) {
      const r = migrate(stepped, all.slice(0, v), { dbFile: path.join(dir, 'stepped.sqlite'), backupDir: path.join(dir, 'b') });
      expect(r.to).toBe(v);
      expect(stepped.pragma('user_version', { simple: true })).toBe(v);
      expect(stepped.pragma('foreign_key_check')).toEqual([]);
    }
    expect(schemaOf(stepped)).toEqual(schemaOf(fresh));
    fresh.close();
    stepped.close();
  });

  it('opens in WAL mode with foreign keys enforced', () => {
    const dir = tmp();
    const db = openDb(path.join(dir, 'x.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('writes a backup of an existing database before migrating it, and the backup opens at the old version', () => {
    const dir = tmp();
    const file = path.join(dir, 'p.sqlite');
    const db = openDb(file);
    migrate(db, all.slice(0, 1), { dbFile: file, backupDir: path.join(dir, 'backups') });
    db.prepare("INSERT INTO customers (name, created_at, updated_at) VALUES ('Acme', 'x', 'x')").run();
    const extra = { version: all.length + 1, name: 'extra', sql: 'CREATE TABLE extra_t (id INTEGER PRIMARY KEY);' };
    const later = [...all, extra];
    const r = migrate(db, later, { dbFile: file, backupDir: path.join(dir, 'backups') });
    expect(r.backup).toBeTruthy();
    const bak = openDb(r.backup!, { readonly: true });
    expect(bak.pragma('user_version', { simple: true })).toBe(1);
    expect((bak.prepare('SELECT name FROM customers').get() as { name: string }).name).toBe('Acme');
    bak.close();
    db.close();
  });

  it('a failing migration leaves the database exactly at its previous version (one transaction)', () => {
    const dir = tmp();
    const file = path.join(dir, 'p.sqlite');
    const db = openDb(file);
    migrate(db, all, { dbFile: file, backupDir: path.join(dir, 'b') });
    const bad = [
      ...all,
      { version: all.length + 1, name: 'ok', sql: 'CREATE TABLE ok_t (id INTEGER);' },
      { version: all.length + 2, name: 'broken', sql: 'CREATE TABLE broken_t (id INTEGER); SELECT nonsense FROM nowhere;' },
    ];
    expect(() => migrate(db, bad, { dbFile: file, backupDir: path.join(dir, 'b') })).toThrow(/broken failed/);
    expect(db.pragma('user_version', { simple: true })).toBe(all.length);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('ok_t', 'broken_t')").all()).toEqual([]);
    db.close();
  });

  it('refuses a database from a newer Puesta, untouched', () => {
    const dir = tmp();
    const file = path.join(dir, 'p.sqlite');
    const db = openDb(file);
    migrate(db, all, { dbFile: file, backupDir: path.join(dir, 'b') });
    db.pragma(`user_version = ${all.length + 5}`);
    let err: unknown;
    try {
      migrate(db, all, { dbFile: file, backupDir: path.join(dir, 'b') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PuestaError);
    expect((err as PuestaError).code).toBe('DB_TOO_NEW');
    expect((err as PuestaError).message).toMatch(/newer Puesta/);
    expect(db.pragma('user_version', { simple: true })).toBe(all.length + 5);
    expect(readdirSync(dir)).not.toContain('b');
    db.close();
  });

  it('rejects migration files with gaps or bad names', () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'm'));
    copyFileSync(path.join(MIGRATIONS, readdirSync(MIGRATIONS).sort()[0]!), path.join(dir, 'm', '0001_a.sql'));
    writeFileSync(path.join(dir, 'm', '0003_c.sql'), 'SELECT 1;');
    expect(() => loadMigrations(path.join(dir, 'm'))).toThrow(/expected version 2/);
    writeFileSync(path.join(dir, 'm', '0002-b.sql'), 'SELECT 1;');
    expect(() => loadMigrations(path.join(dir, 'm'))).toThrow(/not NNNN_snake_name/);
  });
});
