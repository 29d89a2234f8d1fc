/**
 * The data folder is private: folder 0700; database, WAL, SHM, backups, key file and browser token
 * 0600 — when created, and again at every start over a folder an older Puesta left 0755/0644.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/core/core.js';
import { openDb } from '../../electron/core/db/connection.js';
import { loadMigrations, migrate } from '../../electron/core/db/migrate.js';
import { KeyFileCipher } from '../../electron/core/secrets.js';
import { call } from '../helpers/api.js';
import { MIGRATIONS } from '../helpers/core.js';

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function start(dataDir: string): Core {
  mkdirSync(path.dirname(dataDir), { recursive: true });
  return createCore({ dataDir, migrationsDir: MIGRATIONS, cipher: new KeyFileCipher(path.join(path.dirname(dataDir), 'outside.key')), shell: 'test', version: 'test' });
}

/** Every file and folder under dir with its mode, e.g. { '.': '700', 'puesta.sqlite': '600' }. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': mode(dir) };
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out[r] = mode(path.join(dir, r));
      if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

describe('the data folder is private', () => {
  it('is created 0700 with the database, its WAL and SHM, the key file and the browser token 0600', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-private-'));
    const dataDir = path.join(root, 'new', 'puesta'); // nothing exists yet
    const core = start(dataDir);
    new KeyFileCipher(path.join(dataDir, 'secret.key'));
    await call(core, 'customers.create', { name: 'Acme' }); // something in the WAL
    core.browserToken.value();
    const m = modes(dataDir);
    expect(m).toMatchObject({ '.': '700', 'puesta.sqlite': '600', 'puesta.sqlite-wal': '600', 'puesta.sqlite-shm': '600', 'secret.key': '600', 'browser-token': '600' });
    expect(Object.entries(m).filter(([, v]) => v !== '600' && v !== '700')).toEqual([]);
    expect(mode(path.join(root, 'new'))).toBe('755'); // a parent is not ours to lock
    await core.close();
  });

  it('makes a folder left 0755/0644 (database, WAL, backups, archives, token) private again at start', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-private-'));
    const dataDir = path.join(root, 'puesta');
    const first = start(dataDir);
    first.browserToken.value();
    await first.close();
    mkdirSync(path.join(dataDir, 'backups'));
    writeFileSync(path.join(dataDir, 'backups', 'puesta.sqlite.v1.old.bak'), 'x');
    mkdirSync(path.join(dataDir, 'archives'));
    writeFileSync(path.join(dataDir, 'archives', '1-release.tar.gz'), 'x');
    writeFileSync(path.join(dataDir, 'puesta.sqlite-wal'), '');
    for (const p of Object.keys(modes(dataDir))) chmodSync(path.join(dataDir, p), statSync(path.join(dataDir, p)).isDirectory() ? 0o755 : 0o644);
    expect(mode(path.join(dataDir, 'puesta.sqlite'))).toBe('644');
    // The operator's own file in a folder they chose (PUESTA_DATA_DIR) is not ours to change.
    writeFileSync(path.join(dataDir, 'notes.sh'), '#!/bin/sh\n', { mode: 0o755 });
    chmodSync(path.join(dataDir, 'notes.sh'), 0o755);

    const again = start(dataDir);
    const { 'notes.sh': theirs, ...m } = modes(dataDir);
    expect(theirs).toBe('755');
    expect(m['.']).toBe('700');
    expect(m).toMatchObject({ backups: '700', archives: '700', 'backups/puesta.sqlite.v1.old.bak': '600', 'archives/1-release.tar.gz': '600', 'browser-token': '600' });
    expect(Object.entries(m).filter(([, v]) => v !== '600' && v !== '700')).toEqual([]);
    await again.close();
  });

  it('writes the migration backup 0600 in a 0700 folder', () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-private-'));
    const file = path.join(root, 'puesta.sqlite');
    const all = loadMigrations(MIGRATIONS);
    const db = openDb(file);
    migrate(db, all.slice(0, 1), { dbFile: file, backupDir: path.join(root, 'backups') });
    const r = migrate(db, all, { dbFile: file, backupDir: path.join(root, 'backups') });
    db.close();
    expect(r.backup).not.toBeNull();
    expect(mode(path.join(root, 'backups'))).toBe('700');
    expect(mode(r.backup!)).toBe('600');
    expect(mode(file)).toBe('600');
  });
});
